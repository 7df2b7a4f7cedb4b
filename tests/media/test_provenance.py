"""Provenance: an export with generated material in it carries a signed C2PA manifest (its recipes,
the trained-algorithmic-media source type), tags that say the same, or a sidecar where the container
cannot carry a manifest; anything else is left unmarked."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from studio.core.project import Clip, MediaItem, Project, Sequence, Track, TrackKind
from studio.core.recipe import Condition, Mode, Recipe
from studio.core.timebase import FrameRate
from studio.media import provenance
from studio.media.export import ExportCancelled, ExportError, RenderSettings, export_sequence
from studio.media.probe import probe
from studio.media.provenance import DIGITAL_SOURCE_TYPE, mark_file, read_tags, signing_keys, verify
from studio.media.takes import read_frames, write_frames

# The prompt holds what metadata tags escape (; = # a backslash, quotes), to be read back as it was.
RECIPE = Recipe(
    Mode.TEXT_TO_VIDEO,
    "ltx-video-0.9.5",
    'a lighthouse; waves = 3 m #storm \\ "night"',
    seed=7,
    width=64,
    height=48,
    frames=9,
    fps=24.0,
)


@pytest.fixture
def cut(tmp_path: Path) -> Project:
    """Two clips on one track: a generated take (frames 0-5) and a camera clip (frames 6-11)."""
    media = tmp_path / "media"
    media.mkdir()
    write_frames(media / "take.mkv", np.full((6, 48, 64, 3), 90, np.uint8), 24)
    write_frames(media / "camera.mkv", np.full((6, 48, 64, 3), 180, np.uint8), 24)
    project = Project(name="t", folder=tmp_path)
    project.media["g"] = MediaItem("g", "media/take.mkv", width=64, height=48, frames=6, recipe=RECIPE)
    project.media["c"] = MediaItem("c", "media/camera.mkv", width=64, height=48, frames=6)
    project.sequences = [
        Sequence(
            "s",
            fps=FrameRate(24),
            width=64,
            height=48,
            tracks=[Track("v1", TrackKind.VIDEO, clips=[Clip("a", "g", 0, 0, 6), Clip("b", "c", 6, 0, 6)])],
        )
    ]
    return project


def flip_bytes_in_mdat(path: Path) -> None:
    data = bytearray(path.read_bytes())
    at = data.index(b"mdat") + 64
    data[at : at + 8] = bytes(b ^ 0xFF for b in data[at : at + 8])
    path.write_bytes(bytes(data))


def test_a_signed_export_verifies_and_shows_the_recipe(cut, tmp_path):
    out = export_sequence(cut, cut.sequence, tmp_path / "film.mp4")
    verdict = verify(out)
    assert verdict.state == "trusted", verdict.problems
    assert verdict.ai_generated
    assert verdict.recipes == [RECIPE.to_dict()]
    assert sorted(verdict.ingredients) == ["camera.mkv", "take.mkv"]
    assert "studio signer" in verdict.signer
    # The tags say the same, for tools that know nothing of C2PA.
    tags = read_tags(out)
    assert tags["comment"].startswith("AI-generated (studio): text_to_video by ltx-video-0.9.5, seed 7")
    record = json.loads(tags["description"])
    assert record["ai_generated"] and record["digital_source_type"] == DIGITAL_SOURCE_TYPE
    assert record["recipes"] == [RECIPE.to_dict()]
    # Still the film it was: every frame, nothing else left beside it.
    assert probe(out).frames == 12
    assert sorted(p.name for p in tmp_path.iterdir()) == ["film.mp4", "media"]


def test_a_tampered_file_fails_verification(cut, tmp_path):
    out = export_sequence(cut, cut.sequence, tmp_path / "film.mp4")
    flip_bytes_in_mdat(out)
    verdict = verify(out)
    assert verdict.state == "invalid" and not verdict.ok
    assert any("bmffHash.mismatch" in p for p in verdict.problems), verdict.problems


def test_prores_mov_is_signed_too(cut, tmp_path):
    out = export_sequence(cut, cut.sequence, tmp_path / "film.mov", settings=RenderSettings("prores_422hq"))
    assert verify(out).state == "trusted"
    assert probe(out).video_codec == "prores"


def test_files_without_generated_material_are_left_unmarked(cut, tmp_path):
    only_camera = export_sequence(cut, cut.sequence, tmp_path / "camera.mp4", frames=(6, 12))
    verdict = verify(only_camera)
    assert verdict.state == "missing" and not verdict.ai_generated
    assert "comment" not in read_tags(only_camera)

    cut.sequence.tracks[0].hidden = True  # a hidden track is not exported, so neither is its take
    cut.sequence.tracks.append(Track("v2", TrackKind.VIDEO, clips=[Clip("x", "c", 0, 0, 6)]))
    assert provenance.mark_for_sequence(cut, cut.sequence, 0, 12) is None


def test_switched_off_leaves_every_mark_out(cut, tmp_path):
    out = export_sequence(cut, cut.sequence, tmp_path / "film.mp4", provenance=False)
    assert verify(out).state == "missing"
    assert "comment" not in read_tags(out)


def test_a_png_sequence_gets_a_sidecar_in_its_folder(cut, tmp_path):
    out = export_sequence(cut, cut.sequence, tmp_path / "stills", settings=RenderSettings("png"))
    assert len(list(out.glob("stills_*.png"))) == 12
    record = json.loads((out / "stills.recipe.json").read_text())
    assert record["file"] == "stills" and record["recipes"] == [RECIPE.to_dict()]
    verdict = verify(out)
    assert verdict.state == "missing" and verdict.ai_generated and verdict.recipes == [RECIPE.to_dict()]


def test_generated_sound_in_a_wav_is_signed(tmp_path):
    sound = tmp_path / "voice.wav"
    t = np.arange(48000, dtype=np.float32) / 48000
    samples = np.stack([np.sin(2 * np.pi * 440 * t)] * 2, axis=1).astype(np.float32)
    write_frames(tmp_path / "voice.mkv", np.zeros((24, 16, 16, 3), np.uint8), 24, audio=samples, sample_rate=48000)
    project = Project(name="t", folder=tmp_path)
    project.media["v"] = MediaItem("v", "voice.mkv", width=16, height=16, frames=24, has_audio=True, recipe=RECIPE)
    project.sequences = [
        Sequence(
            "s",
            fps=FrameRate(24),
            width=16,
            height=16,
            tracks=[Track("v1", TrackKind.VIDEO), Track("a1", TrackKind.AUDIO, clips=[Clip("a", "v", 0, 0, 24)])],
        )
    ]
    out = export_sequence(project, project.sequence, sound, settings=RenderSettings("wav"))
    verdict = verify(out)
    assert verdict.state == "trusted" and verdict.recipes == [RECIPE.to_dict()]
    assert read_tags(out)["comment"].startswith("AI-generated (studio)")


def test_the_installation_keys_are_made_once_and_reused(tmp_path):
    folder = tmp_path / "settings" / "provenance"
    keys = signing_keys(folder)
    files = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()}
    again = signing_keys(folder)
    assert again == keys
    assert {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.iterdir()} == files
    assert (folder / "signer-key.pem").stat().st_mode & 0o777 == 0o600
    assert not list(folder.parent.glob(".*"))  # no half-made folder left behind

    # What C2PA asks of a signer: P-256, issued by the local root (not self-signed), for signing only.
    cert = x509.load_pem_x509_certificate(keys.cert_pem.encode())
    root = x509.load_pem_x509_certificate(keys.root_pem.encode())
    assert cert.issuer == root.subject != cert.subject
    cert.verify_directly_issued_by(root)
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey) and cert.public_key().curve.name == "secp256r1"
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True


def test_the_default_keys_live_in_the_settings_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_CONFIG", str(tmp_path / "config"))
    assert provenance.keys_folder() == tmp_path / "config" / "provenance"
    assert signing_keys().folder == tmp_path / "config" / "provenance"


def test_another_installations_signature_is_intact_but_not_trusted(cut, tmp_path):
    out = export_sequence(cut, cut.sequence, tmp_path / "film.mp4")
    elsewhere = signing_keys(tmp_path / "other" / "provenance")
    verdict = verify(out, keys=elsewhere)
    assert verdict.state == "valid" and verdict.ok
    assert "not this installation's" in verdict.notes[0]
    assert verdict.recipes == [RECIPE.to_dict()]


def test_a_failed_signature_leaves_nothing_behind(cut, tmp_path, monkeypatch):
    def broken(src, dest, mark, **kwargs):
        Path(dest).write_bytes(b"half a file")
        raise provenance.ProvenanceError("the key cannot be read")

    monkeypatch.setattr(provenance, "sign", broken)
    (tmp_path / "film.mp4").write_bytes(b"an older export")
    with pytest.raises(ExportError, match="could not be marked as AI-generated.*the key cannot be read"):
        export_sequence(cut, cut.sequence, tmp_path / "film.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["film.mp4", "media"]
    assert (tmp_path / "film.mp4").read_bytes() == b"an older export"


def test_an_export_cancelled_at_its_end_is_not_signed_or_left(cut, tmp_path):
    cancel = threading.Event()
    with pytest.raises(ExportCancelled):
        export_sequence(
            cut,
            cut.sequence,
            tmp_path / "film.mp4",
            cancel=cancel,
            progress=lambda done, total: cancel.set() if done == total else None,
        )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["media"]


def test_marking_a_generated_mp4_in_place(tmp_path):
    still = tmp_path / "first.png"
    write_frames(tmp_path / "src.mkv", np.full((1, 48, 64, 3), 30, np.uint8), 24)
    from PIL import Image

    Image.fromarray(np.full((48, 64, 3), 30, np.uint8)).save(still)
    shot = write_frames(tmp_path / "shot.mp4", np.full((9, 48, 64, 3), 120, np.uint8), 24)
    before = read_frames(shot)
    recipe = Recipe(Mode.IMAGE_TO_VIDEO, "ltx", "the square flies away", conditions=[Condition(str(still))])
    written = mark_file(shot, provenance.mark_for_recipes([recipe], provenance.recipe_sources(recipe)))
    assert written == [shot]
    verdict = verify(shot)
    assert verdict.state == "trusted" and verdict.recipes == [recipe.to_dict()]
    assert verdict.ingredients == ["first.png"]  # read by c2pa: hashed, with a thumbnail
    assert np.array_equal(read_frames(shot), before)  # tags and manifest: not one pixel changed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["first.png", "shot.mp4", "src.mkv"]


def test_marking_a_lossless_mkv_writes_tags_and_a_sidecar(tmp_path):
    frames = np.random.default_rng(1).integers(0, 255, (5, 32, 32, 3), np.uint8)
    shot = write_frames(tmp_path / "shot.mkv", frames, 24)
    written = mark_file(shot, provenance.mark_for_recipes([RECIPE]))
    assert written == [shot, tmp_path / "shot.recipe.json"]
    assert np.array_equal(read_frames(shot), frames)  # remuxed, never re-encoded
    assert read_tags(shot)["comment"].startswith("AI-generated (studio)")
    assert json.loads((tmp_path / "shot.recipe.json").read_text())["recipes"] == [RECIPE.to_dict()]
    verdict = verify(shot)
    assert verdict.state == "missing" and verdict.ai_generated and verdict.recipes == [RECIPE.to_dict()]
    assert "cannot carry one" in verdict.problems[0]


def test_a_failed_mark_leaves_the_file_as_it_was(tmp_path, monkeypatch):
    shot = write_frames(tmp_path / "shot.mp4", np.full((3, 16, 16, 3), 50, np.uint8), 24)
    before = shot.read_bytes()

    def broken(src, dest, mark, **kwargs):
        Path(dest).write_bytes(b"half")
        raise provenance.ProvenanceError("no key")

    monkeypatch.setattr(provenance, "sign", broken)
    with pytest.raises(provenance.ProvenanceError, match="no key"):
        mark_file(shot, provenance.mark_for_recipes([RECIPE]))
    assert shot.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["shot.mp4"]


def test_keys_that_cannot_be_made_fail_the_export_with_the_reason(cut, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the settings folder should be")
    monkeypatch.setenv("STUDIO_CONFIG", str(blocker))
    (tmp_path / "out").mkdir()
    with pytest.raises(ExportError, match=r"film.mp4 could not be marked as AI-generated.*cannot make the signing"):
        export_sequence(cut, cut.sequence, tmp_path / "out" / "film.mp4")
    assert list((tmp_path / "out").iterdir()) == []


# -- any recipe, any length: marking never depends on the command line or on what the text holds ---------

BIG_PROMPT = "a lighthouse = beacon; #waves \\ " * 7000  # about 220 KB: past ffmpeg's 128 KB argument limit
ODD_RECIPES = {
    "a 200 KB prompt": dataclasses.replace(RECIPE, prompt=BIG_PROMPT),
    "a NUL and other control characters in the prompt": dataclasses.replace(
        RECIPE, prompt="before\x00after\x1b[31m\r\nnext line \U0001f30a \u202e"
    ),
    "NaN guidance": dataclasses.replace(RECIPE, guidance=float("nan"), strength=float("inf")),
}


def as_marked(recipe: Recipe) -> dict:
    """A recipe as its mark holds it: numbers that JSON cannot carry written as the strings float() reads."""
    data = recipe.to_dict()
    for key, value in data.items():
        if isinstance(value, float) and not np.isfinite(value):
            data[key] = {float("inf"): "Infinity", float("-inf"): "-Infinity"}.get(value, "NaN")
    return data


def strict_json(text: str):
    """json.loads that refuses NaN and Infinity, as every JSON parser but Python's does."""

    def refuse(name):
        raise ValueError(f"{name} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("recipe", ODD_RECIPES.values(), ids=ODD_RECIPES.keys())
def test_any_recipe_marks_an_mp4_take(tmp_path, recipe):
    shot = write_frames(tmp_path / "shot.mp4", np.full((3, 16, 16, 3), 50, np.uint8), 24)
    mark_file(shot, provenance.mark_for_recipes([recipe]))
    verdict = verify(shot)
    assert verdict.state == "trusted" and verdict.ai_generated, verdict.problems
    assert verdict.recipes == [as_marked(recipe)]
    record = strict_json(read_tags(shot)["description"])
    assert record["recipes"] == [as_marked(recipe)]
    assert "\x00" not in read_tags(shot)["comment"]


@pytest.mark.parametrize("recipe", ODD_RECIPES.values(), ids=ODD_RECIPES.keys())
def test_any_recipe_marks_a_lossless_take_as_it_is_written(tmp_path, recipe):
    frames = np.random.default_rng(2).integers(0, 256, (4, 16, 16, 3), np.uint8)
    shot = write_frames(tmp_path / "shot.mkv", frames, 24, mark=provenance.mark_for_recipes([recipe]))
    assert np.array_equal(read_frames(shot), frames)
    verdict = verify(shot)
    assert verdict.ai_generated and verdict.recipes == [as_marked(recipe)]
    assert strict_json(read_tags(shot)["description"])["recipes"] == [as_marked(recipe)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot.mkv"]  # a take in media/: tags, no sidecar


@pytest.mark.parametrize("recipe", ODD_RECIPES.values(), ids=ODD_RECIPES.keys())
def test_a_project_holding_such_a_take_exports_marked(cut, tmp_path, recipe):
    cut.media["g"].recipe = recipe
    out = export_sequence(cut, cut.sequence, tmp_path / "film.mp4")
    verdict = verify(out)
    assert verdict.state == "trusted" and verdict.recipes == [as_marked(recipe)]
    assert strict_json(read_tags(out)["description"])["recipes"] == [as_marked(recipe)]
    sidecar = export_sequence(cut, cut.sequence, tmp_path / "stills", settings=RenderSettings("png"))
    assert strict_json((sidecar / "stills.recipe.json").read_text())["recipes"] == [as_marked(recipe)]


def test_a_sound_only_export_of_such_a_take_is_marked(tmp_path):
    t = np.arange(24000, dtype=np.float32) / 48000
    samples = np.stack([np.sin(2 * np.pi * 440 * t)] * 2, axis=1).astype(np.float32)
    write_frames(tmp_path / "voice.mkv", np.zeros((12, 16, 16, 3), np.uint8), 24, audio=samples, sample_rate=48000)
    recipe = ODD_RECIPES["a 200 KB prompt"]
    project = Project(name="t", folder=tmp_path)
    project.media["v"] = MediaItem("v", "voice.mkv", width=16, height=16, frames=12, has_audio=True, recipe=recipe)
    project.sequences = [
        Sequence(
            "s",
            fps=FrameRate(24),
            width=16,
            height=16,
            tracks=[Track("v1", TrackKind.VIDEO), Track("a1", TrackKind.AUDIO, clips=[Clip("a", "v", 0, 0, 12)])],
        )
    ]
    out = export_sequence(project, project.sequence, tmp_path / "voice.wav", settings=RenderSettings("wav"))
    verdict = verify(out)
    assert verdict.state == "trusted" and verdict.recipes == [as_marked(recipe)]


def test_an_mp4_take_is_signed_before_it_gets_its_name(tmp_path):
    shot = write_frames(
        tmp_path / "shot.mp4", np.full((3, 16, 16, 3), 50, np.uint8), 24, mark=provenance.mark_for_recipes([RECIPE])
    )
    verdict = verify(shot)
    assert verdict.state == "trusted" and verdict.recipes == [RECIPE.to_dict()]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shot.mp4"]


@pytest.mark.parametrize("name", ["shot.mp4", "shot.mkv"])
def test_a_take_that_cannot_be_marked_is_not_left(tmp_path, monkeypatch, name):
    def broken(*args, **kwargs):
        raise provenance.ProvenanceError("the key cannot be read")

    monkeypatch.setattr(provenance, "sign", broken)  # the manifest (MP4)
    monkeypatch.setattr(provenance, "ffmetadata", broken)  # the tags (every container)
    with pytest.raises(provenance.ProvenanceError, match=f"{name} could not be marked as AI-generated"):
        write_frames(
            tmp_path / name, np.full((3, 16, 16, 3), 50, np.uint8), 24, mark=provenance.mark_for_recipes([RECIPE])
        )
    assert list(tmp_path.iterdir()) == []


def test_marking_again_replaces_the_old_mark_and_keeps_the_other_tags(tmp_path):
    from studio.media import ffmpeg

    src = write_frames(tmp_path / "src.mkv", np.full((3, 16, 16, 3), 50, np.uint8), 24)
    shot = tmp_path / "shot.mkv"
    ffmpeg.run(
        ["-i", str(src), "-c", "copy", "-metadata", "title=the harbour", "-metadata", "comment=old words", str(shot)]
    )
    first = dataclasses.replace(RECIPE, seed=1)
    mark_file(shot, provenance.mark_for_recipes([first]))
    mark_file(shot, provenance.mark_for_recipes([RECIPE]))
    tags = read_tags(shot)
    assert tags["title"] == "the harbour"
    assert tags["comment"].startswith("AI-generated (studio): text_to_video by ltx-video-0.9.5, seed 7")
    assert strict_json(tags["description"])["recipes"] == [RECIPE.to_dict()]


def test_the_record_is_strict_json_and_utf8_whatever_the_recipe_holds():
    recipe = dataclasses.replace(RECIPE, prompt="half a pair \ud83c here", guidance=float("-inf"))
    mark = provenance.mark_for_recipes([recipe])
    record = strict_json(mark.record_json())["recipes"][0]
    assert record["prompt"] == "half a pair \ufffd here" and record["guidance"] == "-Infinity"
    assert float(record["guidance"]) == float("-inf")  # the strings are the ones float() reads
    provenance.ffmetadata(mark).encode("utf-8")  # the tags file can be written


def test_an_export_whose_tags_cannot_be_written_leaves_nothing(cut, tmp_path, monkeypatch):
    def broken(mark):
        raise provenance.ProvenanceError("the disk is full")

    monkeypatch.setattr(provenance, "ffmetadata", broken)
    with pytest.raises(ExportError, match="could not be marked as AI-generated, so it was not written.*disk is full"):
        export_sequence(cut, cut.sequence, tmp_path / "film.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["media"]
