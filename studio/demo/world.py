"""The demo model's world: one coloured shape moving on a plain background, and the English that
describes it. Training, the checker, tests and docs all draw their shots and prompts from here.

A Scene is what a prompt says (colours, shape, motion, speed) plus where the shape starts; render()
draws any stretch of its frames, so a clip can go on past its end (extend) or start mid-way (keyframes).
Positions are fractions of the frame (0..1, the shape's centre), speeds fractions of the width a
frame, so one scene draws the same at any size.
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (255, 0, 0),
    "green": (0, 255, 0),
    "blue": (0, 0, 255),
    "yellow": (255, 255, 0),
    "white": (255, 255, 255),
    "black": (0, 0, 0),
}
SHAPES = ("circle", "square", "triangle")
MOTIONS: dict[str, tuple[int, int]] = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1), "still": (0, 0)}
SPEEDS: dict[str, float] = {"slowly": 0.008, "": 0.014, "quickly": 0.022}  # of the width a frame
SUPERSAMPLE = 4  # render() samples each pixel 4 x 4 times: antialiased edges
SIZE = 0.2  # the shape's half-extent, a fraction of the width: 51 px across at 128 (at 0.13, 33 px, the VAE lost
# the moving square's corners: benchmarks/demo_training.md, *Bigger shapes*)
INSIDE = 1.6 * SIZE + 0.01  # a centre this far from every edge keeps any shape wholly in the frame (REACH)
FPS = 24  # the rate its clips play at: the demo card's, for training and for the checks

# The prompt grammar. {c} object colour, {s} shape, {b} background, {m} a motion phrase that is either
# a verb or a participle, {p} a participle only ("with a red circle moving left").
TEMPLATES = (
    "a {c} {s} {m} on a {b} background",
    "on {b}, a {c} {s} {m}",
    "a {c} {s} {m} over a {b} background",
    "{c} {s} {m}, {b} background",
    "a {b} background with a {c} {s} {p}",
)
MOVING = ("moves {d}", "slides {d}", "travels {d}", "goes {d}")
MOVING_PARTICIPLE = ("moving {d}", "drifting {d}", "sliding {d}")
STILL = ("stays still", "does not move")
STILL_PARTICIPLE = ("standing still", "sitting still")
SPEED_WORDS = {"slowly": ("slowly",), "quickly": ("quickly", "fast")}


@dataclasses.dataclass(frozen=True)
class Scene:
    background: str
    colour: str
    shape: str
    motion: str  # a key of MOTIONS
    speed: float = SPEEDS[""]
    start: tuple[float, float] = (0.5, 0.5)  # the shape's centre at frame 0, fractions of width and height

    def velocity(self) -> tuple[float, float]:
        dx, dy = MOTIONS[self.motion]
        return dx * self.speed, dy * self.speed

    def centre(self, frame: float) -> tuple[float, float]:
        vx, vy = self.velocity()
        return self.start[0] + vx * frame, self.start[1] + vy * frame

    def later(self, frames: int) -> Scene:
        """The same scene starting `frames` frames later (negative: earlier)."""
        return dataclasses.replace(self, start=self.centre(frames))


def render(scene: Scene, frames: int, width: int = 128, height: int = 128, first: int = 0) -> np.ndarray:
    """Frames first..first+frames-1 of the scene, uint8 (frames, height, width, 3), edges antialiased."""
    return render_path(scene, [scene.centre(first + i) for i in range(frames)], width, height)


def render_path(scene: Scene, centres: list[tuple[float, float]], width: int = 128, height: int = 128) -> np.ndarray:
    """One frame of the scene's shape at each of `centres` (fractions of the frame), as render() draws them."""
    bg = np.array(COLOURS[scene.background], np.float32)
    fg = np.array(COLOURS[scene.colour], np.float32)
    out = np.empty((len(centres), height, width, 3), np.uint8)
    out[:] = bg.astype(np.uint8)
    for i, (cx, cy) in enumerate(centres):
        # Only the shape's box is blended: outside it the cover is 0 and the pixel the background.
        box = shape_box(scene.shape, cx * width, cy * height, SIZE * width, width, height)
        if box is not None:
            y0, y1, x0, x1, cover = box
            out[i, y0:y1, x0:x1] = np.round(bg * (1 - cover[..., None]) + fg * cover[..., None]).astype(np.uint8)
    return out


