"""Child processes of ours (the worker, the expander) run this checkout's code, in a folder of ours,
and never a module planted in the folder the user started the studio from."""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from studio.core.recipe import Condition, Mode, Recipe
from studio.core.settings import logs_dir, settings_dir
from studio.engine.child import engine_child
from studio.engine.jobs import JobState
from studio.engine.service import EngineService
from studio.media.takes import read_frames

REPO = Path(__file__).resolve().parents[2]


def plant(folder: Path, *names: str) -> Path:
    """Modules in `folder` that, if ever imported, leave a marker file beside them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"import pathlib\npathlib.Path({str(folder / 'IMPORTED')!r}).write_text({name!r})\n")
    return folder


def test_a_job_runs_this_checkout_and_nothing_planted_in_the_current_folder(
    tiny_ltx, still_images, tmp_path, monkeypatch
):
    here = plant(tmp_path / "downloads", "diffusers.py", "torch.py", "studio/__init__.py")
    shutil.copy(still_images[0], here / "first.png")
    monkeypatch.chdir(here)
    monkeypatch.setenv("PYTHONPATH", str(here))
    recipe = Recipe(
        mode=Mode.IMAGE_TO_VIDEO,
        model=str(tiny_ltx),
        prompt="waves",
        width=64,
        height=64,
        frames=9,
        steps=2,
        seed=3,
        conditions=[Condition("first.png", 0)],  # relative to where we started
    )
    with EngineService(log_dir=tmp_path / "logs") as service:
        job = service.wait(service.submit(recipe, tmp_path / "take.mkv"), timeout=120)
        log = service.worker_log
    assert job.state is JobState.DONE, job.error
    assert not (here / "IMPORTED").exists()
    assert read_frames(tmp_path / "take.mkv").shape == (9, 64, 64, 3)
    assert f", {REPO / 'studio'})" in log.read_text()  # the worker's ready line names the studio it runs


def test_the_expander_command_ignores_planted_modules_and_runs_in_a_folder_of_ours(
    tiny_expander, tmp_path, monkeypatch
):
    here = plant(tmp_path / "downloads", "transformers.py", "torch.py", "studio/__init__.py")
    monkeypatch.chdir(here)
    monkeypatch.setenv("PYTHONPATH", str(here))
    child = engine_child("studio.engine.runtime.expand", str(tiny_expander))
    assert Path(child.cwd) == logs_dir() and logs_dir().is_relative_to(settings_dir())  # the user's own
    if sys.platform != "win32":
        assert stat.S_IMODE(Path(child.cwd).stat().st_mode) == 0o700
    for cwd in (child.cwd, here):  # even a caller that forgets the folder imports nothing from it
        result = subprocess.run(
            child.argv, cwd=cwd, env=child.env, input="a red kite", capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout.splitlines()[-1])["expanded"]
        assert not (here / "IMPORTED").exists()
