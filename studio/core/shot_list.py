"""A shot list: the shots a batch makes, read from a TOML file (`studio batch SHOTS.toml`).

    style = "35 mm film, warm light"   # optional: every shot's look, after its prompt

    [[shot]]
    name = "opening"            # optional: names the take files (default shot-1, shot-2, …)
    prompt = "a lighthouse at dusk, waves below"
    model = "ltx-video-0.9.5"   # optional where the command gives -m
    size = "16:9 480p"          # or width = 832 and height = 480
    seconds = 4                 # or frames = 97
    seed = 7                    # optional: the takes get 7, 8, …
    image = "stills/door.png"   # optional first frame, relative to the shot file
    negative = "blurry"         # optional
    style = "black and white"   # optional: this shot's look instead of the file's
    draft = true                # optional: a quick draft (the model card's [draft]), refined later

Only the fields' types and the file's shape are checked here; the values (sizes, lengths, seeds, the
model) are checked by the same code that checks `studio generate`'s options, so a shot and a command
line are held to one rule.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import StudioError
from .presets import frame_size
from .presets import load as load_presets

# The fields a shot may set, with the types TOML gives them.
FIELDS: dict[str, tuple[type, ...]] = {
    "name": (str,),
    "prompt": (str,),
    "model": (str,),
    "negative": (str,),
    "style": (str,),
    "size": (str,),
    "width": (int,),
    "height": (int,),
    "frames": (int,),
    "seconds": (int, float),
    "fps": (int, float),
    "seed": (int,),
    "steps": (int,),
    "guidance": (int, float),
    "image": (str,),
    "end_image": (str,),
    "draft": (bool,),
}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]{0,79}")


class ShotListError(StudioError, ValueError):
    """A shot list that cannot be run, said in one line that names the file and the shot."""


@dataclass(frozen=True)
class Shot:
    """One shot of a batch: what it asks for, with None where the model card's default holds."""

    number: int  # 1-based, in the file's order
    name: str
    prompt: str
    model: str | None = None
    negative: str = ""
    style: str = ""
    width: int | None = None
    height: int | None = None
    frames: int | None = None
    seconds: float | None = None
    fps: float | None = None
    seed: int | None = None
    steps: int | None = None
    guidance: float | None = None
    image: str | None = None  # absolute paths
    end_image: str | None = None
    draft: bool = False

    def fingerprint(self) -> str:
        """What the shot asks for, so a resumed batch can tell an unchanged shot from an edited one."""
        data = {k: v for k, v in asdict(self).items() if k != "number"}
        if not self.draft:
            del data["draft"]  # a full shot's fingerprint as before drafts were a field
        if not self.style:
            del data["style"]  # and as before styles were
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def read_shot_list(path: str | Path) -> list[Shot]:
    """The shots of a TOML shot list, or ShotListError naming the file and the shot."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ShotListError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ShotListError(f"{path.name}: cannot be read ({exc})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ShotListError(f"{path.name}: not valid TOML ({exc})") from exc
    extra = sorted(set(data) - {"shot", "style"})
    if extra:
        raise ShotListError(
            f"{path.name}: unknown table or key {extra[0]!r}; a shot list holds [[shot]] tables and a style"
        )
    style = data.get("style", "")
    if not isinstance(style, str):
        raise ShotListError(f"{path.name}: style should be text, not {style!r}")
    raw = data.get("shot")
    if not raw:
        raise ShotListError(f"{path.name}: no shots; write each one as a [[shot]] table with a prompt")
    if not isinstance(raw, list) or not all(isinstance(s, dict) for s in raw):
        raise ShotListError(f"{path.name}: write each shot as a [[shot]] table")
    shots = [_fields(path, number, {"style": style, **shot} if style else shot) for number, shot in enumerate(raw, 1)]
    return check_shots(shots, path.name)


def shot_from_fields(path: Path, number: int, fields: dict[str, Any], where: str) -> Shot:
    """A shot from fields already read (a timeline clip's, `where` naming it), checked as a shot list's are."""
    return _fields(path, number, fields, where)


def check_shots(shots: list[Shot], where: str) -> list[Shot]:
    """Shot names name files: each one once."""
    seen: dict[str, int] = {}
    for shot in shots:
        if shot.name.casefold() in seen:
            raise ShotListError(
                f"{where}: shot {shot.number} has the name {shot.name!r} of shot {seen[shot.name.casefold()]}"
            )
        seen[shot.name.casefold()] = shot.number
    return shots


def _fields(path: Path, number: int, shot: dict[str, Any], where: str | None = None) -> Shot:
    where = where or f"{path.name}: shot {number}"
    for key, value in shot.items():
        if key not in FIELDS:
            raise ShotListError(f"{where}: unknown field {key!r} (a shot has {', '.join(FIELDS)})")
        types = FIELDS[key]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            kind = "a number" if float in types else ("a whole number" if int in types else "text")
            kind = "true or false" if bool in types else kind
            raise ShotListError(f"{where}: {key} should be {kind}, not {value!r}")
    prompt = str(shot.get("prompt", "")).strip()
    if not prompt:
        raise ShotListError(f"{where} has no prompt")
    name = shot.get("name", f"shot-{number}")
    if not _NAME.fullmatch(name):
        raise ShotListError(
            f"{where}: the name {name!r} names its files, so use letters, digits, spaces, '.', '_' and '-' "
            "(at most 80, starting with a letter or digit)"
        )
    if "frames" in shot and "seconds" in shot:
        raise ShotListError(f"{where}: give frames or seconds, not both")
    width, height = shot.get("width"), shot.get("height")
    if "size" in shot:
        if width is not None or height is not None:
            raise ShotListError(f"{where}: give size or width and height, not both")
        width, height = _preset_size(shot["size"], where)
    stills = {}
    for key in ("image", "end_image"):
        if key in shot:  # relative to the shot file, wherever the command is run from
            stills[key] = str((path.parent / Path(shot[key]).expanduser()).absolute())
    return Shot(
        number=number,
        name=name,
        prompt=prompt,
        model=shot.get("model"),
        negative=shot.get("negative", ""),
        style=shot.get("style", "").strip(),
        width=width,
        height=height,
        frames=shot.get("frames"),
        seconds=float(shot["seconds"]) if "seconds" in shot else None,
        fps=float(shot["fps"]) if "fps" in shot else None,
        seed=shot.get("seed"),
        steps=shot.get("steps"),
        guidance=float(shot["guidance"]) if "guidance" in shot else None,
        image=stills.get("image"),
        end_image=stills.get("end_image"),
        draft=shot.get("draft", False),
    )


def _preset_size(text: str, where: str) -> tuple[int, int]:
    """ "16:9 480p": an aspect of the studio's presets at a short side in pixels."""
    aspects, resolutions = load_presets()
    ratio, _, short = text.strip().partition(" ")
    aspect = next((a for a in aspects if a.name.split()[0] == ratio), None)
    sides = {f"{r.short_side}p": r.short_side for r in resolutions}
    if aspect is None or short.strip() not in sides:
        raise ShotListError(
            f"{where}: size {text!r} is not a preset; write ASPECT RESOLUTION, with the aspect one of "
            f"{', '.join(a.name.split()[0] for a in aspects)} and the resolution one of {', '.join(sides)} "
            "(or give width and height)"
        )
    return frame_size(aspect, sides[short.strip()])
