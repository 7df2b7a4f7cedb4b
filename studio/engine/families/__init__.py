"""The model families the studio runs, each registered once, here.

A family is one folder, engine/families/<id>/: its __init__.py says what it is without torch (its
pipeline classes, the arguments a card may set, the card a folder without one gets), and its
adapter.py, the worker side, turns a recipe into its pipeline's call (runtime.base.Adapter). Only the
worker imports an adapter (runtime.base.adapter), so importing this package never loads torch.
"""

from __future__ import annotations

import importlib

from .family import Family
from .ltx2 import LTX2_MODES
from .wan import VACE_MODES

# The registration: one folder name a family. The order is the one messages list them in.
REGISTERED = ("ltx", "wan", "ltx2", "cogvideox", "hunyuan15")

FAMILIES: dict[str, Family] = {
    family.id: family for family in (importlib.import_module(f"{__name__}.{name}").FAMILY for name in REGISTERED)
}
assert list(FAMILIES) == list(REGISTERED), "a family's folder is named after its id"

__all__ = ["FAMILIES", "LTX2_MODES", "VACE_MODES", "Family"]
