"""Downloading a model: the plan (which files, the bytes still missing), the disk-space refusal, skipping
and resuming, and the messages when the Hub cannot be reached. The Hub is a fake object serving the
tiny model's real files, so what is tested is our code, with no network."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from types import SimpleNamespace

import httpx2
import pytest

from studio.engine import download as dl
from studio.engine.cards import folder_card
from studio.engine.download import DownloadError, check_disk_space, plan_download
from studio.engine.weights import check_folder

JUNK = {
    "ltx-video-2b-v0.9.5.safetensors": b"a single-file checkpoint the diffusers folders duplicate",
    "transformer/diffusion_pytorch_model.bin": b"pickled weights",
    "transformer/diffusion_pytorch_model.fp16.safetensors": b"a half-precision variant",
    "pipeline.py": b"import os",
    "README.md": b"# tiny",
    ".gitattributes": b"*.safetensors filter=lfs",
    "media/sample.mp4": b"not a component",
}


class FakeHub:
    """The two HfApi calls the downloader makes, over the files of a local folder (plus junk)."""

    def __init__(self, source: Path, fail_after: int | None = None) -> None:
        self.files = {p.relative_to(source).as_posix(): p.read_bytes() for p in source.rglob("*") if p.is_file()}
        self.files.pop("studio-card.toml", None)
        self.files.update(JUNK)
        self.fail_after = fail_after
        self.fetched: list[str] = []

    def list_repo_tree(self, repo, recursive=False, revision=None):
        assert (repo, recursive, revision) == ("studio/tiny-ltx", True, "main")
        folders = {path.rpartition("/")[0] for path in self.files if "/" in path}
        yield from (SimpleNamespace(path=f, tree_id="x") for f in sorted(folders))
        yield from (SimpleNamespace(path=p, size=len(data)) for p, data in self.files.items())

    def hf_hub_download(self, repo, filename, revision=None, local_dir=None):
        if self.fail_after is not None and len(self.fetched) >= self.fail_after:
            raise OSError("connection reset by peer")
        self.fetched.append(filename)
        target = Path(local_dir) / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(self.files[filename])
        return str(target)


@pytest.fixture
def card(tiny_ltx):
    return dataclasses.replace(folder_card(tiny_ltx), id="tiny-download", repo="studio/tiny-ltx")


def weights(plan) -> set[str]:
    return {f.path for f in plan.files}


def test_the_plan_takes_only_configs_tokenizers_and_safetensors_of_the_components(card, tiny_ltx, tmp_path):
    hub = FakeHub(tiny_ltx)
    plan = plan_download(card, tmp_path, hub)
    expected = {p.relative_to(tiny_ltx).as_posix() for p in tiny_ltx.rglob("*") if p.is_file()} - {"studio-card.toml"}
    assert weights(plan) == expected
    assert not weights(plan) & set(JUNK)
    assert plan.total_bytes == sum(len(hub.files[p]) for p in expected)
    assert plan.folder == tmp_path / "tiny-download"
    assert [f.path for f in plan.present] == ["model_index.json"]  # fetched to read the components
    assert plan.missing_bytes == plan.total_bytes - len(hub.files["model_index.json"])


def test_a_variant_is_taken_only_where_there_are_no_plain_weights():
    tree = [
        dl.RemoteFile("model_index.json", 1),
        dl.RemoteFile("vae/config.json", 1),
        dl.RemoteFile("vae/diffusion_pytorch_model.fp16.safetensors", 5),
        dl.RemoteFile("text_encoder/config.json", 1),
        dl.RemoteFile("text_encoder/model.safetensors", 9),
        dl.RemoteFile("text_encoder/model.fp16.safetensors", 5),
        dl.RemoteFile("text_encoder/flax_model.msgpack", 9),
    ]
    index = {"_class_name": "X", "vae": ["diffusers", "A"], "text_encoder": ["transformers", "T"]}
    assert [f.path for f in dl.select_files(tree, index)] == [
        "model_index.json",
        "text_encoder/config.json",
        "text_encoder/model.safetensors",
        "vae/config.json",
        "vae/diffusion_pytorch_model.fp16.safetensors",
    ]


def test_a_download_fetches_what_is_missing_reports_progress_and_checks_the_folder(card, tiny_ltx, tmp_path):
    hub = FakeHub(tiny_ltx)
    plan = plan_download(card, tmp_path, hub)
    seen = []
    folder = dl.download(plan, hub, progress=lambda done, total, rate: seen.append((done, total, rate)))
    assert folder == tmp_path / "tiny-download"
    check_folder(folder)
    assert sorted(hub.fetched) == sorted(["model_index.json", *(f.path for f in plan.missing)])
    assert seen[-1][:2] == (plan.total_bytes, plan.total_bytes) and seen[-1][2] > 0


def test_files_already_complete_are_skipped_and_an_interrupted_download_continues(card, tiny_ltx, tmp_path):
    folder = tmp_path / "tiny-download"
    shutil.copytree(tiny_ltx / "vae", folder / "vae")
    (folder / "scheduler").mkdir()
    (folder / "scheduler" / "scheduler_config.json").write_text("{}")  # the wrong size: fetched again

    hub = FakeHub(tiny_ltx, fail_after=3)  # the index, then two files, then the connection drops
    plan = plan_download(card, tmp_path, hub)
    assert {f.path for f in plan.present} >= {p.relative_to(folder).as_posix() for p in (folder / "vae").iterdir()}
    assert "scheduler/scheduler_config.json" not in {f.path for f in plan.present}
    with pytest.raises(DownloadError, match="downloading studio/tiny-ltx failed: connection reset by peer; run"):
        dl.download(plan, hub)

    hub.fail_after = None
    again = plan_download(card, tmp_path, hub)
    assert len(again.present) == len(plan.present) + 2
    hub.fetched.clear()
    dl.download(again, hub)
    assert not set(hub.fetched) & {f.path for f in again.present}
    check_folder(folder)


def test_a_disk_without_room_is_refused_before_anything_is_fetched(card, tiny_ltx, tmp_path, monkeypatch):
    hub = FakeHub(tiny_ltx)
    plan = plan_download(card, tmp_path, hub)
    hub.fetched.clear()
    monkeypatch.setattr(dl.shutil, "disk_usage", lambda path: SimpleNamespace(free=plan.missing_bytes))
    with pytest.raises(DownloadError, match=r"not enough disk space in .*: studio/tiny-ltx needs 0\.0 GB more"):
        dl.download(plan, hub)
    assert hub.fetched == []
    with pytest.raises(DownloadError, match="choose another folder with --dir"):
        check_disk_space(plan)


def test_offline_and_unknown_repos_are_one_clear_line(card, tmp_path):
    class Offline:
        def list_repo_tree(self, *args, **kwargs):
            raise httpx2.ConnectError("[Errno -3] Temporary failure in name resolution")

    offline = r"cannot reach Hugging Face to download studio/tiny-ltx: are you offline\?"
    with pytest.raises(DownloadError, match=offline):
        plan_download(card, tmp_path, Offline())
    with pytest.raises(DownloadError, match="names no Hugging Face repo"):
        plan_download(dataclasses.replace(card, repo=None), tmp_path, Offline())
