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

Any recipe can be marked: the record is strict JSON. Numbers JSON has no word for (NaN, infinities)
are written as the strings "NaN", "Infinity" and "-Infinity", which float() reads back; text is kept
as it is (JSON escapes a NUL and every control character), except for lone surrogates, which no
UTF-8 file can hold and which become U+FFFD. The one-line summary drops control characters.

A take is marked as it is written (takes.write_frames(mark=...)): tags and manifest go on before it
gets its name, so no generated take is ever on disk unmarked, and one that cannot be marked is not
kept. A long shot's take so far says it is partial: its recipe holds "partial" (frames and windows
made, of how many).

The signing key and its certificate chain are made once per installation, in the settings folder
(provenance/): a local root CA and an end-entity certificate issued by it (C2PA refuses a self-signed
signer). The root's private key is not kept: nothing else is ever issued under it. `verify` trusts
this installation's root; a file signed by another installation verifies as intact, signer unknown.

No Qt, no torch: the CLI, the export and the editor's export dialog all come through here.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.project import Project, Sequence, TrackKind
from ..core.recipe import Recipe
from ..core.settings import settings_dir
from . import ffmpeg
from .probe import MediaError

DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
RECIPE_LABEL = "org.studio.recipe"
GENERATOR = "studio"
COMMENT_PREFIX = "AI-generated (studio)"
# The containers a manifest is embedded in; every other file gets the tags and a sidecar.
SIGNABLE = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".wav": "audio/wav"}
# Sources c2pa reads as ingredients (hashed, their own manifests kept); others are named only.
_INGREDIENT_FORMATS = {**SIGNABLE, ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                       ".webp": "image/webp"}
_INGREDIENT_MAX_BYTES = 256 * 2**20  # hashing a longer camera file is not worth the wait
_KEYS_FOLDER = "provenance"
_ROOT, _CERT, _KEY = "root-ca.pem", "signer.pem", "signer-key.pem"
_VALID_YEARS = 25


class ProvenanceError(MediaError):
    """A file could not be marked or read back as generated, with the reason."""


# -- what a file says ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mark:
    """The facts a file with generated material carries: the recipes of its generated shots and the
    media it was made from."""

    recipes: tuple[dict[str, Any], ...]  # Recipe.to_dict() of each generated shot, in order
    sources: tuple[Path, ...] = ()  # files it was made from, for the manifest's ingredients
    relationship: str = "componentOf"  # the sources' part: "componentOf" (a cut) or "inputTo" (a generation)

    def record(self) -> dict[str, Any]:
        """The record the tags, the sidecar and the manifest's recipe assertion hold: strict JSON, whatever
        the recipes hold (see the module's notes)."""
        return _json_safe({"ai_generated": True, "generator": GENERATOR, "digital_source_type": DIGITAL_SOURCE_TYPE,
                           "recipes": list(self.recipes)})

    def record_json(self) -> str:
        """The record as compact JSON, for the tags."""
        return json.dumps(self.record(), separators=(",", ":"), ensure_ascii=False, allow_nan=False)

    def summary(self) -> str:
        """One line for people: AI-generated (studio): the shots' models, seeds and prompts."""
        shots = [_recipe_line(r) for r in self.record()["recipes"]]
        if len(shots) > 3:
            shots = [*shots[:3], f"and {len(shots) - 3} more"]
        text = f"{COMMENT_PREFIX}: {'; '.join(shots)}"
        text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)  # NUL, escapes, newlines
        return " ".join(text.split())  # one line, for every container


def _recipe_line(recipe: dict[str, Any]) -> str:
    prompt = str(recipe.get("expanded_prompt") or recipe.get("prompt") or "")
    if len(prompt) > 80:
        prompt = prompt[:77] + "…"
    line = f"{recipe.get('mode', '?')} by {recipe.get('model', '?')}, seed {recipe.get('seed', '?')}, \"{prompt}\""
    partial = recipe.get("partial")
    if isinstance(partial, dict):
        line += (f" (partial: {partial.get('frames', '?')} of {partial.get('of_frames', '?')} frames, "
                 f"window {partial.get('windows', '?')} of {partial.get('of_windows', '?')})")
    return line


