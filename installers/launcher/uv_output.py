"""uv's output, read line by line, turned into what the progress window says.

When its output is not a terminal, uv 0.13 hides its progress bars and prints instead (on stderr):

    Using CPython 3.11.7 interpreter at: /usr/bin/python3.11     (uv venv)
    Resolved 64 packages in 1.06s
    Downloading torch (180.3MiB)            a download over 1 MiB starting (or one of unknown size)
     Downloaded torch                        ... and finishing
       Building foo==1.0 / Built foo==1.0   a source build
    Prepared 12 packages in 40.2s
    Installed 64 packages in 2.1s
     + numpy==2.4.6
    error: Request failed after 3 retries   a failure, then `  cause: ...` lines (most specific last)
    hint: ...

Smaller downloads are not announced and nothing is printed while a download runs, so what can be said
honestly is: which large files are downloading, how many bytes of the announced ones are left, and how many
packages there are in all. (tests/installers/fixtures holds uv output captured from real runs.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_UNITS = {"B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4, "kB": 1000, "MB": 1000**2, "GB": 1000**3}
_DOWNLOADING = re.compile(r"^\s*Downloading (?P<name>.+?)(?: \((?P<size>[\d.]+)(?P<unit>[A-Za-z]+)\))?$")
_DOWNLOADED = re.compile(r"^\s*Downloaded (?P<name>.+?)\s*$")
_BUILDING = re.compile(r"^\s*Building (?P<name>\S+)")
_BUILT = re.compile(r"^\s*Built (?P<name>\S+)")
_COUNT = re.compile(r"^\s*(?P<verb>Resolved|Prepared|Installed|Uninstalled|Audited) (?P<n>\d+) packages?\b")
_INCOMPATIBLE = re.compile(r"^Found \d+ incompatibilit")  # `uv pip check` failing
_INSTALLED_LINE = re.compile(r"^\s*[+~] (?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)")
_NETWORK = (
    "failed to fetch",
    "error sending request",
    "dns error",
    "connection refused",
    "connection reset",
    "timed out",
    "network is unreachable",
    "failed to download",
    "request failed after",
    "network was disabled",
)


def human_size(size: int) -> str:
    """Bytes as a filmmaker reads them: 180 MB, 2.1 GB."""
    for unit, scale in (("GB", 1000**3), ("MB", 1000**2), ("kB", 1000)):
        if size >= scale:
            value = size / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{size} bytes"


@dataclass
class UvProgress:
    """What one uv command has said so far."""

    packages: int | None = None  # resolved, in all
    downloading: dict[str, int | None] = field(default_factory=dict)  # name -> size, the running ones
    downloaded: dict[str, int | None] = field(default_factory=dict)  # name -> size, the finished ones
    building: set[str] = field(default_factory=set)
    prepared: bool = False
    installed: int | None = None
    installed_versions: dict[str, str] = field(default_factory=dict)
    error: list[str] = field(default_factory=list)  # `error:` and the `cause:`/`hint:` lines after it

    def feed(self, line: str) -> bool:
        """Read one line; True when it changed what there is to say."""
        line = line.rstrip("\r\n")
        if self.error or line.startswith("error:") or _INCOMPATIBLE.match(line):
            if line.strip():
                self.error.append(line.strip())
            return True
        if match := _COUNT.match(line):
            verb, n = match["verb"], int(match["n"])
            if verb == "Resolved":
                self.packages = n
            elif verb == "Prepared":
                self.prepared = True
            elif verb == "Installed":
                self.installed = n
            return True
        if match := _DOWNLOADED.match(line):
            name = match["name"]
            self.downloaded[name] = self.downloading.pop(name, None)
            return True
        if match := _DOWNLOADING.match(line):
            size = None
            if match["size"] and match["unit"] in _UNITS:
                size = int(float(match["size"]) * _UNITS[match["unit"]])
            self.downloading[match["name"].removesuffix(" (download)")] = size
            return True
        if match := _BUILT.match(line):
            self.building.discard(match["name"])
            return True
        if match := _BUILDING.match(line):
            self.building.add(match["name"])
            return True
        if match := _INSTALLED_LINE.match(line):
            self.installed_versions[match["name"].lower()] = match["version"]
        return False

    @property
    def total_bytes(self) -> int:
        return sum(size or 0 for size in (*self.downloading.values(), *self.downloaded.values()))

    @property
    def bytes_left(self) -> int:
        return sum(size or 0 for size in self.downloading.values())

    def fraction(self) -> float:
        """How far this command is, 0 to 1: the announced bytes downloaded, then preparing and installing."""
        if self.installed is not None:
            return 1.0
        if self.prepared:
            return 0.9
        if self.total_bytes:
            return 0.1 + 0.8 * (self.total_bytes - self.bytes_left) / self.total_bytes
        return 0.1 if self.packages is not None else 0.0

    def describe(self) -> str:
        """One line: what is being downloaded, its size, how much is left, how many packages."""
        if self.downloading:
            names = list(self.downloading)
            first, size = names[0], self.downloading[names[0]]
            text = f"Downloading {first}" + (f" ({human_size(size)})" if size else "")
            if len(names) > 1:
                text += f" and {len(names) - 1} more"
            done, total = len(self.downloaded), len(self.downloaded) + len(names)
            text += f"… {done} of {total} large downloads done"
            if self.bytes_left:
                text += f", {human_size(self.bytes_left)} left"
            if self.packages:
                text += f" · {self.packages} packages in all"
            return text
        if self.building:
            return f"Building {sorted(self.building)[0]}…"
        if self.installed is not None:
            return f"Installed {self.installed} packages"
        if self.prepared:
            return "Installing…"
        if self.packages is not None:
            return f"Fetching {self.packages} packages…"
        return "Finding the packages…"

    def failure(self) -> str:
        """The reason uv stopped, in one sentence."""
        said = " ".join(self.error).lower()
        if any(sign in said for sign in _NETWORK):
            return (
                "The download stopped: the package server could not be reached. Check the internet connection "
                "and press Try again; what was already downloaded is kept."
            )
        if "no space left" in said:
            return "The disk is full: free some space and press Try again."
        if self.error and _INCOMPATIBLE.match(self.error[0]):
            return f"The installed packages do not fit together: {' '.join(self.error[1:3])}"
        if self.error:
            reason = self.error[0].removeprefix("error:").strip()
            causes = [line.removeprefix("cause:").strip() for line in self.error if line.startswith("cause:")]
            return f"Setting up stopped: {reason}" + (f": {causes[-1]}" if causes else "")
        return "Setting up stopped without saying why: see the log."
