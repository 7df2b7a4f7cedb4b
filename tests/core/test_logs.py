"""The studio's logs: real files in the user's logs folder, only the user can read them, rotated."""

from __future__ import annotations

import logging
import os
import stat
import sys
import time

import pytest

from studio.core.logs import prune_logs, start_logging
from studio.core.settings import logs_dir, settings_dir


@pytest.fixture
def root_logger():
    """start_logging changes this process's logging and excepthook: put them back afterwards."""
    root, hook = logging.getLogger(), sys.excepthook
    handlers, level, studio_level = list(root.handlers), root.level, logging.getLogger("studio").level
    yield root
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.getLogger("studio").setLevel(studio_level)
    sys.excepthook = hook


def test_a_log_lands_in_the_users_logs_folder(root_logger):
    path = start_logging("editor")
    logging.getLogger("studio.ui").info("opened %s", "Film.studio")
    logging.getLogger("somelibrary").info("chatter")  # others' notes stay out; their warnings go in
    assert start_logging("editor") == path and len(root_logger.handlers) == len(set(root_logger.handlers))
    for handler in root_logger.handlers:
        handler.flush()
    assert path == logs_dir() / "editor.log" and path.is_relative_to(settings_dir())  # conftest's own folder
    text = path.read_text()
    assert "INFO studio.ui: opened Film.studio" in text and "chatter" not in text and text.count("opened") == 1


@pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")
def test_logs_are_private_to_the_user_after_rotation_too(root_logger, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)  # as a shared folder would be
    path = start_logging("expander", folder)
    handler = next(h for h in root_logger.handlers if getattr(h, "baseFilename", None) == str(path))
    handler.maxBytes = 200
    for n in range(20):
        logging.getLogger("studio.engine").warning("line %d of a prompt nobody else may read", n)
    rotated = sorted(folder.glob("expander.log*"))
    assert [p.name for p in rotated] == ["expander.log", "expander.log.1", "expander.log.2", "expander.log.3"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in rotated)


def test_an_uncaught_exception_is_logged_and_handed_on(root_logger, tmp_path, monkeypatch):
    handed_on = []
    monkeypatch.setattr(sys, "excepthook", lambda *info: handed_on.append(info[0]))  # the one before
    path = start_logging("editor", tmp_path)
    try:
        raise LookupError("a bug")
    except LookupError:
        sys.excepthook(*sys.exc_info())
    text = path.read_text()
    assert "CRITICAL studio: uncaught exception" in text and "LookupError: a bug" in text
    assert handed_on == [LookupError]


def test_old_logs_are_pruned_but_not_ones_still_being_written(tmp_path):
    for n in range(5):
        (tmp_path / f"worker-{n}.log").write_text("x")
        os.utime(tmp_path / f"worker-{n}.log", (time.time() - 3600 * (n + 1),) * 2)  # worker-4 the oldest
    prune_logs(tmp_path, "worker-*.log", keep=2, idle_seconds=3.5 * 3600)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["worker-0.log", "worker-1.log", "worker-2.log"]
