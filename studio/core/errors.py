"""The studio's one error root: every refusal and failure the studio raises on purpose is a
StudioError, so a caller (the CLI, the editor) catches ours in one place and shows its message as one
line, and leaves anything else (a bug, a library's error) to the log."""

from __future__ import annotations


class StudioError(Exception):
    """A problem the studio explains in its message, written for the person who asked."""
