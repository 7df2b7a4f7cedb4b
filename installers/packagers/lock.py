"""requirements.lock and torch.txt: what the launcher installs, from uv's resolution of pyproject.toml.

pyproject.toml pins each of the studio's own dependencies exactly (torch==2.13.0, diffusers==0.42.1...);
`uv pip compile` resolves those pins, with everything they pull in, to exact versions for the target
platform and Python 3.11. The lock is that resolution less two things:
- torch, which goes alone into torch.txt: the launcher installs it as the build for the user's GPU
  (CUDA, MPS or CPU), so the same pin comes from a different index on each machine;
- the packages only torch needs on the target and not on every platform: the CUDA libraries and triton
  that PyPI's Linux torch brings (nvidia-*, cuda-*). Which ones, and at which versions, depend on the
  torch build the launcher chooses, so they come with torch. torch's other dependencies (sympy,
  networkx, jinja2...) stay locked: they are the same for every build.
"Every platform" is judged against a second resolution for Apple Silicon macOS, whose torch carries
no GPU libraries. The lock keeps uv's "# via" lines, which say why each package is there.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field

# A requirement line as uv writes it: `name==version`, maybe extras, maybe ` ; marker`.
REQUIREMENT = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;]+)")


class LockError(Exception):
    """uv's resolution cannot be turned into a lock, said in one sentence."""


def normalize(name: str) -> str:
    """A distribution's name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Pin:
    """One package of uv's resolution: its lines as written, and the names of what requires it."""

    name: str
    version: str
    lines: list[str] = field(default_factory=list)
    required_by: set[str] = field(default_factory=set)


def parse(resolution: str) -> dict[str, Pin]:
    """Read `uv pip compile` output (its annotations included) into pins by normalized name."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    for line in resolution.splitlines():
        text = line.strip()
        if not text:
            continue
        if not line[0].isspace() and not text.startswith("#"):
            match = REQUIREMENT.match(text)
            if match is None:
                raise LockError(f"uv's resolution has a line that is not an exact pin: {text!r}")
            current = Pin(normalize(match[1]), match[2], [line])
            pins[current.name] = current
        elif current is not None and line[0].isspace() and text.startswith("#"):
            current.lines.append(line)
            note = text.lstrip("#").strip()
            note = note.removeprefix("via").strip()
            if note:  # "studio (pyproject.toml)", "-r file" or a package's name
                current.required_by.add(normalize(note.split(" (")[0]))
    return pins


def needed_without_torch(pins: dict[str, Pin]) -> set[str]:
    """The packages reachable from the studio's own requirements without passing through torch."""
    children: dict[str, set[str]] = {}
    for pin in pins.values():
        for parent in pin.required_by:
            children.setdefault(parent, set()).add(pin.name)
    roots = {parent for pin in pins.values() for parent in pin.required_by if parent not in pins}
    reached: set[str] = set()
    todo = [child for root in roots for child in children.get(root, ())]
    while todo:
        name = todo.pop()
        if name in reached or name == "torch":
            continue
        reached.add(name)
        todo.extend(children.get(name, ()))
    return reached


@dataclass(frozen=True)
class Lock:
    """What goes into the payload: the lock's text, torch's pin, and what was left to the torch build."""

    text: str
    torch_pin: str
    left_to_torch: tuple[str, ...]


def split(resolution: str, portable_resolution: str | None, description: str) -> Lock:
    """requirements.lock and torch.txt from uv's resolution for the target; `portable_resolution` is the
    one for a platform whose torch has no GPU libraries (None when the target is that platform)."""
    pins = parse(resolution)
    if "torch" not in pins:
        raise LockError("uv's resolution has no torch pin; pyproject.toml must pin torch (torch==X.Y.Z).")
    portable = set(parse(portable_resolution)) if portable_resolution is not None else set(pins)
    torch_only = set(pins) - needed_without_torch(pins) - {"torch"}
    left = sorted(name for name in torch_only if name not in portable)
    kept = [pin for name, pin in sorted(pins.items()) if name != "torch" and name not in left]
    about = (
        f"The studio's dependencies for {description}, every version exact: uv's resolution of pyproject.toml's"
        " pins (`uv pip compile`), written by installers/build.py. torch is in torch.txt: the launcher installs"
        " it as the build for this machine's GPU, and with it the packages only that build needs"
        + (f" (here: {', '.join(left)})." if left else ".")
    )
    header = ["# " + line for line in textwrap.wrap(about, 100)]
    body = [line for pin in kept for line in pin.lines]
    return Lock("\n".join(header + body) + "\n", f"torch=={pins['torch'].version}", tuple(left))
