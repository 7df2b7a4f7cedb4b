"""Opening a project in the editor removes what a killed studio left half-written in it."""

from __future__ import annotations

import os
import time

from studio.core.store import create


def test_opening_a_project_sweeps_its_stale_temporaries(open_window, tmp_path):
    first = create(tmp_path / "First.studio")
    folder = create(tmp_path / "Film.studio").folder
    stale = folder / "media" / ".take-001.part.mkv"
    fresh = folder / "media" / ".take-002.part.mkv"
    for path in (stale, fresh):
        path.write_bytes(b"half")
    os.utime(stale, (time.time() - 3 * 3600, time.time() - 3 * 3600))
    window = open_window(first)
    window.files.open_project(str(folder))
    assert window.document.folder == folder
    assert not stale.exists() and fresh.exists()
