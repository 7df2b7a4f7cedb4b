"""Wan VACE's modes and Wan 2.1 T2V's video to video, through the tiny models' real pipelines loaded
back from disk by the loader users' models take.

tiny_wan_vace is laid out like Wan 2.1 VACE (a WanVACEPipeline), tiny_wan_t2v like Wan 2.1 T2V 1.3B
(a WanPipeline; video to video runs as WanVideoToVideoPipeline made from its modules). Both make
frames 4k+1, so a clip overlaps the new frames by k = 5 frames.
"""

from __future__ import annotations

import dataclasses
import shutil
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from studio.core.recipe import Condition, Mode, Recipe
from studio.engine.cards import VACE_MODES, Card, card_from_toml, folder_card, load_cards
from studio.engine.families.wan.adapter import call_arguments, generate
from studio.engine.modes import overlap_frames
from studio.engine.requests import RequestError, prepare
from studio.engine.runtime import steps
from studio.engine.weights import CARD_FILE
from studio.media.takes import read_frames, write_frames

K = 5
SIZE = 32


@pytest.fixture(scope="module")
def vace_card(tiny_wan_vace) -> Card:
    return folder_card(tiny_wan_vace)


@pytest.fixture(scope="module")
def vace_pipe(tiny_wan_vace, vace_card):
    from studio.engine.runtime.loader import load_pipeline, pick_device

    return load_pipeline(tiny_wan_vace, vace_card, pick_device("cpu"))


@pytest.fixture(scope="module")
def t2v_card(tiny_wan_t2v) -> Card:
    return folder_card(tiny_wan_t2v)


@pytest.fixture(scope="module")
def t2v_pipe(tiny_wan_t2v, t2v_card):
    from studio.engine.runtime.loader import load_pipeline, pick_device

    return load_pipeline(tiny_wan_t2v, t2v_card, pick_device("cpu"))


@pytest.fixture(scope="module")
def v2v_pipe(t2v_pipe, t2v_card):
    from studio.engine.runtime.loader import pipeline_for_mode

    return pipeline_for_mode(t2v_pipe, t2v_card, Mode.VIDEO_TO_VIDEO)


def moving_pattern(frames: int, shift: int = 0) -> np.ndarray:
    t = np.arange(frames)[:, None, None]
    y = np.arange(SIZE)[None, :, None]
    x = np.arange(SIZE)[None, None, :]
    channels = np.broadcast_arrays((x * 8 + t * 20 + shift) % 256, (y * 8 + 0 * x) % 256, (x + y + t * 10) % 256)
    return np.stack(channels, -1).astype(np.uint8)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, tuple[Path, np.ndarray]]:
    """Lossless 32x32 clips of 9 frames: a, and b (another pattern, flipped)."""
    folder = tmp_path_factory.mktemp("vace-clips")
    made = {}
    for name, frames in (("a", moving_pattern(9)), ("b", np.ascontiguousarray(moving_pattern(9, 128)[:, ::-1]))):
        made[name] = (write_frames(folder / f"{name}.mkv", frames, 16), frames)
    return made


def recipe(model: Path, mode: Mode, frames: int, *conditions: Condition, **kw) -> Recipe:
    settings = {
        "prompt": "a red fox runs through the snow",
        "width": SIZE,
        "height": SIZE,
        "fps": 16,
        "steps": 2,
        "guidance": 5.0,
        "seed": 3,
        **kw,
    }
    return Recipe(mode=mode, model=str(model), frames=frames, conditions=list(conditions), **settings)


def clip(clips, name: str, **kw) -> Condition:
    return Condition(str(clips[name][0]), **kw)


def differ(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(int) - b).mean())


# The tiny VACE's hints are untrained, so kept frames move its output by little (a few hundredths of a
# level on average); runs are byte-identical, so a steady difference is the input's doing.
HEARD = 0.005


# -- cards ------------------------------------------------------------------------------------------


