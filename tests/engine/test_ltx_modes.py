"""The clip modes and keyframes through the tiny model's real pipeline, and the checks before them.

The tiny model makes frames 4k+1, so its overlap k is 5 frames.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from studio.core.recipe import Condition, Mode, Recipe
from studio.engine.cards import folder_card
from studio.engine.families.ltx.adapter import call_arguments, generate, shifted_timesteps
from studio.engine.modes import overlap_frames
from studio.engine.requests import RequestError, prepare
from studio.engine.weights import CARD_FILE
from studio.media.takes import write_frames

K = 5


def model_with_modes(source: Path, folder: Path, modes: tuple[Mode, ...]) -> Path:
    """A copy of the tiny model whose card lists the given modes."""
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns(CARD_FILE))
    card = dataclasses.replace(folder_card(source), id=folder.name, name=folder.name, modes=modes)
    (folder / CARD_FILE).write_text(card.to_toml(), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def models(tiny_ltx, tmp_path_factory) -> Path:
    """A models folder with the tiny model twice: tiny-all does every mode, tiny-basic only text to video."""
    root = tmp_path_factory.mktemp("mode-models")
    model_with_modes(tiny_ltx, root / "tiny-all", tuple(Mode))
    model_with_modes(tiny_ltx, root / "tiny-basic", (Mode.TEXT_TO_VIDEO,))
    return root


def moving_pattern(frames: int, shift: int = 0) -> np.ndarray:
    t = np.arange(frames)[:, None, None]
    y = np.arange(64)[None, :, None]
    x = np.arange(64)[None, None, :]
    channels = np.broadcast_arrays(
        (x * 4 + t * 20 + shift) % 256, (y * 4 + 0 * x + 0 * t) % 256, (x + y + t * 10) % 256
    )
    return np.stack(channels, -1).astype(np.uint8)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, tuple[Path, np.ndarray]]:
    """Lossless 64x64 clips: a (9 frames), b (9 frames, another pattern), short (3 frames)."""
    folder = tmp_path_factory.mktemp("clips")
    made = {}
    for name, frames in (
        ("a", moving_pattern(9)),
        ("b", moving_pattern(9, 128)[:, ::-1]),
        ("short", moving_pattern(3)),
    ):
        made[name] = (write_frames(folder / f"{name}.mkv", np.ascontiguousarray(frames), 24), frames)
    return made


def recipe(mode: Mode, frames: int, *conditions: Condition, **kw) -> Recipe:
    return Recipe(
        mode=mode,
        model="tiny",
        prompt="waves",
        width=64,
        height=64,
        frames=frames,
        steps=2,
        guidance=3.0,
        seed=3,
        conditions=list(conditions),
        **kw,
    )


def clip(clips, name: str, **kw) -> Condition:
    return Condition(str(clips[name][0]), **kw)


def test_the_overlap_is_two_latent_frames(tiny_card):
    assert overlap_frames(tiny_card) == K == tiny_card.frame_step + 1


def test_extend_forward_keeps_the_clip_exactly_and_adds_the_frames_after_the_overlap(tiny_pipe, tiny_card, clips):
    path, original = clips["a"]
    take = generate(tiny_pipe, recipe(Mode.EXTEND_FORWARD, 9, clip(clips, "a")), tiny_card)
    assert take.shape == (9 + 9 - K, 64, 64, 3)
    assert np.array_equal(take[:9], original)
    other = generate(tiny_pipe, recipe(Mode.EXTEND_FORWARD, 9, clip(clips, "b")), tiny_card)
    assert np.abs(other[9:].astype(int) - take[9:]).mean() > 1  # the new frames follow their clip


def test_a_clips_strength_loosens_its_hold_but_keeps_its_frames(tiny_pipe, tiny_card, clips):
    _, original = clips["a"]
    firm = generate(tiny_pipe, recipe(Mode.EXTEND_FORWARD, 9, clip(clips, "a")), tiny_card)
    loose = generate(tiny_pipe, recipe(Mode.EXTEND_FORWARD, 9, clip(clips, "a", strength=0.3)), tiny_card)
    assert np.array_equal(loose[:9], original)
    assert np.abs(loose[9:].astype(int) - firm[9:]).mean() > 1


def test_extend_backward_puts_new_frames_before_the_exact_clip(tiny_pipe, tiny_card, clips):
    _, original = clips["a"]
    take = generate(tiny_pipe, recipe(Mode.EXTEND_BACKWARD, 13, clip(clips, "a")), tiny_card)
    assert take.shape == (13 - K + 9, 64, 64, 3)
    assert np.array_equal(take[-9:], original)


def test_a_frame_range_extends_only_those_frames(tiny_pipe, tiny_card, clips):
    _, original = clips["a"]
    take = generate(tiny_pipe, recipe(Mode.EXTEND_FORWARD, 9, clip(clips, "a", source_in=1, source_out=7)), tiny_card)
    assert take.shape == (6 + 9 - K, 64, 64, 3)
    assert np.array_equal(take[:6], original[1:7])


def test_connect_makes_only_the_bridge_between_the_overlaps(tiny_pipe, tiny_card, clips):
    bridge = generate(tiny_pipe, recipe(Mode.CONNECT, 13, clip(clips, "a"), clip(clips, "b")), tiny_card)
    assert bridge.shape == (13 - 2 * K, 64, 64, 3)
    reverse = generate(tiny_pipe, recipe(Mode.CONNECT, 13, clip(clips, "b"), clip(clips, "a")), tiny_card)
    assert np.abs(reverse.astype(int) - bridge).mean() > 1


def test_an_exact_bridge_length_thins_the_made_bridge_keeping_both_ends(tiny_pipe, tiny_card, clips, models):
    wanted = recipe(Mode.CONNECT, 13, clip(clips, "a"), clip(clips, "b"))
    wanted.model = str(models / "tiny-all")
    wanted.bridge_frames = 5  # 5 + 2k = 15 is no 4k+1 count: 17 is made, a bridge of 7
    prepared, notes = prepare(wanted)
    assert prepared.frames == 17
    assert notes[0] == "the bridge is made 7 frames long and thinned evenly to 5"
    thinned = generate(tiny_pipe, prepared, tiny_card)
    whole = generate(tiny_pipe, dataclasses.replace(prepared, bridge_frames=None), tiny_card)
    assert whole.shape[0] == 7 and thinned.shape[0] == 5
    assert np.array_equal(thinned, whole[[0, 2, 3, 4, 6]])  # first and last kept, the rest spread evenly


def test_a_bridge_longer_than_the_studio_makes_is_refused(models, clips):
    """One longer than the model makes at once is made in windows (test_long_clip_modes.py); one longer
    than a shot may be is refused as such a shot is."""
    long = recipe(Mode.CONNECT, 13, clip(clips, "a"), clip(clips, "b"))
    long.model, long.bridge_frames = str(models / "tiny-all"), 100_000
    with pytest.raises(RequestError, match="100000 frames at 24 fps .* is longer than 600 s"):
        prepare(long)
    other = recipe(Mode.EXTEND_FORWARD, 9, clip(clips, "a"))
    other.model, other.bridge_frames = str(models / "tiny-all"), 5
    with pytest.raises(RequestError, match="goes with connect"):
        prepare(other)


def test_loop_is_the_clip_then_a_bridge_back_to_its_start(tiny_pipe, tiny_card, clips):
    _, original = clips["a"]
    take = generate(tiny_pipe, recipe(Mode.LOOP, 13, clip(clips, "a")), tiny_card)
    assert take.shape == (9 + 13 - 2 * K, 64, 64, 3)
    assert np.array_equal(take[:9], original)


def test_keyframes_place_stills_where_asked(tiny_pipe, tiny_card, still_images):
    first, last = still_images
    plain = generate(tiny_pipe, recipe(Mode.TEXT_TO_VIDEO, 9), tiny_card)
    opening = generate(tiny_pipe, recipe(Mode.KEYFRAMES, 9, Condition(str(first), 0)), tiny_card)
    keyed = generate(tiny_pipe, recipe(Mode.KEYFRAMES, 9, Condition(str(first), 0), Condition(str(last), 4)), tiny_card)
    assert keyed.shape == plain.shape == (9, 64, 64, 3)
    assert np.abs(opening.astype(int) - plain).mean() > 2
    assert np.abs(keyed.astype(int) - opening).mean() > 1  # the still in the middle changed the shot


def test_video_to_video_remakes_the_clip_by_strength(tiny_pipe, tiny_card, clips):
    _, original = clips["a"]
    plain = generate(tiny_pipe, dataclasses.replace(recipe(Mode.TEXT_TO_VIDEO, 9), steps=4), tiny_card)

    def remake(strength: float) -> np.ndarray:
        r = recipe(Mode.VIDEO_TO_VIDEO, 9, clip(clips, "a"), strength=strength)
        return generate(tiny_pipe, dataclasses.replace(r, steps=4), tiny_card)

    assert np.array_equal(remake(0.0), original)  # 0 keeps the clip as it is
    low, high = remake(0.25), remake(0.75)
    assert low.shape == high.shape == (9, 64, 64, 3)
    assert np.abs(low.astype(int) - high).mean() > 1
    assert np.abs(low.astype(int) - plain).mean() > 2  # the clip shaped the result
    assert np.array_equal(remake(0.25), low)


def test_video_to_video_reports_only_the_steps_it_runs(tiny_pipe, tiny_card, clips):
    steps = []
    r = dataclasses.replace(recipe(Mode.VIDEO_TO_VIDEO, 9, clip(clips, "a"), strength=0.5), steps=4)
    generate(tiny_pipe, r, tiny_card, on_step=lambda s, n: steps.append((s, n)))
    assert steps == [(1, 2), (2, 2)]


def test_a_flow_shift_sets_the_schedule_and_where_video_to_video_starts(tiny_pipe, tiny_card, clips, monkeypatch):
    """A card's [flow_shift] (the demo card's) runs a shifted even schedule in place of the pipeline's
    linear-quadratic one: strength 0.5 of 4 steps starts at noise 3·0.5 / (1 + 2·0.5) = 0.75, not 0.975."""
    shifted = dataclasses.replace(tiny_card, flow_shift={64: 3.0})
    r = dataclasses.replace(recipe(Mode.VIDEO_TO_VIDEO, 9, clip(clips, "a"), strength=0.5), steps=4)
    started = []
    slice_schedule = type(tiny_pipe).get_timesteps

    def recorded(self, sigmas, *rest):
        kept = slice_schedule(self, sigmas, *rest)
        started.append(float(kept[0][0]))
        return kept

    monkeypatch.setattr(type(tiny_pipe), "get_timesteps", recorded)

    def first_noise(card) -> float:
        generate(tiny_pipe, r, card)
        return started[-1]

    assert first_noise(shifted) == pytest.approx(0.75)
    assert first_noise(tiny_card) == pytest.approx(0.975, abs=0.01)  # the pipeline's own schedule
    assert shifted_timesteps(4, 1.0) == [1000.0, 750.0, 500.0, 250.0]  # shift 1: even steps
    own = dataclasses.replace(shifted, call={**shifted.call, "timesteps": [900.0, 500.0, 100.0, 50.0]})
    assert call_arguments(r, own, pipe=tiny_pipe)["timesteps"] == [900.0, 500.0, 100.0, 50.0]  # the card's own win


# -- the checks before a job is queued -------------------------------------------------------------


def check(models: Path, r: Recipe, model: str = "tiny-all") -> tuple[Recipe, list[str]]:
    return prepare(dataclasses.replace(r, model=model), models_dir=models)


def test_a_valid_extend_is_prepared(models, clips):
    prepared, notes = check(models, recipe(Mode.EXTEND_FORWARD, 8, clip(clips, "a")))
    assert prepared.frames == 9 and notes == ["frames 8 → 9: LTX needs 4k+1 frames"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda c: recipe(Mode.EXTEND_FORWARD, 9), "extend forward needs a clip to extend"),
        (lambda c: recipe(Mode.CONNECT, 13, clip(c, "a")), "connect needs two clips"),
        (lambda c: recipe(Mode.LOOP, 13, Condition("/no/such/clip.mkv")), "the clip /no/such/clip.mkv does not exist"),
        (
            lambda c: recipe(Mode.EXTEND_BACKWARD, 9, clip(c, "short")),
            "short.mkv has 3 frames; extend backward needs at least 5",
        ),
        (lambda c: recipe(Mode.EXTEND_FORWARD, 5, clip(c, "a")), "needs a shot of at least 9 frames"),
        (
            lambda c: recipe(Mode.CONNECT, 9, clip(c, "a"), clip(c, "b")),
            "connect with tiny-all needs a shot of at least 13",
        ),
        (
            lambda c: recipe(Mode.EXTEND_FORWARD, 9, clip(c, "a", source_in=4, source_out=12)),
            "the frames 4 to 12 are not inside a.mkv",
        ),
        (
            lambda c: recipe(Mode.VIDEO_TO_VIDEO, 9, clip(c, "a"), strength=1.5),
            "the strength must be between 0 and 1, not 1.5 (0 keeps the clip",
        ),
        (lambda c: recipe(Mode.VIDEO_TO_VIDEO, 13, clip(c, "a"), strength=0.5), "a.mkv has 9 frames and the shot 13"),
        (
            lambda c: recipe(Mode.VIDEO_TO_VIDEO, 9, clip(c, "a"), strength=0.2),
            "a strength of 0.2 with 2 steps runs no step",
        ),
        (lambda c: recipe(Mode.KEYFRAMES, 9), "keyframes needs at least one still"),
        (lambda c: recipe(Mode.KEYFRAMES, 9, Condition(str(c["a"][0]), 0)), "is not an image the studio reads"),
        (lambda c: recipe(Mode.EXTEND_FORWARD, 9, Condition(str(c["a"][0]).replace(".mkv", ".png"))), "does not exist"),
    ],
)
def test_a_bad_request_is_one_clear_line(models, clips, make, message):
    with pytest.raises(RequestError, match="^[^\n]*$") as caught:
        check(models, make(clips))
    assert message in str(caught.value)


def test_a_keyframe_outside_the_shot_is_refused(models, still_images):
    with pytest.raises(RequestError, match="placed at frame 12, outside the shot's 9 frames"):
        check(models, recipe(Mode.KEYFRAMES, 9, Condition(str(still_images[0]), 12)))


def test_a_mode_the_model_cannot_do_names_the_models_that_can(models, clips):
    with pytest.raises(RequestError) as caught:
        check(models, recipe(Mode.LOOP, 13, clip(clips, "a")), model="tiny-basic")
    # the demo model ships with the studio and loops too
    assert str(caught.value) == "tiny-basic cannot do loop (installed models that can: demo, tiny-all)"


def test_video_to_video_of_part_of_a_clip_says_how_much_it_remakes(models, clips, tmp_path):
    _, notes = check(models, recipe(Mode.VIDEO_TO_VIDEO, 5, clip(clips, "a"), strength=0.5))
    assert notes == ["video to video remakes the first 5 of the clip's 9 frames: the take is that long"]
    long = write_frames(tmp_path / "long.mkv", np.zeros((300, 64, 64, 3), np.uint8), 24)  # longer than one shot
    most = folder_card(models / "tiny-all").max_frames
    _, notes = check(models, recipe(Mode.VIDEO_TO_VIDEO, most, Condition(str(long)), strength=0.5))
    assert notes == [
        f"video to video remakes the first {most} of the clip's 300 frames (tiny-all remakes at most {most} at once): "
        "the take is that long"
    ]


def test_a_clip_of_another_size_is_fitted_with_a_note(models, clips, tmp_path):
    path = write_frames(tmp_path / "wide.mkv", np.zeros((9, 64, 96, 3), np.uint8), 24)
    _, notes = check(models, recipe(Mode.EXTEND_FORWARD, 9, Condition(str(path))))
    assert notes == ["the clip wide.mkv is 96x64 and the shot 64x64: its frames are scaled and cropped to fit"]
