"""prepare(): the one check before a job is queued, shared by the CLI and the editor."""

from __future__ import annotations

import dataclasses
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from PIL import Image

from studio.core.recipe import Condition, Mode, Recipe
from studio.engine.requests import RequestError, available_models, check_numbers, prepare
from studio.engine.weights import CARD_FILE


def recipe(model, **kw) -> Recipe:
    base = dict(mode=Mode.TEXT_TO_VIDEO, model=str(model), prompt="a fox in the snow", width=64, height=64, frames=9)
    base.update(kw)
    return Recipe(**base)


def test_prepare_fills_the_cards_defaults_and_snaps(tiny_ltx):
    prepared, notes = prepare(recipe(tiny_ltx, width=50, frames=8))
    assert (prepared.steps, prepared.guidance) == (2, 3.0)
    assert (prepared.width, prepared.height, prepared.frames) == (64, 64, 9)
    assert notes == ["width 50 → 64: LTX needs multiples of 32", "frames 8 → 9: LTX needs 4k+1 frames"]


def test_prepare_takes_the_guidance_of_the_recipes_mode_from_the_card(still_images):
    first, _ = still_images
    made = recipe("demo", width=128, height=128, frames=25)  # the shipped demo card: [mode_guidance]
    assert prepare(made)[0].guidance == 3.0
    animated = dataclasses.replace(made, mode=Mode.IMAGE_TO_VIDEO, conditions=[Condition(str(first), 0)])
    assert prepare(animated)[0].guidance == 1.0
    assert prepare(dataclasses.replace(animated, guidance=4.0))[0].guidance == 4.0  # asked for: kept


def test_relative_images_are_found_in_the_project_folder(tiny_ltx, still_images):
    first, _ = still_images
    r = recipe(tiny_ltx, mode=Mode.IMAGE_TO_VIDEO, conditions=[Condition(first.name, 0)])
    prepared, _ = prepare(r, project_folder=first.parent)
    assert prepared.conditions[0].path == first.name  # kept relative: the take's recipe moves with the project


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"prompt": "   "}, "the prompt is empty"),
        ({"model": "no-such-model"}, "unknown model 'no-such-model'"),
        ({"width": 0}, "the width must be a positive number of pixels"),
        ({"steps": 0}, "the number of steps must be at least 1"),
        ({"conditions": [Condition("first.png", 0)]}, "text to video takes no input images"),
        ({"mode": Mode.IMAGE_TO_VIDEO}, "image to video needs an input image"),
        (
            {"mode": Mode.IMAGE_TO_VIDEO, "conditions": [Condition("/nowhere/first.png", 0)]},
            "the input image /nowhere/first.png does not exist",
        ),
    ],
)
def test_bad_requests_are_one_clear_error(tiny_ltx, tmp_path, monkeypatch, change, message):
    change = dict(change)
    with pytest.raises(RequestError) as error:
        prepare(recipe(change.pop("model", tiny_ltx), **change))
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_a_card_without_weights_says_where_to_get_them(tmp_path, monkeypatch):
    cards = tmp_path / "cards"
    cards.mkdir()
    text = (Path(__file__).parents[2] / "studio" / "models" / "ltx-video-0.9.5.toml").read_text()
    (cards / "absent.toml").write_text(
        text.replace('id = "ltx-video-0.9.5"', 'id = "absent"').replace("Lightricks/LTX-Video-0.9.5", "nobody/absent")
    )
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(RequestError) as error:
        prepare(recipe("absent"), cards_dir=cards)
    assert str(error.value) == (
        "the model 'absent' is not downloaded: get it from nobody/absent into models/absent/ or the Hugging Face cache"
    )


def test_a_model_folder_that_lacks_a_piece_is_refused_before_it_is_queued(tiny_ltx, tmp_path):
    """The loader would say the same in the worker, seconds later and after the job was queued; the files are
    looked at here (no torch), so the refusal comes with Generate, saying what to do."""
    broken = tmp_path / "half-copied"
    shutil.copytree(tiny_ltx, broken)
    (broken / "transformer" / "diffusion_pytorch_model.safetensors").unlink()
    with pytest.raises(RequestError) as error:
        prepare(recipe(broken))
    assert str(error.value) == (
        f"the model in {broken} is incomplete: transformer/ has no .safetensors weights; download the model "
        "again, or copy what is missing into it"
    )


