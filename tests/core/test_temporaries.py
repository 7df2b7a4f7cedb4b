"""The sweep of temporaries a killed studio left: only ours by name, and only when nobody is writing them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio.core import temporaries
from studio.core.settings import settings_dir
from studio.core.temporaries import hold, release, sweep

REPO = Path(__file__).resolve().parents[2]
HOURS_LATER = time.time() + 10 * 3600


def child(code: str, **kwargs) -> subprocess.Popen[str]:
    """A Python process of its own running studio code from this checkout."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        [sys.executable, "-c", code], env=env, text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, **kwargs
    )


def holding(path: Path) -> str:
    return (
        f"from pathlib import Path; from studio.core.temporaries import hold\n"
        f"p = Path({str(path)!r}); hold(p); p.write_text('half'); print('held', flush=True)\n"
    )


def old(path: Path, seconds: float = 3 * 3600) -> Path:
    """The file (made if need be) as if last written `seconds` ago."""
    if not path.exists():
        path.write_bytes(b"half")
    os.utime(path, (time.time() - seconds, time.time() - seconds))
    return path


def test_what_a_killed_process_was_writing_is_removed_wherever_it_is(tmp_path):
    exports = tmp_path / "Desktop"  # not a project: found through the list the process kept
    exports.mkdir()
    tmp = exports / ".film.0a1b2c3d.part.mp4"
    writer = child(holding(tmp) + "import os, signal; os.kill(os.getpid(), signal.SIGKILL)\n")
    writer.wait(30)
    assert writer.returncode == -signal.SIGKILL and tmp.exists()  # fresh, and kill -9 left it
    assert sweep() == [tmp]
    # The killed writer's list went with its files (this test process may keep a list of its own).
    assert not tmp.exists() and not list(temporaries.in_flight_dir().glob(f"{writer.pid}-*.paths"))


def test_what_a_living_process_writes_is_never_removed_however_old(tmp_path):
    tmp = tmp_path / "media" / ".take-001.part.mkv"
    tmp.parent.mkdir()
    writer = child(holding(tmp) + "import sys; sys.stdin.read()\n")
    try:
        assert writer.stdout.readline() == "held\n"
        old(tmp)
        assert sweep(tmp_path, now=HOURS_LATER) == [] and tmp.exists()
    finally:
        writer.communicate("", timeout=30)  # it ends without releasing: as good as killed
    assert sweep(now=HOURS_LATER) == [tmp]


def test_in_a_project_only_our_stale_names_are_removed(tmp_path):
    media, cache = tmp_path / "media", tmp_path / "cache"
    media.mkdir(), cache.mkdir()
    png_export = tmp_path / ".frames.0a1b2c3d.part"  # a PNG sequence's folder
    png_export.mkdir()
    (png_export / "frames_000001.png").write_bytes(b"x")
    stale = [
        old(media / ".take-003.part.mkv"),
        old(media / ".take-003.part.f32"),
        old(png_export),
        old(tmp_path / ".project.json.k2x_9a0b.tmp", 300),
        old(cache / ".thumbs.0123abcd.part"),
        old(tmp_path / ".film.89abcdef.tagged.mp4"),
    ]
    keep = [
        media / ".take-004.part.mkv",  # fresh: someone (another machine?) may be writing it
        tmp_path / ".project.json.abcd1234.tmp",  # fresh
        media / "take.part.mkv",
        media / ".hidden",
        tmp_path / "notes.tmp",
        tmp_path / ".project.json.tmp",
        media / ".take.mkv",
        tmp_path / "project.json",
    ]
    for path in keep:
        path.write_bytes(b"whole")
    for path in keep[2:]:
        old(path)
    keys = settings_dir() / ".provenance.0a1b2c3d.part"  # a key folder half made, with its key in it
    keys.mkdir(parents=True)
    (keys / "private.pem").write_bytes(b"key")
    stale.append(old(keys))
    assert sorted(sweep(tmp_path)) == sorted(stale)
    assert all(not p.exists() for p in stale) and all(p.exists() for p in keep)


def test_released_temporaries_are_left_to_the_age_rule(tmp_path):
    tmp = old(tmp_path / ".a.0a1b2c3d.part.otio", 0)
    hold(tmp)
    try:
        assert sweep(tmp_path, now=HOURS_LATER) == []  # held by this very process
    finally:
        release(tmp)
    assert sweep(tmp_path, now=HOURS_LATER) == [tmp]


@pytest.mark.skipif(sys.platform == "win32", reason="file modes")
def test_the_lists_are_private(tmp_path):
    tmp = tmp_path / ".a.part.mkv"
    hold(tmp)
    release(tmp)
    assert oct(temporaries.in_flight_dir().stat().st_mode & 0o777) == "0o700"


def test_the_cli_sweeps_a_project_it_opens(studio_cli, tmp_path):
    from studio.core.store import create

    folder = create(tmp_path / "Film.studio").folder
    stale = [old(folder / "media" / ".take-001.part.mkv"), old(folder / ".project.json.a1b2c3d4.tmp", 300)]
    fresh = folder / "media" / ".take-002.part.mkv"
    fresh.write_bytes(b"being written")
    result = studio_cli("export-timeline", str(folder), "-o", str(tmp_path / "film.otio"), timeout=120)
    assert result.returncode == 0, result.stderr
    assert not any(p.exists() for p in stale) and fresh.exists()
