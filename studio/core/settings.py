"""Where a user's own files live (prompt rules, the provenance signing keys): one folder per user."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def settings_dir() -> Path:
    """Where a user's own settings live: $STUDIO_CONFIG, else the platform's settings folder."""
    if os.environ.get("STUDIO_CONFIG"):
        return Path(os.environ["STUDIO_CONFIG"]).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "studio"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "studio"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "studio"
