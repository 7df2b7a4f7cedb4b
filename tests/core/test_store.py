from __future__ import annotations

import dataclasses
import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from studio.core import store
from studio.core.project import Clip, MediaItem, Project
from studio.core.recipe import Condition, Mode, Recipe
from studio.core.store import ProjectError
from studio.core.timebase import FrameRate


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under a folder with its bytes and modification time."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def filled(folder: Path) -> Project:
    project = store.create(folder / "Film")
    (project.folder / "media" / "take.mkv").write_bytes(b"frames")
    recipe = Recipe(
        Mode.IMAGE_TO_VIDEO,
        "ltx-tiny",
        "a lighthouse",
        seed=42,
        fps=30000 / 1001,
        conditions=[Condition("media/still.png", 0, "still")],
    )
    project.media["take"] = MediaItem(
        "take",
        "media/take.mkv",
        fps=FrameRate(30000, 1001),
        frames=97,
        width=768,
        height=512,
        recipe=recipe,
        name="Lighthouse",
    )
    project.sequence.fps = FrameRate(30000, 1001)
    project.sequence.tracks[0].clips.append(Clip("c", "take", 12, 3, 50))
    store.save(project)
    return project


def test_create_makes_the_folder_layout(tmp_path: Path) -> None:
    project = store.create(tmp_path / "Film")
    assert project.folder == (tmp_path / "Film.studio").absolute()
    assert project.name == "Film"
    for sub in ("media", "cache", "autosave"):
        assert (project.folder / sub).is_dir()
    with pytest.raises(ProjectError, match="already exists"):
        store.create(tmp_path / "Film.studio")


def test_save_load_round_trip(tmp_path: Path) -> None:
    project = filled(tmp_path)
    loaded = store.load(tmp_path / "Film")
    assert store.to_json(loaded) == store.to_json(project)
    assert loaded.folder == project.folder
    assert loaded.media["take"].recipe.conditions[0].media_id == "still"
    assert loaded.sequence.fps == FrameRate(30000, 1001)
    assert not loaded.is_offline(loaded.media["take"])
    assert store.load(project.folder / "project.json").name == "Film"


@pytest.mark.parametrize("failing", ["os.replace", "os.fsync"])
def test_interrupted_save_keeps_the_previous_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    project = filled(tmp_path)
    before = (project.folder / "project.json").read_bytes()
    project.sequence.tracks[0].clips.clear()

    def crash(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(failing, crash)
    with pytest.raises((OSError, ProjectError), match="No space left"):
        store.save(project)
    monkeypatch.undo()
    assert (project.folder / "project.json").read_bytes() == before
    assert [p.name for p in project.folder.iterdir() if p.is_file()] == ["project.json"]
    assert store.load(project.folder).sequence.tracks[0].clips[0].id == "c"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"{ not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"[1, 2]", "not a studio project"),
        (b'{"name": "x"}', "no schema version"),
        (b'{"schema": "one"}', "invalid schema version"),
        (b'{"schema": 0}', "invalid schema version"),
        (b'{"schema": 99, "name": "from the future"}', "newer studio"),
        (b'{"schema": 1, "media": [{"path": "x"}]}', "damaged"),
        (b'{"schema": 1, "sequences": [{"id": "s", "fps": "0/1"}]}', "damaged"),
        (b'{"schema": 1, "sequences": ["not a sequence"]}', "damaged"),
        (b'{"schema": 1, "media": 5}', "damaged"),
    ],
)
def test_bad_files_are_refused_and_left_alone(tmp_path: Path, content: bytes, reason: str) -> None:
    project = filled(tmp_path)
    (project.folder / "project.json").write_bytes(content)
    before = snapshot(project.folder)
    with pytest.raises(ProjectError, match=reason):
        store.load(project.folder)
    assert snapshot(project.folder) == before


def test_no_project_here(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="no project at"):
        store.load(tmp_path / "Nothing")
    assert list(tmp_path.iterdir()) == []


def test_missing_media_opens_offline(tmp_path: Path) -> None:
    project = filled(tmp_path)
    (project.folder / "media" / "take.mkv").unlink()
    loaded = store.load(project.folder)
    assert loaded.is_offline(loaded.media["take"])
    assert loaded.sequence.tracks[0].clips[0].media_id == "take"


