"""Where a finished take lands: every kind of landing, without Qt or a worker (core/landing.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.core.commands import AddClip, AddMedia, AddTake, SetActiveTake, SetSequenceFormat, UseTake
from studio.core.landing import (
    Continuation,
    Extension,
    NewShot,
    Remix,
    Replacement,
    Spot,
    free_start,
    land,
    landing_from_dict,
    landing_to_dict,
    spot_from_dict,
    spot_to_dict,
    take_item,
)
from studio.core.project import Clip, Project, Sequence, Track, TrackKind, conformed_length
from studio.core.recipe import Mode, Recipe
from studio.core.timebase import FrameRate
from studio.engine.jobs import JobDone


def take(project: Project, take_id: str, frames: int, fps: float = 24.0, sound: bool = False):
    recipe = Recipe(Mode.TEXT_TO_VIDEO, "tiny", f"the take {take_id}", frames=frames)
    seq = project.sequence
    project.folder = project.folder or Path("/films/t.studio")
    done = JobDone(
        "job", str(project.folder / "media" / f"{take_id}.mkv"), recipe, frames, seq.width, seq.height, fps, 1.0, sound
    )
    return take_item(take_id, project, done)


def push(project: Project, commands) -> None:
    for command in commands:
        command.apply(project)


def clip(project: Project, clip_id: str) -> Clip:
    return project.sequence.find_clip(clip_id)[1]


def test_a_new_shot_lands_at_its_placeholder_on_its_track(project):
    project.sequence.fps = FrameRate.parse(24)
    item = take(project, "t", 9)
    landed = land(NewShot("t", track_id="v2"), item, project, spot=Spot("v2", 20, 9, "x"), default_track="v1")
    assert [type(c) for c in landed.commands] == [AddMedia, AddClip]
    push(project, landed.commands)
    new = clip(project, landed.select)
    assert (new.media_id, new.start, new.duration) == ("t", 20, 9)
    assert landed.show == ("v2", 20, 29) and landed.text == "Generate shot"
    assert landed.message == f"Shot ready: 9 frames at {item.width}×{item.height}"
    assert project.sequence.find_clip(new.id)[0].id == "v2"


def test_a_new_shot_whose_place_was_filled_lands_after_everything_on_the_track_and_on_its_way(project):
    item = take(project, "t", 9)
    others = [Spot("v1", 40, 10, "another shot"), Spot("v2", 100, 10, "elsewhere")]
    landed = land(NewShot("t"), item, project, spot=Spot("v1", 5, 9, "x"), spots=others, default_track="v1")
    push(project, landed.commands)
    assert clip(project, landed.select).start == 50  # after b (ends at 30) and the other shot (ends at 50)


def test_without_a_placeholder_it_lands_at_the_playhead_and_on_the_default_track_when_its_own_is_gone(project):
    landed = land(
        NewShot("t", track_id="deleted"), take(project, "t", 9), project, spot=None, playhead=60, default_track="v2"
    )
    push(project, landed.commands)
    track, new = project.sequence.find_clip(landed.select)
    assert (track.id, new.start) == ("v2", 60)


def test_the_first_shot_of_an_empty_sequence_sets_its_format_and_a_take_with_sound_brings_it():
    project = Project(name="empty")
    project.sequences = [Sequence("seq", tracks=[Track("v", TrackKind.VIDEO, "V1"), Track("a", TrackKind.AUDIO, "A1")])]
    item = take(project, "t", 9, fps=30.0, sound=True)
    item.width, item.height = 320, 192
    landed = land(NewShot("t"), item, project, spot=Spot("v", 0, 9, "x"), default_track="v")
    assert [type(c) for c in landed.commands] == [AddMedia, SetSequenceFormat, AddClip, AddClip]
    push(project, landed.commands)
    seq = project.sequence
    assert (seq.width, seq.height, seq.fps) == (320, 192, FrameRate.parse(30))
    assert [len(t.clips) for t in seq.tracks] == [1, 1]


def test_a_take_of_another_rate_lasts_its_time_in_the_sequences_frames(project):
    project.sequence.fps = FrameRate.parse(24)
    landed = land(
        NewShot("t"), take(project, "t", 24, fps=12.0), project, spot=Spot("v1", 40, 24, "x"), default_track="v1"
    )
    push(project, landed.commands)
    assert clip(project, landed.select).duration == conformed_length(24, FrameRate.parse(12), FrameRate.parse(24)) > 24


def test_variations_make_one_clip_and_the_later_takes_join_it_without_showing(project):
    first = land(
        NewShot("t1", group="g"), take(project, "t1", 9), project, spot=Spot("v1", 40, 9, "x"), default_track="v1"
    )
    push(project, first.commands)
    group, clip_id = first.group_clip
    assert group == "g"
    second = land(
        NewShot("t2", group="g"),
        take(project, "t2", 9),
        project,
        spot=None,
        default_track="v1",
        groups={group: clip_id},
    )
    assert [type(c) for c in second.commands] == [AddMedia, AddTake]
    push(project, second.commands)
    assert clip(project, clip_id).takes == ["t1", "t2"] and clip(project, clip_id).media_id == "t1"
    assert second.text == "Add variation" and second.message == "New take of the shot ready (2 takes)"
    assert second.takes_changed


def test_a_remix_is_shown_when_its_clip_still_shows_the_take_it_came_from(project):
    landed = land(Remix("r", "a", from_media="m"), take(project, "r", 10), project, spot=None, default_track="v1")
    assert [type(c) for c in landed.commands] == [AddMedia, AddTake, SetActiveTake]
    assert [type(c) for c in landed.fallback] == [AddMedia, AddTake]  # another length: only among the takes
    push(project, landed.commands)
    assert clip(project, "a").media_id == "r" and landed.text == "Remix take"


def test_a_remix_of_a_clip_that_switched_takes_meanwhile_only_joins_its_takes(project):
    landed = land(Remix("r", "a", from_media="another"), take(project, "r", 10), project, spot=None, default_track="v1")
    assert [type(c) for c in landed.commands] == [AddMedia, AddTake]


@pytest.mark.parametrize(
    "landing", [Remix("r", "gone", "m"), Extension("r", "gone", "right", 4, 30), Replacement("r", "gone", 0, 30)]
)
def test_a_take_whose_clip_was_deleted_stays_in_the_bin(project, landing):
    landed = land(landing, take(project, "r", 10), project, spot=None, default_track="v1")
    assert [type(c) for c in landed.commands] == [AddMedia]


def test_an_extension_forward_keeps_the_clips_frames_and_reaches_as_far_as_it_was_dragged(project):
    project.sequence.track("v2").clips.append(Clip("x", "m", 40, 0, 30))  # the whole 30-frame take
    # dragged 12 frames past the media's end; the model made 17 new frames (its frame rule)
    landed = land(Extension("e", "x", "right", 12, 30), take(project, "e", 47), project, spot=None, default_track="v1")
    assert [type(c) for c in landed.commands] == [AddMedia, UseTake]
    push(project, landed.commands)
    extended = clip(project, "x")
    assert (extended.media_id, extended.start, extended.source_in, extended.source_out) == ("e", 40, 0, 42)
    assert landed.message == "Extended by 12 frames"


def test_a_long_extension_cut_short_reaches_as_far_as_its_take_goes(project):
    project.sequence.track("v2").clips.append(Clip("x", "m", 40, 0, 30))
    # dragged 100 frames past the media's end; cancelled after its first window, the take has 40 new frames
    landed = land(Extension("e", "x", "right", 100, 30), take(project, "e", 70), project, spot=None, default_track="v1")
    push(project, landed.commands)
    assert (clip(project, "x").source_out, landed.message) == (70, "Extended by 40 frames")


def test_an_extension_backward_moves_the_clips_frames_into_the_take_by_what_was_made(project):
    project.sequence.track("v2").clips.append(Clip("x", "m", 40, 0, 30))
    landed = land(Extension("e", "x", "left", 12, 30), take(project, "e", 47), project, spot=None, default_track="v1")
    push(project, landed.commands)
    extended = clip(project, "x")
    # 17 new frames come first in the take: the old frame 0 is now frame 17; 12 of the new ones show
    assert (extended.start, extended.source_in, extended.source_out) == (28, 5, 47)
    assert extended.end == 70  # the clip's other edge stayed where it was


def test_an_extension_backward_of_a_trimmed_clip_counts_from_where_its_media_starts(project):
    project.sequence.track("v2").clips.append(Clip("x", "m", 40, 4, 20))  # frames 4..20 shown at 40
    landed = land(Extension("e", "x", "left", 6, 30), take(project, "e", 39), project, spot=None, default_track="v1")
    push(project, landed.commands)
    extended = clip(project, "x")
    # the media started at 36; dragged 6 past it: starts at 30, showing 3 of the 9 new frames first
    assert (extended.start, extended.source_in, extended.source_out) == (30, 3, 29)


def test_a_replacement_the_clip_shows_all_of_the_new_take(project):
    project.sequence.track("v2").clips.append(Clip("x", "m", 40, 5, 25))
    landed = land(Replacement("l", "x", 16, 30), take(project, "l", 36), project, spot=None, default_track="v1")
    push(project, landed.commands)
    looped = clip(project, "x")
    assert (looped.media_id, looped.start, looped.source_in, looped.source_out) == ("l", 40, 0, 36)
    assert landed.fallback_message.startswith("The extended take is in the bin")
    assert (landed.text, landed.message) == ("Loop clip", "Looped: 16 frames lead back into its start")


def test_a_restyle_says_when_it_remade_less_than_the_clip_showed(project):
    project.sequence.track("v2").clips.append(Clip("x", "m", 40, 0, 30))
    landed = land(Replacement("r", "x", 0, 30), take(project, "r", 25), project, spot=None, default_track="v1")
    assert (landed.text, landed.message) == ("Restyle clip", "Restyled: 25 of its 30 frames")
    whole = land(Replacement("r", "x", 0, 30), take(project, "r", 30), project, spot=None, default_track="v1")
    assert whole.message == "Restyled"


def test_a_continuation_starts_one_frame_in_right_after_the_clip(project):
    landed = land(
        Continuation("c", "v1", 30), take(project, "c", 9), project, spot=Spot("v1", 30, 8, "x"), default_track="v2"
    )
    push(project, landed.commands)
    track, new = project.sequence.find_clip(landed.select)
    assert (track.id, new.start, new.source_in, new.source_out, new.duration) == ("v1", 30, 1, 9, 8)
    assert landed.message == "Continuation ready: 8 new frames" and landed.show == ("v1", 30, 38)


def test_a_continuation_whose_place_was_taken_goes_after_the_track(project):
    landed = land(Continuation("c", "v1", 5), take(project, "c", 9), project, spot=None, default_track="v2")
    push(project, landed.commands)
    assert clip(project, landed.select).start == 30


def test_free_start_minds_clips_and_shots_on_their_way(project):
    v1 = project.sequence.track("v1")
    assert free_start(v1, 10, 10, []) == 10
    assert free_start(v1, 10, 11, []) == 30
    assert free_start(v1, 40, 5, [Spot("v1", 42, 5, "x")]) == 47
    assert free_start(v1, 40, 5, [Spot("v2", 42, 5, "x")]) == 40


@pytest.mark.parametrize(
    "landing",
    [
        NewShot("t"),
        NewShot("t", track_id="v1", group="g"),
        Remix("t", "a", "m"),
        Extension("t", "a", "left", 5, 30),
        Extension("t", "a", "right", 5, 30),
        Replacement("t", "a", 8, 30),
        Continuation("t", "v1", 30),
    ],
)
def test_every_landing_is_kept_in_jobs_json_as_earlier_studios_wrote_it(landing):
    saved = landing_to_dict(landing)
    assert set(saved) == {"take_id", "extension", "track_id", "clip_id", "from_media", "group", "start"}
    assert landing_from_dict(saved) == landing


def test_landings_written_by_earlier_studios_read_back():
    written = {
        "take_id": "t",
        "extension": {"clip_id": "a", "edge": "whole", "frames": 0, "old_frames": 9},
        "track_id": None,
        "clip_id": None,
        "from_media": None,
        "group": None,
        "start": None,
    }
    assert landing_from_dict(written) == Replacement("t", "a", 0, 9)
    assert landing_from_dict({"take_id": "t"}) == NewShot("t")


@pytest.mark.parametrize(
    "landing",
    [{"take_id": "t", "layer": 3}, {"track_id": "v1"}, {"take_id": "t", "extension": {"clip_id": "a", "edge": "left"}}],
)
def test_a_landing_of_another_version_is_refused_with_type_error(landing):
    with pytest.raises(TypeError):
        landing_from_dict(landing)


def test_a_placeholder_is_kept_as_its_four_facts():
    spot = Spot("v1", 3, 9, "rain")
    assert spot_from_dict(spot_to_dict(spot)) == spot and spot_to_dict(None) is None
    with pytest.raises(TypeError):
        spot_from_dict({"track_id": "v1", "start": 3, "frames": 9, "label": "x", "depth": 2})


def test_a_prompt_typed_over_several_lines_names_its_take_on_one_line():
    """A prompt with line breaks (Return in the prompt box) is the recipe's as typed, and one line as the
    take's name in the media bin and on the clip."""
    project = Project.new("Lines")
    project.folder = Path("/films/lines.studio")
    recipe = Recipe(Mode.TEXT_TO_VIDEO, "demo", "a red circle moves left\n  on a blue\tbackground\n", frames=25)
    done = JobDone("job", "/films/lines.studio/media/a.mkv", recipe, 25, 128, 128, 24.0, 1.0, False)
    item = take_item("a", project, done)
    assert item.name == "a red circle moves left on a blue background"
    assert item.recipe.prompt == recipe.prompt