def loop_path(scene: Scene, clip_frames: int, frames: int, k: int) -> list[tuple[float, float]]:
    """Where the shape is in a loop's window of `frames` frames, made for a clip of the scene's first
    `clip_frames` frames: the clip's last k frames (at frame 0), a straight line back that reaches the
    clip's first frame at frame `frames - k`, then the clip's first k frames (engine/modes.py placements'
    layout). The world's shapes only move straight on, so it has no loop of its own: this is what a loop
    of it must show, the quality check's right answer and what the demo model learns loops from."""
    tail = [scene.centre(clip_frames - k + i) for i in range(k)]
    head = [scene.centre(i) for i in range(k)]
    (ex, ey), (sx, sy) = tail[-1], head[0]
    gap = frames - 2 * k + 1  # frame steps from the tail's last frame to the head's first
    bridge = [(ex + (sx - ex) * i / gap, ey + (sy - ey) * i / gap) for i in range(1, gap)]
    return tail + bridge + head


def shape_coverage(shape: str, cx: float, cy: float, r: float, width: int, height: int) -> np.ndarray:
    """The coverage of one shape of area pi r² centred (its centroid) at pixel position (cx, cy)."""
    out = np.zeros((height, width), np.float32)
    box = shape_box(shape, cx, cy, r, width, height)
    if box is not None:
        y0, y1, x0, x1, cover = box
        out[y0:y1, x0:x1] = cover
    return out


# How far each shape reaches from its centre, in r, (left/right, up, down): a circle r; a square of
# the circle's area sqrt(pi)/2 r; the equilateral triangle of that area (side 2.694 r) 1.347 r
# sideways, 1.556 r up to its apex and 0.778 r down from its centroid. A little over, for rounding.
REACH = {"circle": (1.01, 1.01, 1.01), "square": (0.9, 0.9, 0.9), "triangle": (1.36, 1.57, 0.79)}


def shape_box(shape: str, cx: float, cy: float, r: float, width: int, height: int):
    """The pixels one shape touches and how much of each it covers, from SUPERSAMPLE² samples a pixel:
    (y0, y1, x0, x1, coverage of that box), or None when it is wholly outside the frame. Only the box
    is sampled: a sample's position is the pixel's plus its offset, whatever the box."""
    side, up, down = REACH[shape]
    x0, x1 = max(0, int(cx - side * r)), min(width, int(cx + side * r) + 2)
    y0, y1 = max(0, int(cy - up * r)), min(height, int(cy + down * r) + 2)
    if x0 >= x1 or y0 >= y1:
        return None
    ss = SUPERSAMPLE
    # A row of samples' x and a column's y, broadcast against each other: the same comparisons as a full
    # grid of both, without making it (render() is a third of a VAE step's drawing).
    x = (x0 + (np.arange((x1 - x0) * ss) + 0.5) / ss - cx)[None, :]
    y = (y0 + (np.arange((y1 - y0) * ss) + 0.5) / ss - cy)[:, None]
    if shape == "circle":
        inside = x * x + y * y <= r * r
    elif shape == "square":
        half = r * 0.886  # the same area as the circle: sqrt(pi) / 2
        inside = (np.abs(x) <= half) & (np.abs(y) <= half)
    else:  # an upward triangle of the circle's area, its centroid at the centre
        half = r * 1.347  # equilateral, area pi r^2: side 2.694 r
        h = half * np.sqrt(3)
        top, bottom = -2 * h / 3, h / 3
        inside = (y >= top) & (y <= bottom) & (np.abs(x) <= (y - top) / np.sqrt(3))
    cover = inside.reshape(y1 - y0, ss, x1 - x0, ss).sum(axis=(1, 3), dtype=np.float32) / (ss * ss)
    return y0, y1, x0, x1, cover


def _moved_along(scene: Scene, along: float) -> Scene:
    """The scene with its start moved to `along` on the axis it moves along, the other kept."""
    horizontal = MOTIONS[scene.motion][0] != 0
    return dataclasses.replace(scene, start=(along, scene.start[1]) if horizontal else (scene.start[0], along))


def entering_late(scene: Scene, empty: int) -> Scene:
    """The moving scene with its shape coming in from the edge it moves away from after `empty` frames of
    the empty frame: what a long shot's window shows after the shape has left, its overlap empty (a shape
    starts at most SIZE outside in random_scene, so no clip of the world had the frame empty first)."""
    dx, dy = MOTIONS[scene.motion]
    if not (dx or dy):
        raise ValueError("a still shape does not come in: entering_late takes a moving scene")
    outside = 1.6 * SIZE + scene.speed * empty  # 1.6 SIZE: beyond every shape's reach (REACH)
    along = -outside if (dx or dy) > 0 else 1 + outside
    return _moved_along(scene, along)