def test_an_unknown_model_error_names_the_installed_ones(tiny_ltx):
    with pytest.raises(RequestError, match="installed models: demo, tiny-ltx"):
        prepare(recipe("no-such-model"), models_dir=tiny_ltx.parent)


def test_available_models_lists_what_is_installed(tiny_ltx):
    assert ("Tiny LTX (test model, random weights)", "tiny-ltx") in available_models(tiny_ltx.parent)


def test_the_demo_model_is_listed_and_comes_after_any_real_one(tiny_ltx, tmp_path):
    """It ships with the studio, so it is there on a first start; a model the user has comes first
    (the Shot panel chooses the first)."""
    assert [value for _, value in available_models(tmp_path)] == ["demo"]
    assert [value for _, value in available_models(tiny_ltx.parent)] == ["tiny-ltx", "demo"]


def test_the_service_side_imports_no_torch():
    """The editor imports the service, jobs, requests and the families: none may pull in torch, even
    indirectly, nor any family's adapter (the worker side in each family's folder)."""
    forbidden = ["torch", "diffusers", "transformers", "studio.engine.runtime", "studio.testing"]
    code = (
        "import sys\n"
        "import studio.engine.service, studio.engine.requests, studio.engine.jobs, studio.engine.cards\n"
        "import studio.engine.families\n"
        f"bad = [m for m in {forbidden!r} if m in sys.modules]\n"
        "bad += [m for m in sys.modules if m.startswith('studio.engine.families.') and m.endswith('.adapter')]\n"
        "print(bad); sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_damaged_image_is_refused_before_it_is_queued(tiny_ltx, still_images, tmp_path, damage):
    first, _ = still_images
    bad = tmp_path / "bad.png"
    data = first.read_bytes()
    bad.write_bytes(b"not a picture at all" if damage == "garbage" else data[: len(data) // 2])
    r = recipe(tiny_ltx, mode=Mode.IMAGE_TO_VIDEO, conditions=[Condition(str(bad), 0)])
    with pytest.raises(RequestError, match="the input image bad.png cannot be read"):
        prepare(r)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"frames": 10**9},
            "a shot of 1000000000 frames at 24 fps (41,666,667 s) is longer than 600 s, the studio's "
            "limit; ask for a shorter one, or for up to 3600 s with --allow-long",
        ),
        ({"steps": 10**8}, "the number of steps must be at most 500, not 100000000"),
        ({"steps": 2.5}, "the number of steps must be a whole number, not 2.5"),
        ({"guidance": float("nan")}, "the guidance must be between 0 and 50, not nan"),
        ({"guidance": float("inf")}, "the guidance must be between 0 and 50, not inf"),
        ({"strength": float("nan")}, "the strength must be between 0 and 1, not nan"),
        ({"fps": float("nan")}, "the frame rate must be between 1 and 120, not nan"),
        ({"fps": 0.0}, "the frame rate must be between 1 and 120, not 0"),
        ({"seed": 2**70}, f"the seed must be at most 4294967295, not {2**70}"),
        ({"seed": -1}, "the seed must be at least 0, not -1"),
        ({"prompt": "x" * 20_000}, "a prompt of 20000 characters is longer than the 10000 the studio takes"),
        ({"style": "x" * 20_000}, "a style of 20000 characters is longer than the 10000 the studio takes"),
    ],
)
def test_every_number_is_bounded_before_the_model_is_even_looked_up(change, message):
    """The editor's requests and the CLI's meet here: refused at once, with the limit, no model needed."""
    with pytest.raises(RequestError) as error:
        prepare(recipe("no-such-model", **change))
    assert str(error.value).startswith(message)


def test_a_long_shot_needs_asking_for_and_has_a_limit_even_then():
    long = recipe("no-such-model", frames=700 * 24)
    with pytest.raises(RequestError, match="longer than 600 s"):
        check_numbers(long)
    check_numbers(long, allow_long=True)
    with pytest.raises(RequestError, match="longer than the 3600 s the studio makes at most"):
        check_numbers(recipe("no-such-model", frames=3601 * 24), allow_long=True)


