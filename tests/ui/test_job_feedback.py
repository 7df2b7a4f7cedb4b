"""A queued shot stays in sight: Generate brings the Jobs tab in front of the Inspector's (not while the
person types in the inspector), the timeline scrolls to the shot's placeholder and again to the clip
when it lands, and the finished row says how long the job took, its long title ending in "…" inside
the dock with the whole prompt in its tooltip."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QTabBar

from studio.core import store
from studio.core.project import Project
from studio.ui.jobs_panel import JobsPanel, duration_text
from studio.ui.timeline import HEADER_WIDTH

PROMPT = (
    "a grey heron stands in the shallows of a misty lake at dawn, then spreads its wings and lifts off "
    "low over the water towards the far reeds, slow tracking shot"
)


def click_tab(qtbot, window, title: str) -> None:
    """Click a dock's tab, as a person would."""
    for bar in window.findChildren(QTabBar):
        for index in range(bar.count()):
            if bar.tabText(index) == title and bar.isVisible():
                qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
                return
    raise AssertionError(f"no tab {title}")


def scroll_timeline_right(timeline, notches: int) -> None:
    """Wheel notches over the tracks: the view moves along the timeline, away from the playhead."""
    pos = QPointF(HEADER_WIDTH + 100, timeline.height() - 20)
    for _ in range(notches):
        event = QWheelEvent(
            pos,
            timeline.mapToGlobal(pos),
            QPoint(),
            QPoint(0, -120),
            Qt.MouseButton.NoButton,
            Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase,
            False,
        )
        QApplication.sendEvent(timeline, event)


def in_front(widget) -> bool:
    """Whether any of it shows: a dock behind another's tab is moved out of sight, not hidden."""
    return widget.isVisible() and not widget.visibleRegion().isEmpty()


def in_view(timeline, start: int, end: int) -> bool:
    return timeline.frame_to_x(start) >= HEADER_WIDTH and timeline.frame_to_x(end) <= timeline.width()


def test_a_queued_shot_stays_in_sight_until_it_lands(qtbot, open_window, tiny_ltx, tmp_path):
    project = Project.new("Feedback")
    store.save(project, tmp_path / "Feedback.studio")
    window = open_window(project)
    panel, timeline, seq = window.prompt_panel, window.timeline, window.document.project.sequence
    panel.set_model(str(tiny_ltx))
    panel.prompt.setPlainText(PROMPT)
    panel.seconds.setValue(0.3)

    click_tab(qtbot, window, "Inspector")
    qtbot.waitUntil(lambda: not in_front(window.jobs_panel) and in_front(window.inspector), timeout=2000)
    scroll_timeline_right(timeline, 12)
    assert timeline.scroll_frames > 100  # the playhead, where the shot will land, is out of view

    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    (job_id,) = timeline.placeholders
    placeholder = timeline.placeholders[job_id]
    qtbot.waitUntil(lambda: in_front(window.jobs_panel), timeout=2000)  # the Jobs tab came to the front
    assert in_view(timeline, placeholder.start, placeholder.end)

    scroll_timeline_right(timeline, 12)  # the person looks elsewhere while it runs
    row = window.jobs_panel.rows[job_id]
    qtbot.waitUntil(lambda: seq.duration > 0 or row.outcome in ("failed", "cancelled"), timeout=180_000)
    assert row.state.text() == "done", row.state.toolTip()
    (clip,) = seq.tracks[0].clips
    assert in_view(timeline, clip.start, clip.end)

    # The finished row: the time taken, the title ended in "…" with the whole prompt in the tooltip.
    assert row.progress.text() == f"done in {duration_text(window.service.job(job_id).elapsed)}"
    shown = row.name.shown_text()
    assert shown.endswith("…") and PROMPT.startswith(shown[:-1]) and row.name.toolTip() == PROMPT
    viewport = window.jobs_panel.viewport()
    assert row.mapTo(viewport, QPoint(row.width(), 0)).x() <= viewport.width()  # the row fits the dock

    # Typing in the inspector (a fade length): a shot queued by its shortcut leaves the inspector in front.
    qtbot.waitUntil(lambda: in_front(window.inspector), timeout=2000)  # the landed clip is selected and shown
    qtbot.mouseClick(window.inspector.fade_in, Qt.MouseButton.LeftButton)
    assert window.inspector.fade_in.hasFocus()
    qtbot.keyClick(window.inspector.fade_in, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(window.jobs_panel.rows) == 2, timeout=5000)
    qtbot.wait(300)
    assert in_front(window.inspector) and not in_front(window.jobs_panel)


def test_a_done_row_says_how_long_its_job_took_and_ends_a_long_title_in_an_ellipsis(qtbot):
    panel = JobsPanel()
    qtbot.addWidget(panel)
    panel.resize(panel.minimumWidth(), 400)
    panel.show()
    qtbot.waitExposed(panel)
    row = panel.add("job-1", PROMPT)
    qtbot.waitUntil(lambda: row.name.width() > 0)
    assert row.name.text() == PROMPT and row.name.toolTip() == PROMPT
    assert row.name.shown_text().endswith("…")
    assert row.name.fontMetrics().horizontalAdvance(row.name.shown_text()) <= row.name.width()
    row.set_progress(8, 8, 71.0)
    row.finish("done", elapsed=72.4)
    assert row.progress.text() == "done in 1 m 12 s" and row.state.isHidden()
    assert [duration_text(s) for s in (8.2, 59.6, 3725)] == ["8 s", "1 m 0 s", "1 h 2 m"]


def test_a_failed_or_cancelled_row_says_how_long_its_job_ran(qtbot, monkeypatch):
    panel = JobsPanel()
    qtbot.addWidget(panel)
    clock = iter([100.0, 108.4, 200.0, 203.0])
    monkeypatch.setattr("studio.ui.jobs_panel.time.monotonic", lambda: next(clock))
    failed, cancelled, waiting = panel.add("a", "a fox"), panel.add("b", "a hare"), panel.add("c", "a crow")
    failed.started()
    failed.finish("failed", "out of memory")
    cancelled.started()
    cancelled.finish("cancelled")
    waiting.finish("cancelled")  # never ran: nothing to say
    assert failed.progress.text() == "failed after 8 s" and failed.state.text() == "failed: out of memory"
    assert cancelled.progress.text() == "cancelled after 3 s"
    assert "after" not in waiting.progress.text()


def test_a_done_row_shows_a_frame_of_its_take_instead_of_the_last_preview(qtbot, tmp_path):
    """The last preview is the latents' rough picture; once the take is written the row shows the
    take's own middle frame, decoded in the background."""
    import io

    import numpy as np
    from PIL import Image

    from studio.media.takes import write_frames

    panel = JobsPanel()
    qtbot.addWidget(panel)
    row = panel.add("job-1", "a shot")
    noisy = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 56, 3), dtype=np.uint8)).save(noisy, "PNG")
    row.set_preview(noisy.getvalue())
    frames = np.zeros((9, 64, 112, 3), np.uint8)
    frames[4] = (0, 200, 0)  # the middle frame is green, the others black
    take = write_frames(tmp_path / "take.mkv", frames, 24)
    row.finish("done", elapsed=3.0)
    panel.show_take("job-1", take, 4)

    def centre():
        image = row.preview.pixmap().toImage()
        return image.pixelColor(image.width() // 2, image.height() // 2).getRgb()[:3]

    qtbot.waitUntil(lambda: centre() == (0, 200, 0), timeout=5000)
