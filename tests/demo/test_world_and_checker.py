"""The demo world draws what its prompts say, and the checker reads it back: the checker is what
every demo-model test and benchmark trusts, so it is checked first on the world's own frames."""

from __future__ import annotations

import random

import numpy as np
import pytest

from studio.demo import checker, world


def test_the_world_uses_the_exact_colours_and_moves_as_the_scene_says():
    scene = world.Scene("blue", "yellow", "square", "right", world.SPEEDS[""], (0.3, 0.5))
    frames = world.render(scene, 25)
    assert frames.shape == (25, 128, 128, 3)
    assert tuple(frames[0, 2, 2]) == (0, 0, 255)
    assert tuple(frames[0, 64, 38]) == (255, 255, 0)  # the square's middle at x = 0.3 * 128
    assert world.render(scene, 5, first=20).tolist() == frames[20:25].tolist()  # any stretch of it


def test_a_shape_drawn_in_its_box_is_the_shape_sampled_over_the_whole_frame():
    """render() samples only the box a shape reaches (world.REACH); sampled over every pixel instead,
    the coverage is the same to the last bit, at the frame's edges and beyond them too."""
    rng = random.Random(1)
    w, h, ss = 96, 80, world.SUPERSAMPLE
    ys, xs = np.meshgrid((np.arange(h * ss) + 0.5) / ss, (np.arange(w * ss) + 0.5) / ss, indexing="ij")
    for k in range(60):
        shape = world.SHAPES[k % 3]
        cx, cy, r = rng.uniform(-25, w + 25), rng.uniform(-25, h + 25), rng.uniform(3, 30)
        x, y = xs - cx, ys - cy
        if shape == "circle":
            inside = x * x + y * y <= r * r
        elif shape == "square":
            inside = (np.abs(x) <= r * 0.886) & (np.abs(y) <= r * 0.886)
        else:
            tall = r * 1.347 * np.sqrt(3)
            top = -2 * tall / 3
            inside = (y >= top) & (y <= tall / 3) & (np.abs(x) <= (y - top) / np.sqrt(3))
        whole = inside.reshape(h, ss, w, ss).mean(axis=(1, 3)).astype(np.float32)
        assert np.array_equal(world.shape_coverage(shape, cx, cy, r, w, h), whole), (shape, cx, cy, r)


def test_prompts_name_every_attribute_and_held_out_combinations_stay_out_of_training():
    rng = random.Random(0)
    for _ in range(200):
        scene = world.random_scene(rng, held=False)
        text = world.describe(scene, rng)
        assert scene.colour in text and scene.shape in text and scene.background in text
        assert scene.motion in text or scene.motion == "still"
        assert not world.held_out(scene.colour, scene.shape, scene.background)
    held = [world.random_scene(rng, held=True) for _ in range(50)]
    assert all(world.held_out(s.colour, s.shape, s.background) for s in held)
    combos = {(c, s, b) for c in world.COLOURS for s in world.SHAPES for b in world.COLOURS if c != b}
    share = sum(world.held_out(*c) for c in combos) / len(combos)
    assert 0.08 < share < 0.2


def test_the_checker_reads_back_what_the_world_drew():
    rng = random.Random(0)
    for _ in range(40):
        scene = world.random_scene(rng, held=None, enters=0.0)
        frames = world.render(scene, 25)
        reading = checker.read(frames)
        assert (reading.background, reading.colour, reading.shape, reading.motion) == (
            scene.background,
            scene.colour,
            scene.shape,
            scene.motion,
        ), scene
        assert reading.one_object, (scene, reading.objects)
        for i in (0, 12, 24):
            x, y = scene.centre(i)
            if 0.25 < x < 0.75 and 0.25 < y < 0.75:  # wholly inside: a cut shape's centre is pulled in
                assert checker.distance(reading.centres[i], scene.centre(i)) < 0.01


