"""The Studio launcher (installers/launcher): provisioning with a real uv against a folder of tiny wheels
(offline, no index), the update decisions, an interrupted build, repair, uninstall, desktop files, the
progress parser on uv's real output and the progress window.

The fixtures/uv_*.txt files are uv 0.13.9's own output, captured on the development machine with stderr
not a terminal: uv_venv.txt (`uv venv --relocatable --python 3.11 e5`), uv_install_downloads.txt (`uv pip
install opencv-python==5.0.0.93 av==18.1.0 pillow==13.0.0 ftfy==6.3.1` from PyPI with an empty cache),
uv_install_no_network.txt (the same against UV_INDEX_URL=http://127.0.0.1:9/simple), uv_install_unavailable.txt
(UV_OFFLINE with an empty --find-links folder) and uv_check_incompatible.txt (`uv pip check` after removing
wcwidth, which ftfy needs).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from installers.launcher import LauncherError, places, provision, repair, uninstall
from installers.launcher import main as launcher_main
from installers.launcher.desktop import desktop_entry, exec_quote, install_desktop, installed_files
from installers.launcher.editor import editor_argument, run_editor
from installers.launcher.uv_output import UvProgress
from tests.installers.wheels import make_payload, make_wheel

FIXTURES = Path(__file__).parent / "fixtures"
NOWHERE = "http://127.0.0.1:9/simple"  # the discard port: a package server that refuses every connection


def _uv_present() -> bool:
    try:
        places.find_uv(places.Payload(Path("."), Path("."), Path("."), "torch==0", "0", None))
        return True
    except LauncherError:
        return False


needs_uv = pytest.mark.skipif(not _uv_present(), reason="uv is not installed (pip install uv==0.13.9)")


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """A scratch user (HOME, XDG folders), a payload of tiny wheels, and uv told to use only their folder."""
    for name in list(os.environ):
        if name.startswith(("UV_", "XDG_", "STUDIO_")):
            monkeypatch.delenv(name)
    home = tmp_path / "user"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    payload, links = make_payload(tmp_path / "dist")
    monkeypatch.setenv("STUDIO_LAUNCHER_PAYLOAD", str(payload))
    monkeypatch.setenv("STUDIO_TORCH", "default")
    monkeypatch.setenv("UV_FIND_LINKS", str(links))
    monkeypatch.setenv("UV_INDEX_URL", NOWHERE)  # even a test that lifts UV_OFFLINE reaches no real index
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_PYTHON_DOWNLOADS", "never")
    return tmp_path, payload, links


def _ensure(reports: list | None = None) -> Path:
    payload = places.read_payload()
    p = provision.Provisioner(
        places.launcher_home(), payload, provision.torch_backend(), [].append if reports is None else reports.append
    )
    return p.ensure()


def _run_in_env(env: Path, code: str) -> str:
    import subprocess

    done = subprocess.run([str(provision.env_python(env)), "-I", "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


# -- the key and the decision ------------------------------------------------------------------------


def test_the_environment_key_follows_the_pins_and_the_torch_build_only(setup):
    _, payload_folder, _ = setup
    payload = places.read_payload()
    key = provision.env_key(payload, "default")
    assert key == provision.env_key(places.read_payload(), "default")
    assert key != provision.env_key(payload, "cu126")
    (payload_folder / "version.txt").write_text("0.2.0\n")  # a new studio alone keeps the environment
    assert provision.env_key(places.read_payload(), "default") == key
    (payload_folder / "requirements.lock").write_text("tinydep==2.0\n")
    assert provision.env_key(places.read_payload(), "default") != key


def test_bad_input_is_refused_in_one_sentence_before_anything_runs(setup, monkeypatch, capsys):
    tmp_path, payload_folder, _ = setup
    monkeypatch.setenv("STUDIO_TORCH", "cuda please")
    assert launcher_main.main(["--provision", "--no-window"]) == 2
    assert "STUDIO_TORCH='cuda please' is not a torch build" in capsys.readouterr().err
    monkeypatch.setenv("STUDIO_TORCH", "default")
    (payload_folder / "torch.txt").unlink()
    assert launcher_main.main(["--provision", "--no-window"]) == 2
    assert "lacks torch.txt" in capsys.readouterr().err
    assert not places.launcher_home().exists()  # nothing was written


@needs_uv
def test_a_first_start_builds_the_environment_then_reuses_it(setup):
    reports: list = []
    env = _ensure(reports)
    home = places.launcher_home()
    assert env == home / "envs" / provision.env_key(places.read_payload(), "default")
    assert _run_in_env(env, "import studio, tinydep, torch; print(tinydep.VERSION, torch.__version__)") == "1.0 2.13.0"
    state = json.loads((home / "state.json").read_text())
    assert state["version"] == "0.1.0" and state["env"] == env.name and state["torch"] == "2.13.0"
    assert [r.title for r in reports if r.step == 2][0] == "Installing PyTorch"
    assert reports[-1].fraction == 1.0
    assert list((home / "envs").iterdir()) == [env]  # no building folder left behind
    assert (home / "logs").stat().st_mode & 0o077 == 0  # the logs are private
    assert provision.decide(home, places.read_payload(), "default") is provision.Decision.REUSE


@needs_uv
def test_a_newer_studio_with_the_same_pins_reinstalls_only_the_studio(setup, tmp_path):
    env = _ensure()
    (env / "marker").write_text("the same environment")
    _, newer_folder, _ = (None, *make_payload(tmp_path / "newer", studio_version="0.2.0"))
    os.environ["STUDIO_LAUNCHER_PAYLOAD"] = str(newer_folder)
    newer = places.read_payload()
    home = places.launcher_home()
    assert provision.decide(home, newer, "default") is provision.Decision.UPDATE_STUDIO
    assert _ensure() == env and (env / "marker").exists()
    assert _run_in_env(env, "import importlib.metadata as m; print(m.version('studio'))") == "0.2.0"
    assert json.loads((home / "state.json").read_text())["version"] == "0.2.0"


@needs_uv
def test_changed_pins_build_a_new_environment_switch_to_it_and_remove_the_old(setup):
    _, payload_folder, _ = setup
    old = _ensure()
    (payload_folder / "requirements.lock").write_text("tinydep==2.0\n")
    new = _ensure()
    assert new != old and not old.exists()
    assert _run_in_env(new, "import tinydep; print(tinydep.VERSION)") == "2.0"
    assert json.loads((places.launcher_home() / "state.json").read_text())["env"] == new.name


@needs_uv
def test_a_cancelled_setup_leaves_nothing_that_looks_ready_and_the_next_start_finishes(setup):
    payload, home = places.read_payload(), places.launcher_home()
    provisioner: provision.Provisioner

    def cancel_at_the_libraries(report):
        if report.title == "Installing the studio's libraries":
            provisioner.cancel()  # as the Cancel button does, while uv runs

    provisioner = provision.Provisioner(home, payload, "default", cancel_at_the_libraries)
    with pytest.raises(LauncherError, match="cancelled"):
        provisioner.ensure()
    assert provision.ready_env(home, provision.env_key(payload, "default")) is None
    assert not (home / "state.json").exists()
    assert provision.decide(home, payload, "default") is provision.Decision.BUILD
    env = _ensure()
    assert _run_in_env(env, "import studio; print('ok')") == "ok"
    assert [p.name for p in (home / "envs").iterdir()] == [env.name]  # the half-built one is gone


@needs_uv
def test_a_dropped_connection_is_said_in_a_sentence_and_trying_again_finishes(setup, monkeypatch):
    monkeypatch.delenv("UV_OFFLINE")  # uv asks the index (NOWHERE), which cannot be reached
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    with pytest.raises(LauncherError) as failed:
        _ensure()
    assert str(failed.value) == (
        "The download stopped: the package server could not be reached. Check the internet connection and press "
        "Try again; what was already downloaded is kept."
    )
    home = places.launcher_home()
    assert provision.ready_env(home, provision.env_key(places.read_payload(), "default")) is None
    assert not (home / "state.json").exists()
    monkeypatch.setenv("UV_OFFLINE", "1")  # the connection is back: here, the wheels folder alone
    assert _run_in_env(_ensure(), "import tinydep; print(tinydep.VERSION)") == "1.0"


# -- repair -------------------------------------------------------------------------------------------


def test_the_record_check_names_a_damaged_or_missing_file(tmp_path):
    wheel = make_wheel(tmp_path / "w", "tinydep", "1.0", {"tinydep/__init__.py": "VERSION = '1.0'\n"})
    site = tmp_path / "env" / "lib" / "python3.11" / "site-packages"
    shutil.unpack_archive(wheel, site, "zip")
    info = site / "tinydep-1.0.dist-info"
    assert repair.damaged_files(info) == []
    (site / "tinydep" / "__init__.py").write_text("VERSION = 'tampered'\n")
    assert repair.damaged_files(info) == ["tinydep/__init__.py"]
    (site / "tinydep" / "__init__.py").unlink()
    assert repair.damaged_files(info) == ["tinydep/__init__.py"]
    assert repair.installed(site) == {"tinydep": info}


@needs_uv
def test_repair_names_the_damaged_package_and_mends_it_from_the_cache(setup):
    env = _ensure()
    damaged = repair.site_packages(env) / "tinydep" / "__init__.py"
    damaged.write_text("raise ImportError('damaged')\n")
    payload = places.read_payload()
    provisioner = provision.Provisioner(places.launcher_home(), payload, "default", lambda r: None)
    said = repair.repair(provisioner)
    assert said == "Repair installation repaired tinydep (1 damaged file)."
    assert _run_in_env(env, "import tinydep; print(tinydep.VERSION)") == "1.0"
    assert repair.repair(provisioner) == "Nothing was damaged: every installed file matches its record."


@needs_uv
def test_an_editor_that_cannot_import_is_noticed_as_a_damaged_installation(setup, monkeypatch):
    env = _ensure()
    end = run_editor(env, places.launcher_home(), None)
    assert end.code == 0 and "editor opened" in end.log.read_text()
    monkeypatch.setenv("STUDIO_TEST_BROKEN", "1")
    end = run_editor(env, places.launcher_home(), None)
    assert end.code != 0 and end.early and end.broken
    assert "studio_missing_module" in end.reason


@needs_uv
def test_the_cli_runs_in_the_environment_with_its_exit_code(setup, tmp_path, monkeypatch, capfd):
    monkeypatch.chdir(tmp_path)
    assert launcher_main.main(["--cli", "generate", "--exit", "3"]) == 3
    out = capfd.readouterr().out
    assert "[5/5] Checking the installation" in out  # the first --cli set the environment up, in lines
    assert f"studio generate --exit 3 in {tmp_path}" in out  # the user's own folder, for relative paths


def test_a_project_file_opens_its_project_folder(tmp_path):
    project = tmp_path / "Film.studio"
    project.mkdir()
    (project / "project.json").write_text("{}")
    assert editor_argument(str(project / "project.json")) == str(project)
    assert editor_argument(str(project)) == str(project)
    assert editor_argument(str(tmp_path / "cut.otio")) == str(tmp_path / "cut.otio")


# -- uninstall and the desktop ------------------------------------------------------------------------


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG desktop files are Linux's")
@needs_uv
def test_uninstall_keeps_projects_models_and_settings_and_removes_the_rest(setup):
    tmp_path, _, _ = setup
    _ensure()
    written = install_desktop()
    user = Path(os.environ["HOME"])
    project = user / "Films" / "Short.studio"
    project.mkdir(parents=True)
    (project / "project.json").write_text("{}")
    folders = places.studio_folders()
    folders.models.mkdir(parents=True)
    (folders.models / "weights.safetensors").write_bytes(b"w")
    (folders.settings / "keys").mkdir(parents=True)
    said = uninstall.uninstall()
    assert not places.launcher_home().exists()
    assert not any(path.exists() for path in written)
    assert (project / "project.json").exists() and (folders.models / "weights.safetensors").exists()
    assert (folders.settings / "keys").exists()
    assert said[-1] == (
        f"Your projects are kept where you saved them, your models in {folders.models} and your settings and "
        f"signing keys in {folders.settings}."
    )
    uninstall.uninstall(remove_models=True, remove_settings=True)
    assert not folders.models.exists() and not folders.settings.exists()
    assert (project / "project.json").exists()


def test_with_studio_config_removing_settings_keeps_the_models_inside_it(setup, tmp_path, monkeypatch):
    config = tmp_path / "config"
    monkeypatch.setenv("STUDIO_CONFIG", str(config))
    (config / "models" / "demo").mkdir(parents=True)
    (config / "keys").mkdir()
    (config / "studio.ini").write_text("[General]\n")
    uninstall.uninstall(remove_settings=True)
    assert (config / "models" / "demo").exists()
    assert not (config / "keys").exists() and not (config / "studio.ini").exists()


@pytest.mark.parametrize("config", [None, "cfg"])
def test_the_studio_folders_follow_the_studios_own_rule(setup, tmp_path, monkeypatch, config):
    from studio.core import settings

    if config:
        monkeypatch.setenv("STUDIO_CONFIG", str(tmp_path / config))
    folders = places.studio_folders()
    assert folders.settings == settings.settings_dir()
    assert folders.state == settings.state_dir()
    assert folders.data == settings.data_dir()
    assert folders.cache == settings.cache_dir()
    assert folders.models == settings.data_dir() / "models"  # models_root() of a studio installed from its wheel


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the XDG desktop files are Linux's")
def test_the_desktop_entry_opens_projects_and_timelines_in_studio(setup):
    written = install_desktop()
    assert written == installed_files()
    entry = written[0].read_text()
    assert "\nName=Studio\n" in entry and "\nIcon=studio\n" in entry
    assert "\nMimeType=application/x-studio-project;application/vnd.pixar.opentimelineio+json;\n" in entry
    assert '/main.py" %f\n' in entry or "main.py %f\n" in entry
    mime = written[1].read_text()
    assert '<glob pattern="*.otio"/>' in mime and '<glob pattern="project.json" weight="80"/>' in mime
    from PySide6.QtGui import QImage

    assert QImage(str(written[2])).size().width() == 256


def test_exec_arguments_are_quoted_as_the_desktop_entry_spec_says():
    assert exec_quote("/opt/studio/Studio") == "/opt/studio/Studio"
    assert exec_quote("/home/me/My Apps/Studio") == '"/home/me/My Apps/Studio"'
    assert exec_quote('/a"b$c') == '"/a\\"b\\$c"'
    assert exec_quote("/100%/x") == '"/100%%/x"'
    assert "Exec=/opt/Studio %f\n" in desktop_entry(["/opt/Studio"])
    assert "Exec=/opt/Studio --repair\n" in desktop_entry(["/opt/Studio"])


# -- uv's output ---------------------------------------------------------------------------------------


def _read(name: str) -> tuple[UvProgress, list[str]]:
    progress, said = UvProgress(), []
    for line in (FIXTURES / name).read_text().splitlines():
        if progress.feed(line):
            said.append(progress.describe())
    return progress, said


def test_the_progress_says_what_downloads_how_big_and_how_much_is_left():
    progress, said = _read("uv_install_downloads.txt")
    assert said[0] == "Fetching 6 packages…"
    assert (
        said[4]
        == "Downloading pillow (7.1 MB) and 3 more… 0 of 4 large downloads done, 134 MB left · 6 packages in all"
    )
    assert (
        said[5] == "Downloading numpy (17 MB) and 2 more… 1 of 4 large downloads done, 126 MB left · 6 packages in all"
    )
    assert said[7] == "Downloading opencv-python (74 MB)… 3 of 4 large downloads done, 74 MB left · 6 packages in all"
    assert said[-1] == "Installed 6 packages"
    assert progress.installed_versions["opencv-python"] == "5.0.0.93"
    fractions = []
    progress = UvProgress()
    for line in (FIXTURES / "uv_install_downloads.txt").read_text().splitlines():
        progress.feed(line)
        fractions.append(progress.fraction())
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and 0.1 < fractions[7] < 0.9


def test_uvs_failures_become_one_sentence():
    assert (
        _read("uv_install_no_network.txt")[0]
        .failure()
        .startswith("The download stopped: the package server could not be reached.")
    )
    assert _read("uv_check_incompatible.txt")[0].failure() == (
        "The installed packages do not fit together: The package `ftfy` requires `wcwidth`, but it's not installed"
    )
    assert _read("uv_venv.txt")[0].error == []
