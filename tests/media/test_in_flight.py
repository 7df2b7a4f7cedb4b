"""Exports, takes and timelines list their temporaries while they write them: a sweep by another
process never removes one in use, and one left by a killed process goes on the next sweep."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from studio.core.temporaries import sweep
from studio.media.export import export_sequence
from studio.media.probe import probe

from .test_compose import edit

REPO = Path(__file__).resolve().parents[2]
SWEEP_HOURS_LATER = (
    "import sys; from studio.core.temporaries import sweep; print(len(sweep(sys.argv[1], now=float(sys.argv[2]))))"
)


def python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        env=dict(os.environ, PYTHONPATH=str(REPO)),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_sweep_by_another_process_leaves_a_running_export_alone(media, tmp_path):
    project = edit(media)
    swept: list[str] = []

    def progress(done: int, total: int) -> None:
        if done == 20:  # half way: another studio opens, hours later by the clock
            assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".film.")]
            result = python(SWEEP_HOURS_LATER, str(tmp_path), str(time.time() + 10 * 3600))
            swept.append(result.stdout.strip() or result.stderr)

    out = export_sequence(project, project.sequence, tmp_path / "film.mp4", progress=progress)
    assert swept == ["0"]
    assert probe(out).frames == 40
    assert sorted(p.name for p in tmp_path.iterdir()) == ["film.mp4"]


def test_an_export_killed_half_way_is_swept_on_the_next_start(media, tmp_path):
    code = (
        "import json, os, signal, sys\n"
        f"sys.path.insert(0, {str(REPO)!r})\n"
        "from pathlib import Path\n"
        "from tests.media.test_compose import edit\n"
        "from studio.media.export import export_sequence\n"
        "project = edit({k: Path(v) for k, v in json.loads(sys.argv[1]).items()})\n"
        "def progress(done, total):\n"
        "    if done == 20:\n"
        "        os.kill(os.getpid(), signal.SIGKILL)\n"
        "export_sequence(project, project.sequence, Path(sys.argv[2]), progress=progress)\n"
    )
    killed = python(code, json.dumps({k: str(v) for k, v in media.items()}), str(tmp_path / "film.mp4"))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = list(tmp_path.iterdir())
    assert left and all(p.name.startswith(".film.") and ".part" in p.name for p in left)
    removed = sweep()  # the studio starts again; the export's folder is known from the list alone
    assert sorted(removed) == sorted(left)
    assert list(tmp_path.iterdir()) == []