_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_safe(value: Any) -> Any:
    """value with what strict JSON and UTF-8 cannot hold replaced: non-finite floats by "NaN", "Infinity"
    or "-Infinity", lone surrogates by U+FFFD; anything not JSON by its text."""
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {str(_json_safe(k)): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int):
        return value
    return _json_safe(str(value))


def mark_for_recipes(recipes: Iterable[Recipe], sources: Iterable[str | os.PathLike[str]] = (),
                     relationship: str = "inputTo") -> Mark:
    return Mark(tuple(r.to_dict() for r in recipes), tuple(Path(s) for s in sources), relationship)


def mark_for_take(recipe: Recipe, folder: str | os.PathLike[str] | None = None, *,
                  partial: tuple[int, int, int] | None = None) -> Mark:
    """The mark of a take the engine made from recipe, with the files it was conditioned on (relative
    to folder) as ingredients. partial = (frames made, windows made, windows planned) marks a long
    shot's take so far: its recipe says how much of the shot it holds."""
    data = recipe.to_dict()
    if partial is not None:
        made, windows, of_windows = partial
        data["partial"] = {"frames": made, "of_frames": recipe.frames, "windows": windows, "of_windows": of_windows}
    return Mark((data,), tuple(recipe_sources(recipe, Path(folder) if folder is not None else None)), "inputTo")


def recipe_sources(recipe: Recipe, folder: Path | None = None) -> list[Path]:
    """The files a recipe was conditioned on (clips, stills, references) that exist, relative to folder."""
    found = []
    for text in [c.path for c in recipe.conditions] + list(recipe.references):
        path = Path(text)
        if not path.is_absolute() and folder is not None:
            path = folder / path
        if path.is_file() and path not in found:
            found.append(path)
    return found


