"""Engine fixtures: the tiny model loaded once, through the same loader users' models take."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from studio.engine.cards import Card, folder_card
from studio.engine.weights import CARD_FILE


@pytest.fixture(scope="session")
def tiny_card(tiny_ltx: Path) -> Card:
    return folder_card(tiny_ltx)


@pytest.fixture(scope="session")
def tiny_pipe(tiny_ltx: Path, tiny_card: Card):
    from studio.engine.runtime.loader import load_pipeline, pick_device

    return load_pipeline(tiny_ltx, tiny_card, pick_device("cpu"))


@pytest.fixture(scope="session")
def short_windows(tiny_ltx: Path, tmp_path_factory) -> Path:
    """The tiny model with a card that makes at most 17 frames at once: a 41-frame shot is three windows
    (test_long_shots.py, test_long_clip_modes.py)."""
    folder = tmp_path_factory.mktemp("long") / "tiny-ltx-17"
    shutil.copytree(tiny_ltx, folder, ignore=shutil.ignore_patterns(CARD_FILE))
    card = dataclasses.replace(folder_card(tiny_ltx), id=folder.name, max_frames=17, default_frames=9)
    (folder / CARD_FILE).write_text(card.to_toml(), encoding="utf-8")
    return folder