def test_the_vace_cards_claim_every_mode_but_video_to_video_and_take_references():
    cards = load_cards()
    for card_id, repo in (
        ("wan-2.1-vace-1.3b", "Wan-AI/Wan2.1-VACE-1.3B-diffusers"),
        ("wan-2.1-vace-14b", "Wan-AI/Wan2.1-VACE-14B-diffusers"),
    ):
        card = cards[card_id]
        assert (card.repo, card.family, card.pipeline, card.frame_step) == (repo, "wan", "WanVACEPipeline", 4)
        assert set(card.modes) == set(VACE_MODES) == set(Mode) - {Mode.VIDEO_TO_VIDEO}
        assert card.references and card.last_frame == "optional"
        assert all(card.pipeline_for(mode) == "WanVACEPipeline" for mode in card.modes)
    assert overlap_frames(cards["wan-2.1-vace-1.3b"]) == K
    t2v = cards["wan-2.1-t2v-1.3b"]
    assert t2v.pipeline_for(Mode.VIDEO_TO_VIDEO) == "WanVideoToVideoPipeline" and not t2v.references
    assert not any(c.references for c in cards.values() if c.pipeline != "WanVACEPipeline")


def test_references_round_trip_and_must_be_a_bool(tmp_path):
    card = load_cards()["wan-2.1-vace-14b"]
    assert card_from_toml(tomllib.loads(card.to_toml()), "again.toml").references is True
    assert Card.from_dict(card.to_dict()) == card
    assert "references" not in load_cards()["wan-2.1-t2v-1.3b"].to_toml()  # left out when false
    with pytest.raises(ValueError, match="'references' should be true or false"):
        card_from_toml({**tomllib.loads(card.to_toml()), "references": "yes"}, "vace.toml")


def test_folders_without_a_card_get_vace_modes_or_video_to_video(tiny_wan_vace, tiny_wan_t2v, tmp_path):
    for source in (tiny_wan_vace, tiny_wan_t2v):
        shutil.copytree(source, tmp_path / source.name, ignore=shutil.ignore_patterns(CARD_FILE, "*.safetensors"))
    vace, t2v = folder_card(tmp_path / tiny_wan_vace.name), folder_card(tmp_path / tiny_wan_t2v.name)
    assert (vace.pipeline, vace.modes, vace.references, vace.last_frame) == (
        "WanVACEPipeline",
        VACE_MODES,
        True,
        "optional",
    )
    assert t2v.modes == (Mode.TEXT_TO_VIDEO, Mode.VIDEO_TO_VIDEO) and not t2v.references
    assert t2v.pipeline_for(Mode.VIDEO_TO_VIDEO) == "WanVideoToVideoPipeline"


def test_the_tiny_cards_say_what_the_tiny_models_do(vace_card, t2v_card, vace_pipe, v2v_pipe, t2v_pipe):
    assert vace_card.modes == VACE_MODES and vace_card.references
    assert type(vace_pipe).__name__ == "WanVACEPipeline"
    assert t2v_card.modes == (Mode.TEXT_TO_VIDEO, Mode.VIDEO_TO_VIDEO)
    assert type(v2v_pipe).__name__ == "WanVideoToVideoPipeline"
    assert v2v_pipe.transformer is t2v_pipe.transformer and v2v_pipe.vae is t2v_pipe.vae  # shared, not copied


# -- VACE through the real pipeline ----------------------------------------------------------------


@pytest.fixture(scope="module")
def plain(vace_pipe, vace_card, tiny_wan_vace) -> np.ndarray:
    return generate(vace_pipe, recipe(tiny_wan_vace, Mode.TEXT_TO_VIDEO, 9), vace_card)


