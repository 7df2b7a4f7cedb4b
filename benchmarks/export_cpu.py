"""Export's CPU cost against ffmpeg alone doing the same H.264 encode of the same cut (issue 14).
A benchmark, not a test: run it, read it, record it in results.md.

    nice .venv/bin/python benchmarks/export_cpu.py [--repeats 3]

The case: three H.264 sources made with ffmpeg (a moving test card, 768x512 at 24 fps, 150 frames,
libx264's defaults, so B-frames and one keyframe at the start), and a sequence of the same size and
rate holding 120 frames of each, back to back (frames 10-130 of each file: every in point is on a
non-keyframe), 360 frames in all, no sound. Measured, each in a fresh child process so that its
children are counted cleanly (os.times(): user + sys of the process and of the children it waited
for, from after its imports to the end):

- ffmpeg alone: one ffmpeg decoding the three files, cutting them with trim filters and encoding
  them with the studio's H.264 preset (export.py's defaults: libx264 medium, CRF 18, yuv420p, the
  same BT.709 conversion and tags), no studio code;
- the studio's export_sequence of the plain cut;
- the studio's export_sequence of the same cut with a 24-frame dissolve at each cut (the
  composed path), for the record.

Each is run `--repeats` times, in turn; the medians and their ratios to ffmpeg alone are printed,
with the part of each run spent in the Python process itself (the rest is its ffmpeg children).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

W, H, FPS, SOURCE_FRAMES = 768, 512, 24, 150
CUT_IN, CUT_OUT = 10, 130  # each clip's source range: 120 frames, starting on a non-keyframe
CLIPS = 3


def make_sources(folder: Path) -> list[Path]:
    from studio.media import ffmpeg

    paths = []
    for n in range(CLIPS):
        path = folder / f"source{n}.mp4"
        # Another pattern offset per file, so a wrong cut shows as the wrong picture.
        card = f"testsrc2=size={W}x{H}:rate={FPS}:duration={SOURCE_FRAMES / FPS}"
        hue = f"hue=h={n * 120}"
        subprocess.run(
            [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", card]
            + ["-vf", hue, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)],
            check=True,
        )
        paths.append(path)
    return paths


def build_project(folder: Path, dissolves: bool):
    from studio.core.project import Clip, MediaItem, Project, Sequence, Track, TrackKind, Transition, TransitionKind
    from studio.core.timebase import FrameRate

    project = Project(name="bench", folder=folder)
    clips = []
    for n in range(CLIPS):
        project.media[f"m{n}"] = MediaItem(
            f"m{n}", f"source{n}.mp4", width=W, height=H, fps=FrameRate(FPS), frames=SOURCE_FRAMES
        )
        length = CUT_OUT - CUT_IN
        clips.append(Clip(f"c{n}", f"m{n}", n * length, CUT_IN, CUT_OUT))
    transitions = []
    if dissolves:  # the handles (10 frames before, 20 after each clip's range) cover a centred 24-frame dissolve
        transitions = [Transition(f"t{n}", TransitionKind.DISSOLVE, f"c{n}", f"c{n + 1}", 24) for n in range(CLIPS - 1)]
    track = Track("v1", TrackKind.VIDEO, clips=clips, transitions=transitions)
    project.sequences = [Sequence("s", fps=FrameRate(FPS), width=W, height=H, tracks=[track])]
    return project


def ffmpeg_alone_args(folder: Path, out: Path) -> list[str]:
    """The same cut and encode by ffmpeg alone, with the encoder settings of export.py's defaults."""
    from studio.media import ffmpeg
    from studio.media.export import CODECS, RenderSettings, _filters

    settings = RenderSettings()
    codec = CODECS[settings.codec]
    assert codec.quality is not None
    inputs, cuts = [], []
    for n in range(CLIPS):
        inputs += ["-i", str(folder / f"source{n}.mp4")]
        cuts.append(f"[{n}:v]trim=start_frame={CUT_IN}:end_frame={CUT_OUT},setpts=PTS-STARTPTS[c{n}]")
    joined = "".join(f"[c{n}]" for n in range(CLIPS))
    graph = ";".join(cuts) + f";{joined}concat=n={CLIPS}:v=1:a=0,{_filters(settings, codec)}[v]"
    video = list(codec.video)
    video[video.index("-preset") + 1] = settings.preset
    colour = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
    return [
        ffmpeg.executable(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        *inputs,
        "-filter_complex",
        graph,
        "-map",
        "[v]",
        "-an",
        *video,
        codec.quality[0],
        str(codec.quality[1]),
        *colour,
        "-r",
        str(FPS),
        "-fps_mode",
        "cfr",
        "-movflags",
        "+faststart",
        str(out),
    ]


def measure_one(kind: str, folder: Path) -> dict[str, float]:
    """In a fresh process: CPU seconds (this process and its children) and wall seconds of one run."""
    from studio.media.export import export_sequence
    from studio.media.probe import probe

    out = folder / f"{kind}.mp4"
    out.unlink(missing_ok=True)
    project = build_project(folder, dissolves=kind == "dissolve") if kind != "ffmpeg" else None
    before, start = os.times(), time.perf_counter()
    if project is None:
        subprocess.run(ffmpeg_alone_args(folder, out), check=True)
    else:
        export_sequence(project, project.sequence, out)
    after, wall = os.times(), time.perf_counter() - start
    cpu = sum(after[:4]) - sum(before[:4])  # user, system, children's user, children's system
    own = sum(after[:2]) - sum(before[:2])  # this (Python) process alone
    frames = probe(out).frames
    assert frames == CLIPS * (CUT_OUT - CUT_IN), f"{kind}: {frames} frames"
    return {"cpu": cpu, "wall": wall, "own": own}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one", nargs=2, metavar=("KIND", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure_one(args.one[0], Path(args.one[1]))))
        return
    kinds = ("ffmpeg", "plain", "dissolve")
    results: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        make_sources(folder)
        for _ in range(args.repeats):
            for kind in kinds:  # in turn, so a busy spell on the machine falls on all of them alike
                done = subprocess.run(
                    [sys.executable, __file__, "--one", kind, str(folder)],
                    check=True,
                    capture_output=True,
                    text=True,
                    cwd=Path(__file__).resolve().parent.parent,
                )
                results[kind].append(json.loads(done.stdout.splitlines()[-1]))
    reference = statistics.median(r["cpu"] for r in results["ffmpeg"])
    print(f"{CLIPS} clips {W}x{H} at {FPS} fps, {CLIPS * (CUT_OUT - CUT_IN)} frames; median of {args.repeats}")
    print(f"{'run':<28}{'CPU s':>9}{'Python':>9}{'wall s':>9}{'CPU ratio':>11}   CPU s of each run")
    names = {"ffmpeg": "ffmpeg alone", "plain": "export, plain cut", "dissolve": "export, with 2 dissolves"}
    for kind in kinds:
        cpu = statistics.median(r["cpu"] for r in results[kind])
        own = statistics.median(r["own"] for r in results[kind])
        wall = statistics.median(r["wall"] for r in results[kind])
        runs = " ".join(f"{r['cpu']:.2f}" for r in results[kind])
        print(f"{names[kind]:<28}{cpu:>9.2f}{own:>9.2f}{wall:>9.2f}{cpu / reference:>11.2f}   {runs}")


if __name__ == "__main__":
    main()
