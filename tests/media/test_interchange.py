"""Timelines out and back in: OTIO (and .otioz with media), FCP 7 XML and CMX 3600 EDL round-trip a
sequence's cuts; recipes, takes and offline shots travel in the studio's metadata."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from studio.core import store
from studio.core.project import Clip, Marker, MediaItem, Project, Track, TrackKind
from studio.core.recipe import Mode, Recipe
from studio.core.timebase import FrameRate
from studio.media.audio import write_audio
from studio.media.interchange import InterchangeError, cache_dir, read_timeline, write_timeline
from studio.media.takes import write_frames


@pytest.fixture(autouse=True)
def own_cache(tmp_path_factory, monkeypatch):
    """Unpacked bundles go to a cache of the test's own, never the user's."""
    monkeypatch.setenv("STUDIO_CACHE", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def project(tmp_path) -> Project:
    """V1: shot (2 takes, the second in use) [4:20) at 0, plate [0:10) at 30; V2: plate [2:8) at 5;
    A1: music [0:40) at 0; a marker at 12; a shot whose media is gone at 50 on V1. 25 fps."""
    project = Project.new("Harbour")
    store.save(project, tmp_path / "Harbour.studio")
    media = project.folder / "media"
    for name, colour in (("take1", 40), ("take2", 80), ("plate", 160)):
        write_frames(media / f"{name}.mkv", np.full((30, 32, 48, 3), colour, np.uint8), 25)
    write_audio(media / "music.wav", np.zeros((2 * 48000, 2), np.float32))
    recipe = Recipe(
        Mode.TEXT_TO_VIDEO,
        "ltx-video-0.9.5",
        "a harbour at dawn",
        seed=3,
        frames=30,
        fps=25,
        window_prompts=["dawn", "the boats leave"],
    )  # lists in a recipe come back as lists
    project.media = {
        "take1": MediaItem(
            "take1", "media/take1.mkv", frames=30, width=48, height=32, fps=FrameRate(25), recipe=recipe, name="harbour"
        ),
        "take2": MediaItem(
            "take2",
            "media/take2.mkv",
            frames=30,
            width=48,
            height=32,
            fps=FrameRate(25),
            recipe=Recipe.from_dict({**recipe.to_dict(), "seed": 4}),
            name="harbour",
        ),
        "plate": MediaItem("plate", "media/plate.mkv", frames=30, width=48, height=32, fps=FrameRate(25), name="plate"),
        "music": MediaItem("music", "media/music.wav", kind="audio", frames=50, fps=FrameRate(25), name="music"),
        "gone": MediaItem(
            "gone",
            "media/gone.mkv",
            frames=20,
            width=48,
            height=32,
            fps=FrameRate(25),
            recipe=Recipe.from_dict({**recipe.to_dict(), "prompt": "a gull takes off"}),
            name="gull",
        ),
    }
    seq = project.sequence
    seq.fps, seq.width, seq.height = FrameRate(25), 48, 32
    v1, a1 = seq.tracks
    v1.clips = [
        Clip("c1", "take2", 0, 4, 20, takes=["take1", "take2"]),
        Clip("c2", "plate", 30, 0, 10),
        Clip("c3", "gone", 50, 0, 20),
    ]
    a1.clips = [Clip("c4", "music", 0, 0, 40)]
    seq.tracks.insert(1, Track("v2", TrackKind.VIDEO, "V2", [Clip("c5", "plate", 5, 2, 8)], locked=True))
    seq.markers = [Marker("m1", 12, "door slam")]
    return project


def cuts(project: Project) -> list[tuple[str, str, list[tuple[str, int, int, int]]]]:
    """Every track's kind, name and (media name, start, in, out) of its clips: the edit, without ids."""
    media = project.media
    return [
        (str(t.kind), t.name, [(media[c.media_id].name, c.start, c.source_in, c.source_out) for c in t.clips])
        for t in project.sequence.tracks
    ]