def test_text_to_video_is_deterministic_and_seeded(vace_pipe, vace_card, tiny_wan_vace, plain):
    assert plain.shape == (9, SIZE, SIZE, 3) and plain.dtype == np.uint8 and plain.std() > 5
    assert np.array_equal(generate(vace_pipe, recipe(tiny_wan_vace, Mode.TEXT_TO_VIDEO, 9), vace_card), plain)
    other = generate(vace_pipe, recipe(tiny_wan_vace, Mode.TEXT_TO_VIDEO, 9, seed=4), vace_card)
    assert differ(other, plain) > 1


def test_the_video_holds_the_kept_frames_and_grey_and_the_mask_is_black_where_kept(vace_card, tiny_wan_vace, clips):
    _, a = clips["a"]
    _, b = clips["b"]
    args = call_arguments(recipe(tiny_wan_vace, Mode.CONNECT, 13, clip(clips, "a"), clip(clips, "b")), vace_card)
    video, mask = args["video"][0], args["mask"][0]  # (frames, channels, height, width)
    assert video.shape == (13, 3, SIZE, SIZE) and mask.shape == (13, 1, SIZE, SIZE)
    expected = torch.from_numpy(np.concatenate([a[-K:], b[:K]])).permute(0, 3, 1, 2) / 255.0
    assert torch.equal(torch.cat([video[:K], video[-K:]]), expected)  # A's last k, then B's first k
    assert torch.all(video[K:-K] == 0.5)  # grey where frames are made
    assert torch.all(mask[:K] == 0) and torch.all(mask[-K:] == 0) and torch.all(mask[K:-K] == 1)
    assert "reference_images" not in args


def test_extend_forward_keeps_the_clip_exactly(vace_pipe, vace_card, tiny_wan_vace, clips):
    _, original = clips["a"]
    take = generate(vace_pipe, recipe(tiny_wan_vace, Mode.EXTEND_FORWARD, 9, clip(clips, "a")), vace_card)
    assert take.shape == (9 + 9 - K, SIZE, SIZE, 3)
    assert np.array_equal(take[:9], original)
    again = generate(vace_pipe, recipe(tiny_wan_vace, Mode.EXTEND_FORWARD, 9, clip(clips, "a")), vace_card)
    assert np.array_equal(again, take)
    other = generate(vace_pipe, recipe(tiny_wan_vace, Mode.EXTEND_FORWARD, 9, clip(clips, "b")), vace_card)
    assert differ(other[9:], take[9:]) > HEARD  # the new frames follow their clip


def test_extend_backward_ends_with_the_exact_clip(vace_pipe, vace_card, tiny_wan_vace, clips):
    _, original = clips["a"]
    take = generate(vace_pipe, recipe(tiny_wan_vace, Mode.EXTEND_BACKWARD, 13, clip(clips, "a")), vace_card)
    assert take.shape == (13 - K + 9, SIZE, SIZE, 3)
    assert np.array_equal(take[-9:], original)


def test_connect_makes_only_the_bridge(vace_pipe, vace_card, tiny_wan_vace, clips):
    bridge = generate(vace_pipe, recipe(tiny_wan_vace, Mode.CONNECT, 13, clip(clips, "a"), clip(clips, "b")), vace_card)
    assert bridge.shape == (13 - 2 * K, SIZE, SIZE, 3)
    reverse = generate(
        vace_pipe, recipe(tiny_wan_vace, Mode.CONNECT, 13, clip(clips, "b"), clip(clips, "a")), vace_card
    )
    assert differ(reverse, bridge) > HEARD


def test_loop_is_the_exact_clip_then_frames_back_to_its_start(vace_pipe, vace_card, tiny_wan_vace, clips):
    _, original = clips["a"]
    take = generate(vace_pipe, recipe(tiny_wan_vace, Mode.LOOP, 13, clip(clips, "a")), vace_card)
    assert take.shape == (9 + 13 - 2 * K, SIZE, SIZE, 3)
    assert np.array_equal(take[:9], original)


