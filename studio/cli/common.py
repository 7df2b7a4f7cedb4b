"""What every verb shares: its exit codes, its one-line refusal, and how it speaks on stderr."""

from __future__ import annotations

import sys

from ..core.errors import StudioError

EXIT_FAILED = 1  # the job ran and failed
EXIT_BAD_REQUEST = 2  # nothing ran: the request cannot be made


class CommandError(StudioError):
    """A one-line problem with what the user asked for."""


def say(message: str) -> None:
    print(f"studio: {message}", file=sys.stderr, flush=True)
