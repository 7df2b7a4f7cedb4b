"""Engine fixtures: the tiny model loaded once, through the same loader users' models take."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.engine.cards import Card, folder_card


@pytest.fixture(scope="session")
def tiny_card(tiny_ltx: Path) -> Card:
    return folder_card(tiny_ltx)


@pytest.fixture(scope="session")
def tiny_pipe(tiny_ltx: Path, tiny_card: Card):
    from studio.engine.runtime.loader import load_pipeline, pick_device

    return load_pipeline(tiny_ltx, tiny_card, pick_device("cpu"))