def test_keyframes_put_stills_where_asked(vace_pipe, vace_card, tiny_wan_vace, still_images, plain):
    first, last = still_images
    opening = recipe(tiny_wan_vace, Mode.KEYFRAMES, 9, Condition(str(first), 0))
    keyed = recipe(tiny_wan_vace, Mode.KEYFRAMES, 9, Condition(str(first), 0), Condition(str(last), 4))
    mask = call_arguments(keyed, vace_card)["mask"][0, :, 0, 0, 0]
    assert mask.tolist() == [0, 1, 1, 1, 0, 1, 1, 1, 1]  # black at frames 0 and 4
    opened, both = generate(vace_pipe, opening, vace_card), generate(vace_pipe, keyed, vace_card)
    assert opened.shape == both.shape == (9, SIZE, SIZE, 3)
    assert differ(opened, plain) > HEARD
    assert differ(both, opened) > HEARD  # the still in the middle changed the shot
    assert np.array_equal(generate(vace_pipe, keyed, vace_card), both)


def test_image_to_video_takes_a_first_frame_or_a_first_and_last(
    vace_pipe, vace_card, tiny_wan_vace, still_images, plain
):
    first, last = still_images
    one, _ = prepare(recipe(tiny_wan_vace, Mode.IMAGE_TO_VIDEO, 9, Condition(str(first), 0)))
    two, _ = prepare(recipe(tiny_wan_vace, Mode.IMAGE_TO_VIDEO, 9, Condition(str(first), 0), Condition(str(last), 8)))
    opened, framed = generate(vace_pipe, one, vace_card), generate(vace_pipe, two, vace_card)
    assert framed.shape == (9, SIZE, SIZE, 3) and differ(opened, plain) > HEARD
    assert np.array_equal(generate(vace_pipe, two, vace_card), framed)
    args = call_arguments(two, vace_card)
    assert args["mask"][0, :, 0, 0, 0].tolist() == [0, 1, 1, 1, 1, 1, 1, 1, 0]
    # VACE's mask is sampled per latent frame at frames 1, 4, 7 (nearest-exact, as VACE was trained), so
    # a last frame speaks through its encoded picture alone: too softly in the tiny model to move a
    # pixel level, so the latents are compared.
    args.update(output_type="latent")
    with_last = vace_pipe(**args).frames
    without = vace_pipe(**{**call_arguments(one, vace_card), "output_type": "latent"}).frames
    assert not torch.equal(with_last, without)
    with pytest.raises(ValueError, match="first and last frames only, not at frame 4"):
        generate(
            vace_pipe,
            recipe(tiny_wan_vace, Mode.IMAGE_TO_VIDEO, 9, Condition(str(first), 0), Condition(str(last), 4)),
            vace_card,
        )
    with pytest.raises(ValueError, match="needs an input image at the first frame"):
        generate(vace_pipe, recipe(tiny_wan_vace, Mode.IMAGE_TO_VIDEO, 9, Condition(str(last), 8)), vace_card)


def test_reference_images_shape_the_shot(vace_pipe, vace_card, tiny_wan_vace, still_images, plain, clips, monkeypatch):
    first, last = still_images
    with_one = recipe(tiny_wan_vace, Mode.TEXT_TO_VIDEO, 9, references=[str(last)])
    args = call_arguments(with_one, vace_card)
    assert [image.size for image in args["reference_images"]] == [(96, 64)]  # as it is: the pipeline fits it
    shown = []
    original = steps.latent_preview
    monkeypatch.setattr(
        steps, "latent_preview", lambda video, *colours: shown.append(video.shape) or original(video, *colours)
    )
    referenced = generate(vace_pipe, with_one, vace_card, on_preview=lambda picture: None)
    assert shown and all(shape[1] == 3 for shape in shown)  # the shot's 3 latent frames, not the reference
    assert referenced.shape == (9, SIZE, SIZE, 3)
    assert differ(referenced, plain) > 0.5
    assert np.array_equal(generate(vace_pipe, with_one, vace_card), referenced)
    two = generate(vace_pipe, dataclasses.replace(with_one, references=[str(last), str(first)]), vace_card)
    assert differ(two, referenced) > 0.5
    # with any mode: an extension keeps its clip's frames exactly
    _, original_frames = clips["a"]
    extended = recipe(tiny_wan_vace, Mode.EXTEND_FORWARD, 9, clip(clips, "a"), references=[str(last)])
    assert np.array_equal(generate(vace_pipe, extended, vace_card)[:9], original_frames)


