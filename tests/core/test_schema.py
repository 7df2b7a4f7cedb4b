"""A damaged or hand-edited project.json is refused on load with one line that says what is wrong
where, and nothing on disk changes: the checks of core/schema.py, which every loader uses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.core import autosave, store
from studio.core.project import Clip, MediaItem
from studio.core.recipe import Mode, Recipe
from studio.core.store import ProjectError


def saved(tmp_path: Path) -> Path:
    project = store.create(tmp_path / "Film")
    project.media["take"] = MediaItem(
        "take", "media/take.mkv", frames=48, recipe=Recipe(Mode.TEXT_TO_VIDEO, "tiny", "a boat")
    )
    project.sequence.tracks[0].clips.append(Clip("c", "take", 0, 0, 24))
    store.save(project)
    return project.folder


def edited(folder: Path, change) -> bytes:
    """project.json with one change made to its data, as text the way a person or a bug might write it."""
    data = json.loads((folder / "project.json").read_text())
    change(data)
    text = json.dumps(data, indent=1).replace('"__INFINITY__"', "Infinity").replace('"__HUGE__"', "9" * 5000)
    (folder / "project.json").write_text(text)
    return (folder / "project.json").read_bytes()


def setter(path: str, value):
    def change(data):
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value

    return change


BAD = [
    (
        "sequences.0.fps",
        "__INFINITY__",
        "sequences[0].fps: must be a positive finite frame rate (0.01 to 1000), got Infinity",
    ),
    ("media.0.fps", "nonsense", 'media[0].fps: must be a positive finite frame rate (0.01 to 1000), got "nonsense"'),
    ("media.0.fps", "24/0", 'media[0].fps: must be a positive finite frame rate (0.01 to 1000), got "24/0"'),
    ("media.0.fps", "1e-300", 'media[0].fps: must be a positive finite frame rate (0.01 to 1000), got "1e-300"'),
    ("media.0.recipe.fps", "24", 'media[0].recipe.fps: must be a number from 0.01 to 1000, got "24"'),
    ("media.0.recipe", "a string", 'media[0].recipe: must be an object, got "a string"'),
    (
        "sequences.0.tracks.0.clips.0.start",
        "__HUGE__",
        "sequences[0].tracks[0].clips[0].start: must be a whole number from 0 to 2147483647, got a 5000-digit number",
    ),
    ("media.0.path", None, "media[0].path: must be non-empty text, got null"),
    ("media.0.path", 5, "media[0].path: must be non-empty text, got 5"),
    ("sequences.0.width", 0, "sequences[0].width: must be a whole number from 1 to 16384, got 0"),
    (
        "sequences.0.tracks.0.clips.0.source_out",
        0,
        "sequences[0].tracks[0].clips[0].source_out: must be a whole number from 1 to 2147483647, got 0",
    ),
    ("sequences.0.tracks.0.locked", "yes", 'sequences[0].tracks[0].locked: must be true or false, got "yes"'),
    ("media.0.recipe.seed", -1, "media[0].recipe.seed: must be a whole number from 0 to"),
    ("name", ["not", "a", "name"], "name: must be text, got a list"),
    ("sequences.0.style", 7, "sequences[0].style: must be text, got 7"),
    ("media.0.recipe.style", None, "media[0].recipe.style: must be text, got null"),
]


@pytest.mark.parametrize(("path", "value", "reason"), BAD, ids=[f"{p}={str(v)[:12]}" for p, v, _ in BAD])
def test_a_bad_value_is_refused_with_where_it_is(tmp_path: Path, path: str, value, reason: str) -> None:
    folder = saved(tmp_path)
    before = edited(folder, setter(path, value))
    with pytest.raises(ProjectError) as refused:
        store.load(folder)
    message = str(refused.value)
    assert message.startswith(f"{folder / 'project.json'}: {reason}"), message
    assert "\n" not in message and "restore the project from its autosave/ folder" in message
    assert (folder / "project.json").read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["autosave", "cache", "media", "project.json"]


def test_duplicate_ids_are_refused_naming_the_id(tmp_path: Path) -> None:
    folder = saved(tmp_path)
    edited(folder, lambda d: d["media"].append({**d["media"][0], "path": "media/other.mkv"}))
    with pytest.raises(ProjectError, match=r'media\[1\]\.id: the media id "take" is also used by media\[0\]'):
        store.load(folder)

    folder = saved(tmp_path / "clips")
    edited(
        folder, lambda d: d["sequences"][0]["tracks"][1]["clips"].append({**d["sequences"][0]["tracks"][0]["clips"][0]})
    )
    with pytest.raises(
        ProjectError,
        match=r'clips\[0\]\.id: the clip id "c" is also used by '
        r"sequences\[0\]\.tracks\[0\]\.clips\[0\]",
    ):
        store.load(folder)


def test_an_autosave_is_checked_the_same_way(tmp_path: Path) -> None:
    folder = saved(tmp_path)
    path = autosave.write_autosave(store.load(folder))
    data = json.loads(path.read_text())
    data["sequences"][0]["fps"] = "0"
    path.write_text(json.dumps(data))
    with pytest.raises(ProjectError, match=rf"{path.name}: sequences\[0\]\.fps: must be a positive finite"):
        autosave.load_autosave(path, folder)


def test_a_good_file_still_loads_with_its_defaults(tmp_path: Path) -> None:
    folder = saved(tmp_path)
    edited(folder, lambda d: [d["media"][0].pop(k) for k in ("width", "height", "fps", "kind", "name")])
    project = store.load(folder)
    assert project.media["take"].frames == 48 and project.sequence.tracks[0].clips[0].id == "c"
