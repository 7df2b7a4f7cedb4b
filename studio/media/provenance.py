"""Provenance: every file the studio writes with generated material in it says so, in machine-readable form.

Three marks, the same facts in each:

- a C2PA manifest (MP4, MOV, WAV; c2pa-python), signed: a c2pa.created action whose digital source type
  is trainedAlgorithmicMedia, the recipe of each generated shot in an "org.studio.recipe" assertion,
  and the media it was made from as ingredients where c2pa can read them;
- the container's metadata tags: `comment` "AI-generated (studio): …" and `description`, the record as
  compact JSON, so a tool that knows nothing of C2PA still sees it. They reach ffmpeg in a metadata
  file (`-f ffmetadata -i FILE -map_metadata N`), never on its command line, so a recipe of any
  length fits (Linux refuses one argument over 128 KB);
- for files the user receives in containers C2PA cannot carry (Matroska, a PNG sequence), a sidecar
  NAME.recipe.json. Takes inside a project carry their tags (and a manifest when MP4) without one.

The mark itself (what a file says) is in provenance_mark.py, the C2PA keys and signing in
provenance_signing.py; this module writes the tags and sidecars, marks finished files and reads it all
back (`verify`). Every name stays importable from here.

A take is marked as it is written (takes.write_frames(mark=...)): tags and manifest go on before it
gets its name, so no generated take is ever on disk unmarked, and one that cannot be marked is not
kept. A long shot's take so far says it is partial: its recipe holds "partial" (frames and windows
made, of how many).

No Qt, no torch: the CLI, the export and the editor's export dialog all come through here.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import ffmpeg
from .provenance_mark import (
    COMMENT_PREFIX,
    DIGITAL_SOURCE_TYPE,
    GENERATOR,
    RECIPE_LABEL,
    Mark,
    ProvenanceError,
    _json_safe,
    mark_for_recipes,
    mark_for_sequence,
    mark_for_take,
    recipe_sources,
)
from .provenance_signing import (
    SIGNABLE,
    SigningKeys,
    _context,
    can_sign,
    existing_keys,
    keys_folder,
    manifest_definition,
    sign,
    signing_keys,
)

__all__ = [
    "COMMENT_PREFIX",
    "DIGITAL_SOURCE_TYPE",
    "GENERATOR",
    "RECIPE_LABEL",
    "SIGNABLE",
    "Mark",
    "ProvenanceError",
    "SigningKeys",
    "Verdict",
    "can_sign",
    "existing_keys",
    "ffmetadata",
    "finish",
    "keys_folder",
    "manifest_definition",
    "mark_file",
    "mark_for_recipes",
    "mark_for_sequence",
    "mark_for_take",
    "metadata_input",
    "png_text",
    "read_tags",
    "recipe_sources",
    "save_png",
    "sidecar_path",
    "sign",
    "signing_keys",
    "verify",
    "write_sidecar",
]


# -- the tags, the sidecar, a PNG's text ------------------------------------------------------------


def ffmetadata(mark: Mark) -> str:
    """The mark's tags as an FFMETADATA1 file: `comment`, the summary, and `description`, the record."""
    return f";FFMETADATA1\ncomment={_escape(mark.summary())}\ndescription={_escape(mark.record_json())}\n"


def _escape(value: str) -> str:
    """A value as ffmetadata files write it: '=', ';', '#', the backslash and a newline escaped by a
    backslash. A NUL cannot be written at all: the summary has none, and JSON escapes it."""
    if "\x00" in value:
        raise ProvenanceError("a metadata tag cannot hold a NUL character")
    return re.sub(r"([=;#\\\n])", r"\\\1", value)


@contextmanager
def metadata_input(mark: Mark | None, index: int) -> Iterator[tuple[list[str], list[str]]]:
    """ffmpeg options that write the mark into a file's tags, as (input options, output options): give
    the input options as input number `index` (after the others) and the output options before the
    output's name. Empty for no mark. The tags travel in a temporary metadata file, removed after."""
    if mark is None:
        yield [], []
        return
    fd, name = tempfile.mkstemp(prefix="studio-tags-", suffix=".txt")
    try:
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
                f.write(ffmetadata(mark))
        except (OSError, UnicodeError) as exc:
            raise ProvenanceError(f"cannot write the AI-generated tags to {name}: {exc}") from exc
        yield ["-f", "ffmetadata", "-i", name], ["-map_metadata", str(index)]
    finally:
        Path(name).unlink(missing_ok=True)


def sidecar_path(path: str | os.PathLike[str]) -> Path:
    """NAME.recipe.json beside a file NAME.EXT; inside a PNG sequence's folder NAME/, NAME/NAME.recipe.json."""
    path = Path(path)
    if path.is_dir():
        return path / f"{path.name}.recipe.json"
    return path.with_name(f"{path.stem}.recipe.json")