def test_save_as_takes_the_media_along(tmp_path: Path) -> None:
    project = filled(tmp_path)
    outside = tmp_path / "elsewhere.png"
    outside.write_bytes(b"png")
    project.media["ext"] = MediaItem("ext", str(outside))
    store.save(project, tmp_path / "Copy")
    copy = tmp_path / "Copy.studio"
    assert project.folder == copy.absolute() and project.name == "Copy"
    assert (copy / "media" / "take.mkv").read_bytes() == b"frames"
    assert project.media["take"].path == "media/take.mkv"
    assert project.media["ext"].path == str(outside)
    loaded = store.load(copy)
    assert not loaded.is_offline(loaded.media["take"]) and not loaded.is_offline(loaded.media["ext"])
    assert (tmp_path / "Film.studio" / "media" / "take.mkv").exists()  # the original is untouched


def test_save_as_takes_the_sequences_references_along_as_it_takes_media(tmp_path: Path) -> None:
    project = filled(tmp_path)
    (project.folder / "refs").mkdir()
    (project.folder / "refs" / "fox.png").write_bytes(b"fox")
    outside = tmp_path / "forest.png"
    outside.write_bytes(b"forest")
    evil = tmp_path / ".config" / "evil.png"  # ../ out of the project: read there, never written next to the copy
    evil.parent.mkdir()
    evil.write_bytes(b"x")
    project.sequence.references = ["refs/fox.png", str(outside), "../.config/evil.png"]
    store.save(project, tmp_path / "elsewhere" / "Copy")
    copy = tmp_path / "elsewhere" / "Copy.studio"
    assert (copy / "refs" / "fox.png").read_bytes() == b"fox"
    assert project.sequence.references == ["refs/fox.png", str(outside), str(evil)]
    assert store.load(copy).sequence.references == project.sequence.references
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == ["Copy.studio"]


def test_relative_paths(tmp_path: Path) -> None:
    project = filled(tmp_path)
    assert project.relative_path(project.folder / "media" / "x.mkv") == "media/x.mkv"
    assert project.relative_path(tmp_path / "x.mkv") == str((tmp_path / "x.mkv").absolute())
    assert project.media_path(project.media["take"]) == project.folder / "media" / "take.mkv"


def test_unsaved_project_cannot_save_without_a_folder() -> None:
    with pytest.raises(ProjectError, match="no folder yet"):
        store.save(Project.new())


def test_saved_file_is_versioned_json(tmp_path: Path) -> None:
    project = filled(tmp_path)
    data = json.loads((project.folder / "project.json").read_text())
    assert data["schema"] == store.SCHEMA_VERSION
    assert data["media"][0]["fps"] == "30000/1001"
    assert os.path.isabs(data["media"][0]["path"]) is False


# Writes stay inside the project folder; a media path may lead anywhere only for reading.


def test_save_as_never_copies_to_a_media_path_that_leaves_the_project(tmp_path: Path) -> None:
    project = filled(tmp_path)
    evil = tmp_path / ".config" / "autostart" / "evil.desktop"  # ../ of the project folder
    evil.parent.mkdir(parents=True)
    evil.write_bytes(b"[Desktop Entry]")
    project.media["evil"] = MediaItem("evil", "../.config/autostart/evil.desktop")
    store.save(project, tmp_path / "elsewhere" / "Copy")
    assert not (tmp_path / "elsewhere" / ".config").exists()
    assert sorted(p.name for p in (tmp_path / "elsewhere").iterdir()) == ["Copy.studio"]
    assert project.media["evil"].path == str(evil)  # still read from where it is
    assert project.media["take"].path == "media/take.mkv"