def test_the_checker_counts_a_second_blob_as_a_second_object():
    """A ghost beside the shape (as the demo model's extend forward drew: docs/screens/demo-shots.png) is
    another object, even where the first one's centre, colour and motion still read right; a speck is not."""
    scene = world.Scene("white", "blue", "square", "down", world.SPEEDS[""], (0.5, 0.3))
    frames = world.render(scene, 25)
    ghost, speck = frames.copy(), frames.copy()
    ghost[20:, 100:112, 10:30] = world.COLOURS["red"]  # 12 x 20 px, in the last five frames
    speck[20:, 100:104, 10:14] = world.COLOURS["red"]  # 4 x 4 px: under MIN_AREA
    assert checker.read(frames).objects == [1] * 25
    assert checker.read(ghost).objects[19:] == [1, 2, 2, 2, 2, 2] and not checker.read(ghost).one_object
    assert checker.read(speck).one_object


def test_the_checker_does_not_see_shapes_in_noise_or_a_plain_frame():
    plain = np.zeros((9, 64, 64, 3), np.uint8)
    assert checker.read(plain).colour is None and checker.read(plain).motion is None
    noise = np.random.default_rng(0).integers(0, 256, (9, 64, 64, 3), dtype=np.uint8)
    reading = checker.read(noise)
    assert reading.shape != "circle" or reading.motion is None  # noise is no moving shape


def test_the_checker_tells_a_jump_from_steady_motion():
    scene = world.Scene("black", "white", "circle", "right", world.SPEEDS[""], (0.3, 0.5))
    steady = world.render(scene, 25)
    jumped = np.concatenate([steady[:12], world.render(scene.later(20), 13)])
    steps = lambda r: np.diff([c[0] for c in r.centres])  # noqa: E731
    assert steps(checker.read(steady)).max() < 0.02
    assert steps(checker.read(jumped)).max() > 0.1


def test_the_checker_reads_softened_shapes_as_themselves_and_a_blob_as_no_corner_shape():
    """A model's edges are soft and its corners rounded: the shape is read from the whole outline
    (the nearest of the three drawn at the object's area and centre), not from its bounding box,
    which a rounded corner alone changes. A round blob stays a circle: it is no triangle or square."""
    import cv2

    rng = random.Random(1)
    for _ in range(30):
        drawn = world.random_scene(rng, held=None, enters=0.0)
        middle = (rng.uniform(world.INSIDE, 1 - world.INSIDE),) * 2  # wholly inside, where its shape is read
        scene = world.Scene(drawn.background, drawn.colour, drawn.shape, "still", start=middle)
        soft = np.stack([cv2.GaussianBlur(f, (0, 0), 3.5) for f in world.render(scene, 25)])
        assert checker.read(soft).shape == scene.shape, scene
    blob = np.zeros((9, 128, 128, 3), np.uint8)
    for i, frame in enumerate(blob):
        cv2.ellipse(frame, (40 + 4 * i, 64), (20, 15), 0, 0, 360, (255, 0, 0), -1)
    assert checker.read(blob).shape == "circle"


def touches_an_edge(scene: world.Scene, frame: int) -> bool:
    drawn = world.render(scene, 1, first=frame)[0].astype(int)
    border = np.concatenate([drawn[0], drawn[-1], drawn[:, 0], drawn[:, -1]])
    return bool((np.abs(border - world.COLOURS[scene.background]).sum(-1) > 0).any())


def test_inside_says_whether_the_shape_stays_clear_of_every_edge():
    quick = world.Scene("black", "red", "triangle", "right", world.SPEEDS["quickly"], (0.5, 0.5))
    assert world.inside(quick, 0, 10)  # 0.22 of the width later: still in
    assert not world.inside(quick, 0, 24) and touches_an_edge(quick, 24)  # its corner crosses the edge
    assert world.inside(quick, -10, 0) and not world.inside(quick, -24, 0)
    # A triangle reaches further up (its apex) than down: at the same distance from the top and from the
    # bottom edge it is out at the top and in at the bottom.
    high = world.Scene("black", "red", "triangle", "still", 0.0, (0.5, 0.19))
    assert not world.inside(high, 0, 0) and touches_an_edge(high, 0)
    assert world.inside(world.Scene("black", "red", "triangle", "still", 0.0, (0.5, 0.81)), 0, 0)
    rng = random.Random(5)
    for _ in range(200):  # wherever it says inside, no pixel of the shape is on the frame's border
        scene = world.random_scene(rng, held=None, enters=0.5)
        frame = rng.randint(0, 24)
        assert not (world.inside(scene, frame, frame) and touches_an_edge(scene, frame)), (scene, frame)