def _png_header(width: int, height: int) -> bytes:
    """A PNG that says it is width x height (all a reader needs to refuse it) without the pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("size", "message"),
    [
        ((20000, 20000), "the input image big.png is larger than the studio takes (8192 pixels a side at most)"),
        (
            (9000, 8),
            "the input image big.png is larger than the studio takes (8192 pixels a side at most); scale it "
            "down to the shot's size (it is 9000x8)",
        ),
    ],
)
def test_a_huge_input_image_is_refused_not_an_internal_error(tiny_ltx, tmp_path, size, message):
    big = tmp_path / "big.png"
    if size == (9000, 8):
        Image.new("RGB", size).save(big)
    else:
        big.write_bytes(_png_header(*size))
    with pytest.raises(RequestError) as error:
        prepare(recipe(tiny_ltx, mode=Mode.IMAGE_TO_VIDEO, conditions=[Condition(str(big), 0)]))
    assert str(error.value).startswith(message)


def test_the_longest_shot_the_editor_offers_passes_at_an_ntsc_rate():
    """600 s at 23.976 fps, rounded to whole frames as the prompt panel does, is within the limit."""
    fps = 24000 / 1001
    check_numbers(recipe("no-such-model", frames=round(600 * fps), fps=fps))
    with pytest.raises(RequestError, match="longer than 600 s"):
        check_numbers(recipe("no-such-model", frames=round(600 * fps) + 1, fps=fps))


def test_an_ltx_model_takes_a_flow_shift_unless_its_card_has_a_schedule_of_its_own(tiny_ltx, tiny_card, tmp_path):
    assert prepare(recipe(tiny_ltx, flow_shift=3.0))[0].flow_shift == 3.0  # recorded with the take
    folder = tmp_path / "distilled"
    shutil.copytree(tiny_ltx, folder)
    own = dataclasses.replace(tiny_card, call={**tiny_card.call, "timesteps": [1000.0, 500.0]})
    (folder / CARD_FILE).write_text(own.to_toml())
    with pytest.raises(RequestError, match="takes no flow shift"):
        prepare(recipe(folder, flow_shift=3.0))
    assert prepare(recipe(folder))[0].flow_shift is None


def test_a_negative_prompt_that_the_guidance_leaves_out_is_said_so(tiny_ltx, tiny_pipe, tiny_card):
    """At guidance 1 the pipeline makes no negative pass: the note says so, and the frames show it true (the
    same with the negative prompt as without it), where at guidance 3 the negative prompt changes them."""
    from studio.engine.families.ltx.adapter import generate

    plain = recipe(tiny_ltx, guidance=1.0, steps=2, seed=5)
    avoiding = dataclasses.replace(plain, negative_prompt="a red fox")
    said = [n for n in prepare(avoiding)[1] if "negative prompt" in n]
    assert said == [
        "the negative prompt is not used: at guidance 1 the model makes no guided pass (a guidance above 1 uses it)"
    ]
    assert not [n for n in prepare(dataclasses.replace(avoiding, guidance=3.0))[1] if "negative prompt" in n]
    assert not [n for n in prepare(plain)[1] if "negative prompt" in n]
    as_draft = dataclasses.replace(avoiding, quality="draft")
    assert [n for n in prepare(as_draft)[1] if "negative prompt" in n] == said  # once, not for the full and the draft

    def frames(r: Recipe):
        return generate(tiny_pipe, prepare(r)[0], tiny_card)

    assert (frames(avoiding) == frames(plain)).all()
    at_3 = dataclasses.replace(plain, guidance=3.0)
    assert not (frames(dataclasses.replace(at_3, negative_prompt="a red fox")) == frames(at_3)).all()


@pytest.mark.parametrize(
    ("card_id", "guidance", "unused"),
    [
        ("wan-2.1-t2v-1.3b", 1.0, True),
        ("wan-2.1-t2v-1.3b", 0.5, True),  # diffusers: `guidance_scale > 1` runs the negative pass
        ("wan-2.1-t2v-1.3b", 5.0, False),
        ("hunyuanvideo-1.5-480p-t2v", 1.0, True),
        ("hunyuanvideo-1.5-480p-t2v", 0.5, False),  # its guider skips the pass only at exactly 1
        ("ltx-2", 1.0, False),  # the sound's guidance, 7 by default, runs the negative pass
    ],
)
def test_which_guidance_leaves_the_negative_prompt_out(card_id, guidance, unused):
    from studio.engine.cards import load_cards
    from studio.engine.requests import _negative_unused

    assert _negative_unused(guidance, load_cards()[card_id]) is unused
