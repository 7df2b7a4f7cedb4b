"""Files and folders opened with the system's own programs (the file manager, the video player)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QLoggingCategory, QUrl
from PySide6.QtGui import QDesktopServices


def open_with_system(path: str | Path) -> str | None:
    """Open a file or folder as a double-click in the file manager would. None when it opened; else one
    sentence saying where it is, for the window to show (a desktop without a file manager, say)."""
    # Qt's own warning would reach only the terminal; the sentence returned says it where the person looks.
    QLoggingCategory.setFilterRules("qt.qpa.services.warning=false")
    if QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        return None
    return f"No program was found to open it: it is {path}"
