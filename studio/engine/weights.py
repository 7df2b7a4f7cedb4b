"""Model weights on disk: where a model's diffusers folder is, whether it is whole, and which
revision it is. No torch here, so the editor can check a folder before it asks the worker to
load it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..core.errors import StudioError
from ..core.settings import data_dir

MODEL_INDEX = "model_index.json"
CARD_FILE = "studio-card.toml"  # a folder's own card, e.g. the one `studio models tiny` writes

# Components that are plain config, not weights, known by their class: what each kind must hold.
_SCHEDULER_FILES = ("scheduler_config.json",)
_GUIDER_FILES = ("guider_config.json",)  # diffusers' guiders (HunyuanVideo 1.5's ClassifierFreeGuidance)
_IMAGE_PROCESSOR_FILES = ("preprocessor_config.json",)  # CLIP / SigLIP image processors, feature extractors
_PROCESSOR_FILES = ("processor_config.json", "preprocessor_config.json")  # a multimodal processor (LTX-2's)

# The vocabulary a tokenizer class loads when there is no tokenizer.json (which alone is enough).
_VOCABULARY = {
    "T5Tokenizer": ("spiece.model",),
    "MT5Tokenizer": ("spiece.model",),
    "LlamaTokenizer": ("tokenizer.model",),
    "GemmaTokenizer": ("tokenizer.model",),
    "Qwen2Tokenizer": ("vocab.json", "merges.txt"),
    "GPT2Tokenizer": ("vocab.json", "merges.txt"),
    "CLIPTokenizer": ("vocab.json", "merges.txt"),
    "BertTokenizer": ("vocab.txt",),
    "ByT5Tokenizer": (),  # bytes: no vocabulary file
}
# Where a tokenizer's chat template may be: transformers 4.4x wrote it into tokenizer_config.json,
# later ones write chat_template.jinja (processors: chat_template.json) and nothing else.
_CHAT_TEMPLATE_FILES = ("chat_template.jinja", "chat_template.json")
# Tokenizers a pipeline formats prompts with through apply_chat_template, by pipeline class.
_NEEDS_CHAT_TEMPLATE = {
    "HunyuanVideo15Pipeline": ("tokenizer",),
    "HunyuanVideo15ImageToVideoPipeline": ("tokenizer",),
}

# Hugging Face organisations that were renamed; the Hub redirects the old name, but a cache keeps
# whichever name the files were fetched by.
ORG_ALIASES = {"thudm": "zai-org", "zai-org": "THUDM"}


class ModelFolderError(StudioError):
    """A model folder that cannot be used, saying what is missing and where."""


def bundled_models() -> Path:
    """What ships inside the studio package (studio/models/, package data): the model cards and the demo
    model's weights. Read-only: nothing is ever downloaded into it."""
    return Path(str(files("studio") / "models"))


def models_root() -> Path:
    """Where downloaded weights go (models/<card id>/) unless a models folder is chosen: models/ beside
    the studio package in a checkout; for an installed studio, models/ in the user's data folder."""
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "models").is_dir():
        return checkout / "models"
    return data_dir() / "models"