def leaving_early(scene: Scene, gone_at: int) -> Scene:
    """The moving scene with its shape wholly gone through the edge it moves towards by frame `gone_at` (its
    centre 1.6 SIZE past it, beyond every shape's reach), the frame empty after it: a long shot's window as the
    shape leaves, which must stay empty rather than draw a second shape (entering_late's counterpart)."""
    dx, dy = MOTIONS[scene.motion]
    if not (dx or dy):
        raise ValueError("a still shape does not leave: leaving_early takes a moving scene")
    outside = 1 + 1.6 * SIZE if (dx or dy) > 0 else -1.6 * SIZE
    along = outside - (dx or dy) * scene.speed * gone_at
    return _moved_along(scene, along)


def inside(scene: Scene, first: int, last: int, width: int = 128, height: int = 128) -> bool:
    """Whether the shape is wholly in the frame, a pixel clear of every edge (where the checker reads its
    shape), at each of frames first..last. It moves in a straight line, so the two ends decide."""
    side, up, down = REACH[scene.shape]
    r = SIZE * width
    for frame in (first, last):
        x, y = scene.centre(frame)
        x, y = x * width, y * height
        if not (side * r + 1 <= x <= width - side * r - 1 and up * r + 1 <= y <= height - down * r - 1):
            return False
    return True


def describe(scene: Scene, rng: random.Random) -> str:
    """One English prompt for the scene, its wording drawn from the grammar."""
    speed = next((k for k, v in SPEEDS.items() if v == scene.speed), "")
    template = rng.choice(TEMPLATES)
    participle_only = "{p}" in template
    if scene.motion == "still":
        motion = rng.choice(STILL_PARTICIPLE if participle_only else STILL + STILL_PARTICIPLE)
    else:
        forms = MOVING_PARTICIPLE if participle_only else MOVING + MOVING_PARTICIPLE
        motion = rng.choice(forms).format(d=scene.motion)
        if speed:
            word = rng.choice(SPEED_WORDS[speed])
            motion = f"{word} {motion}" if rng.random() < 0.5 else f"{motion} {word}"
    return template.format(c=scene.colour, s=scene.shape, b=scene.background, m=motion, p=motion)


def held_out(colour: str, shape: str, background: str) -> bool:
    """Combinations training never sees, for judging prompts it has not learned verbatim: about one
    in eight of the (object colour, shape, background) triples, fixed by a rule, not by chance."""
    c, s, b = list(COLOURS).index(colour), SHAPES.index(shape), list(COLOURS).index(background)
    return (c * 7 + s * 3 + b * 5) % 8 == 3


def random_scene(rng: random.Random, held: bool | None = False, enters: float = 0.2) -> Scene:
    """A scene drawn at random. held: False only training's combinations, True only held-out ones,
    None either. enters: how often a moving shape starts outside the frame or near an edge."""
    while True:
        colour, background = rng.sample(list(COLOURS), 2)
        shape = rng.choice(SHAPES)
        if held is None or held_out(colour, shape, background) == held:
            break
    motion = rng.choice(list(MOTIONS))
    speed = rng.choice(list(SPEEDS.values()))
    if motion != "still" and rng.random() < enters:
        # Enter from outside the edge it comes from, or start near the edge it leaves through.
        dx, dy = MOTIONS[motion]
        direction = dx or dy
        if rng.random() < 0.5:
            along = -SIZE if direction > 0 else 1 + SIZE
        else:
            along = rng.uniform(0.7, 0.85) if direction > 0 else rng.uniform(0.15, 0.3)
        across = rng.uniform(INSIDE, 1 - INSIDE)
        start = (along, across) if dx else (across, along)
    else:
        start = (rng.uniform(INSIDE, 1 - INSIDE), rng.uniform(INSIDE, 1 - INSIDE))
    return Scene(background, colour, shape, motion, speed, start)


def sentences() -> list[str]:
    """Every word the grammar uses, in sentences: what the demo tokenizer is trained on."""
    rng = random.Random(0)
    out = [describe(random_scene(rng, held=None), rng) for _ in range(3000)]
    out += [" ".join(COLOURS), " ".join(SHAPES), " ".join(MOTIONS), "slowly quickly fast"]
    return out