def test_otio_round_trips_the_cut_recipes_takes_markers_and_locks(project, tmp_path):
    project.sequence.style = "35 mm film, warm light"
    project.sequence.references = ["refs/fox.png", "/stills/forest.png"]
    out = write_timeline(project, tmp_path / "cut.otio")
    back = read_timeline(out)
    assert cuts(back) == cuts(project)
    assert back.sequence.style == "35 mm film, warm light"
    assert back.sequence.references == [str(project.folder / "refs" / "fox.png"), "/stills/forest.png"]
    assert (back.sequence.fps, back.sequence.width, back.sequence.height) == (FrameRate(25), 48, 32)
    assert [(m.frame, m.name) for m in back.sequence.markers] == [(12, "door slam")]
    assert [t.locked for t in back.sequence.tracks] == [False, True, False]
    shot = back.sequence.tracks[0].clips[0]
    assert len(shot.takes) == 2 and back.media[shot.media_id].recipe.seed == 4  # the take in use
    assert sorted(back.media[t].recipe.seed for t in shot.takes) == [3, 4]
    assert back.media[shot.media_id].recipe.window_prompts == ["dawn", "the boats leave"]
    assert type(back.media[shot.media_id].recipe.window_prompts) is list  # not OTIO's vector, gone with its file
    assert Path(back.media[shot.media_id].path) == (project.folder / "media" / "take2.mkv").absolute()
    gone = back.media[back.sequence.tracks[0].clips[2].media_id]  # offline: a missing reference
    assert back.is_offline(gone) and gone.recipe.prompt == "a gull takes off"
    data = json.loads(out.read_text())
    assert "MissingReference" in json.dumps(data)


def test_fcp_xml_round_trips_the_cut(project, tmp_path):
    (project.folder / "media" / "gone.mkv").touch()  # FCP XML needs a file behind every clip
    write_frames(project.folder / "media" / "gone.mkv", np.zeros((20, 32, 48, 3), np.uint8), 25)
    out = write_timeline(project, tmp_path / "cut.xml")
    assert out.read_text().lstrip().startswith("<?xml")
    back = read_timeline(out)
    video = [c for c in cuts(back) if c[0] == "video"]
    assert [clips for _, _, clips in video] == [clips for kind, _, clips in cuts(project) if kind == "video"]
    audio = [clips for kind, _, clips in cuts(back) if kind == "audio"]
    assert [("music", 0, 0, 40)] in audio
    shot = back.sequence.tracks[0].clips[0]  # the recipe and both takes come back from the clip comment
    assert back.media[shot.media_id].recipe.seed == 4
    assert sorted(back.media[t].recipe.seed for t in shot.takes) == [3, 4]


def test_an_edl_holds_the_top_video_track(project, tmp_path):
    project.sequence.tracks[1].clips.clear()  # V2 empty: V1 is the top track with clips
    out = write_timeline(project, tmp_path / "cut.edl")
    text = out.read_text()
    assert "TITLE:" in text and "00:00:01:05" in text  # the plate at frame 30 = 1 s 5 frames at 25 fps
    back = read_timeline(out, rate=25)
    (track,) = back.sequence.tracks
    assert [(c.start, c.source_in, c.source_out) for c in track.clips] == [(0, 4, 20), (30, 0, 10), (50, 0, 20)]
    assert back.media[track.clips[2].media_id].recipe.prompt == "a gull takes off"  # from the EDL comment


def test_otioz_carries_the_media_and_refuses_missing_media(project, tmp_path):
    with pytest.raises(InterchangeError, match="gull"):
        write_timeline(project, tmp_path / "cut.otioz")
    assert not list(tmp_path.glob("*.otioz")) and not list(tmp_path.glob(".*part*"))  # nothing half-written
    project.sequence.tracks[0].clips.pop()
    out = write_timeline(project, tmp_path / "cut.otioz")
    back = read_timeline(out)
    shot = back.sequence.tracks[0].clips[0]
    path = Path(back.media[shot.media_id].path)
    assert path.is_file() and cache_dir() / "otioz" in path.parents  # the bundled copy, not the original
    assert cuts(back)[0][2][:2] == cuts(project)[0][2][:2]