def test_a_loops_path_goes_from_the_clips_end_straight_back_to_its_start():
    scene = world.Scene("blue", "yellow", "square", "right", world.SPEEDS["quickly"], (0.3, 0.4))
    path = world.loop_path(scene, clip_frames=25, frames=25, k=9)
    assert len(path) == 25
    assert path[:9] == [scene.centre(16 + i) for i in range(9)]  # the clip's last 9 frames, at frame 0
    assert path[16:] == [scene.centre(i) for i in range(9)]  # its first 9, at the window's end
    steps = np.diff(np.array(path[8:17]), axis=0)  # the way back: 8 equal steps, leftwards, none vertical
    assert np.allclose(steps, steps[0]) and steps[0][0] < 0 and np.allclose(steps[:, 1], 0)
    assert np.isclose(steps[0][0], -24 * scene.speed / 8)
    frames = world.render_path(scene, path)
    assert np.array_equal(frames[:9], world.render(scene, 9, first=16))  # drawn as render() draws the scene
    got = checker.read(frames)
    # The last step into the clip's first frame is one of the way back's, as the checker reads it.
    assert abs(checker.distance(got.centres[15], got.centres[16]) - 3 * scene.speed) < 0.01


def frames_showing_the_shape(frames: np.ndarray) -> list[int]:
    return [i for i in range(len(frames)) if (frames[i] != frames[i, 0, 0]).any()]


def test_a_late_entry_leaves_the_frame_empty_then_brings_the_shape_in_from_its_edge():
    rng = random.Random(2)
    for motion in ("left", "right", "up", "down"):
        scene = world.Scene("blue", "white", rng.choice(world.SHAPES), motion, world.SPEEDS["quickly"], (0.4, 0.6))
        late = world.entering_late(scene, 12)
        frames = world.render(late, 49)
        shown = frames_showing_the_shape(frames)
        assert shown[0] > 12 and shown[-1] == 48  # empty for the 12 frames at least, then in to the end
        got = checker.read(frames)
        assert got.motion == motion and got.colour == "white"
        x, y = got.centres[shown[0] + 2]  # it comes in at the edge it moves away from
        assert {"left": 1 - x, "right": x, "up": 1 - y, "down": y}[motion] < 0.15
        across = 1 if motion in ("left", "right") else 0
        assert late.velocity() == scene.velocity() and late.start[across] == scene.start[across]
    with pytest.raises(ValueError, match="moving scene"):
        world.entering_late(world.Scene("blue", "white", "circle", "still"), 12)


def test_a_late_exit_takes_the_shape_out_by_its_edge_then_leaves_the_frame_empty():
    rng = random.Random(3)
    for motion in ("left", "right", "up", "down"):
        scene = world.Scene("red", "yellow", rng.choice(world.SHAPES), motion, world.SPEEDS["quickly"], (0.4, 0.6))
        gone = world.leaving_early(scene, 24)
        frames = world.render(gone, 49)
        shown = frames_showing_the_shape(frames)
        assert shown == list(range(shown[-1] + 1)) and 12 < shown[-1] < 24  # in from the start, out before 24
        got = checker.read(frames[: shown[-1] + 1])
        assert got.motion == motion and got.colour == "yellow"
        x, y = [c for c in got.centres if c is not None][-1]  # it leaves by the edge it moves towards
        assert {"left": x, "right": 1 - x, "up": y, "down": 1 - y}[motion] < 0.15
        across = 1 if motion in ("left", "right") else 0
        assert gone.velocity() == scene.velocity() and gone.start[across] == scene.start[across]
    # Gone by the frame asked at any speed; a slow shape gone by frame 4 is never seen (the window after it left).
    slow = world.Scene("red", "yellow", "triangle", "up", world.SPEEDS["slowly"])
    frames = world.render(world.leaving_early(slow, 36), 49)
    assert (frames[36:] == frames[36, 0, 0]).all() and (frames[0] != frames[0, 0, 0]).any()
    assert (world.render(world.leaving_early(slow, 4), 49) == frames[36, 0, 0]).all()
    with pytest.raises(ValueError, match="moving scene"):
        world.leaving_early(world.Scene("blue", "white", "circle", "still"), 12)
