"""A new project lives in a scratch folder of the temporary folder until Save As. One left with nothing
in it (a new project never used) is removed when another project replaces it or the studio closes;
one holding anything else (a take, a cache, an autosave) is never touched."""

from __future__ import annotations

from studio.core import store
from studio.core.project import Project
from studio.ui.document import Document


def test_an_unused_scratch_project_leaves_no_folder_behind(qapp, tmp_path):
    document = Document()
    first = document.folder.parent
    assert (document.folder / "project.json").exists()
    document.new()
    assert not first.exists() and document.folder.parent.exists()
    second = document.folder.parent
    saved = store.save(Project.new("Kept"), tmp_path / "Kept.studio")
    document.open(saved)
    assert not second.exists() and saved.exists()
    document.forget_scratch()  # a saved project is the user's: never removed
    assert saved.exists()


def test_a_scratch_project_with_anything_in_it_stays(qapp):
    document = Document()
    scratch = document.folder.parent
    (document.media_dir).mkdir(exist_ok=True)
    (document.media_dir / "take.mkv").write_bytes(b"a take")
    document.new()
    assert (scratch / "Untitled.studio" / "media" / "take.mkv").read_bytes() == b"a take"
    document.forget_scratch()
    assert not document.folder.parent.exists()
