"""What every verb shares: its exit codes, its one-line refusal, and how it speaks on stderr."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..core.errors import StudioError

if TYPE_CHECKING:
    from ..engine.service import EngineService

EXIT_FAILED = 1  # the job ran and failed
EXIT_BAD_REQUEST = 2  # nothing ran: the request cannot be made


class CommandError(StudioError):
    """A one-line problem with what the user asked for."""


def say(message: str) -> None:
    print(f"studio: {message}", file=sys.stderr, flush=True)


def engine_service(args: argparse.Namespace) -> EngineService:
    """The engine a verb runs its jobs through: the workers --gpus, --workers or --cluster ask for."""
    from ..engine.service import EngineService
    from ..engine.workers import choose_workers

    try:
        slots, launcher = choose_workers(
            getattr(args, "gpus", None), getattr(args, "workers", None), getattr(args, "cluster", None)
        )
    except StudioError as exc:
        raise CommandError(str(exc)) from exc
    return EngineService(
        log_dir=args.log_dir, models_dir=args.models_dir, memory=args.memory, slots=slots, launcher=launcher
    )
