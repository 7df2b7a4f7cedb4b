"""Downloading a card's model from Hugging Face into a models folder, as <dir>/<card id>/.

Only what the studio loads: model_index.json, and in the folders it names the configs, every file a
tokenizer or processor loads (vocabularies, chat templates) and safetensors weights. Never pickled
weights (.bin, .pt, .ckpt) and never code. The plan (which files, how many bytes are still missing)
is made before anything is written, and a disk without room for the missing bytes is refused. A
connection that drops is resumed by huggingface_hub from where it broke (a Range request, a few
times); a run that gives up or is stopped is continued by
the next, which skips every file already complete without a request. (huggingface_hub 2.x writes each
file to a temporary file of its own process, so the one file that broke starts again from its start.)

No torch here: the CLI and the model manager call it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Literal

from ..core.errors import StudioError
from .cards import Card
from .weights import MODEL_INDEX, ModelFolderError, check_folder, components, repo_names

# The files a diffusers folder needs besides its weights: configs; everything a tokenizer or processor
# loads: tokenizer.json, sentencepiece .model files, vocab.json / vocab.txt / merges.txt, tiktoken
# vocabularies, and the chat template (chat_template.jinja, which transformers 4.5x and later write
# instead of a key in tokenizer_config.json, and additional_chat_templates/*.jinja). Never pickles
# (.bin, .pt, .pth, .ckpt, .pkl) or code (.py): they are not on this list.
_KEEP_SUFFIXES = (".safetensors", ".json", ".txt", ".model", ".jinja", ".tiktoken")
_NESTED_KEPT = ("additional_chat_templates",)  # the one kind of sub-folder of a component we take
_VARIANT = re.compile(r"\.(fp16|bf16|fp32|fp8)\.safetensors(\.index\.json)?$")
DISK_MARGIN_BYTES = 1 << 30  # room left for the OS and the partial file's rename; 1 GiB or 5%, the larger


class DownloadError(StudioError):
    """A download that cannot start or finish, said for a person."""


@dataclass(frozen=True)
class RemoteFile:
    path: str  # in the repo, e.g. "transformer/diffusion_pytorch_model.safetensors"
    size: int


@dataclass(frozen=True)
class DownloadPlan:
    repo: str
    revision: str
    folder: Path  # where the model goes: <models dir>/<card id>
    files: tuple[RemoteFile, ...]  # every file the model needs
    present: tuple[RemoteFile, ...]  # those already complete in folder

    @property
    def missing(self) -> tuple[RemoteFile, ...]:
        return tuple(f for f in self.files if f not in self.present)

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    @property
    def missing_bytes(self) -> int:
        return sum(f.size for f in self.missing)


def default_api():
    from huggingface_hub import HfApi

    return HfApi()


def select_files(tree: list[RemoteFile], index: dict) -> list[RemoteFile]:
    """The files of a repo the studio loads: model_index.json and, in each component's folder, its
    configs, tokenizer files and safetensors weights, the plain (not fp16/bf16 variant) ones where both
    exist. Single-file checkpoints at the top of a repo and everything pickled or executable are left."""
    wanted = set(components(index))
    chosen = [f for f in tree if f.path == MODEL_INDEX]
    by_folder: dict[str, list[RemoteFile]] = {}
    for f in tree:
        folder, _, name = f.path.rpartition("/")
        component, _, nested = folder.partition("/")
        if (
            component in wanted
            and (not nested or (nested in _NESTED_KEPT and name.endswith(".jinja")))
            and name.endswith(_KEEP_SUFFIXES)
            and not name.startswith(".")
        ):
            by_folder.setdefault(component, []).append(f)
    for files in by_folder.values():
        plain = [f for f in files if not _VARIANT.search(f.path)]
        has_plain_weights = any(f.path.endswith(".safetensors") for f in plain)
        chosen += plain if has_plain_weights else files
    return sorted(chosen, key=lambda f: f.path)


def plan_download(card: Card, models_dir: str | os.PathLike[str], api=None) -> DownloadPlan:
    """What downloading the card's model into models_dir means: the files, and which are already there.

    Asks the Hub for the repo's file list and its model_index.json (a few kilobytes); writes nothing
    but that index."""
    if not card.repo:
        raise DownloadError(f"the card '{card.id}' names no Hugging Face repo to download from")
    api = api or default_api()
    revision = card.revision or "main"
    folder = Path(models_dir).expanduser() / card.id
    with _hub_errors(card.repo):
        repo, tree = _repo_tree(api, card.repo, revision)
        if not any(f.path == MODEL_INDEX for f in tree):
            raise DownloadError(f"{repo} is not a diffusers model: it has no {MODEL_INDEX}")
        folder.mkdir(parents=True, exist_ok=True)
        index_path = api.hf_hub_download(repo, MODEL_INDEX, revision=revision, local_dir=folder)
    try:
        index = json.loads(Path(index_path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DownloadError(f"{repo}'s {MODEL_INDEX} cannot be read: {exc}") from exc
    files = tuple(sorted(select_files(tree, index) + two_pass_files(card, tree), key=lambda f: f.path))
    present = tuple(f for f in files if _complete(folder / f.path, f.size))
    return DownloadPlan(repo, revision, folder, files, present)


def two_pass_files(card: Card, tree: list[RemoteFile]) -> list[RemoteFile]:
    """The files a two-pass card needs from its own repo that model_index.json does not name: its upsampler
    folder (configs and safetensors, LTX-2's latent_upsampler/) and its refine's LoRA, one safetensors file
    at the top of the repo, asked for by name. A repo without them cannot make the card's shots."""
    multiscale = card.multiscale
    if "upsampler_subfolder" not in multiscale:
        return []
    prefix, lora = multiscale["upsampler_subfolder"] + "/", multiscale["lora"]
    folder = [
        f
        for f in tree
        if f.path.startswith(prefix)
        and "/" not in f.path[len(prefix) :]
        and f.path.endswith((".json", ".safetensors"))
        and not _VARIANT.search(f.path)
    ]
    if not any(f.path.endswith(".safetensors") for f in folder):
        raise DownloadError(f"{card.repo} has no safetensors weights in {prefix}: {card.id} needs them")
    named = [f for f in tree if f.path == lora]
    if not named:
        raise DownloadError(f"{card.repo} has no {lora}: {card.id}'s two passes need it")
    return folder + named


def _repo_tree(api, repo: str, revision: str) -> tuple[str, list[RemoteFile]]:
    """The repo's files, from the card's repo id or, where the Hub no longer knows it, the same repo
    under its organisation's other name (THUDM, zai-org); with the id that answered."""
    from huggingface_hub.errors import RepositoryNotFoundError

    *first, last = repo_names(repo)
    for name in first:
        try:
            return name, _files(api, name, revision)
        except RepositoryNotFoundError:
            continue
    return last, _files(api, last, revision)


def _files(api, repo: str, revision: str) -> list[RemoteFile]:
    return [
        RemoteFile(entry.path, int(entry.size))
        for entry in api.list_repo_tree(repo, recursive=True, revision=revision)
        if getattr(entry, "size", None) is not None  # files have a size, folders do not
    ]


def _complete(path: Path, size: int) -> bool:
    return path.is_file() and path.stat().st_size == size


def check_disk_space(plan: DownloadPlan) -> None:
    """Refuse, before a byte is fetched, a download the disk has no room for."""
    where = plan.folder
    while not where.exists():
        where = where.parent
    free = shutil.disk_usage(where).free
    needed = plan.missing_bytes + max(DISK_MARGIN_BYTES, plan.missing_bytes // 20)
    if free < needed:
        raise DownloadError(
            f"not enough disk space in {where}: {plan.repo} needs {_gb(plan.missing_bytes)} more "
            f"(and {_gb(needed - plan.missing_bytes)} to spare), {_gb(free)} is free; free some space "
            "or choose another folder with --dir"
        )


def download(
    plan: DownloadPlan,
    api=None,
    progress: Callable[[int, int, float], None] | None = None,
    poll_seconds: float = 0.5,
) -> Path:
    """Fetch the plan's missing files, calling progress(done bytes, total bytes, bytes per second)
    while they come, then check the folder is a whole model; return it."""
    check_disk_space(plan)
    api = api or default_api()
    done_before = plan.total_bytes - plan.missing_bytes
    on_disk_before = _bytes_under(plan.folder)
    start = time.monotonic()
    stop = threading.Event()

    def report() -> None:
        fetched = max(0, _bytes_under(plan.folder) - on_disk_before)  # partial files count as they grow
        rate = fetched / max(time.monotonic() - start, 1e-6)
        assert progress is not None  # report runs only with a progress callback
        progress(min(done_before + fetched, plan.total_bytes), plan.total_bytes, rate)

    def watch() -> None:
        while not stop.wait(poll_seconds):
            report()

    watcher = threading.Thread(target=watch, name="download-progress", daemon=True) if progress else None
    if watcher:
        watcher.start()
    try:
        with _hub_errors(plan.repo, started=True):
            for f in plan.missing:
                api.hf_hub_download(plan.repo, f.path, revision=plan.revision, local_dir=plan.folder)
    finally:
        stop.set()
        if watcher:
            watcher.join()
    if progress:
        report()
    try:
        check_folder(plan.folder)
    except ModelFolderError as exc:
        raise DownloadError(f"the download finished but the model is not whole: {exc}") from exc
    return plan.folder


def _bytes_under(folder: Path) -> int:
    total = 0
    for path in folder.rglob("*") if folder.is_dir() else []:
        try:
            if path.is_file():
                total += path.stat().st_size
        except OSError:  # a partial file renamed while we looked
            pass
    return total


def _gb(size: int) -> str:
    return f"{size / 2**30:.1f} GB"


class _hub_errors:
    """Turns huggingface_hub's and the network's errors into one DownloadError line."""

    def __init__(self, repo: str, started: bool = False) -> None:
        self.repo = repo
        self.started = started  # files are coming: a network error interrupts rather than prevents

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:  # never swallows: returns False or raises DownloadError
        if exc is None or isinstance(exc, DownloadError | KeyboardInterrupt):
            return False
        from huggingface_hub import errors

        if isinstance(exc, errors.OfflineModeIsEnabled):
            message = "HF_HUB_OFFLINE is set, so nothing can be downloaded; unset it and try again"
        elif isinstance(exc, errors.GatedRepoError):
            message = (
                f"{self.repo} is gated: accept its licence on huggingface.co and log in (hf auth login), then try again"
            )
        elif isinstance(exc, errors.RepositoryNotFoundError):
            message = f"{self.repo} was not found on Hugging Face (or it is private: log in with hf auth login)"
        elif isinstance(exc, errors.RevisionNotFoundError):
            message = f"{self.repo} has no revision named in the card: {exc}"
        elif self.started and _is_network_error(exc):
            message = (
                f"the download of {self.repo} was interrupted ({_first_line(exc)}); run the command again to resume"
            )
        elif isinstance(exc, errors.LocalEntryNotFoundError) or _is_network_error(exc):
            message = f"cannot reach Hugging Face to download {self.repo}: are you offline? ({_first_line(exc)})"
        elif isinstance(exc, errors.HfHubHTTPError | OSError):
            message = f"downloading {self.repo} failed: {_first_line(exc)}; run the command again to resume"
        else:
            return False
        raise DownloadError(message) from exc


def _is_network_error(exc: BaseException) -> bool:
    """A failure to reach the server, whichever HTTP client this huggingface_hub uses (httpx2 in 2.x)."""
    import importlib

    kinds: list[type] = [ConnectionError, TimeoutError]
    for name in ("httpx2", "httpx", "requests"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        kinds.append(getattr(module, "TransportError", None) or module.exceptions.ConnectionError)
    return isinstance(exc, tuple(kinds))


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
