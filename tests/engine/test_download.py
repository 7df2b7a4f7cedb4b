"""Downloading a model: the plan (which files, the bytes still missing), the disk-space refusal, skipping
and resuming, and the messages when the Hub cannot be reached. The Hub is a fake object serving the
tiny model's real files, so what is tested is our code, with no network."""

from __future__ import annotations

import dataclasses
import json
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


class HubServer:
    """A local HTTP server speaking the few Hub endpoints huggingface_hub uses here (the repo tree, and
    HEAD/GET of /resolve/ with Range), so a download runs through the real library with no network.
    The next `drops` GETs of the file named `broken` send half the bytes and then drop the connection."""

    COMMIT = "0123456789abcdef0123456789abcdef01234567"

    def __init__(self, files: dict[str, bytes]) -> None:
        import http.server
        import threading

        self.files = files
        self.broken: str | None = None
        self.drops = 0
        self.ranges: list[tuple[str, str | None]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output quiet
                pass

            def do_GET(self):
                self.answer(body=True)

            def do_HEAD(self):
                self.answer(body=False)

            def answer(self, body: bool):
                from urllib.parse import unquote, urlsplit

                path = unquote(urlsplit(self.path).path)
                if path == "/api/models/studio/tiny-ltx/tree/main":
                    data = json.dumps(
                        [{"type": "file", "oid": "0", "size": len(v), "path": k} for k, v in server.files.items()]
                    ).encode()
                    return self.send(200, data, {"Content-Type": "application/json"}, body)
                prefix = "/studio/tiny-ltx/resolve/main/"
                name = path.removeprefix(prefix)
                if not path.startswith(prefix) or name not in server.files:
                    return self.send(404, b"not found", {"X-Error-Code": "EntryNotFound"}, body)
                data = server.files[name]
                headers = {"X-Repo-Commit": server.COMMIT, "ETag": f'"{hash(data) & 0xFFFFFFFF:x}"'}
                start = 0
                if body:
                    server.ranges.append((name, self.headers.get("Range")))
                    if self.headers.get("Range"):
                        start = int(self.headers["Range"].removeprefix("bytes=").split("-")[0])
                if not body or not start:
                    status = 200
                else:
                    status = 206
                    headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
                if body and server.broken == name and server.drops > 0:
                    server.drops -= 1
                    half = data[start : start + (len(data) - start) // 2]
                    self.send_response(status)
                    for key, value in headers.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data) - start))
                    self.end_headers()
                    self.wfile.write(half)
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)  # the connection drops mid-file
                    return
                self.send(status, data[start:], headers, body)

            def send(self, status, data, headers, body):
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if body:
                    self.wfile.write(data)

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_a_real_download_through_huggingface_hub_resumes_and_continues(card, tiny_ltx, tmp_path, monkeypatch):
    """Within a run the library resumes a dropped file from where it broke; a run that gave up is
    continued by the next, which fetches only the files not yet complete."""
    import huggingface_hub
    from huggingface_hub import HfApi

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)  # our own server only
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_DISABLE_XET", True, raising=False)
    # The library writes a partial file in 10 MB chunks; the tiny model's files are smaller than one.
    monkeypatch.setattr(huggingface_hub.constants, "DOWNLOAD_CHUNK_SIZE", 4096)
    files = FakeHub(tiny_ltx).files
    weights_file = "transformer/diffusion_pytorch_model.safetensors"
    server = HubServer(files)
    try:
        api = HfApi(endpoint=server.url, token=False)
        plan = plan_download(card, tmp_path, api)
        assert weights_file in {f.path for f in plan.missing}
        server.broken, server.drops = weights_file, 1000  # the connection keeps dropping: the run gives up
        with pytest.raises(DownloadError, match="was interrupted .*; run the command again to resume"):
            dl.download(plan, api)
        got_before = {name for name, _ in server.ranges}

        server.drops = 1  # next run: it drops once more, then holds
        server.ranges.clear()
        again = plan_download(card, tmp_path, api)
        assert {f.path for f in again.present} >= got_before - {weights_file}
        dl.download(again, api)
        check_folder(plan.folder)
        assert (plan.folder / weights_file).read_bytes() == files[weights_file]
        fetched = [name for name, _ in server.ranges]
        assert not set(fetched) & {f.path for f in again.present}  # complete files are not fetched again
        tries = [r for name, r in server.ranges if name == weights_file]
        assert tries[0] is None and tries[1] is not None and tries[1].startswith("bytes=")  # resumed, not restarted
    finally:
        server.close()
