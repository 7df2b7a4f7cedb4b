"""The one way to start a Python child process of ours (the worker, the prompt expander).

`python -m studio.engine.runtime.worker` would put the current folder first on sys.path, so a diffusers.py
or torch.py in the folder the studio was started from would be imported and run. A child is started
instead with -E -P (no PYTHON* variables, no current folder on sys.path; -I less its -s when the
parent uses the user's site-packages, so the child finds what the parent finds), its sys.path given
the folder that holds this very studio package, and a working directory of ours. The editor
(QProcess) and the service (subprocess) both build their command here. No torch, no Qt.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from ..core.settings import logs_dir, private_folder

# The folder that holds our `studio` package: the child imports this same checkout, never another
# installed copy and never a module in the user's current folder.
STUDIO_ROOT = str(Path(__file__).resolve().parents[2])


@dataclass(frozen=True)
class ChildCommand:
    program: str
    args: list[str]
    cwd: str
    env: dict[str, str]

    @property
    def argv(self) -> list[str]:
        return [self.program, *self.args]


def engine_child(
    module: str, *args: str, cwd: str | os.PathLike[str] | None = None, env: dict[str, str] | None = None
) -> ChildCommand:
    """How to run `module` (e.g. studio.engine.runtime.worker) with args as a child process: program and
    arguments, the working directory (cwd, else the user's private log folder, made if needed) and the
    environment (this one plus env). A path in args must be absolute: the child runs in another folder."""
    folder = Path(cwd) if cwd is not None else private_folder(logs_dir())
    flags = ["-E", "-P", "-u"] + (["-s"] if sys.flags.no_user_site else [])
    # runpy runs the module as `-m` would (as __main__, with sys.argv[0] its file), after sys.path has
    # been given our root; the root goes in as a literal, so any folder name is safe.
    code = (
        f"import runpy, sys; sys.path.insert(0, {STUDIO_ROOT!r}); "
        f"runpy.run_module({module!r}, run_name='__main__', alter_sys=True)"
    )
    return ChildCommand(sys.executable, [*flags, "-c", code, *args], str(folder), {**os.environ, **(env or {})})
