"""Timeline speed with many clips: paint, hit-test and project open, against a 10-clip reference
measured in the same run. A benchmark, not a test: run it, read it, record it in results.md.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/timeline.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QPoint
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from studio.core import store
from studio.core.project import Clip, Marker, MediaItem, Project, Transition, TransitionKind
from studio.ui.document import Document
from studio.ui.timeline import RULER_HEIGHT, TRACK_HEIGHT, TimelineWidget


def project_with(clips: int, folder: Path) -> Project:
    """Clips edge to edge on V1, a cross-dissolve on every tenth cut, a fade on every twentieth clip
    and a marker every 100 frames: what the timeline paints beyond the clips themselves."""
    project = Project.new(f"bench-{clips}")
    store.save(project, folder / f"bench-{clips}.studio")
    v1 = project.sequence.tracks[0]
    for i in range(clips):
        media_id = f"m{i}"
        project.media[media_id] = MediaItem(id=media_id, path=f"media/{media_id}.mkv", frames=48, name=f"shot {i}")
        v1.clips.append(Clip(f"c{i}", media_id, i * 48, 0, 48, fade_in=12 if i % 20 == 0 else 0))
        if i and i % 10 == 0:
            v1.transitions.append(Transition(f"t{i}", TransitionKind.DISSOLVE, f"c{i - 1}", f"c{i}", 12))
    project.sequence.markers = [Marker(f"k{f}", f, f"marker {f}") for f in range(0, clips * 48, 100)]
    store.save(project)
    return project


def timed(fn, repeats: int) -> float:
    """Median seconds of one call."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measure(clips: int, folder: Path) -> dict[str, float]:
    project = project_with(clips, folder)
    widget = TimelineWidget(Document(project))
    widget.resize(1600, RULER_HEIGHT + 2 * TRACK_HEIGHT + 10)
    image = QImage(widget.size(), QImage.Format.Format_RGB32)

    def paint() -> None:
        widget.render(image)

    widget.zoom_to_fit()
    paint_fit = timed(paint, 30)  # the zoom floor (0.05 px a frame) shows 618 of 1,000 clips, 2.4 px each
    widget.set_zoom(4.0, clips * 25)
    paint_zoomed = timed(paint, 30)  # the usual editing zoom, mid-sequence
    points = [QPoint(widget.frame_to_x(clips * 25 + dx), RULER_HEIGHT + 20) for dx in range(0, 200, 7)]
    hit = timed(lambda: [widget.hit(p) for p in points], 30) / len(points)
    open_time = timed(lambda: store.load(project.folder), 10)
    return {"paint_fit": paint_fit, "paint_zoomed": paint_zoomed, "hit": hit, "open": open_time}


def main() -> None:
    app = QApplication.instance() or QApplication([])  # noqa: F841 - widgets need it
    with tempfile.TemporaryDirectory() as tmp:
        reference = measure(10, Path(tmp))
        large = measure(1000, Path(tmp))
    print(f"{'measure':<14}{'10 clips':>12}{'1,000 clips':>14}{'ratio':>8}")
    for key in reference:
        print(f"{key:<14}{reference[key] * 1e3:>10.3f}ms{large[key] * 1e3:>12.3f}ms{large[key] / reference[key]:>8.1f}")


if __name__ == "__main__":
    main()