def write_sidecar(path: str | os.PathLike[str], mark: Mark, sidecar: Path | None = None) -> Path:
    """Write the mark's record as JSON beside path (atomically) and return where."""
    sidecar = sidecar or sidecar_path(path)
    tmp = sidecar.with_name(f".{sidecar.name}.{secrets.token_hex(4)}.part")
    try:
        tmp.write_text(
            json.dumps(
                _json_safe({"file": Path(path).name, **mark.record()}), indent=2, ensure_ascii=False, allow_nan=False
            )
            + "\n",
            encoding="utf-8",
        )
        os.replace(tmp, sidecar)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise ProvenanceError(f"cannot write {sidecar}: {exc.strerror or exc}") from exc
    return sidecar


def png_text(mark: Mark | None = None, comment: str | None = None) -> dict[str, str]:
    """The PNG text chunks that mark a picture made from generated material (a job's preview, a still
    taken from a generated clip, a thumbnail of one): Comment, the one line for people, and with a
    mark its record as Description. Empty when there is nothing to mark."""
    if mark is not None:
        return {"Comment": mark.summary(), "Description": mark.record_json()}
    if comment and comment.startswith(COMMENT_PREFIX):
        return {"Comment": " ".join(comment.split())}
    return {}


def save_png(picture: Any, dest: str | os.PathLike[str] | Any, text: dict[str, str]) -> None:
    """Save a picture (uint8 RGB array or PIL image) as PNG with the text chunks of png_text (iTXt
    where Latin-1 cannot hold them). dest is a path or a binary file object."""
    import numpy as np
    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    image = Image.fromarray(picture) if isinstance(picture, np.ndarray) else picture
    info = PngInfo()
    for key, value in text.items():
        info.add_text(key, value)
    image.save(dest, format="PNG", pnginfo=info)


# -- marking a finished file ------------------------------------------------------------------------


def mark_file(path: str | os.PathLike[str], mark: Mark, *, keys: SigningKeys | None = None) -> list[Path]:
    """Mark a finished file in place: its tags (a lossless remux), then the signed manifest (MP4, MOV,
    WAV) or a sidecar NAME.recipe.json (other containers). The file is replaced in one rename, so a
    failure leaves it as it was. Returns the files written."""
    path = Path(path)
    token = secrets.token_hex(4)
    tagged = path.with_name(f".{path.stem}.{token}.tagged{path.suffix}")
    try:
        faststart = ["-movflags", "+faststart"] if path.suffix.lower() in (".mp4", ".m4v", ".mov") else []
        # The mark's tags first: where the file has a comment or description of its own, the first
        # -map_metadata wins, and the rest of its tags are kept.
        with metadata_input(mark, 1) as (tags_in, tags_out):
            try:
                ffmpeg.run(
                    [
                        "-y",
                        "-i",
                        str(path),
                        *tags_in,
                        "-map",
                        "0",
                        "-c",
                        "copy",
                        *tags_out,
                        "-map_metadata",
                        "0",
                        *faststart,
                        str(tagged),
                    ]
                )
            except ffmpeg.FFmpegError as exc:
                raise ProvenanceError(f"could not write the AI-generated tags into {path}: {exc}") from exc
        if not can_sign(path):
            os.replace(tagged, path)
            return [path, write_sidecar(path, mark)]
        finish(tagged, path, mark, keys=keys)
        return [path]
    finally:
        tagged.unlink(missing_ok=True)


def finish(
    tmp: str | os.PathLike[str], path: str | os.PathLike[str], mark: Mark | None, *, keys: SigningKeys | None = None
) -> Path:
    """Give a written, tagged temporary file its name: signed first where the container carries a
    manifest (MP4, MOV, WAV). If it cannot be signed, tmp is removed and nothing takes the name."""
    tmp, path = Path(tmp), Path(path)
    signed = tmp.with_name(f"{tmp.stem}.signed{tmp.suffix}")
    try:
        if mark is not None and can_sign(path):
            sign(tmp, signed, mark, title=path.name, keys=keys)
            os.replace(signed, path)
        else:
            os.replace(tmp, path)
    except OSError as exc:
        raise ProvenanceError(f"cannot write {path}: {exc.strerror or exc}") from exc
    finally:
        signed.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)
    return path


# -- reading it back ------------------------------------------------------------------------------


@dataclass
class Verdict:
    """What `verify` found in a file."""

    path: Path
    # "trusted": a manifest intact and signed by this installation; "valid": intact, signed by a
    # certificate this installation does not know (another studio's); "invalid": tampered or broken;
    # "missing": no manifest (the tags and sidecar, if any, are reported in recipes and notes).
    state: str
    recipes: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signer: str = ""
    ai_generated: bool = False
    ingredients: list[str] = field(default_factory=list)
    # the signing certificate as the manifest names it: common_name, issuer, time, cert_serial_number, alg
    signature: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.state in ("trusted", "valid")


