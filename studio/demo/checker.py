"""Reads the demo world back out of frames: background colour, object colour, shape, motion and
where the object is in each frame. Tests and benchmarks/demo_quality.py judge the demo model's shots
with it, so "the first frame is the still" or "the object goes on in the same direction" is a number,
not a look.

Each pixel is given the nearest of the world's six colours; the background is the commonest, the
object the pixels far from the background. Shape is the world's shape that, drawn with the object's
area at its centre, overlaps it most, voted over the frames where it is wholly inside (a triangle with
softened corners is still nearer a triangle than a circle; how much of its bounding box it fills is
not: the corners set the box); motion from a straight line fitted through its centres. Separate blobs
are counted in each frame: the world shows one object, so a second is the model's ghost.
"""

from __future__ import annotations

import collections
import dataclasses

import cv2
import numpy as np

from .world import COLOURS, SHAPES, shape_coverage

PALETTE = np.array(list(COLOURS.values()), np.float32)
NAMES = list(COLOURS)
FAR = 120.0  # an object pixel is at least this far (RGB distance) from the background colour
STILL = 0.003  # slower than this (fraction of the width a frame) is standing still
MIN_AREA = 0.004  # a frame whose object covers less of it than this has no object to read


@dataclasses.dataclass
class Reading:
    background: str
    colour: str | None  # None: no object seen in any frame
    shape: str | None
    motion: str | None  # left, right, up, down or still; None: too few frames with the object
    velocity: tuple[float, float]  # fractions of the width and height a frame
    centres: list[tuple[float, float] | None]  # the object's centre in each frame (fractions), None if absent
    background_rgb: np.ndarray  # mean background colour per frame (N, 3)
    object_rgb: np.ndarray  # mean object colour per frame (N, 3); NaN where absent
    objects: list[int]  # separate blobs of at least MIN_AREA in each frame: the world never shows two

    @property
    def one_object(self) -> bool:
        """No frame shows a second object (a ghost the model drew beside the shape, or the shape torn in two)."""
        return max(self.objects, default=0) <= 1


def nearest_colour(rgb) -> str:
    return NAMES[int(np.argmin(((PALETTE - np.asarray(rgb, np.float32)) ** 2).sum(-1)))]


def object_masks(frames: np.ndarray, background) -> np.ndarray:
    """Which pixels of frames (N, H, W, 3) are the object's: bool (N, H, W), at least FAR from the background."""
    distance = ((np.asarray(frames, np.float32) - np.asarray(background, np.float32)) ** 2).sum(-1)
    return distance > FAR**2


def read(frames: np.ndarray) -> Reading:
    """What a clip (uint8 (N, H, W, 3)) shows, in the world's terms."""
    frames = np.asarray(frames)
    n, h, w, _ = frames.shape
    pixels = frames.reshape(n, h * w, 3).astype(np.float32)
    # Nearest palette colour: |p - c|^2 = |p|^2 - 2 p.c + |c|^2, and |p|^2 is the same for every c.
    labels = ((PALETTE**2).sum(-1) - 2 * pixels @ PALETTE.T).argmin(-1)
    background = NAMES[int(np.bincount(labels.ravel(), minlength=len(NAMES)).argmax())]
    bg = PALETTE[NAMES.index(background)]
    masks = object_masks(frames, bg)

    centres: list[tuple[float, float] | None] = []
    shapes, object_rgb, background_rgb, object_pixels = [], np.full((n, 3), np.nan), np.zeros((n, 3)), []
    objects = []
    for i, mask in enumerate(masks):
        frame = frames[i].reshape(h * w, 3).astype(np.float32)
        background_rgb[i] = frame[~mask.ravel()].mean(0) if (~mask).any() else np.nan
        _, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
        objects.append(int((stats[1:, cv2.CC_STAT_AREA] >= MIN_AREA * h * w).sum()))
        if mask.mean() < MIN_AREA:
            centres.append(None)
            continue
        ys, xs = np.nonzero(mask)
        centres.append(((xs.mean() + 0.5) / w, (ys.mean() + 0.5) / h))
        object_rgb[i] = frame[mask.ravel()].mean(0)
        object_pixels.append(frame[mask.ravel()])
        inside = ys.min() > 0 and xs.min() > 0 and ys.max() < h - 1 and xs.max() < w - 1
        if inside:
            shapes.append(shape_of(mask))
    colour = nearest_colour(np.median(np.concatenate(object_pixels), 0)) if object_pixels else None
    shape = collections.Counter(shapes).most_common(1)[0][0] if shapes else None
    velocity, motion = motion_of(centres, w / h)
    return Reading(background, colour, shape, motion, velocity, centres, background_rgb, object_rgb, objects)


def shape_of(mask: np.ndarray) -> str:
    """The world's shape nearest a mask (bool (H, W)) wholly inside the frame: the one that, of the
    mask's area and centred on its centroid (the world centres a triangle on its centroid), has the
    largest intersection over union with it."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    cx, cy, r = xs.mean() + 0.5, ys.mean() + 0.5, float(np.sqrt(len(xs) / np.pi))

    def overlap(shape: str) -> float:
        template = shape_coverage(shape, cx, cy, r, w, h) >= 0.5
        return float((template & mask).sum() / (template | mask).sum())

    return max(SHAPES, key=overlap)


def motion_of(centres: list[tuple[float, float] | None], aspect: float = 1.0) -> tuple[tuple[float, float], str | None]:
    """A straight line through the centres; only frames where the object is away from the edges
    count, as a shape half out of the frame has its centre pulled inwards."""
    seen = [(i, c) for i, c in enumerate(centres) if c is not None and 0.12 < c[0] < 0.88 and 0.12 < c[1] < 0.88]
    if len(seen) < 3:  # entering or leaving all along: the pulled-in centres still say which way
        seen = [(i, c) for i, c in enumerate(centres) if c is not None]
    if len(seen) < 3:
        return (0.0, 0.0), None
    t = np.array([i for i, _ in seen], np.float64)
    xy = np.array([c for _, c in seen], np.float64)
    vx = float(np.polyfit(t, xy[:, 0], 1)[0])
    vy = float(np.polyfit(t, xy[:, 1], 1)[0]) / aspect  # in widths a frame, as the world's speeds
    if max(abs(vx), abs(vy)) < STILL:
        return (vx, vy), "still"
    if abs(vx) >= abs(vy):
        return (vx, vy), "right" if vx > 0 else "left"
    return (vx, vy), "down" if vy > 0 else "up"


def distance(a: tuple[float, float] | None, b: tuple[float, float] | None) -> float:
    """How far apart two centres are, in fractions of the width (inf if either is absent)."""
    if a is None or b is None:
        return float("inf")
    return float(np.hypot(a[0] - b[0], a[1] - b[1]))
