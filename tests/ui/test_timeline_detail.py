"""The timeline zoomed out over 1,000 clips: tiny clips drawn as merged runs, never over a selected
clip or a shot being generated; at the editing zoom every clip still drawn on its own."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage

from studio.core import store
from studio.core.project import Clip, Marker, MediaItem, Project
from studio.ui.document import Document
from studio.ui.timeline import RULER_HEIGHT, TRACK_HEIGHT, TimelineWidget, painting
from studio.ui.timeline.detail import TINY_CLIP_PX, Run, clip_runs, spaced
from studio.ui.timeline.placeholders import Placeholder

CLIPS = 1000


@pytest.fixture
def crowded(qtbot, tmp_path):
    """1,000 clips of 48 frames edge to edge on V1, a marker every 100 frames, zoomed to fit."""
    project = Project.new("Crowded")
    store.save(project, tmp_path / "Crowded.studio")
    v1 = project.sequence.tracks[0]
    for i in range(CLIPS):
        project.media[f"m{i}"] = MediaItem(id=f"m{i}", path=f"media/m{i}.mkv", frames=48, name=f"shot {i}")
        v1.clips.append(Clip(f"c{i}", f"m{i}", i * 48, 0, 48))
    project.sequence.markers = [Marker(f"k{f}", f, f"marker {f}") for f in range(0, CLIPS * 48, 100)]
    widget = TimelineWidget(Document(project))
    widget.resize(1600, RULER_HEIGHT + 2 * TRACK_HEIGHT + 10)
    qtbot.addWidget(widget)
    widget.zoom_to_fit()
    return widget


def count_painted(widget, monkeypatch) -> tuple[list[tuple[str, bool]], list[Run], QImage]:
    """Render the widget, noting each clip painted on its own (id, selected) and each merged run."""
    clips: list[tuple[str, bool]] = []
    runs: list[Run] = []
    paint_clip, paint_run = painting.paint_clip, painting.paint_run

    def counted_clip(view, painter, rect, track, clip, selected):
        clips.append((clip.id, selected))
        paint_clip(view, painter, rect, track, clip, selected)

    def counted_run(view, painter, index, track, run):
        runs.append(run)
        paint_run(view, painter, index, track, run)

    monkeypatch.setattr(painting, "paint_clip", counted_clip)
    monkeypatch.setattr(painting, "paint_run", counted_run)
    image = QImage(widget.size(), QImage.Format.Format_RGB32)
    widget.render(image)
    return clips, runs, image


def test_fit_all_paints_far_fewer_blocks_than_clips(crowded, monkeypatch):
    clips, runs, _ = count_painted(crowded, monkeypatch)
    visible = len([c for c in crowded.sequence.tracks[0].clips if crowded.frame_to_x(c.start) < crowded.width()])
    assert visible > 500  # the fit zoom's floor still shows hundreds of clips
    assert clips == []
    assert 1 <= len(runs) <= 5
    assert sum(run.count for run in runs) == visible


def test_a_selected_clip_is_never_merged_and_stays_visibly_selected(crowded, monkeypatch):
    crowded.select("c300")
    clips, runs, image = count_painted(crowded, monkeypatch)
    assert clips == [("c300", True)]
    assert len(runs) == 2  # the run before it and the run after it
    # the selection's colour is on screen where the clip is, not covered by the run beside it
    clip = crowded.sequence.find_clip("c300")[1]
    left, right, y = crowded.frame_to_x(clip.start), crowded.frame_to_x(clip.end), crowded.track_rect(0).center().y()
    assert all(QColor(image.pixel(x, y)).name() == painting.SELECTED_COLOUR.name() for x in range(left, right + 1))


def test_clip_runs_split_around_the_selection_and_at_visible_gaps():
    clips = [Clip(f"c{i}", "m", i * 10, 0, 10) for i in range(100)]
    clips += [Clip("far", "m", 2000, 0, 10)]  # a gap of 1,000 frames: 100 px at 0.1 px a frame
    entries = clip_runs(clips, 0.1, 0.0, keep={"c50"})
    assert [type(e).__name__ for e in entries] == ["Run", "Clip", "Run", "Run"]
    assert entries[1].id == "c50"
    assert sum(e.count for e in entries if isinstance(e, Run)) == 100


def test_clips_wide_enough_are_never_merged():
    clips = [Clip(f"c{i}", "m", i * 10, 0, 10) for i in range(20)]
    px = TINY_CLIP_PX / 10  # each clip exactly TINY_CLIP_PX wide
    assert clip_runs(clips, px, 0.0) == clips


def test_the_editing_zoom_paints_every_visible_clip_on_its_own(crowded, monkeypatch):
    crowded.set_zoom(4.0, CLIPS * 24)
    clips, runs, _ = count_painted(crowded, monkeypatch)
    assert runs == []
    assert 5 <= len(clips) <= 10  # 1,482 px at 4 px a frame: about 8 clips of 48 frames


def test_a_shot_being_generated_shows_over_merged_runs(crowded, monkeypatch):
    track = crowded.sequence.tracks[0]
    crowded.placeholders["job"] = Placeholder(track.id, 10_000, 48, "new shot", progress=1.0, state="running")
    _, runs, image = count_painted(crowded, monkeypatch)
    assert runs
    row, left = crowded.track_rect(0), crowded.frame_to_x(10_000)
    seen = {QColor(image.pixel(x, y)).name() for x in (left, left + 1) for y in range(row.top(), row.bottom())}
    assert seen & {"#8fa6d8", "#3a6fd8"}  # its outline or its progress bar, over the run under it


def test_marker_flags_that_would_overlap_are_drawn_once():
    xs = [0, 5, 11, 12, 30, 41, 42]
    assert spaced(xs, lambda x: x) == [0, 12, 30, 42]
    assert spaced(xs, lambda x: x, spacing=1) == xs


def test_fit_all_draws_no_two_marker_flags_on_each_other(crowded):
    image = QImage(crowded.size(), QImage.Format.Format_RGB32)
    crowded.render(image)
    # the flags' stretches of colour across the ruler: each one flag (9 px) wide, none fused
    flag = [QColor(image.pixel(x, 5)).name() == "#3fc1a5" for x in range(crowded.width())]
    widths, width = [], 0
    for on in [*flag, False]:
        if on:
            width += 1
        elif width:
            widths.append(width)
            width = 0
    assert len(widths) > 20
    assert max(widths) <= 9