def verify(path: str | os.PathLike[str], *, keys: SigningKeys | None = None) -> Verdict:
    """Read and validate a file's C2PA manifest against this installation's root (keys, or the ones on
    disk if made); without one, report the tags and sidecar instead."""
    import c2pa

    path = Path(path)
    if not path.exists():
        raise ProvenanceError(f"{path} does not exist")
    keys = keys or existing_keys()
    fmt = SIGNABLE.get(path.suffix.lower()) if path.is_file() else None
    store = None
    if fmt is not None:
        try:
            with open(path, "rb") as f, c2pa.Reader(fmt, f, context=_context(keys)) as reader:
                store = json.loads(reader.json())
        except c2pa.C2paError.ManifestNotFound:
            store = None
        except c2pa.C2paError as exc:
            return Verdict(path, "invalid", problems=[f"the C2PA manifest cannot be read: {exc}"])
    if store is None:
        return _unsigned(path, fmt is not None)
    manifest = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
    results = (store.get("validation_results") or {}).get("activeManifest") or {}
    failures = results.get("failure") or store.get("validation_status") or []
    untrusted = [f for f in failures if f.get("code") == "signingCredential.untrusted"]
    problems = [f"{f.get('code')}: {f.get('explanation', '')}" for f in failures if f not in untrusted]
    verdict = Verdict(
        path,
        "invalid" if problems or store.get("validation_state") == "Invalid" else "valid" if untrusted else "trusted",
        problems=problems,
    )
    info = manifest.get("signature_info") or {}
    verdict.signer = ", ".join(str(info[k]) for k in ("common_name", "issuer") if info.get(k))
    verdict.signature = {k: str(v) for k, v in info.items() if isinstance(v, str | int | float) and v != ""}
    if verdict.state == "valid":
        verdict.notes.append(
            "the signing certificate is not this installation's: signed by another studio installation or another tool"
        )
    for assertion in manifest.get("assertions", []):
        label, data = assertion.get("label", ""), assertion.get("data") or {}
        if label == RECIPE_LABEL:
            verdict.recipes += list(data.get("recipes", []))
        elif label.startswith("c2pa.actions"):
            verdict.ai_generated |= any(
                a.get("digitalSourceType") == DIGITAL_SOURCE_TYPE for a in data.get("actions", [])
            )
    verdict.ingredients = [i.get("title", "?") for i in manifest.get("ingredients", [])]
    return verdict


def _unsigned(path: Path, could_carry: bool) -> Verdict:
    verdict = Verdict(path, "missing")
    verdict.problems.append(
        "no C2PA manifest" + ("" if could_carry else f" ({path.suffix or 'a folder'} cannot carry one)")
    )
    sidecar = sidecar_path(path)
    if sidecar.is_file():
        try:
            record = json.loads(sidecar.read_text(encoding="utf-8"))
            verdict.recipes = list(record.get("recipes", []))
            verdict.ai_generated = bool(record.get("ai_generated"))
            verdict.notes.append(f"the sidecar {sidecar.name} says it is AI-generated (unsigned: it proves nothing)")
        except (OSError, ValueError) as exc:
            verdict.notes.append(f"the sidecar {sidecar.name} cannot be read: {exc}")
    if path.is_file():
        tags = read_tags(path)
        if tags.get("comment", "").startswith(COMMENT_PREFIX):
            verdict.ai_generated = True
            verdict.notes.append(f"its tags say: {tags['comment']}")
            if not verdict.recipes:
                try:
                    verdict.recipes = list(json.loads(tags.get("description", "{}")).get("recipes", []))
                except ValueError:
                    pass
    return verdict


def read_tags(path: str | os.PathLike[str]) -> dict[str, str]:
    """A file's global metadata tags (lower-case keys), as ffmpeg reads them."""
    proc = subprocess.run(
        [
            ffmpeg.executable(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            str(path),
            "-f",
            "ffmetadata",
            "-",
        ],
        capture_output=True,
    )
    tags: dict[str, str] = {}
    if proc.returncode != 0:
        return tags
    for line in proc.stdout.decode(errors="replace").splitlines():
        if line.startswith("[") and line.endswith("]"):  # a stream's or chapter's section: global tags end here
            break
        if line.startswith(";"):
            continue
        name, sep, value = line.partition("=")
        if sep:
            tags[name.lower()] = value
    return {k: _unescape(v) for k, v in tags.items()}


def _unescape(value: str) -> str:
    out, escaped = [], False
    for ch in value:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(ch)
    return "".join(out)
