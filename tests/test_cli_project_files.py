"""`studio render` of a damaged project: one line that says what is wrong where, exit 2, nothing written."""

from __future__ import annotations

import json

import pytest

from studio import cli
from studio.core import store
from studio.core.project import Clip, MediaItem

BAD = [
    ('"fps": "24", "width"', '"fps": Infinity, "width"', "sequences[0].fps: must be a positive finite frame rate"),
    ('"recipe": null', '"recipe": "a string"', 'media[0].recipe: must be an object, got "a string"'),
    (
        '"frames": 48',
        '"frames": ' + "7" * 5000,
        "media[0].frames: must be a whole number from 0 to 2147483647, got a 5000-digit number",
    ),
    ('"path": "media/take.mkv"', '"path": null', "media[0].path: must be non-empty text, got null"),
    ('"path": "media/take.mkv"', '"path": 12', "media[0].path: must be non-empty text, got 12"),
]


@pytest.mark.parametrize(("good", "bad", "reason"), BAD, ids=[b[:14] for _, b, _ in BAD])
def test_render_refuses_a_damaged_project_in_one_line(tmp_path, capsys, good: str, bad: str, reason: str) -> None:
    project = store.create(tmp_path / "Film")
    project.media["take"] = MediaItem("take", "media/take.mkv", frames=48)
    project.sequence.tracks[0].clips.append(Clip("c", "take", 0, 0, 24))
    store.save(project)
    file = project.folder / "project.json"
    text = json.dumps(store.to_json(project))
    assert good in text
    file.write_text(text.replace(good, bad, 1))

    code = cli.main(["render", str(project.folder), "-o", str(tmp_path / "out.mp4")])
    err = capsys.readouterr().err
    assert code == cli.EXIT_BAD_REQUEST
    assert err.count("\n") == 1 and f"{file}: {reason}" in err and "internal error" not in err
    assert not (tmp_path / "out.mp4").exists()
