"""Keeping a queued job in sight: the Jobs dock comes to the front when a job is queued, unless the
person is typing in a panel it would cover (a fade length in the inspector, say)."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractSpinBox, QApplication, QDockWidget, QLineEdit, QPlainTextEdit, QTextEdit, QWidget

TYPING = (QLineEdit, QAbstractSpinBox, QPlainTextEdit, QTextEdit)


def typing_in(panel: QWidget) -> bool:
    """Whether the keyboard is in a text or number field inside panel."""
    focus = QApplication.focusWidget()
    return focus is not None and panel.isAncestorOf(focus) and isinstance(focus, TYPING)


def bring_forward(dock: QDockWidget, unless_typing_in: QWidget) -> None:
    """Show the dock's tab, unless that would hide a field the person is typing in."""
    if not typing_in(unless_typing_in):
        dock.raise_()