def test_save_as_never_copies_through_a_symlinked_folder(tmp_path: Path) -> None:
    project = filled(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    target = tmp_path / "Copy.studio"
    target.mkdir()
    (target / "media").symlink_to(outside, target_is_directory=True)
    before = (project.folder, project.name, project.media["take"].path)
    with pytest.raises(ProjectError, match="leads outside the project folder"):
        store.save(project, target)
    assert list(outside.iterdir()) == []
    assert (project.folder, project.name, project.media["take"].path) == before


def test_purge_never_offers_files_outside_the_project(tmp_path: Path) -> None:
    project = filled(tmp_path)
    outside = tmp_path / "footage"
    outside.mkdir()
    (outside / "precious.mov").write_bytes(b"mine")
    (project.folder / "media" / "link.mov").symlink_to(outside / "precious.mov")
    (project.folder / "media" / "unused.mkv").write_bytes(b"old take")
    assert store.unused_media_files(project) == [project.folder / "media" / "unused.mkv"]

    shutil.rmtree(project.folder / "media")
    (project.folder / "media").symlink_to(outside, target_is_directory=True)  # media/ itself leads out
    assert store.unused_media_files(project) == []


# A failed save changes nothing: not the files, not where the project points.


@pytest.mark.parametrize("failing", ["shutil.copy2", "os.replace"])
def test_a_failed_save_as_leaves_the_project_where_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    project = filled(tmp_path)
    original = project.folder

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(failing, crash)
    with pytest.raises(ProjectError, match=f"No space left on device; the project is still saved at {original}"):
        store.save(project, tmp_path / "Copy")
    monkeypatch.undo()
    assert project.folder == original and project.name == "Film"
    assert project.media["take"].path == "media/take.mkv"
    store.save(project)  # the next Save goes to the original
    assert not (tmp_path / "Copy.studio").exists()  # nothing half-made is left, on a full disk least of all


def test_a_save_as_cut_short_by_a_full_disk_takes_back_what_it_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = filled(tmp_path)
    (project.folder / "media" / "second.mkv").write_bytes(b"x" * 1000)
    project.media["second"] = dataclasses.replace(project.media["take"], id="second", path="media/second.mkv")
    copy = shutil.copyfile

    def half_then_full(source, destination, *args, **kwargs):
        if Path(source).name == "second.mkv":  # the second file runs out of room half-way
            Path(destination).write_bytes(b"x" * 500)
            raise OSError(28, "No space left on device")
        return copy(source, destination, *args, **kwargs)

    monkeypatch.setattr(shutil, "copyfile", half_then_full)
    (tmp_path / "Existing.studio").mkdir()  # a folder that was there stays; only what the save made goes
    (tmp_path / "Existing.studio" / "notes.txt").write_text("mine")
    for target in (tmp_path / "new" / "deeper" / "Copy.studio", tmp_path / "Existing.studio"):
        with pytest.raises(ProjectError, match="No space left on device"):
            store.save(project, target)
    assert not (tmp_path / "new").exists()
    with pytest.raises(ProjectError, match="still saved at .*Film.studio. Free some space there, or save elsewhere$"):
        store.save(project, tmp_path / "Third.studio")
    assert sorted(p.name for p in (tmp_path / "Existing.studio").rglob("*")) == ["notes.txt"]
    assert project.folder == tmp_path / "Film.studio"


# Saves keep the file's mode.


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o664])
def test_a_save_keeps_the_mode_of_project_json(tmp_path: Path, mode: int) -> None:
    project = filled(tmp_path)
    (project.folder / "project.json").chmod(mode)
    store.save(project)
    assert stat.S_IMODE((project.folder / "project.json").stat().st_mode) == mode


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_new_project_json_gets_the_umask_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        project = store.create(tmp_path / "Film")
    finally:
        os.umask(old)
    assert stat.S_IMODE((project.folder / "project.json").stat().st_mode) == 0o644


def test_a_project_whose_media_folder_is_a_link_still_saves(tmp_path: Path) -> None:
    project = filled(tmp_path)
    disk = tmp_path / "big-disk"
    (project.folder / "media").rename(disk)
    (project.folder / "media").symlink_to(disk, target_is_directory=True)
    project.name = "Renamed"
    store.save(project)
    assert store.load(project.folder).media["take"].path == "media/take.mkv"
    assert store.unused_media_files(project) == []  # but nothing there is purged


def test_saving_a_project_whose_folder_is_gone_says_so_and_makes_no_skeleton(tmp_path: Path) -> None:
    project = filled(tmp_path)
    folder = project.folder
    folder.rename(tmp_path / "Moved.studio")  # moved away while the project is open
    with pytest.raises(
        ProjectError, match=r"the project folder .*Film.studio is gone \(moved or deleted while open\?\)"
    ):
        store.save(project)
    assert not folder.exists()
    assert store.save(project, tmp_path / "Elsewhere") == tmp_path / "Elsewhere.studio"  # Save As still works
