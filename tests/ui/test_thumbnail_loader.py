"""The background loaders never touch Qt from their thread: a signal emitted there raced with the
owner's deletion on the GUI thread and crashed the whole test run (CI, Fatal Python error)."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from studio.ui.thumbnail_loader import BackgroundLoader


class _GatedLoader(BackgroundLoader):
    """Loads a key once the test opens the gate, so the test decides when a decode ends."""

    def __init__(self, parent) -> None:
        self.gate = threading.Event()
        super().__init__(parent=parent)

    def _load(self, key, cache_dir):
        self.gate.wait(5)
        return f"loaded {key[0]}"


def test_ready_is_emitted_on_the_gui_thread(qtbot):
    owner = QWidget()
    loader = _GatedLoader(owner)
    threads = []
    # Direct: the slot runs on whichever thread emits, so it sees where the emit came from.
    loader.ready.connect(lambda: threads.append(threading.current_thread()), Qt.ConnectionType.DirectConnection)
    assert loader._get(("a",)) is None
    loader.gate.set()
    qtbot.waitUntil(lambda: bool(threads), timeout=3000)
    assert threads == [threading.main_thread()]
    assert loader._get(("a",)) == "loaded a"
    owner.deleteLater()


def test_the_owner_deleted_mid_decode_ends_the_thread_quietly(qtbot):
    owner = QWidget()
    loader = _GatedLoader(owner)
    thread = loader._thread
    loader._get(("a",))
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _alive(owner), timeout=3000)
    loader.gate.set()
    thread.join(3)
    assert not thread.is_alive()


def _alive(widget) -> bool:
    from shiboken6 import isValid

    return isValid(widget)


class _OneBadFile(BackgroundLoader):
    """The first key fails as PyAV fails on a file rewritten while it is read; the others load."""

    def _load(self, key, cache_dir):
        if key[0] == "bad":
            raise AssertionError("Container is not open")
        return f"loaded {key[0]}"


def test_one_files_unexpected_failure_does_not_stop_the_thumbnails_after_it(qtbot):
    owner = QWidget()
    loader = _OneBadFile(parent=owner)
    assert loader._get(("bad",)) is None
    qtbot.waitUntil(lambda: ("bad",) in loader._images, timeout=3000)  # drawn without a picture
    assert loader._get(("good",)) is None
    qtbot.waitUntil(lambda: loader._get(("good",)) == "loaded good", timeout=3000)
    assert loader._thread.is_alive()
    owner.deleteLater()