def test_vace_refuses_what_its_mask_cannot_say(vace_pipe, vace_card, tiny_wan_vace, clips, still_images):
    first, _ = still_images
    loose = recipe(tiny_wan_vace, Mode.EXTEND_FORWARD, 9, clip(clips, "a", strength=0.5))
    with pytest.raises(ValueError, match="its strength must be 1.0, not 0.5"):
        generate(vace_pipe, loose, vace_card)
    twice = recipe(tiny_wan_vace, Mode.KEYFRAMES, 9, Condition(str(first), 2), Condition(str(first), 2))
    with pytest.raises(ValueError, match="two input images are placed at frame 2"):
        generate(vace_pipe, twice, vace_card)
    with pytest.raises(RequestError, match="cannot do video to video"):
        prepare(recipe(tiny_wan_vace, Mode.VIDEO_TO_VIDEO, 9, clip(clips, "a"), strength=0.5))


def test_progress_and_cancel(vace_pipe, vace_card, tiny_wan_vace, clips):
    from studio.engine.jobs import Cancelled

    seen = []
    r = dataclasses.replace(recipe(tiny_wan_vace, Mode.EXTEND_FORWARD, 9, clip(clips, "a")), steps=5)
    with pytest.raises(Cancelled):
        generate(vace_pipe, r, vace_card, on_step=lambda s, n: seen.append((s, n)), should_stop=lambda: len(seen) >= 2)
    assert seen == [(1, 5), (2, 5)]


# -- video to video on Wan 2.1 T2V ----------------------------------------------------------------


def test_video_to_video_remakes_the_clip_by_strength(v2v_pipe, t2v_pipe, t2v_card, tiny_wan_t2v, clips):
    _, original = clips["a"]

    def remake(strength: float, **kw) -> np.ndarray:
        r = recipe(tiny_wan_t2v, Mode.VIDEO_TO_VIDEO, 9, clip(clips, "a"), strength=strength, **kw)
        return generate(v2v_pipe, dataclasses.replace(r, steps=4), t2v_card)

    assert np.array_equal(remake(0.0), original)  # 0 keeps the clip as it is
    seen = []
    half = generate(
        v2v_pipe,
        dataclasses.replace(recipe(tiny_wan_t2v, Mode.VIDEO_TO_VIDEO, 9, clip(clips, "a"), strength=0.5), steps=4),
        t2v_card,
        on_step=lambda s, n: seen.append((s, n)),
    )
    assert seen == [(1, 2), (2, 2)]  # only steps x strength steps run
    assert half.shape == (9, SIZE, SIZE, 3)
    assert np.array_equal(remake(0.5), half)
    full = remake(1.0)
    assert differ(half, full) > 0.5
    text = generate(t2v_pipe, dataclasses.replace(recipe(tiny_wan_t2v, Mode.TEXT_TO_VIDEO, 9), steps=4), t2v_card)
    assert text.shape == (9, SIZE, SIZE, 3) and differ(half, text) > 1  # the clip shaped the remake
    assert differ(remake(0.5, seed=4), half) > 0.1


# -- the checks before a job is queued -------------------------------------------------------------


