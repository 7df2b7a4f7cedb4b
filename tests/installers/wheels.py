"""Tiny wheels written by hand and a payload made of them, for the launcher's tests: real uv runs against
a local folder of wheels (UV_FIND_LINKS, UV_OFFLINE), nothing from the network."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from pathlib import Path

# The tiny studio: its editor starts and stops at once (or fails to import, when STUDIO_TEST_BROKEN is set);
# its command line prints its arguments and exits with the code given after --exit.
STUDIO_FILES = {
    "studio/__init__.py": "import tinydep  # the locked dependency must be there\n",
    "studio/ui/__init__.py": "",
    "studio/ui/app.py": (
        "import os, sys\n"
        "if os.environ.get('STUDIO_TEST_BROKEN'):\n"
        "    import studio_missing_module  # a damaged installation\n"
        "print('editor opened', sys.argv[1:])\n"
    ),
    "studio/cli/__init__.py": "",
    "studio/cli/__main__.py": (
        "import os, sys\n"
        "args = sys.argv[1:]\n"
        "print('studio', ' '.join(args), 'in', os.getcwd())\n"
        "sys.exit(int(args[args.index('--exit') + 1]) if '--exit' in args else 0)\n"
    ),
}


def _record_hash(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def make_wheel(folder: Path, name: str, version: str, files: dict[str, str], requires: tuple[str, ...] = ()) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n" + "".join(
        f"Requires-Dist: {r}\n" for r in requires
    )
    contents = {
        **{path: text.encode() for path, text in files.items()},
        f"{info}/METADATA": metadata.encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: studio-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{path},{_record_hash(data)},{len(data)}\n" for path, data in contents.items())
    contents[f"{info}/RECORD"] = (record + f"{info}/RECORD,,\n").encode()
    wheel = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in contents.items():
            archive.writestr(path, data)
    return wheel


def make_payload(root: Path, studio_version: str = "0.1.0", tinydep: str = "1.0") -> tuple[Path, Path]:
    """A payload (studio wheel, lock, torch.txt, version.txt) and the wheel folder uv installs from."""
    links = root / "links"
    make_wheel(links, "torch", "2.13.0", {"torch/__init__.py": "__version__ = '2.13.0'\n"})
    for version in ("1.0", "2.0"):
        make_wheel(links, "tinydep", version, {"tinydep/__init__.py": f"VERSION = {version!r}\n"})
    payload = root / "payload"
    payload.mkdir(parents=True, exist_ok=True)
    make_wheel(payload, "studio", studio_version, STUDIO_FILES, requires=("torch==2.13.0", "tinydep"))
    (payload / "requirements.lock").write_text(f"# uv pip compile\ntinydep=={tinydep}\n    # via studio\n")
    (payload / "torch.txt").write_text("torch==2.13.0\n")
    (payload / "version.txt").write_text(studio_version + "\n")
    return payload, links
