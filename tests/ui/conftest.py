"""UI test set-up: a modal message box would wait forever for a click no test makes, so any
one that a test did not expect fails the test with its text instead."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox


@pytest.fixture(autouse=True)
def no_modal_message_boxes(monkeypatch):
    def refuse(kind):
        def show(parent, title, text, *args, **kwargs):
            pytest.fail(f"unexpected {kind} message box: {title}: {text}")

        return show

    for kind in ("warning", "critical", "question", "information"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(refuse(kind)))
