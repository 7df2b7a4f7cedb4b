"""The editor's asyncio helpers: tasks tied to a widget, threads that report without touching Qt (a
thread that emitted into a widget being deleted crashed CI), a process's end, and job events."""

from __future__ import annotations

import asyncio
import logging
import sys
import threading

import shiboken6
from PySide6.QtCore import QProcess
from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from studio.ui import aio


def test_a_task_is_cancelled_when_its_owner_is_deleted(qtbot):
    owner = QWidget()
    started = []

    async def forever():
        started.append(True)
        await asyncio.Event().wait()

    task = aio.spawn(owner, forever())
    qtbot.waitUntil(lambda: started == [True], timeout=3000)
    owner.deleteLater()
    qtbot.waitUntil(lambda: task.done(), timeout=3000)
    assert task.cancelled() and not isValid(owner)


def test_a_threads_reports_reach_the_task_in_order_on_the_qt_thread(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    seen = []

    def work(report):
        for i in range(50):
            report(i, threading.current_thread().name)
        return "made"

    async def follow():
        result = await aio.ThreadWork(work, name="reporter").result(
            lambda i, where: seen.append((i, where, threading.current_thread()))
        )
        seen.append(result)

    aio.spawn(owner, follow())
    qtbot.waitUntil(lambda: bool(seen) and seen[-1] == "made", timeout=5000)
    assert [i for i, _, _ in seen[:-1]] == list(range(50))  # every report, in order, before the result
    assert all(where == "reporter" and on is threading.main_thread() for _, where, on in seen[:-1])


def test_reports_for_a_deleted_owner_are_dropped(qtbot):
    owner = QWidget()
    gate, seen = threading.Event(), []

    def work(report):
        gate.wait(5)
        report("late")

    work_ = aio.ThreadWork(work, name="late")

    async def follow():
        await work_.result(seen.append)

    task = aio.spawn(owner, follow())
    qtbot.wait(50)  # the task waits on the thread
    owner.deleteLater()
    qtbot.waitUntil(lambda: task.done() and not isValid(owner), timeout=3000)
    gate.set()
    work_.join(3)
    qtbot.wait(100)  # a report would have been delivered by now, had the task outlived its owner
    assert seen == [] and task.cancelled()


def test_what_a_task_or_its_thread_raises_is_logged_not_lost(qtbot, caplog):
    owner = QWidget()
    qtbot.addWidget(owner)

    def work(report):
        raise ValueError("the disk is full")

    async def follow():
        await aio.ThreadWork(work, name="failing").result()

    with caplog.at_level(logging.ERROR, logger="studio.ui.aio"):
        task = aio.spawn(owner, follow(), name="export")
        qtbot.waitUntil(lambda: task.done(), timeout=3000)
    assert isinstance(task.exception(), ValueError)
    record = next(r for r in caplog.records if r.name == "studio.ui.aio")
    assert record.getMessage() == "the task export failed" and "the disk is full" in str(record.exc_info[1])


def test_a_process_end_is_awaited_whether_it_ran_or_could_not_start(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    ended = []

    async def run(program, args):
        process = QProcess(owner)
        done = aio.process_ended(process)
        process.start(program, args)
        await done
        ended.append((program, process.exitCode(), process.error()))

    aio.spawn(owner, run(sys.executable, ["-c", "raise SystemExit(3)"]))
    aio.spawn(owner, run("/no/such/program", []))
    qtbot.waitUntil(lambda: len(ended) == 2, timeout=10_000)
    by_program = {program: (code, error) for program, code, error in ended}
    assert by_program[sys.executable][0] == 3
    assert by_program["/no/such/program"][1] == QProcess.ProcessError.FailedToStart


class Service:
    def __init__(self):
        self.listeners = []

    def add_listener(self, listener):
        self.listeners.append(listener)

    def remove_listener(self, listener):
        self.listeners.remove(listener)


def test_job_events_are_a_stream_heard_from_the_service_thread(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    service, heard = Service(), []
    events = aio.JobEvents(service)

    async def follow():
        async for event in events:
            heard.append((event, threading.current_thread()))

    task = aio.spawn(owner, follow())
    thread = threading.Thread(target=lambda: [service.listeners[0](n) for n in range(20)])
    thread.start()  # before the task has run once: nothing is missed
    thread.join()
    qtbot.waitUntil(lambda: len(heard) == 20, timeout=3000)
    assert [n for n, _ in heard] == list(range(20)) and all(t is threading.main_thread() for _, t in heard)
    task.cancel()
    events.close()
    assert service.listeners == []


def test_soon_runs_outside_any_task_and_not_for_a_deleted_owner(qtbot):
    owner, gone = QWidget(), QWidget()
    qtbot.addWidget(owner)
    calls = []

    async def ask():
        aio.soon(owner, lambda: calls.append(("asked", asyncio.current_task())))
        aio.soon(gone, lambda: calls.append(("gone", None)))
        shiboken6.delete(gone)  # gone before Qt's queue reaches the call

    aio.spawn(owner, ask())
    qtbot.waitUntil(lambda: bool(calls), timeout=3000)
    qtbot.wait(50)
    assert calls == [("asked", None)]  # a modal dialog opened there would stop no task


def test_the_engine_bridge_hands_events_on_outside_its_task_and_stops_listening_when_gone(qtbot):
    from studio.ui.engine_bridge import EngineBridge

    owner = QWidget()
    service, heard = Service(), []
    bridge = EngineBridge(service, owner)
    bridge.event.connect(lambda event: heard.append((event, asyncio.current_task())))
    threading.Thread(target=lambda: [service.listeners[0](n) for n in range(10)]).start()
    qtbot.waitUntil(lambda: len(heard) == 10, timeout=3000)
    assert heard == [(n, None) for n in range(10)]
    owner.deleteLater()
    qtbot.waitUntil(lambda: service.listeners == [], timeout=3000)
