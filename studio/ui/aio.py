"""The editor's few asyncio helpers, on the qasync loop that runs inside Qt's (app.py installs it;
tests/conftest.py does for the tests' QApplication).

Long work is awaited by a task tied to a widget: `spawn(owner, coro)` cancels it when the owner is
destroyed and logs what it raises. Blocking work runs on a thread (`ThreadWork`) that never touches
Qt: a thread that emitted a widget's signal raced with that widget's deletion on the GUI thread and
crashed the process (CI saw it: a segfault in a thumbnail thread while a window closed). Its reports
and its end go through the loop's own call_soon_threadsafe onto a queue that the awaiting task reads;
once the task is cancelled nothing is delivered, so nothing reaches a deleted widget.

A task's step must never open a modal dialog: the dialog's nested event loop would run other tasks'
steps inside it, which asyncio refuses ("Cannot enter into task ... while another task ... is being
executed"), and those tasks would hang. Such work goes through `soon(owner, ...)`.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
import warnings
from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

import qasync
from PySide6.QtCore import QObject, QProcess, QTimer
from PySide6.QtWidgets import QApplication
from shiboken6 import isValid

log = logging.getLogger(__name__)

T = TypeVar("T")
Report = Callable[..., None]

_tasks: set[asyncio.Task] = set()  # asyncio holds tasks weakly: a task nobody holds can vanish mid-way


def qt_loop() -> asyncio.AbstractEventLoop:
    """The qasync loop of this (the Qt) thread: app.py's (it may not run yet: the window is built first),
    or, where a script runs Qt's loop itself (app.exec()), one made here that runs inside Qt's."""
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        with warnings.catch_warnings():  # newer Pythons warn where no loop was set: we set one below
            warnings.simplefilter("ignore", DeprecationWarning)
            try:
                loop = asyncio.get_event_loop_policy().get_event_loop()
            except RuntimeError:
                loop = None
    if isinstance(loop, qasync.QEventLoop):
        return loop
    if loop is not None and loop.is_running():
        raise RuntimeError("another asyncio loop runs on the Qt thread: the editor's tasks need qasync's")
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("the editor's tasks need a QApplication (and its qasync loop) first")
    qt = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(qt)
    return qt


def spawn(owner: QObject, coro: Coroutine[Any, Any, T], name: str | None = None) -> asyncio.Task[T]:
    """Run coro as a task on the Qt loop, cancelled when owner is destroyed; what it raises is logged."""
    task = qt_loop().create_task(coro, name=name)
    _tasks.add(task)

    def cancel(*_: object) -> None:
        try:
            task.cancel()
        except RuntimeError:  # the application is going down: qasync's own timer is gone, and the task with it
            pass

    owner.destroyed.connect(cancel)

    def ended(task: asyncio.Task) -> None:
        _tasks.discard(task)
        if isValid(owner):
            owner.destroyed.disconnect(cancel)
        if not task.cancelled() and task.exception() is not None:
            log.error("the task %s failed", task.get_name(), exc_info=task.exception())

    task.add_done_callback(ended)
    return task


def soon(owner: QObject, function: Callable[..., object], *args: object) -> None:
    """Call function(*args) from Qt's own event queue, outside any task's step (for what may open a
    modal dialog), unless owner is gone by then."""
    QTimer.singleShot(0, owner, functools.partial(function, *args))


class ThreadWork(Generic[T]):
    """work(report) on a daemon thread of its own, started at once (a daemon: quitting never waits
    for a download). `await result(on_report)` gets its return value or raises what it raised, after
    on_report(*args) was called on the Qt thread for each report(*args), in order."""

    def __init__(self, work: Callable[[Report], T], *, name: str) -> None:
        self._loop = qt_loop()
        self._queue: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        self._abandoned = False
        self.thread = threading.Thread(target=self._run, args=(work,), name=name, daemon=True)
        self.thread.start()

    def _post(self, kind: str, value: object) -> None:
        # The thread's only way out: the loop's thread-safe call, never a widget's signal.
        if not self._abandoned and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._queue.put_nowait, (kind, value))

    def _run(self, work: Callable[[Report], T]) -> None:
        try:
            result = work(lambda *args: self._post("report", args))
        except BaseException as exc:  # handed to the awaiting task, which decides what the user reads
            self._post("failed", exc)
        else:
            self._post("done", result)

    async def result(self, on_report: Callable[..., object] | None = None) -> T:
        try:
            while True:
                kind, value = await self._queue.get()
                if kind == "report":
                    if on_report is not None:
                        on_report(*value)
                elif kind == "failed":
                    raise value
                else:
                    return value
        except asyncio.CancelledError:
            self._abandoned = True  # the owner is gone: the thread ends on its own, unheard
            raise

    def join(self, timeout: float | None = None) -> None:
        """Block until the thread has ended (tests and shutdown)."""
        self.thread.join(timeout)


def process_ended(process: QProcess) -> asyncio.Future[None]:
    """An awaitable for the end of process, made before it starts: it finished, or it could not start
    (then Qt sends no finished)."""
    ended: asyncio.Future[None] = qt_loop().create_future()

    def end(*_: object) -> None:
        if not ended.done():
            ended.set_result(None)

    def failed(error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart:
            end()

    process.finished.connect(end)
    process.errorOccurred.connect(failed)
    return ended


class JobEvents:
    """The engine service's job events as an async stream on the Qt loop, heard from the moment it
    is made. The service's thread only calls the loop's call_soon_threadsafe; close() stops hearing."""

    def __init__(self, service) -> None:
        self._service = service
        self._loop = qt_loop()
        self._queue: asyncio.Queue = asyncio.Queue()
        service.add_listener(self._heard)

    def _heard(self, event) -> None:  # on the service's thread
        if not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._queue.put_nowait, event)

    def __aiter__(self) -> JobEvents:
        return self

    async def __anext__(self):
        return await self._queue.get()

    def close(self) -> None:
        self._service.remove_listener(self._heard)
