"""C2PA: this installation's signing keys, the manifest a generated file carries, and signing it in.

The signing key and its certificate chain are made once per installation, in the settings folder
(provenance/): a local root CA and an end-entity certificate issued by it (C2PA refuses a self-signed
signer). The root's private key is not kept: nothing else is ever issued under it. `verify` trusts
this installation's root; a file signed by another installation verifies as intact, signer unknown.
"""

from __future__ import annotations

import datetime
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import studio_version
from ..core.settings import settings_dir
from .provenance_mark import DIGITAL_SOURCE_TYPE, GENERATOR, RECIPE_LABEL, Mark, ProvenanceError

# The containers a manifest is embedded in; every other file gets the tags and a sidecar.
SIGNABLE = {".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime", ".wav": "audio/wav"}
# Sources c2pa reads as ingredients (hashed, their own manifests kept); others are named only.
_INGREDIENT_FORMATS = {
    **SIGNABLE,
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}
_INGREDIENT_MAX_BYTES = 256 * 2**20  # hashing a longer camera file is not worth the wait
_KEYS_FOLDER = "provenance"
_ROOT, _CERT, _KEY = "root-ca.pem", "signer.pem", "signer-key.pem"
_VALID_YEARS = 25


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
        raise ProvenanceError(
            f"the signing keys in {folder} cannot be read ({exc}); remove the folder and the "
            f"studio makes new ones (files signed before then verify as signed elsewhere)"
        ) from exc
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
    root_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "studio (local installation)"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"studio local root CA ({owner})"),
        ]
    )
    usage = dict(
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        encipher_only=False,
        decipher_only=False,
    )
    root = (
        x509.CertificateBuilder()
        .subject_name(root_name)
        .issuer_name(root_name)
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=False, key_cert_sign=True, crl_sign=True, **usage), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "studio (local installation)"),
            x509.NameAttribute(NameOID.COMMON_NAME, f"studio signer ({owner})"),
        ]
    )
    document_signing = ObjectIdentifier("1.3.6.1.5.5.7.3.36")  # id-kp-documentSigning, which C2PA accepts
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(root_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(until)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False, **usage), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, document_signing]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()), critical=False)
        .sign(root_key, hashes.SHA256())
    )
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


def manifest_definition(mark: Mark, title: str) -> dict[str, Any]:
    return {
        "claim_generator_info": [{"name": GENERATOR, "version": studio_version()}],
        "title": title,
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        {
                            "action": "c2pa.created",
                            "digitalSourceType": DIGITAL_SOURCE_TYPE,
                            "softwareAgent": {"name": GENERATOR, "version": studio_version()},
                            "description": mark.summary(),
                        }
                    ]
                },
            },
            {"label": RECIPE_LABEL, "data": mark.record()},
        ],
    }


def sign(
    src: str | os.PathLike[str],
    dest: str | os.PathLike[str],
    mark: Mark,
    *,
    title: str | None = None,
    keys: SigningKeys | None = None,
) -> None:
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
        signer = c2pa.Signer.from_info(
            c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, keys.chain_pem.encode(), keys.key_pem.encode(), None)
        )
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
        ingredients = [
            {
                "title": s.name,
                "relationship": mark.relationship,
                "format": _INGREDIENT_FORMATS.get(s.suffix.lower()) or _guess_format(s),
            }
            for s in named
        ]
        builder = c2pa.Builder({**definition, "ingredients": ingredients}, context=context)
        for source in mark.sources:
            if source in named:
                continue
            try:
                with open(source, "rb") as f:
                    builder.add_ingredient(
                        {"title": source.name, "relationship": mark.relationship},
                        _INGREDIENT_FORMATS[source.suffix.lower()],
                        f,
                    )
            except (c2pa.C2paError, OSError):
                named.append(source)
                builder.close()
                break
        else:
            return builder


def _guess_format(path: Path) -> str:
    return {
        ".mkv": "video/x-matroska",
        ".webm": "video/webm",
        ".exr": "image/x-exr",
        ".tif": "image/tiff",
        ".tiff": "image/tiff",
        ".flac": "audio/flac",
        ".mp3": "audio/mpeg",
    }.get(path.suffix.lower(), "application/octet-stream")
