"""Every exception class the studio defines is a StudioError, so the CLI and the editor can tell ours
(a sentence for a person) from anything else (a bug, for the log) by catching one root."""

from __future__ import annotations

import ast
import builtins
import importlib
from pathlib import Path

from studio.core.errors import StudioError

STUDIO = Path(__file__).resolve().parents[1] / "studio"


def exception_classes() -> list[tuple[str, str]]:
    """(module, class) for each class in studio/ whose bases lead to a built-in exception, found in the
    source so that no module is imported that need not be (the worker's would load torch)."""
    classes = []
    for path in sorted(STUDIO.rglob("*.py")):
        module = ".".join(path.relative_to(STUDIO.parent).with_suffix("").parts).removesuffix(".__init__")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = [
                    base.attr if isinstance(base, ast.Attribute) else getattr(base, "id", "") for base in node.bases
                ]
                classes.append((module, node.name, bases))
    exceptions = {
        name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
    }
    found: set[tuple[str, str]] = set()
    grew = True
    while grew:  # a subclass of one of ours (ExportError(MediaError)) is one too
        grew = False
        for module, name, bases in classes:
            if (module, name) not in found and any(base in exceptions for base in bases):
                found.add((module, name))
                exceptions.add(name)
                grew = True
    return sorted(found)


def test_every_exception_the_studio_defines_is_a_studio_error() -> None:
    classes = exception_classes()
    assert ("studio.engine.requests", "RequestError") in classes and len(classes) >= 20  # the walk finds them
    outside = [
        f"{module}.{name}"
        for module, name in classes
        if not issubclass(getattr(importlib.import_module(module), name), StudioError)
    ]
    assert outside == []


def test_a_studio_error_keeps_the_builtin_kind_callers_catch() -> None:
    from studio.engine.requests import RequestError
    from studio.media.ffmpeg import FFmpegError

    assert issubclass(RequestError, ValueError) and issubclass(FFmpegError, RuntimeError)


def test_the_cli_says_a_studio_error_in_one_line_and_a_bug_as_an_internal_error(monkeypatch, capsys) -> None:
    from studio import cli
    from studio.media.probe import MediaError

    def fails(args):
        raise MediaError("the clip /tmp/a.mov cannot be read:\nffmpeg says no")

    monkeypatch.setattr(cli, "cmd_verify", fails)
    monkeypatch.delenv("STUDIO_DEBUG", raising=False)
    assert cli.main(["verify", "a.mov"]) == cli.EXIT_FAILED
    assert capsys.readouterr().err == "studio: the clip /tmp/a.mov cannot be read: ffmpeg says no\n"

    def breaks(args):
        raise KeyError("frames")

    monkeypatch.setattr(cli, "cmd_verify", breaks)
    assert cli.main(["verify", "a.mov"]) == cli.EXIT_FAILED
    assert capsys.readouterr().err.startswith("studio: internal error: KeyError: 'frames'")
