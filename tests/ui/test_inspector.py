"""The inspector shows the selected clip's facts and recipe, and switches takes as an undoable edit."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.core import store
from studio.core.project import Clip, MediaItem, Project
from studio.core.recipe import Recipe
from studio.media.takes import write_frames


@pytest.fixture
def window(open_window, tmp_path):
    project = Project.new("Takes")
    store.save(project, tmp_path / "Takes.studio")
    for take, (seed, colour) in enumerate([(7, (200, 40, 40)), (8, (40, 200, 40))], 1):
        write_frames(project.folder / "media" / f"t{take}.mkv", np.full((10, 32, 32, 3), colour, np.uint8), 24)
        recipe = Recipe(
            mode="text_to_video",
            model="tiny-ltx",
            prompt="a red door",
            seed=seed,
            steps=2,
            guidance=3.0,
            width=32,
            height=32,
            frames=10,
        )
        project.media[f"t{take}"] = MediaItem(
            id=f"t{take}", path=f"media/t{take}.mkv", frames=10, width=32, height=32, recipe=recipe, name="a red door"
        )
    project.sequence.width = project.sequence.height = 32
    project.sequence.tracks[0].clips = [Clip("shot", "t1", 0, 0, 10, takes=["t1", "t2"])]
    return open_window(project)


def test_selecting_a_clip_shows_its_recipe_and_takes(qtbot, window):
    assert window.inspector.takes.isHidden()
    qtbot.mouseClick(
        window.timeline,
        Qt.MouseButton.LeftButton,
        pos=window.timeline.clip_rect(0, window.document.project.sequence.tracks[0].clips[0]).center(),
    )
    text = window.inspector.details.text()
    assert "a red door" in text and "tiny-ltx" in text and "Seed" in text and ">7<" in text
    takes = [window.inspector.takes.item(i).text() for i in range(window.inspector.takes.count())]
    assert takes == ["Take 1 · seed 7  (in use)", "Take 2 · seed 8"]


def test_the_takes_list_is_as_tall_as_its_takes_up_to_two_so_the_recipe_gets_the_rest(qtbot, window):
    import dataclasses

    from studio.ui.inspector import TAKE_ROWS, TAKE_THUMB

    window.timeline.select("shot")
    takes = window.inspector.takes
    row = max(takes.sizeHintForRow(0), TAKE_THUMB.height() + 8)  # a row holds its thumbnail
    assert takes.height() == 2 * row + 2 * takes.frameWidth()  # two takes, both in sight
    clip = window.document.project.sequence.tracks[0].clips[0]
    clip.takes.remove("t2")
    window.inspector.refresh()
    assert takes.height() == row + 2 * takes.frameWidth()  # one take: no empty row under it
    clip.takes.append("t2")
    project = window.document.project
    for n in range(3, 7):  # six takes: TAKE_ROWS rows, the rest scroll
        project.media[f"t{n}"] = dataclasses.replace(project.media["t2"], id=f"t{n}")
        project.sequence.tracks[0].clips[0].takes.append(f"t{n}")
    window.inspector.refresh()
    assert takes.count() == 6 and takes.height() == TAKE_ROWS * row + 2 * takes.frameWidth()


def test_the_fades_share_one_row_so_the_recipe_keeps_its_room(qtbot, window):
    """On a 1366 x 768 screen the clip's controls left the recipe four lines: fade in and out are one row."""
    window.timeline.select("shot")
    inspector = window.inspector
    fade_in, fade_out = inspector.fade_in, inspector.fade_out
    assert fade_in.geometry().top() == fade_out.geometry().top() and fade_in.geometry().right() < fade_out.x()
    assert (fade_in.text(), fade_out.text()) == ("in 0 frames", "out 0 frames")
    assert fade_in.geometry().top() > inspector.retime.geometry().bottom()  # under Fit and Retime, as before


def test_double_clicking_a_take_switches_it_and_undo_switches_back(qtbot, window):
    window.timeline.select("shot")
    takes = window.inspector.takes
    second = takes.item(1)
    rect = takes.visualItemRect(second)
    # A hand's double click: press, release, then the second press Qt reports as a double click.
    qtbot.mouseClick(takes.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(takes.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    clip = window.document.project.sequence.tracks[0].clips[0]
    assert clip.media_id == "t2"
    qtbot.waitUntil(
        lambda: window.viewer.shown_frame == 0 and window.viewer.view.image.pixelColor(16, 16).green() > 150,
        timeout=5000,
    )
    window.document.undo_stack.undo()
    assert clip.media_id == "t1"
    assert window.inspector.takes.item(0).text().endswith("(in use)")


def test_a_clip_whose_media_the_project_does_not_list_is_shown_not_a_crash(qtbot, open_window, tmp_path):
    # A hand-edited project.json may name media that is not there; the file still opens (offline clip).
    project = Project.new("Lost")
    store.save(project, tmp_path / "Lost.studio")
    project.sequence.tracks[0].clips = [Clip("stray", "nowhere", 0, 0, 10)]
    store.save(project)
    window = open_window(store.load(project.folder))
    clip = window.document.project.sequence.tracks[0].clips[0]
    qtbot.mouseClick(window.timeline, Qt.MouseButton.LeftButton, pos=window.timeline.clip_rect(0, clip).center())
    assert window.timeline.selected == "stray"
    assert "Media missing" in window.inspector.details.text() and "nowhere" in window.inspector.details.text()
    window.shots.extend_clip("stray", "right", 5)  # what a drag past its edge asks for
    assert "Only a generated clip can be extended" in window.statusBar().currentMessage()


def test_after_save_as_the_inspector_shows_where_the_media_is_now(qtbot, window, tmp_path):
    clip = window.document.project.sequence.tracks[0].clips[0]
    qtbot.mouseClick(window.timeline, Qt.MouseButton.LeftButton, pos=window.timeline.clip_rect(0, clip).center())
    assert str(tmp_path / "Takes.studio" / "media" / "t1.mkv") in window.inspector.details.text()
    window.document.save(tmp_path / "Copy.studio")
    assert str(tmp_path / "Copy.studio" / "media" / "t1.mkv") in window.inspector.details.text()
