"""Thread results reach the GUI thread without the thread touching Qt, and stop reaching a widget
that is gone (emitting from a thread raced with such a deletion and crashed CI)."""

from __future__ import annotations

import threading

from PySide6.QtWidgets import QWidget
from shiboken6 import isValid

from studio.ui.gui_thread import GuiThreadRelay


def test_posts_run_on_the_gui_thread_in_order_and_the_timer_stops_when_idle(qtbot):
    owner = QWidget()
    qtbot.addWidget(owner)
    relay = GuiThreadRelay(owner)
    seen = []

    def work():
        for i in range(3):
            relay.post(lambda i=i: seen.append((i, threading.current_thread())))

    relay.start(work, name="work")
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=3000)
    assert [i for i, _ in seen] == [0, 1, 2]
    assert all(t is threading.main_thread() for _, t in seen)
    qtbot.waitUntil(lambda: not relay._timer.isActive(), timeout=3000)


def test_posts_for_a_deleted_owner_are_dropped(qtbot):
    owner = QWidget()
    relay = GuiThreadRelay(owner)
    gate, seen = threading.Event(), []

    def work():
        gate.wait(5)
        relay.post(seen.append, "late")

    thread = relay.start(work, name="work")
    owner.deleteLater()
    qtbot.waitUntil(lambda: not isValid(owner), timeout=3000)
    gate.set()
    thread.join(3)
    qtbot.wait(100)  # a timer would have fired by now, had it survived its owner
    assert seen == []
