"""Carries engine job events from the service's reader thread onto the Qt thread."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal


class EngineBridge(QObject):
    # Emitted from the service's thread; Qt queues it to receivers on the GUI thread.
    event = Signal(object)

    def __init__(self, service, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        service.add_listener(self.event.emit)
