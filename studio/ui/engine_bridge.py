"""Engine job events on the Qt thread: a task on the Qt loop reads the service's events as a stream
(ui/aio.py; the service's thread never touches a Qt object) and hands each to `event`."""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal

from . import aio


class EngineBridge(QObject):
    event = Signal(object)  # on the Qt thread, in the order the service sent them
    # Queued to `event`, so its receivers run outside the task's step: one may open a modal dialog
    # (a refused job's warning), which must not happen inside a task (aio.py says why).
    _heard = Signal(object)

    def __init__(self, service, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self._heard.connect(self.event, Qt.ConnectionType.QueuedConnection)
        events = aio.JobEvents(service)  # heard from now: a job resumed before the loop runs is not missed
        task = aio.spawn(self, self._relay(events), name="job events")
        task.add_done_callback(lambda _task: events.close())  # the bridge is gone: stop listening

    async def _relay(self, events: aio.JobEvents) -> None:
        async for event in events:
            self._heard.emit(event)
