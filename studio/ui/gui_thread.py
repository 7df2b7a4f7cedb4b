"""Work done on a plain thread, its results handled on the GUI thread, without the thread touching Qt.

A thread that emits a Qt signal of a widget races with that widget's deletion on the GUI thread: the
emit can land on a C++ object that is half gone, and the whole process dies (CI saw it: a segfault
in a thumbnail thread while a window closed). So a thread only puts (function, arguments) on a
plain queue; a timer of the owner's, on the GUI thread and running only while work is out, calls
them there. When the owner goes, its timer goes with it and whatever is still queued is dropped.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer

POLL_MS = 30


class GuiThreadRelay(QObject):
    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self._calls: queue.SimpleQueue[tuple[Callable, tuple]] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._timer = QTimer(self, interval=POLL_MS)
        self._timer.timeout.connect(self._drain)

    def start(self, target: Callable, *args, name: str) -> threading.Thread:
        """Run target(*args) on a daemon thread whose posts are delivered until it ends (GUI thread only)."""
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self._threads.append(thread)
        thread.start()
        self._timer.start()
        return thread

    def post(self, function: Callable, *args) -> None:
        """Have function(*args) called on the GUI thread soon (from any thread)."""
        self._calls.put((function, args))

    def _drain(self) -> None:
        watched = list(self._threads)
        # Read before the queue is emptied: an ended thread's posts are all queued by now.
        ended = not any(t.is_alive() for t in watched)
        while True:
            try:
                function, args = self._calls.get_nowait()
            except queue.Empty:
                break
            function(*args)  # may start another thread (an export asked again): it is kept watched
        self._threads = [t for t in self._threads if t.is_alive() or t not in watched]
        if ended and not self._threads:
            self._timer.stop()
