"""Scrubbing: the time a frame of a 720p clip takes to decode, old path (an ffmpeg process per
seek, media/pipe.py) against the new (PyAV in-process, media/decode.py), measured in the same run.
A benchmark, not a test: run it, read it, record it in results.md.

    nice .venv/bin/python benchmarks/scrub.py [--jumps 50] [--steps 300] [--seed 1] [--before FILE]

--before FILE adds the same runs through another version of media/decode.py (an earlier
checkout's: `git show COMMIT:studio/media/decode.py > FILE`), to compare in the same run.

Two 10-second 720p clips at 24 fps: H.264 with a 2-second GOP (libx264's defaults otherwise, so
B-frames) and a lossless take (FFV1, written by the studio's own take writer: since 2026-12-02 every
frame a keyframe, `-g 1`), and that take re-encoded with every frame a keyframe explicitly.

The H.264 clip is also read from its scrub copy (media/scrub_copy.py: every frame a keyframe,
lossless, so the same pixels), as the viewer reads it once the copy is made; the time making the
copy took is printed as a ratio of the clip's length.

Two patterns, the same seeded frames for every source:
- random jumps: no frame cache (every answer decoded), the source opened and read once before
  the clock starts;
- a scrub: the playhead dragged at screen rate, runs of 6-30 steps of 1-4 frames one way, then
  the other way or on, with the viewer's frame cache (256 MiB, as compose.SequenceFrames has), so
  frames seen before come back from it. Most steps are then cache hits, so its median is about
  0: its mean (the time a scrub of that many steps takes, shared out) and p90 are what to read.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from studio.media import ffmpeg, scrub_copy
from studio.media.decode import FrameCache, VideoSource
from studio.media.pipe import PipeSource
from studio.media.takes import read_frames, write_frames

W, H, FPS, SECONDS = 1280, 720, 24, 10


def make_h264(path: Path) -> Path:
    """A moving test card (ffmpeg's testsrc2)."""
    source = f"testsrc2=size={W}x{H}:rate={FPS}:duration={SECONDS}"
    codec = ["-c:v", "libx264", "-g", str(2 * FPS), "-pix_fmt", "yuv420p"]
    subprocess.run(
        [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i", source]
        + codec
        + [str(path)],
        check=True,
    )
    return path


def make_intra(take: Path, path: Path) -> Path:
    """The take again with every frame a keyframe (FFV1 -g 1): what a jump costs without a GOP."""
    codec = ["-c:v", "ffv1", "-level", "3", "-g", "1", "-pix_fmt", "gbrp"]
    subprocess.run(
        [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(take)]
        + codec
        + [str(path)],
        check=True,
    )
    return path


def timed_frames(make: Callable[[], VideoSource | PipeSource], indices: list[int]) -> tuple[list[float], float]:
    """Milliseconds for each frame asked for, and the milliseconds opening the source took."""
    start = time.perf_counter()
    source = make()
    opened = (time.perf_counter() - start) * 1000
    source.frame(0)  # a first read outside the clock: the decoder is running
    samples = []
    for index in indices:
        start = time.perf_counter()
        source.frame(index)
        samples.append((time.perf_counter() - start) * 1000)
    source.close()
    return samples, opened


def decode_module(file: Path):
    """Another version of media/decode.py, loaded beside ours (its relative imports find ours)."""
    spec = importlib.util.spec_from_file_location("studio.media.decode_before", file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def scrub_path(count: int, steps: int, rng: random.Random) -> list[int]:
    """Where a dragged playhead stands at each screen refresh: runs of small steps one way, then
    the other way or on (a hand scrubbing to find a cut)."""
    at, path, direction = rng.randrange(count), [], 1
    while len(path) < steps:
        direction = -direction if rng.random() < 0.4 else direction
        for _ in range(rng.randint(6, 30)):
            step = direction * rng.randint(1, 4)
            if not 0 <= at + step < count:
                direction, step = -direction, -step  # the end of the clip: back the other way
            at += step
            path.append(at)
    return path[:steps]


def p90(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=10)[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jumps", type=int, default=50, help="random frames per source (default 50)")
    parser.add_argument("--steps", type=int, default=300, help="screen refreshes of the scrub (default 300)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--before", type=Path, help="another media/decode.py to time beside this one")
    args = parser.parse_args()
    before = decode_module(args.before) if args.before else None
    with tempfile.TemporaryDirectory(prefix="studio-scrub-bench-") as work:
        folder = Path(work)
        h264 = make_h264(folder / "clip.mp4")
        start = time.perf_counter()
        copy = scrub_copy.make(h264, folder / "scrub", folder)
        making = time.perf_counter() - start
        take = write_frames(folder / "take.mkv", read_frames(h264), FPS)
        intra = make_intra(take, folder / "intra.mkv")
        count = FPS * SECONDS
        rng = random.Random(args.seed)
        patterns = {
            "random jump": ([rng.randrange(count) for _ in range(args.jumps)], 0),
            "scrub": (scrub_path(count, args.steps, rng), 256 * 1024 * 1024),
        }
        print(f"{count} frames, {W}x{H}; {args.jumps} random jumps, no frame cache; a scrub of {args.steps} steps")
        print(
            f"the H.264 clip's scrub copy: made in {making:.1f} s ({making / SECONDS:.2f}x the clip's length), "
            f"{copy.stat().st_size / 1e6:.0f} MB (the clip: {h264.stat().st_size / 1e6:.0f} MB)"
        )
        print("milliseconds a frame asked for (open: the source's opening); ratios to the old path's")
        print(
            f"{'clip':<24}{'pattern':<13}{'path':<26}{'median':>8}{'mean':>8}{'p90':>8}{'open':>8}"
            f"{'median ratio':>14}{'mean ratio':>12}"
        )
        clips = (("H.264, 2-s GOP", h264), ("lossless take (FFV1)", take), ("FFV1, every frame a key", intra))
        for name, path in clips:
            for pattern, (indices, cache_bytes) in patterns.items():
                old, old_open = timed_frames(lambda p=path, c=cache_bytes: PipeSource(p, W, H, FrameCache(c)), indices)
                new, new_open = timed_frames(lambda p=path, c=cache_bytes: VideoSource(p, W, H, FrameCache(c)), indices)
                rows = [("ffmpeg process per seek", old, old_open), ("PyAV in-process", new, new_open)]
                if path == h264:
                    samples, opened = timed_frames(
                        lambda c=cache_bytes: VideoSource(copy, W, H, FrameCache(c)), indices
                    )
                    rows.append(("PyAV on its scrub copy", samples, opened))
                if before is not None:
                    samples, opened = timed_frames(
                        lambda p=path, c=cache_bytes: before.VideoSource(p, W, H, before.FrameCache(c)), indices
                    )
                    rows.insert(1, ("PyAV, --before", samples, opened))
                for label, samples, opened in rows:
                    median, mean = statistics.median(samples), statistics.mean(samples)
                    # A scrub's median is a cache hit (about 0): its mean is the time it keeps up with.
                    median_ratio = f"{median / statistics.median(old):.2f}" if pattern != "scrub" else "-"
                    print(
                        f"{name:<24}{pattern:<13}{label:<26}{median:>8.1f}{mean:>8.1f}{p90(samples):>8.1f}"
                        f"{opened:>8.1f}{median_ratio:>14}{mean / statistics.mean(old):>12.2f}"
                    )


if __name__ == "__main__":
    main()
