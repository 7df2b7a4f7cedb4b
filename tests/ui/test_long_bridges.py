"""Journey 4 with the demo model, past what it makes at once: a gap longer than its 31-frame bridge is
filled in windows, exactly as long as the gap, and a clip's edge dragged past its 40-frame extension
is extended in windows; the Shot panel's Sampling row says a bridge's guidance while Fill Gap is
offered, and a bridge with the prompt left empty carries on the first clip's own prompt."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from studio.core import store
from studio.core.commands import MoveClip
from studio.core.project import Project
from studio.engine.cards import load_cards
from studio.media.takes import read_frames
from studio.ui.timeline import RULER_HEIGHT, TRACK_HEIGHT

PROMPT = "a white square moves right on a blue background"


def test_a_long_gap_is_filled_and_a_clip_extended_far_in_windows(qtbot, open_window, tmp_path):
    project = Project.new("Far")
    store.save(project, tmp_path / "Far.studio")
    window = open_window(project)
    panel, timeline, seq = window.prompt_panel, window.timeline, window.document.project.sequence
    assert panel.model_value() == "demo"
    panel.prompt.setPlainText(PROMPT)
    for at in (0, 25):
        timeline.set_playhead(at)
        qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda n=at // 25 + 1: len(window.document.project.media) == n, timeout=180_000)
    qtbot.waitUntil(lambda: not timeline.placeholders, timeout=10_000)
    first, second = seq.tracks[0].clips
    window.document.push(MoveClip(second.id, 25 + 60))  # a 60-frame gap: two windows of the demo model
    timeline.set_zoom(4.0, 0)

    qtbot.mouseClick(
        timeline, Qt.MouseButton.LeftButton, pos=QPoint(timeline.frame_to_x(50), RULER_HEIGHT + TRACK_HEIGHT // 2)
    )
    assert panel.generate_button.text() == "Fill Gap (60 frames)"
    connect_guidance = load_cards()["demo"].guidance_for("connect")
    assert panel.sampling.guidance.text() == f"Model's: guidance {connect_guidance:g}"
    panel.prompt.clear()  # left empty: the first clip's own prompt
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    assert "Filling the gap. A bridge of 60 frames (2.5 s) in 2 windows" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not timeline.placeholders, timeout=180_000)
    bridge = next(c for c in seq.tracks[0].clips if c.id not in (first.id, second.id))
    item = window.document.project.media[bridge.media_id]
    assert (bridge.start, bridge.end, item.frames) == (25, 85, 60)  # exactly the gap
    assert item.recipe.prompt == PROMPT and item.recipe.mode == "connect"
    assert panel.sampling.guidance.text() == "Model's: guidance 3"  # the gap is gone: text to video's again

    # The first clip's right edge dragged 70 frames past its media: 40 + 30 new frames, in two windows.
    window.document.push(MoveClip(second.id, 300))
    window.document.push(MoveClip(bridge.id, 200))
    old = read_frames(window.document.project.media_path(window.document.project.media[first.media_id]))
    made_as = window.document.project.media[first.media_id].recipe  # as if made as a long shot of two windows
    made_as.window_prompts = [PROMPT, "on blue, a white square drifting right"]
    window.shots.extend_clip(first.id, "right", 70)
    assert ". An extension of 72 frames (3.0 s) in 2 windows" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not timeline.placeholders, timeout=180_000)
    _, extended = seq.find_clip(first.id)
    take = window.document.project.media[extended.media_id]
    assert (extended.start, extended.end, take.frames) == (0, 95, 25 + 72)
    joined = (take.recipe.prompt, take.recipe.window_prompts)
    assert joined == ("on blue, a white square drifting right", [])  # the prompt of the window it joins
    assert (read_frames(window.document.project.media_path(take))[:25] == old).all()  # the clip's own frames
