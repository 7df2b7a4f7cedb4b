"""An installed studio (from a wheel, not this checkout) carries its data: the style sheet, presets,
prompt policy, model cards and the demo model are package data, found through importlib.resources."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Run in the installed copy: what it finds, and `studio doctor`, as a user's `pip install .` would.
PROBE = """
import contextlib, io, json, runpy, sys
sys.path.insert(0, SITE)
import studio
from studio.core.presets import RESOURCES, load
from studio.engine.cards import find_weights, load_cards
from studio.engine.weights import models_root
cards = load_cards()
out = io.StringIO()
sys.argv = ["studio", "doctor"]
with contextlib.redirect_stdout(out):
    try:
        runpy.run_module("studio.cli", run_name="__main__")
    except SystemExit as exc:
        code = exc.code
print(json.dumps({
    "package": studio.__file__, "style": (RESOURCES / "style.qss").is_file(), "aspects": len(load()[0]),
    "cards": len(cards), "demo": str(find_weights(cards["demo"])), "downloads": str(models_root()),
    "doctor": code, "doctor_says": out.getvalue(),
}))
"""


def test_a_wheel_installs_the_studio_with_its_data_files(tmp_path):
    source = tmp_path / "source"  # built from a copy: the build leaves nothing in the checkout
    shutil.copytree(REPO / "studio", source / "studio", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    built = subprocess.run(
        [*pip, "wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(source)],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("studio-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in (
        "studio/resources/style.qss",
        "studio/resources/render_presets.toml",
        "studio/models/demo.toml",
        "studio/models/demo/transformer/diffusion_pytorch_model.safetensors",
    ):
        assert data in names

    site = tmp_path / "site"
    installed = subprocess.run(
        [*pip, "install", "--no-deps", "--target", str(site), str(wheel)], capture_output=True, text=True
    )
    assert installed.returncode == 0, installed.stderr
    env = dict(os.environ, STUDIO_CONFIG=str(tmp_path / "config"))
    probe = subprocess.run(
        [sys.executable, "-c", f"SITE = {str(site)!r}\n{PROBE}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert probe.returncode == 0, probe.stderr
    found = json.loads(probe.stdout.splitlines()[-1])
    assert found["package"].startswith(str(site))  # the installed copy, not this checkout
    assert found["style"] and found["aspects"] > 0
    assert found["cards"] == len(list((REPO / "studio" / "models").glob("*.toml")))
    assert found["demo"] == str(site / "studio" / "models" / "demo")
    # No checkout around it: downloads go to the user's own models folder, never into site-packages.
    assert found["downloads"] == str(tmp_path / "config" / "models")
    assert found["doctor"] in (0, None), found["doctor_says"]
    assert str(site / "studio" / "models" / "demo") in found["doctor_says"]
