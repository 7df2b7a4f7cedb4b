"""The studio's logs: Python logging into files only their user can read (they hold prompts and paths),
in the user's logs folder (settings.logs_dir). The editor and the prompt expander each keep one rotating
file; an engine worker logs to its stderr, which the service points at a log file of that worker's own.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import TextIO

from .settings import logs_dir, private_folder

LOG_BYTES = 1_000_000  # a log rotates at about 1 MB ...
LOG_BACKUPS = 3  # ... keeping three older files beside it
FORMAT = "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"


class PrivateRotatingFileHandler(RotatingFileHandler):
    """A RotatingFileHandler whose every file, the fresh one after each rollover too, is its owner's
    alone (0600), whatever the umask."""

    def _open(self) -> TextIO:  # type: ignore[override]  # the same text stream, opened 0600
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        if os.name != "nt":
            os.fchmod(fd, 0o600)  # a file left readable by others (an older studio, a copy) is tightened
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


def start_logging(name: str, folder: Path | None = None) -> Path:
    """Log this process's records (the studio's INFO and up, others' WARNING and up) to
    <folder>/<name>.log, by default in the user's logs folder, made private if need be; uncaught
    exceptions are logged too. Called once at start by a process of ours. Returns the file."""
    path = private_folder(folder if folder is not None else logs_dir()) / f"{name}.log"
    root = logging.getLogger()
    if not any(getattr(h, "baseFilename", None) == str(path) for h in root.handlers):
        _install(PrivateRotatingFileHandler(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"))
        _log_uncaught_exceptions()
    return path


def log_to_stream(stream: TextIO) -> None:
    """Log this process's records to stream, as start_logging does to a file: for an engine worker,
    whose stderr is the private log file the service opened for it."""
    _install(logging.StreamHandler(stream))


def prune_logs(folder: Path, pattern: str, keep: int, idle_seconds: float = 86400) -> None:
    """Delete the files matching pattern in folder beyond the newest `keep`, among those not written
    for idle_seconds (a file still being written belongs to a running process)."""
    files = sorted(folder.glob(pattern), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in files[keep:]:
        try:
            if time.time() - path.stat().st_mtime > idle_seconds:
                path.unlink()
        except OSError:  # gone already, or not ours to delete: a log is never worth an error
            pass


def _install(handler: logging.Handler) -> None:
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    logging.getLogger("studio").setLevel(logging.INFO)


def _log_uncaught_exceptions() -> None:
    """A traceback nobody would see (the editor has no terminal) goes to the log, then on as before."""
    previous = sys.excepthook

    def hook(kind, value, traceback) -> None:
        if not issubclass(kind, KeyboardInterrupt):
            logging.getLogger("studio").critical("uncaught exception", exc_info=(kind, value, traceback))
        previous(kind, value, traceback)

    sys.excepthook = hook
