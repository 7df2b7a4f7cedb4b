"""Model weights on disk: where a model's diffusers folder is, whether it is whole, and which
revision it is. No torch here, so the editor can check a folder before it asks the worker to
load it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

MODEL_INDEX = "model_index.json"
CARD_FILE = "studio-card.toml"  # a folder's own card, e.g. the one `studio models tiny` writes

# Components that are plain config, not weights: what each needs to be whole.
_CONFIG_FILES = {
    "scheduler": ("scheduler_config.json",),
    "tokenizer": ("tokenizer.json", "spiece.model", "tokenizer_config.json"),
    "image_processor": ("preprocessor_config.json",),  # Wan 2.1 I2V's CLIP image processor
    # HunyuanVideo 1.5: its ByT5 glyph tokenizer (no vocabulary file: bytes), its guidance settings,
    # and the image pipeline's SigLIP image processor.
    "tokenizer_2": ("tokenizer.json", "spiece.model", "tokenizer_config.json"),
    "guider": ("guider_config.json",),
    "feature_extractor": ("preprocessor_config.json",),
}


class ModelFolderError(Exception):
    """A model folder that cannot be used, saying what is missing and where."""


def models_root() -> Path:
    """The studio's own models/ folder: the cards, and downloaded weights in models/<id>/."""
    return Path(__file__).resolve().parents[2] / "models"


def search_dirs(models_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Folders that may hold weights as <dir>/<card id>/: a user-chosen models folder (else $STUDIO_MODELS)
    first, then the studio's models/, then those in $STUDIO_MODELS_PATH."""
    if models_dir is None:
        models_dir = os.environ.get("STUDIO_MODELS") or None
    dirs = [Path(models_dir).expanduser()] if models_dir is not None else []
    dirs.append(models_root())
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


def check_folder(folder: str | os.PathLike[str]) -> dict[str, Any]:
    """Raise ModelFolderError naming the first missing piece; return model_index.json's content.

    A folder is whole when every component it lists has its folder, its config, and (for models)
    safetensors weights. Pickled .bin weights do not count: the studio never unpickles weights.
    """
    folder = Path(folder)
    index = read_model_index(folder)
    for name in components(index):
        sub = folder / name
        if not sub.is_dir():
            raise ModelFolderError(f"the model in {folder} is incomplete: the '{name}' folder is missing")
        needed = _CONFIG_FILES.get(name)
        if needed is not None:
            if not any((sub / f).is_file() for f in needed):
                raise ModelFolderError(
                    f"the model in {folder} is incomplete: {name}/ has none of {', '.join(needed)}"
                )
            continue
        if not (sub / "config.json").is_file():
            raise ModelFolderError(f"the model in {folder} is incomplete: {name}/config.json is missing")
        _check_weights(folder, name)
    return index


def _check_weights(folder: Path, name: str) -> None:
    sub = folder / name
    for index_file in sub.glob("*.safetensors.index.json"):
        try:
            shards = set(json.loads(index_file.read_text(encoding="utf-8"))["weight_map"].values())
        except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ModelFolderError(f"{index_file} is damaged ({exc}); download the model again") from exc
        missing = sorted(s for s in shards if not (sub / s).is_file())
        if missing:
            raise ModelFolderError(f"the model in {folder} is incomplete: {name}/{missing[0]} is missing")
        return
    if not any(sub.glob("*.safetensors")):
        raise ModelFolderError(
            f"the model in {folder} is incomplete: {name}/ has no .safetensors weights"
            + (" (only pickled .bin files, which the studio does not load)" if any(sub.glob("*.bin")) else "")
        )


def find_in_hf_cache(repo: str, revision: str | None = None) -> Path | None:
    """The snapshot folder of a repo already in the Hugging Face cache, without touching the network."""
    from huggingface_hub import try_to_load_from_cache  # imported here: only needed for this look-up

    found = try_to_load_from_cache(repo, MODEL_INDEX, revision=revision)
    return Path(found).parent if isinstance(found, str) else None


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


# Prompt expansion's text model (engine/expand.py): a transformers causal LM with a chat template.
DEFAULT_EXPANDER_REPO = "Qwen/Qwen2.5-0.5B-Instruct"


class ExpanderError(RuntimeError):
    """No prompt expander, or one that cannot run; the message says what to do."""


def find_expander(explicit: str | os.PathLike[str] | None = None,
                  models_dir: str | os.PathLike[str] | None = None) -> Path | None:
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
