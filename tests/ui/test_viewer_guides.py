"""The viewer's safe-area and aspect guides, switched on from the View menu and its shortcut."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.core import store
from studio.core.project import Clip, MediaItem, Project
from studio.media.takes import write_frames

GREY = 128


@pytest.fixture
def window(open_window, qtbot, tmp_path):
    project = Project.new("Guides")
    store.save(project, tmp_path / "Guides.studio")
    write_frames(project.folder / "media" / "grey.mkv", np.full((4, 90, 160, 3), GREY, np.uint8), 24)
    project.media["grey"] = MediaItem(id="grey", path="media/grey.mkv", frames=4, width=160, height=90, name="grey")
    project.sequence.width, project.sequence.height = 160, 90
    project.sequence.tracks[0].clips = [Clip("c1", "grey", 0, 0, 4)]
    window = open_window(project)
    qtbot.waitUntil(lambda: window.viewer.view.image is not None, timeout=5000)
    return window


def picture(window):
    """The viewer as painted, and where the frame sits in it."""
    view = window.viewer.view
    return view.grab().toImage(), view.picture_rect()


def test_ctrl_apostrophe_draws_the_action_and_title_safe_frames(qtbot, window):
    image, rect = picture(window)
    top_of_action_safe = rect.top() + round(rect.height() * 0.05)
    row = [image.pixelColor(x, top_of_action_safe).red() for x in range(rect.left() + 20, rect.right() - 20)]
    assert max(row) <= GREY + 2  # no guide yet: the plain grey frame

    window.activateWindow()
    qtbot.keyClick(window, Qt.Key.Key_Apostrophe, Qt.KeyboardModifier.ControlModifier)
    assert window.safe_areas_action.isChecked()
    image, rect = picture(window)
    for fraction in (0.90, 0.80):
        top = rect.top() + (rect.height() - round(rect.height() * fraction)) // 2
        row = [image.pixelColor(x, top).red() for x in range(rect.center().x() - 30, rect.center().x() + 30)]
        assert max(row) > 200, f"no {fraction:.0%} safe line at y={top}"
    cx, cy = rect.center().x(), rect.center().y()
    middle = [image.pixelColor(x, cy).red() for x in range(cx - 10, cx + 10)]
    assert max(middle) <= GREY + 2  # the picture itself is untouched inside the guides


def test_a_scope_guide_dims_the_bands_a_239_frame_would_crop(qtbot, window):
    scope = next(a for a in window.aspect_guide_menu.actions() if a.text() == "2.39:1")
    scope.trigger()
    assert scope.isChecked()
    image, rect = picture(window)
    band = round((rect.height() - rect.width() / 2.39) / 2)  # letterbox bars of a 2.39 frame in 16:9
    assert band > 4
    cx = rect.center().x()
    assert image.pixelColor(cx, rect.top() + band // 2).red() < GREY * 0.6  # top bar dimmed
    assert image.pixelColor(cx, rect.bottom() - band // 2).red() < GREY * 0.6  # bottom bar dimmed
    assert abs(image.pixelColor(cx, rect.center().y()).red() - GREY) <= 2  # the kept picture is not
    assert abs(image.pixelColor(rect.left() + 3, rect.center().y()).red() - GREY) <= 2  # nor its sides

    vertical = next(a for a in window.aspect_guide_menu.actions() if a.text() == "9:16")
    vertical.trigger()
    image, rect = picture(window)
    assert not scope.isChecked()  # one guide at a time
    assert image.pixelColor(rect.left() + 3, rect.center().y()).red() < GREY * 0.6  # now the sides are dimmed
    assert abs(image.pixelColor(cx, rect.top() + band // 2).red() - GREY) <= 2

    none = next(a for a in window.aspect_guide_menu.actions() if a.text() == "None")
    none.trigger()
    image, rect = picture(window)
    assert abs(image.pixelColor(rect.left() + 3, rect.center().y()).red() - GREY) <= 2
