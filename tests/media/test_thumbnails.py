from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from studio.media import thumbnails
from studio.media.probe import MediaError
from studio.media.thumbnails import thumbnail, thumbnail_file

from .conftest import read_index


def test_video_frame_scaled_to_fit(media: dict[str, Path]) -> None:
    picture = thumbnail(media["mp4"], 17, 32)
    assert picture.shape == (24, 32, 3)
    assert read_index(picture) == (17, 200)


def test_fits_a_box_and_never_enlarges(media: dict[str, Path]) -> None:
    assert thumbnail(media["wide"], 0, (100, 10)).shape == (10, 40, 3)
    assert thumbnail(media["mkv"], 0, 1000).shape == (48, 64, 3)


def test_still(media: dict[str, Path]) -> None:
    picture = thumbnail(media["png"], 0, 24)
    assert picture.shape == (24, 12, 3)
    assert tuple(picture[12, 6]) == (250, 40, 130)


def test_cached_png_is_reused_until_the_file_changes(
    media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    video = tmp_path / "take.mkv"
    video.write_bytes(media["mkv"].read_bytes())
    cache = tmp_path / "cache"
    png = thumbnail_file(video, 9, 32, cache)
    assert png.parent == cache and png.suffix == ".png"
    assert read_index(thumbnail(video, 9, 32, cache)) == (9, 100)

    def no_decoding(*args: object) -> None:
        raise AssertionError("decoded although the thumbnail was cached")

    monkeypatch.setattr(thumbnails, "_decode", no_decoding)
    assert read_index(thumbnail(video, 9, 32, cache)) == (9, 100)
    assert thumbnail_file(video, 9, 32, cache) == png
    # Another frame, another size, or a changed file is another thumbnail.
    for args in ((video, 10, 32), (video, 9, 16)):
        with pytest.raises(AssertionError, match="decoded"):
            thumbnail_file(*args, cache)
    os.utime(video, ns=(video.stat().st_atime_ns, video.stat().st_mtime_ns + 10**9))
    with pytest.raises(AssertionError, match="decoded"):
        thumbnail_file(video, 9, 32, cache)
    assert [p.name for p in cache.iterdir()] == [png.name]  # nothing half-written left behind


def test_errors_name_the_file(media: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="missing.mkv: file not found"):
        thumbnail(tmp_path / "missing.mkv", 0, 32, tmp_path)
    with pytest.raises(MediaError, match=r"index\.mkv: no frame 99"):
        thumbnail(media["mkv"], 99, 32)


def test_a_thumbnail_of_a_generated_take_says_it_is_generated(media: dict[str, Path], tmp_path: Path) -> None:
    from PIL import Image

    from studio.core.recipe import Mode, Recipe
    from studio.media.provenance import mark_for_recipes
    from studio.media.takes import write_frames

    frames = np.full((3, 16, 16, 3), 90, np.uint8)
    recipe = Recipe(mode=Mode.TEXT_TO_VIDEO, model="tiny", prompt="a lantern in fog", seed=3)
    take = write_frames(tmp_path / "take.mkv", frames, 24, mark=mark_for_recipes([recipe]))
    with Image.open(thumbnail_file(take, 1, 8, tmp_path / "cache")) as image:
        comment = image.info["Comment"]
    assert comment.startswith("AI-generated (studio): ") and "a lantern in fog" in comment
    with Image.open(thumbnail_file(media["mkv"], 1, 8, tmp_path / "cache")) as image:
        assert "Comment" not in image.info  # footage the studio did not make is not called generated


def test_a_cache_that_cannot_be_written_still_gives_the_picture(
    media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk: the editor's clips and bin kept no thumbnail at all, as caching its PNG failed."""

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(thumbnails, "save_png", full)
    assert read_index(thumbnail(media["mkv"], 9, 32, tmp_path / "cache")) == (9, 100)
    assert [p.name for p in (tmp_path / "cache").iterdir()] == []  # no half-written PNG either
