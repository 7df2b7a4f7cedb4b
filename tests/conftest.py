"""Fixtures every test folder can use: tiny models built once per run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock
from PIL import Image

# No test touches the network: the hub libraries must not even try.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

# The test command runs one pytest-xdist worker per core. Each worker, and every process it starts,
# gets its share of the cores for torch: two workers that each ask for every core run slower than one.
if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    _share = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1) // int(
        os.environ["PYTEST_XDIST_WORKER_COUNT"]
    )
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, _share)))

REPO = Path(__file__).resolve().parents[1]


def studio_command(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    """Run the studio CLI in a child process, as a user would."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p))
    return subprocess.run(
        [sys.executable, "-m", "studio.cli", *args], capture_output=True, text=True, env=env, **kwargs
    )


def editor_session(session: str, args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    """A fresh editor process running `session` (Python that patches the window, then calls
    studio.ui.app.main) offscreen, its settings, data and logs under `home`."""
    env = dict(
        os.environ,
        QT_QPA_PLATFORM="offscreen",
        STUDIO_CONFIG=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "xdg-config"),
        PYTHONPATH=str(REPO),
    )
    return subprocess.run(
        [sys.executable, "-c", session, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="session", autouse=True)
def own_settings_folder(tmp_path_factory: pytest.TempPathFactory):
    """The user's settings folder (prompt rules, the provenance signing keys) is one of the session's
    own, for this process and the CLI processes it starts: no test reads or writes the real one."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STUDIO_CONFIG", str(tmp_path_factory.mktemp("settings")))
        yield


@pytest.fixture(scope="session", autouse=True)
def own_temporary_folder(tmp_path_factory: pytest.TempPathFactory):
    """The temporary folder (a new project's scratch folder, studio-*) is one of the session's own, for
    this process and the processes it starts: a run leaves nothing in the machine's, and pytest prunes
    its own folders after a few runs."""
    import tempfile

    folder = tmp_path_factory.mktemp("tmp")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tempfile, "tempdir", str(folder))
        mp.setenv("TMPDIR", str(folder))
        yield


@pytest.fixture(scope="session")
def qapp(qapp):
    """pytest-qt's QApplication with the editor's asyncio loop on it (qasync), as studio.ui.app has.
    qtbot drives Qt's loop, so the asyncio loop is made as one already running inside it."""
    import asyncio

    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield qapp
    loop.stop()
    loop.close()
    asyncio.set_event_loop(None)


def _tiny(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """The tiny model, built once a run however many xdist workers ask for it (pytest-xdist's recipe for
    session data): the first to ask builds it under a lock, then renames it into place; the others wait
    and find it there. Its folder's parent holds it alone, so tests can use that as a models folder with
    this one model in it. Built in this process, not by `studio models tiny` in a child, which would
    import diffusers again for each model (9 s each on a slow 2-core machine)."""
    root = tmp_path_factory.getbasetemp()
    if "PYTEST_XDIST_WORKER" in os.environ:
        root = root.parent  # the run's folder, above each worker's own
    shared = root / "tiny-models"
    shared.mkdir(exist_ok=True)
    folder = shared / name / f"tiny-{name}"
    with FileLock(shared / f"{name}.lock"):
        if not folder.exists():
            building = shared / f"{name}.building"
            shutil.rmtree(building, ignore_errors=True)  # a build a killed run left half done
            import torch

            from studio.testing.tiny import build_tiny

            with torch.random.fork_rng(devices=[]):  # the builders seed torch: the tests' own draws stay theirs
                build_tiny(name, building)
            folder.parent.mkdir(exist_ok=True)
            building.rename(folder)
    return folder


@pytest.fixture(scope="session")
def studio_cli():
    """studio_cli(*args, timeout=...) runs `studio ARGS` in a child process; returns CompletedProcess."""
    return studio_command


@pytest.fixture(scope="session")
def tiny_ltx(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny LTX model folder (diffusers layout plus its studio-card.toml): 64x64, 9 frames, 2 steps
    by default, frames 4k+1, sizes in multiples of 32. Treat it as read-only."""
    return _tiny(tmp_path_factory, "ltx")


@pytest.fixture(scope="session")
def tiny_ltx_upsampler(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny LTX latent upsampler folder (an LTXLatentUpsamplePipeline, laid out like
    Lightricks/ltxv-spatial-upscaler-0.9.7, with a kind = "upsampler" card): doubles the tiny LTX model's
    latents in width and height. Read-only."""
    return _tiny(tmp_path_factory, "ltx-upsampler")


@pytest.fixture(scope="session")
def tiny_wan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Wan folder laid out like Wan 2.2 TI2V 5B (a WanPipeline; text and first-frame shots):
    32x32, 9 frames, 2 steps by default, frames 4k+1, sizes in multiples of 16. Read-only."""
    return _tiny(tmp_path_factory, "wan")


@pytest.fixture(scope="session")
def tiny_wan_i2v(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Wan folder laid out like Wan 2.1 I2V 14B (a WanImageToVideoPipeline with a CLIP image
    encoder; first-frame shots only), same sizes as tiny_wan. Read-only."""
    return _tiny(tmp_path_factory, "wan-i2v")


@pytest.fixture(scope="session")
def tiny_wan_flf2v(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Wan folder laid out like Wan 2.1 FLF2V 14B (a WanImageToVideoPipeline with a CLIP image
    encoder; first+last-frame shots only), same sizes as tiny_wan. Read-only."""
    return _tiny(tmp_path_factory, "wan-flf2v")


@pytest.fixture(scope="session")
def tiny_cogvideox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny CogVideoX folder laid out like CogVideoX-2b (a CogVideoXPipeline; text shots, and clips
    remade through CogVideoXVideoToVideoPipeline): 32x32, 17 frames, 2 steps by default, frames 8k+1,
    sizes in multiples of 16. Read-only."""
    return _tiny(tmp_path_factory, "cogvideox")


@pytest.fixture(scope="session")
def tiny_cogvideox_i2v(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny CogVideoX folder laid out like CogVideoX-5b-I2V (first-frame shots; learned position
    embeddings, so 32x32 and 9 frames only). Read-only."""
    return _tiny(tmp_path_factory, "cogvideox-i2v")


@pytest.fixture(scope="session")
def tiny_cogvideox_15(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny CogVideoX folder laid out like CogVideoX1.5-5B (text shots; 2-frame temporal patches,
    frames 16k+1, sizes up to 64x64). Read-only."""
    return _tiny(tmp_path_factory, "cogvideox-1.5")


@pytest.fixture(scope="session")
def tiny_cogvideox_15_i2v(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny CogVideoX folder laid out like CogVideoX1.5-5B-I2V (first-frame shots, frames 16k+1,
    sizes up to 64x64). Read-only."""
    return _tiny(tmp_path_factory, "cogvideox-1.5-i2v")


@pytest.fixture(scope="session")
def tiny_hunyuan15(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny HunyuanVideo 1.5 text-to-video folder (a HunyuanVideo15Pipeline, like the 480p_t2v
    checkpoint): 32x32, 9 frames, 2 steps by default, frames 4k+1, sizes in multiples of 16. Read-only."""
    return _tiny(tmp_path_factory, "hunyuan15")


@pytest.fixture(scope="session")
def tiny_hunyuan15_i2v(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny HunyuanVideo 1.5 image-to-video folder (a HunyuanVideo15ImageToVideoPipeline with a
    SigLIP image encoder, like the 480p_i2v checkpoint; first-frame shots only), sizes as
    tiny_hunyuan15. Read-only."""
    return _tiny(tmp_path_factory, "hunyuan15-i2v")


@pytest.fixture(scope="session")
def tiny_wan_t2v(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Wan folder laid out like Wan 2.1 T2V 1.3B (a WanPipeline without expand_timesteps; text
    shots, and clips remade through WanVideoToVideoPipeline), same sizes as tiny_wan. Read-only."""
    return _tiny(tmp_path_factory, "wan-t2v")


@pytest.fixture(scope="session")
def tiny_wan_vace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Wan folder laid out like Wan 2.1 VACE (a WanVACEPipeline: every mode but video to video,
    and reference images), same sizes as tiny_wan. Read-only."""
    return _tiny(tmp_path_factory, "wan-vace")


@pytest.fixture(scope="session")
def tiny_ltx2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny LTX-2 folder (an LTX2ConditionPipeline: picture and sound, Gemma 3 text encoder): 64x64,
    9 frames, 2 steps by default, frames 4k+1, sizes in multiples of 32, sound at 16 kHz. Read-only."""
    return _tiny(tmp_path_factory, "ltx2")


@pytest.fixture(scope="session")
def tiny_ltx2_two_pass(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny LTX-2 with LTX-2's two-stage recipe ([multiscale]): its folder also holds a latent_upsampler/
    (an LTX2LatentUpsamplerModel) and the refine's LoRA file at the top, laid out as Lightricks/LTX-2 is.
    Read-only."""
    return _tiny(tmp_path_factory, "ltx2-two-pass")


@pytest.fixture(scope="session")
def still_images(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two different 96x64 PNG stills: a horizontal gradient and a red field with a white square."""
    folder = tmp_path_factory.mktemp("stills")
    gradient = np.tile(np.linspace(0, 255, 96, dtype=np.uint8)[None, :, None], (64, 1, 3))
    square = np.zeros((64, 96, 3), np.uint8)
    square[...] = (200, 30, 30)
    square[16:48, 32:64] = 255
    first, last = folder / "first.png", folder / "last.png"
    Image.fromarray(gradient).save(first)
    Image.fromarray(square).save(last)
    return first, last


@pytest.fixture(scope="session")
def tiny_expander(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight causal language model folder for prompt expansion: gibberish out, through
    transformers' real generate. Read-only."""
    return _tiny(tmp_path_factory, "expander")