def test_an_otioz_is_unpacked_once_into_our_cache_not_beside_it(project, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_CACHE", str(tmp_path / "cache"))
    project.sequence.tracks[0].clips.pop()  # the shot without media
    bundles = tmp_path / "bundles"
    bundles.mkdir()
    out = write_timeline(project, bundles / "cut.otioz")
    first = read_timeline(out)
    media = {Path(m.path) for m in first.media.values()}
    unpacked_at = {p.stat().st_mtime_ns for p in media}
    for _ in range(3):  # every render of it reads it again
        again = read_timeline(out)
        assert {Path(m.path) for m in again.media.values()} == media
    assert [p.name for p in bundles.iterdir()] == ["cut.otioz"]  # nothing unpacked beside the user's file
    assert {p.stat().st_mtime_ns for p in media} == unpacked_at  # unpacked once, not again
    assert len(list((tmp_path / "cache" / "otioz").iterdir())) == 1
    os.utime(out, ns=(out.stat().st_atime_ns, out.stat().st_mtime_ns + 10**9))  # a newer version of the bundle
    read_timeline(out)
    assert len(list((tmp_path / "cache" / "otioz").iterdir())) == 1  # replaces the older copy


def test_bad_names_and_files_are_refused_clearly(project, tmp_path):
    with pytest.raises(InterchangeError, match="as .otio, .otioz, .xml, .edl"):
        write_timeline(project, tmp_path / "cut.aaf")
    with pytest.raises(InterchangeError, match="does not exist"):
        read_timeline(tmp_path / "nothing.otio")
    broken = tmp_path / "broken.otio"
    broken.write_text("{ not json")
    with pytest.raises(InterchangeError, match="cannot read broken.otio"):
        read_timeline(broken)


def _with_transitions(project: Project) -> Project:
    """c2 slipped and moved to touch c1 (the cut at 16); a 10-frame dissolve there, a dip between c2 and c3
    (moved to touch c2 at 26), and c1's fit, retime and fades set."""
    from studio.core.project import Transition, TransitionKind

    v1 = project.sequence.tracks[0]
    c1, c2, c3 = v1.clips
    c2.start, c3.start = 16, 26
    c2.source_in, c2.source_out = 5, 15
    c1.fit, c1.retime, c1.fade_in = "fill", "flow", 3
    v1.transitions = [
        Transition("x", TransitionKind.DISSOLVE, "c1", "c2", 10),
        Transition("y", TransitionKind.DIP, "c2", "c3", 5),
    ]
    return project


def test_otio_carries_transitions_and_each_clips_look(project, tmp_path):
    import opentimelineio as otio

    out = write_timeline(_with_transitions(project), tmp_path / "cut.otio")
    timeline = otio.adapters.read_from_file(str(out))  # held: its tracks die with it
    written = [item for item in timeline.tracks[0] if isinstance(item, otio.schema.Transition)]
    assert [(t.transition_type, t.in_offset.value, t.out_offset.value) for t in written] == [
        (otio.schema.TransitionTypes.SMPTE_Dissolve, 5, 5),
        (otio.schema.TransitionTypes.Custom, 2, 3),
    ]
    back = read_timeline(out)
    assert cuts(back) == cuts(project)
    v1 = back.sequence.tracks[0]
    c1, c2, c3 = v1.clips
    assert [(t.kind, t.left_id, t.right_id, t.frames) for t in v1.transitions] == [
        ("dissolve", c1.id, c2.id, 10),
        ("dip", c2.id, c3.id, 5),
    ]
    assert (c1.fit, c1.retime, c1.fade_in, c1.fade_out) == ("fill", "flow", 3, 0)


@pytest.mark.parametrize("suffix", [".xml", ".edl"])
def test_fcp_xml_and_edl_write_a_cut_with_transitions(project, tmp_path, suffix):
    del project.sequence.tracks[1]  # V2: an EDL holds the topmost video track
    out = write_timeline(_with_transitions(project), tmp_path / f"cut{suffix}")
    back = read_timeline(out, rate=25)
    v1 = back.sequence.tracks[0]
    assert [(c.start, c.source_in, c.source_out) for c in v1.clips] == [(0, 4, 20), (16, 5, 15), (26, 0, 20)]
    kinds = [(t.kind, t.frames) for t in v1.transitions]
    # FCP XML keeps both (the dip as a plain dissolve); an EDL none (see interchange._edl_ready).
    assert kinds == ([("dissolve", 10), ("dissolve", 5)] if suffix == ".xml" else [])
