"""studio-launcher: what the Studio icon starts (see installers/launcher/__init__.py for the whole design).

    studio-launcher [PATH]            provision if needed (progress window), then open the editor on PATH
    studio-launcher --provision       provision only (--no-window: progress as lines), exit 0 when ready
    studio-launcher --repair          check the environment, reinstall what is damaged or missing
    studio-launcher --cli ARGS...     `studio ARGS...` in the environment, with its exit code
    studio-launcher --uninstall [--remove-models] [--remove-settings]
    studio-launcher --install-desktop the desktop entry, icon and file types (Linux)

PyInstaller freezes this file: run as a script, it puts the folder above installers/ on sys.path so the
package's modules import as installers.launcher.* (the spec gives PyInstaller that folder in pathex).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from installers.launcher import LauncherError  # noqa: E402
from installers.launcher.places import Payload, launcher_home, read_payload  # noqa: E402
from installers.launcher.provision import Provisioner, load_state, save_state, torch_backend  # noqa: E402


def parser() -> argparse.ArgumentParser:
    parse = argparse.ArgumentParser(prog="studio-launcher", description="Set up, open, repair or remove Studio.")
    parse.add_argument("path", nargs="?", help="a .studio project folder or an .otio timeline to open")
    actions = parse.add_mutually_exclusive_group()
    actions.add_argument("--provision", action="store_true", help="set up the environment only")
    actions.add_argument("--repair", action="store_true", help="check the installation and repair it")
    actions.add_argument("--uninstall", action="store_true", help="remove Studio (projects are always kept)")
    actions.add_argument("--install-desktop", action="store_true", help="add Studio to the applications menu")
    parse.add_argument("--remove-models", action="store_true", help="with --uninstall: remove the models too")
    parse.add_argument("--remove-settings", action="store_true", help="with --uninstall: remove settings and keys")
    parse.add_argument("--no-window", action="store_true", help="progress as lines on the terminal, no window")
    return parse


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--cli" in argv:  # everything after --cli is the studio's
        at = argv.index("--cli")
        return _guard(lambda: _cli(argv[at + 1 :], no_window=True))
    args = parser().parse_args(argv)
    if (args.remove_models or args.remove_settings) and not args.uninstall:
        parser().error("--remove-models and --remove-settings go with --uninstall")
    if args.uninstall:
        return _guard(lambda: _uninstall(args.remove_models, args.remove_settings, args.no_window))
    if args.install_desktop:
        return _guard(_install_desktop)
    if args.repair:
        return _guard(lambda: _repair(args.no_window))
    if args.provision:
        return _guard(lambda: 0 if _provision(args.no_window) else 1)
    return _guard(lambda: _open(args.path, args.no_window))


def _guard(action) -> int:  # type: ignore[no-untyped-def]
    """A refusal is one sentence on stderr and exit 2."""
    try:
        return int(action())
    except LauncherError as exc:
        print(f"studio-launcher: {exc}", file=sys.stderr)
        return 2


def _provisioner(payload: Payload, backend: str):  # type: ignore[no-untyped-def]
    home = launcher_home()
    return lambda on_report: Provisioner(home, payload, backend, on_report)


def _run(work, no_window: bool, title: str = "Setting up Studio"):  # type: ignore[no-untyped-def]
    payload, backend = read_payload(), torch_backend()  # bad input refused before anything runs
    make = _provisioner(payload, backend)
    if no_window:
        from installers.launcher.window import run_in_terminal

        outcome = run_in_terminal(make, work)
    else:
        from installers.launcher.window import run_with_window

        outcome = run_with_window(make, work, title)
    if not outcome.ok and outcome.message != "cancelled":
        print(f"studio-launcher: {outcome.message}", file=sys.stderr)
    elif outcome.ok and outcome.message and no_window:
        print(outcome.message)
    return outcome


def _provision(no_window: bool) -> Path | None:
    outcome = _run(lambda p: p.ensure(), no_window)
    if outcome.ok:
        _first_start_desktop()
    return outcome.result if outcome.ok else None


def _repair(no_window: bool) -> int:
    from installers.launcher.repair import repair

    return 0 if _run(repair, no_window, "Repairing Studio").ok else 1


def _open(path: str | None, no_window: bool) -> int:
    from installers.launcher.editor import run_editor

    if path and not Path(path).expanduser().exists():
        raise LauncherError(f"{path} does not exist: choose a .studio project folder or an .otio timeline")
    env = _provision(no_window)
    if env is None:
        return 1
    end = run_editor(env, launcher_home(), path)
    if end.code != 0 and end.early:
        print(f"studio-launcher: Studio stopped while starting: {end.reason} (log: {end.log})", file=sys.stderr)
        from installers.launcher.window import offer_repair

        if not no_window and offer_repair(end.reason, str(end.log)) and _repair(no_window) == 0:
            end = run_editor(env, launcher_home(), path)
    return 128 - end.code if end.code < 0 else end.code  # killed by a signal: the shell's convention


def _cli(args: list[str], no_window: bool) -> int:
    from installers.launcher.editor import run_cli

    env = _provision(no_window)
    if env is None:
        return 1
    code = run_cli(env, args)
    return 128 - code if code < 0 else code


def _uninstall(remove_models: bool, remove_settings: bool, no_window: bool) -> int:
    from installers.launcher.uninstall import uninstall

    said = "\n".join(uninstall(remove_models, remove_settings))
    if no_window:
        print(said)
    else:
        from installers.launcher.window import tell

        tell("Studio was uninstalled", said)
    return 0


def _install_desktop() -> int:
    if not sys.platform.startswith("linux"):
        raise LauncherError("--install-desktop is for Linux; Studio's Windows and macOS installers do this")
    from installers.launcher.desktop import install_desktop

    for path in install_desktop():
        print(f"wrote {path}")
    return 0


def _first_start_desktop() -> None:
    """A packaged launcher on Linux adds itself to the applications menu once (a developer's run does not)."""
    if not (sys.platform.startswith("linux") and getattr(sys, "frozen", False)):
        return
    home = launcher_home()
    state = load_state(home)
    if state is None or state.desktop:
        return
    from installers.launcher.desktop import install_desktop

    try:
        install_desktop()
    except OSError as exc:  # the studio works without its menu entry; say so and go on
        print(f"studio-launcher: Studio could not be added to the applications menu ({exc})", file=sys.stderr)
    state.desktop = True
    save_state(home, state)


if __name__ == "__main__":
    sys.exit(main())
