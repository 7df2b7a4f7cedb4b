"""The small project most core tests edit."""

from __future__ import annotations

import pytest

from studio.core.project import Clip, MediaItem, MediaKind, Project, Sequence, Track, TrackKind
from studio.core.recipe import Mode, Recipe


@pytest.fixture
def project() -> Project:
    """V1: a[0:10) at 0, b[5:15) at 20; V2: still s at 5 for 8 frames; A1 empty."""
    project = Project(name="t")
    recipe = Recipe(Mode.TEXT_TO_VIDEO, "tiny", "a boat", frames=30)
    project.media = {
        "m": MediaItem("m", "media/take1.mkv", frames=30, recipe=recipe),
        "n": MediaItem("n", "media/take2.mkv", frames=30),
        "still": MediaItem("still", "media/still.png", MediaKind.IMAGE, frames=1),
    }
    v1 = Track("v1", TrackKind.VIDEO, "V1", [Clip("a", "m", 0, 0, 10), Clip("b", "n", 20, 5, 15)])
    a1 = Track("a1", TrackKind.AUDIO, "A1")
    v2 = Track("v2", TrackKind.VIDEO, "V2", [Clip("s", "still", 5, 0, 8)])
    project.sequences = [Sequence("seq", tracks=[v1, a1, v2])]
    return project
