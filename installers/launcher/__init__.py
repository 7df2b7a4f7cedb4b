"""The Studio launcher: the small program a filmmaker double-clicks. It sets up a private Python
environment for the studio on first start, keeps it right across updates, repairs and removes it.

    studio-launcher [PATH]          provision if needed (progress window), then open the editor on PATH
    studio-launcher --provision     provision only; exit 0 when the environment is ready
    studio-launcher --repair        check every installed file against its RECORD hash, reinstall the damaged
    studio-launcher --cli ARGS...   the studio's command line (`studio ARGS...`) in the environment
    studio-launcher --uninstall [--remove-models] [--remove-settings]
    studio-launcher --install-desktop

How it is put together (standard library, PySide6's QtCore/QtGui/QtWidgets for the window, and uv):

    main.py       the command line above; what runs first; the only module PyInstaller is pointed at
    places.py     the payload beside the frozen launcher (the studio wheel, requirements.lock, torch.txt,
                  version.txt, uv) and the per-user folders: the launcher's (envs/, cache/uv, state.json,
                  logs/) and the studio's own (settings, models), which only uninstall touches and only when asked
    uv_runner.py  uv as a child process: the environment it runs with, its output read line by line into the log
    uv_output.py  uv's output (when not a terminal) turned into progress: downloads, sizes, bytes left, errors
    provision.py  the environment's key, the decision build / reuse / update the studio only, the build in a
                  temporary folder renamed into place when complete, state.json
    repair.py     every installed distribution's files checked against its RECORD; what to reinstall
    uninstall.py  removing what the launcher made, keeping projects always and models and settings unless asked
    desktop.py    the Linux desktop entry, MIME types and icon (and what the Windows and macOS installers
                  register instead); icon.py draws the icon
    editor.py     starting the studio (editor or CLI) in the environment, noticing an editor that cannot start
    window.py     the progress window ("Setting up Studio"), its failure and "Try again", the Repair offer

Nothing here imports the studio package: the launcher runs before the studio is installed, and the studio
runs only inside the environment the launcher made.
"""


class LauncherError(Exception):
    """A refusal or failure said in one sentence a filmmaker can act on; the log holds the details."""