def test_references_are_checked_before_a_job_is_queued(tiny_wan_vace, tiny_wan, still_images, tmp_path):
    first, _ = still_images
    ok, _ = prepare(recipe(tiny_wan_vace, Mode.TEXT_TO_VIDEO, 9, references=[first.name]), project_folder=first.parent)
    assert ok.references == [first.name]  # kept relative to the project folder, like a condition's path
    with pytest.raises(RequestError, match=f"the reference image {tmp_path / 'gone.png'} does not exist"):
        prepare(recipe(tiny_wan_vace, Mode.TEXT_TO_VIDEO, 9, references=["gone.png"]), project_folder=tmp_path)
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(RequestError, match="is not an image the studio reads"):
        prepare(recipe(tiny_wan_vace, Mode.TEXT_TO_VIDEO, 9, references=[str(tmp_path / "notes.txt")]))
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(RequestError, match="broken.png cannot be read"):
        prepare(recipe(tiny_wan_vace, Mode.TEXT_TO_VIDEO, 9, references=[str(tmp_path / "broken.png")]))
    with pytest.raises(RequestError, match="takes no reference images"):
        prepare(recipe(tiny_wan, Mode.TEXT_TO_VIDEO, 9, references=[str(first)]))


def test_a_recipe_keeps_its_references_through_a_dict():
    r = Recipe(mode=Mode.TEXT_TO_VIDEO, model="m", prompt="p", references=["a.png", "b.png"])
    assert Recipe.from_dict(r.to_dict()) == r
    assert Recipe.from_dict({k: v for k, v in r.to_dict().items() if k != "references"}).references == []


# -- the CLI, as a user runs it --------------------------------------------------------------------


def run(studio_cli, tmp_path: Path, *args: str):
    result = studio_cli(*args, "--log-dir", str(tmp_path / "logs"), timeout=240)
    assert result.returncode == 0, result.stderr
    return result


def test_cli_extend_keeps_the_clip_exactly(studio_cli, tiny_wan_vace, clips, tmp_path):
    a, original = clips["a"]
    out = tmp_path / "longer.mkv"
    result = run(
        studio_cli, tmp_path, "extend", str(a), "-m", str(tiny_wan_vace), "--frames", "4", "--seed", "1", "-o", str(out)
    )
    assert "4 new frames: the model makes 9; the first 5 of them overlap the clip's end" in result.stderr
    frames = read_frames(out)
    assert frames.shape == (9 + 4, SIZE, SIZE, 3)
    assert np.array_equal(frames[:9], original)


def test_cli_connect_writes_only_the_bridge(studio_cli, tiny_wan_vace, clips, tmp_path):
    (a, _), (b, _) = clips["a"], clips["b"]
    out = tmp_path / "bridge.mkv"
    run(studio_cli, tmp_path, "connect", str(a), str(b), "-m", str(tiny_wan_vace), "--frames", "3", "-o", str(out))
    assert read_frames(out).shape == (3, SIZE, SIZE, 3)


def test_cli_generate_with_references(studio_cli, tiny_wan_vace, still_images, tmp_path):
    first, last = still_images
    out = tmp_path / "referenced.mkv"
    result = run(
        studio_cli,
        tmp_path,
        "generate",
        "-p",
        "a fox",
        "-m",
        str(tiny_wan_vace),
        "--reference",
        str(first),
        "--reference",
        str(last),
        "--frames",
        "9",
        "--seed",
        "2",
        "-o",
        str(out),
    )
    assert result.stdout.strip() == str(out)
    assert read_frames(out).shape == (9, SIZE, SIZE, 3)


def test_cli_refuses_references_for_a_model_without_them(studio_cli, tiny_wan, still_images, tmp_path):
    out = tmp_path / "out.mkv"
    result = studio_cli(
        "generate", "-p", "x", "-m", str(tiny_wan), "--reference", str(still_images[0]), "-o", str(out), timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and "takes no reference images" in result.stderr
    assert not out.exists()


def test_a_reference_image_is_read_as_it_is(tmp_path):
    from studio.engine.families.wan.adapter import reference_image

    Image.new("RGBA", (40, 20), (10, 20, 30, 128)).save(tmp_path / "r.png")
    image = reference_image(tmp_path / "r.png")
    assert (image.mode, image.size) == ("RGB", (40, 20))