def mark_for_sequence(project: Project, sequence: Sequence, first: int, end: int, *, picture: bool = True,
                      sound: bool = True) -> Mark | None:
    """The mark for frames [first, end) of a sequence as rendered, or None when no generated media is in
    them: only clips on tracks that are rendered (video tracks not hidden when picture, audio tracks
    not muted when sound) count."""
    recipes: dict[str, dict[str, Any]] = {}
    sources: list[Path] = []
    for track in sequence.tracks:
        wanted = picture if track.kind is TrackKind.VIDEO else sound
        if not wanted or not track.enabled:
            continue
        for clip in track.clips:
            if clip.end <= first or clip.start >= end:
                continue
            item = project.media.get(clip.media_id)
            if item is None:
                continue
            path = project.media_path(item)
            if path not in sources:
                sources.append(path)
            if item.recipe is not None and item.id not in recipes:
                recipes[item.id] = item.recipe.to_dict()
    if not recipes:
        return None
    return Mark(tuple(recipes.values()), tuple(sources), "componentOf")


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
        tmp.write_text(json.dumps(_json_safe({"file": Path(path).name, **mark.record()}), indent=2,
                                  ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
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


def can_sign(path: str | os.PathLike[str]) -> bool:
    return Path(path).suffix.lower() in SIGNABLE


# -- the installation's signing key ---------------------------------------------------------------


@dataclass(frozen=True)
class SigningKeys:
    folder: Path
    root_pem: str  # the local root CA's certificate: the trust anchor
    cert_pem: str  # the end-entity signing certificate, issued by the root
    key_pem: str  # its private key (P-256)

    @property
    def chain_pem(self) -> str:
        """The chain a manifest carries: the signer's certificate (the root is the verifier's to know)."""
        return self.cert_pem


def keys_folder() -> Path:
    return settings_dir() / _KEYS_FOLDER


def signing_keys(folder: str | os.PathLike[str] | None = None) -> SigningKeys:
    """This installation's signing key and certificates, made on first use and reused ever after."""
    folder = Path(folder) if folder is not None else keys_folder()
    if not folder.exists():
        _make_keys(folder)
    try:
        keys = SigningKeys(folder, *((folder / name).read_text(encoding="ascii") for name in (_ROOT, _CERT, _KEY)))
    except (OSError, UnicodeDecodeError) as exc:
        raise ProvenanceError(f"the signing keys in {folder} cannot be read ({exc}); remove the folder and the "
                              f"studio makes new ones (files signed before then verify as signed elsewhere)") from exc
    return keys


def existing_keys(folder: str | os.PathLike[str] | None = None) -> SigningKeys | None:
    """The installation's keys if they were made, without making them (verifying needs none)."""
    folder = Path(folder) if folder is not None else keys_folder()
    return signing_keys(folder) if folder.exists() else None


def _make_keys(folder: Path) -> None:
    """A root CA and a signing certificate it issues, written to a fresh folder renamed into place, so a
    second process making them at the same moment keeps the first one's."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

    now = datetime.datetime.now(datetime.UTC)
    until = now + datetime.timedelta(days=365 * _VALID_YEARS)
    owner = f"{os.environ.get('USER') or os.environ.get('USERNAME') or 'user'}, {secrets.token_hex(4)}"
    root_key = ec.generate_private_key(ec.SECP256R1())
    root_name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "studio (local installation)"),
                           x509.NameAttribute(NameOID.COMMON_NAME, f"studio local root CA ({owner})")])
    usage = dict(content_commitment=False, key_encipherment=False, data_encipherment=False, key_agreement=False,
                 encipher_only=False, decipher_only=False)
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(root_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(until)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=False, key_cert_sign=True, crl_sign=True, **usage),
                           critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "studio (local installation)"),
                      x509.NameAttribute(NameOID.COMMON_NAME, f"studio signer ({owner})")])
    document_signing = ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning, which C2PA accepts
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(root_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(until)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False, **usage),
                           critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, document_signing]),
                           critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
            .sign(root_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    tmp = folder.with_name(f".{folder.name}.{secrets.token_hex(4)}.part")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir(mode=0o700)
        (tmp / _ROOT).write_bytes(root.public_bytes(pem))
        (tmp / _CERT).write_bytes(cert.public_bytes(pem))
        fd = os.open(tmp / _KEY, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
        os.rename(tmp, folder)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if folder.is_dir():  # made by another process meanwhile: theirs it is
            return
        raise ProvenanceError(f"cannot make the signing keys in {folder}: {exc.strerror or exc}") from exc


# -- signing --------------------------------------------------------------------------------------


def _context(keys: SigningKeys | None):
    import c2pa

    settings: dict[str, Any] = {"version": 1, "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if keys is not None:
        settings["trust"] = {"user_anchors": keys.root_pem}
    return c2pa.Context(settings=c2pa.Settings.from_dict(settings))


def _studio_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("studio")
    except PackageNotFoundError:
        return "0.1.0"


def manifest_definition(mark: Mark, title: str) -> dict[str, Any]:
    return {
        "claim_generator_info": [{"name": GENERATOR, "version": _studio_version()}],
        "title": title,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": [{
                "action": "c2pa.created",
                "digitalSourceType": DIGITAL_SOURCE_TYPE,
                "softwareAgent": {"name": GENERATOR, "version": _studio_version()},
                "description": mark.summary(),
            }]}},
            {"label": RECIPE_LABEL, "data": mark.record()},
        ],
    }


def sign(src: str | os.PathLike[str], dest: str | os.PathLike[str], mark: Mark, *, title: str | None = None,
         keys: SigningKeys | None = None) -> None:
    """Write src to dest with the mark's C2PA manifest embedded and signed with this installation's key.

    dest is the caller's temporary file: on failure it may hold anything, and the caller removes it."""
    import c2pa

    src, dest = Path(src), Path(dest)
    mime = SIGNABLE.get(src.suffix.lower())
    if mime is None:
        raise ProvenanceError(f"{src.name}: C2PA manifests go into MP4, MOV and WAV files, not {src.suffix}")
    keys = keys or signing_keys()
    try:
        context = _context(keys)
        signer = c2pa.Signer.from_info(c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, keys.chain_pem.encode(),
                                                           keys.key_pem.encode(), None))
        with _builder(manifest_definition(mark, title or src.name), mark, context) as builder:
            with open(src, "rb") as source_file, open(dest, "w+b") as dest_file:
                builder.sign(signer, mime, source_file, dest_file)
    except c2pa.C2paError as exc:
        raise ProvenanceError(f"could not sign {title or src.name}: {exc}") from exc
    except OSError as exc:
        raise ProvenanceError(f"could not sign {title or src.name}: {exc.strerror or exc}") from exc


def _builder(definition: dict[str, Any], mark: Mark, context):
    """A Builder with each source as an ingredient: hashed (its own manifest kept) where c2pa reads its
    format and it is not too long to hash, else named with its format only. A source c2pa fails to
    parse is named instead, on a fresh builder (a failed add may leave the old one half-changed)."""
    import c2pa

    named: list[Path] = []
    for source in mark.sources:
        fmt = _INGREDIENT_FORMATS.get(source.suffix.lower())
        try:
            if fmt is None or source.stat().st_size > _INGREDIENT_MAX_BYTES:
                named.append(source)
        except OSError:
            named.append(source)
    while True:
        ingredients = [{"title": s.name, "relationship": mark.relationship,
                        "format": _INGREDIENT_FORMATS.get(s.suffix.lower()) or _guess_format(s)} for s in named]
        builder = c2pa.Builder({**definition, "ingredients": ingredients}, context=context)
        for source in mark.sources:
            if source in named:
                continue
            try:
                with open(source, "rb") as f:
                    builder.add_ingredient({"title": source.name, "relationship": mark.relationship},
                                           _INGREDIENT_FORMATS[source.suffix.lower()], f)
            except (c2pa.C2paError, OSError):
                named.append(source)
                builder.close()
                break
        else:
            return builder


def _guess_format(path: Path) -> str:
    return {".mkv": "video/x-matroska", ".webm": "video/webm", ".exr": "image/x-exr", ".tif": "image/tiff",
            ".tiff": "image/tiff", ".flac": "audio/flac", ".mp3": "audio/mpeg"}.get(path.suffix.lower(),
                                                                                  "application/octet-stream")


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
                ffmpeg.run(["-y", "-i", str(path), *tags_in, "-map", "0", "-c", "copy", *tags_out, "-map_metadata", "0",
                            *faststart, str(tagged)])
            except ffmpeg.FFmpegError as exc:
                raise ProvenanceError(f"could not write the AI-generated tags into {path}: {exc}") from exc
        if not can_sign(path):
            os.replace(tagged, path)
            return [path, write_sidecar(path, mark)]
        finish(tagged, path, mark, keys=keys)
        return [path]
    finally:
        tagged.unlink(missing_ok=True)


def finish(tmp: str | os.PathLike[str], path: str | os.PathLike[str], mark: Mark | None, *,
           keys: SigningKeys | None = None) -> Path:
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
    verdict = Verdict(path, "invalid" if problems or store.get("validation_state") == "Invalid" else
                      "valid" if untrusted else "trusted", problems=problems)
    info = manifest.get("signature_info") or {}
    verdict.signer = ", ".join(str(info[k]) for k in ("common_name", "issuer") if info.get(k))
    verdict.signature = {k: str(v) for k, v in info.items() if isinstance(v, str | int | float) and v != ""}
    if verdict.state == "valid":
        verdict.notes.append("the signing certificate is not this installation's: signed by another studio "
                             "installation or another tool")
    for assertion in manifest.get("assertions", []):
        label, data = assertion.get("label", ""), assertion.get("data") or {}
        if label == RECIPE_LABEL:
            verdict.recipes += list(data.get("recipes", []))
        elif label.startswith("c2pa.actions"):
            verdict.ai_generated |= any(a.get("digitalSourceType") == DIGITAL_SOURCE_TYPE
                                        for a in data.get("actions", []))
    verdict.ingredients = [i.get("title", "?") for i in manifest.get("ingredients", [])]
    return verdict


def _unsigned(path: Path, could_carry: bool) -> Verdict:
    verdict = Verdict(path, "missing")
    verdict.problems.append("no C2PA manifest" + ("" if could_carry else
                                                 f" ({path.suffix or 'a folder'} cannot carry one)"))
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
    proc = subprocess.run([ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
                           "-f", "ffmetadata", "-"], capture_output=True)
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