def search_dirs(models_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Folders that may hold weights as <dir>/<card id>/: a user-chosen models folder (else $STUDIO_MODELS)
    first, then the studio's models/ (downloads), the studio's own (the demo model), then those in
    $STUDIO_MODELS_PATH."""
    if models_dir is None:
        models_dir = os.environ.get("STUDIO_MODELS") or None
    dirs = [Path(models_dir).expanduser()] if models_dir is not None else []
    dirs += [models_root(), bundled_models()]
    dirs += [Path(p).expanduser() for p in os.environ.get("STUDIO_MODELS_PATH", "").split(os.pathsep) if p]
    return dirs


def read_model_index(folder: str | os.PathLike[str]) -> dict[str, Any]:
    folder = Path(folder)
    index = folder / MODEL_INDEX
    if not index.is_file():
        raise ModelFolderError(f"{folder} is not a diffusers model folder: it has no {MODEL_INDEX}")
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFolderError(f"{index} is damaged ({exc}); download the model again") from exc
    if not isinstance(data, dict) or "_class_name" not in data:
        raise ModelFolderError(f"{index} names no pipeline class (_class_name); download the model again")
    return data


def components(index: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """The pipeline's components from model_index.json: name -> (library, class)."""
    return {
        name: (value[0], value[1])
        for name, value in index.items()
        if not name.startswith("_") and isinstance(value, list) and len(value) == 2 and value[0] and value[1]
    }


def component_kind(library: str, class_name: str) -> str:
    """What a model_index.json component is, by its class: "scheduler", "guider", "tokenizer",
    "image_processor", "processor" (plain config, no weights) or "model" (a config and weights)."""
    if "Tokenizer" in class_name:
        return "tokenizer"
    if class_name.endswith(("ImageProcessor", "ImageProcessorFast", "ImageProcessorPil", "FeatureExtractor")):
        return "image_processor"
    if class_name.endswith("Processor"):
        return "processor"
    if library == "diffusers" and class_name.endswith("Scheduler"):
        return "scheduler"
    if library == "diffusers" and class_name.endswith("Guidance"):
        return "guider"
    return "model"


def incomplete(folder: Path, what: str) -> ModelFolderError:
    """A model folder that lacks `what`, and what to do about it."""
    return ModelFolderError(
        f"the model in {folder} is incomplete: {what}; download the model again, or copy what is missing into it"
    )


def check_folder(folder: str | os.PathLike[str], own_parts: Iterable[str] = ()) -> dict[str, Any]:
    """Raise ModelFolderError naming the first missing piece; return model_index.json's content.
    own_parts: folders a card loads beside the listed components (Card.own_parts), each a model.

    A folder is whole when every component it lists has its folder and what its kind needs: a
    scheduler, guider or processor its config; a tokenizer the files it loads from (and the chat
    template, where the pipeline formats prompts with one); a model its config.json and
    safetensors weights. Pickled .bin weights do not count: the studio never unpickles weights.
    Cheap and torch-free: it reads a few JSON files.
    """
    folder = Path(folder)
    index = read_model_index(folder)
    chat_templates = _NEEDS_CHAT_TEMPLATE.get(index["_class_name"], ())
    for name, (library, class_name) in components(index).items():
        sub = folder / name
        if not sub.is_dir():
            raise incomplete(folder, f"the '{name}' folder is missing")
        kind = component_kind(library, class_name)
        if kind == "tokenizer":
            _check_tokenizer(folder, name, class_name, chat_template=name in chat_templates)
        elif kind == "processor":
            _check_config(folder, name, _PROCESSOR_FILES)
            if (sub / "tokenizer_config.json").is_file() or (sub / "tokenizer.json").is_file():
                _check_tokenizer(folder, name, "", chat_template=False)
        elif kind != "model":
            needed = {"scheduler": _SCHEDULER_FILES, "guider": _GUIDER_FILES}.get(kind, _IMAGE_PROCESSOR_FILES)
            _check_config(folder, name, needed)
        else:
            _check_config(folder, name, ("config.json",))
            _check_weights(folder, name)
    for name in own_parts:
        if not (folder / name).is_dir():
            raise incomplete(folder, f"the '{name}' folder is missing")
        _check_config(folder, name, ("config.json",))
        _check_weights(folder, name)
    return index


def _check_config(folder: Path, name: str, needed: tuple[str, ...]) -> dict[str, Any]:
    """The first of the config files that is there, read; a missing or damaged one is an error."""
    for file in needed:
        if (folder / name / file).is_file():
            return _read_config(folder / name / file)
    raise incomplete(folder, f"{name}/{needed[0]} is missing")


def _read_config(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFolderError(f"{path} is damaged ({exc}); download the model again") from exc
    if not isinstance(data, dict):
        raise ModelFolderError(f"{path} is damaged (not a JSON object); download the model again")
    return data


def _check_tokenizer_json(path: Path) -> None:
    stat = path.stat()
    problem = _tokenizer_json_problem(str(path), stat.st_mtime_ns, stat.st_size)
    if problem:
        raise ModelFolderError(f"{path} is damaged ({problem}); download the model again")


@functools.lru_cache(maxsize=256)
def _tokenizer_json_problem(path: str, mtime_ns: int, size: int) -> str:
    """What is wrong with a tokenizer.json, or "": parsed once per version of the file (Gemma's is
    33 MB), and only the verdict kept."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return str(exc)
    return "" if isinstance(data, dict) and isinstance(data.get("model"), dict) else "it holds no tokenizer model"


def _check_tokenizer(folder: Path, name: str, class_name: str, chat_template: bool) -> None:
    """A tokenizer is whole when transformers can build it from what is there: a tokenizer.json that
    parses, or else its class's vocabulary files (a sentencepiece .model, vocab.json + merges.txt…);
    and, where the pipeline asks for one, its chat template."""
    sub = folder / name
    config = _read_config(sub / "tokenizer_config.json") if (sub / "tokenizer_config.json").is_file() else None
    if (sub / "tokenizer.json").is_file():
        _check_tokenizer_json(sub / "tokenizer.json")
    else:
        tokenizer_class = str(class_name or (config or {}).get("tokenizer_class") or "").removesuffix("Fast")
        vocabulary = _VOCABULARY.get(tokenizer_class)
        if vocabulary is None and config is None:
            raise incomplete(folder, f"{name}/tokenizer.json is missing")
        if vocabulary and not all((sub / f).is_file() for f in vocabulary):
            raise incomplete(folder, f"{name}/ has neither tokenizer.json nor {' + '.join(vocabulary)}")
    if (
        chat_template
        and not (config or {}).get("chat_template")
        and not any((sub / f).is_file() for f in _CHAT_TEMPLATE_FILES)
    ):
        raise incomplete(folder, f"{name}/chat_template.jinja is missing")


def _check_weights(folder: Path, name: str) -> None:
    sub = folder / name
    for index_file in sub.glob("*.safetensors.index.json"):
        try:
            shards = set(json.loads(index_file.read_text(encoding="utf-8"))["weight_map"].values())
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ModelFolderError(f"{index_file} is damaged ({exc}); download the model again") from exc
        missing = sorted(s for s in shards if not (sub / s).is_file())
        if missing:
            raise incomplete(folder, f"{name}/{missing[0]} is missing")
        return
    if not any(sub.glob("*.safetensors")):
        raise incomplete(
            folder,
            f"{name}/ has no .safetensors weights"
            + (" (only pickled .bin files, which the studio does not load)" if any(sub.glob("*.bin")) else ""),
        )


def repo_names(repo: str) -> list[str]:
    """A repo id and the same repo under its organisation's other name (THUDM/x, zai-org/x)."""
    org, _, name = repo.partition("/")
    alias = ORG_ALIASES.get(org.lower())
    return [repo] + ([f"{alias}/{name}"] if alias and name else [])


def same_repo(a: str, b: str) -> bool:
    """Whether two repo ids name one repo: the Hub ignores case and redirects renamed organisations."""
    return b.lower() in (r.lower() for r in repo_names(a))


def find_in_hf_cache(repo: str, revision: str | None = None) -> Path | None:
    """The snapshot folder of a repo already in the Hugging Face cache, without touching the network.

    The cache names a repo's folder as it was spelled when it was fetched (models--Org--Name), so the
    repo is looked for in any casing and under its organisation's other name."""
    from huggingface_hub import constants, try_to_load_from_cache  # imported here: only for this look-up

    cache = Path(constants.HF_HUB_CACHE)
    wanted = {"models--" + r.replace("/", "--").lower() for r in repo_names(repo)}
    spellings = list(repo_names(repo))
    try:
        entries = sorted(entry.name for entry in cache.iterdir()) if cache.is_dir() else []
    except OSError:
        entries = []
    spellings += [e.removeprefix("models--").replace("--", "/", 1) for e in entries if e.lower() in wanted]
    for spelling in dict.fromkeys(spellings):
        found = try_to_load_from_cache(spelling, MODEL_INDEX, cache_dir=cache, revision=revision)
        if isinstance(found, str):
            return Path(found).parent
    return None


_SNAPSHOT = re.compile(r"[0-9a-f]{40}")


def weights_revision(folder: str | os.PathLike[str]) -> str:
    """Which weights these are, recorded in every take's recipe.

    A Hugging Face cache snapshot is named by its commit. Any other folder gets a fingerprint of
    its configs and of each weight file's size, head and tail: cheap on a 30 GB model, stable
    across copies, and different when the weights are.
    """
    folder = Path(folder).resolve()
    if folder.parent.name == "snapshots" and _SNAPSHOT.fullmatch(folder.name):
        return folder.name
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.name != CARD_FILE):
        size = path.stat().st_size
        digest.update(f"{path.relative_to(folder).as_posix()}\0{size}\0".encode())
        with path.open("rb") as f:
            digest.update(f.read(1 << 20))
            if size > 1 << 20:
                f.seek(max(1 << 20, size - (1 << 20)))
                digest.update(f.read())
    return "local-" + digest.hexdigest()[:16]


# Prompt expansion's text model (engine/runtime/expand.py): a transformers causal LM with a chat template.
DEFAULT_EXPANDER_REPO = "Qwen/Qwen2.5-0.5B-Instruct"


class ExpanderError(StudioError, RuntimeError):
    """No prompt expander, or one that cannot run; the message says what to do."""


def find_expander(
    explicit: str | os.PathLike[str] | None = None, models_dir: str | os.PathLike[str] | None = None
) -> Path | None:
    """The expander folder: the one given, else $STUDIO_EXPANDER, else expander/ in a models folder
    (search_dirs), else the Hugging Face cache's copy of DEFAULT_EXPANDER_REPO; None if there is none."""
    if explicit:
        folder = Path(explicit).expanduser()
        if not (folder / "config.json").is_file():
            raise ExpanderError(f"{explicit} is not a text model folder (it has no config.json)")
        return folder
    candidates = [os.environ.get("STUDIO_EXPANDER")] + [d / "expander" for d in search_dirs(models_dir)]
    for candidate in candidates:
        if candidate and (Path(candidate).expanduser() / "config.json").is_file():
            return Path(candidate).expanduser()
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(DEFAULT_EXPANDER_REPO, "config.json")
    return Path(found).parent if isinstance(found, str) else None
