"""installers/build.py and the Linux package's scripts: the lock split out of uv's resolution, the refusals
before any step, the tarball's layout, install.sh and uninstall.sh in a scratch home (a stand-in shell
script plays the frozen launcher, recording what it is asked). The whole package end to end, with the real
launcher, is benchmarks/installer_e2e.py: slow, run here only when STUDIO_INSTALLER_E2E=1."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
INSTALLERS = REPO / "installers"


@pytest.fixture(scope="module")
def build():
    """build.py, loaded from its file: a script, not a module of the studio (it puts its own folder on
    sys.path for its packagers/)."""
    spec = importlib.util.spec_from_file_location("studio_installer_build", INSTALLERS / "build.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


# Lines of `uv pip compile pyproject.toml --python-platform x86_64-manylinux_2_34 --python-version 3.11`
# (uv 0.13.9, this repository's pins, 2026-12-02), cut down to the shapes that matter: a package only torch
# needs on every platform (sympy, mpmath), one torch shares with others (filelock), the CUDA chain only
# Linux's torch brings (cuda-toolkit -> nvidia-cublas, which nvidia-cudnn-cu13 needs too), and triton.
LINUX = """\
accelerate==1.15.0
    # via
    #   studio (pyproject.toml)
    #   peft
cuda-toolkit==13.0.3.0
    # via torch
filelock==4.3.1
    # via
    #   diffusers
    #   huggingface-hub
    #   torch
mpmath==1.3.0
    # via sympy
nvidia-cublas==13.1.1.3
    # via
    #   cuda-toolkit
    #   nvidia-cudnn-cu13
nvidia-cudnn-cu13==9.20.0.48
    # via torch
peft==0.21.2
    # via studio (pyproject.toml)
sympy==1.14.0
    # via torch
torch==2.13.0
    # via
    #   studio (pyproject.toml)
    #   accelerate
    #   peft
triton==3.7.1
    # via torch
"""
# The same for aarch64-apple-darwin: macOS's torch has no GPU libraries.
MACOS = """\
accelerate==1.15.0
    # via studio (pyproject.toml)
filelock==4.3.1
    # via torch
mpmath==1.3.0
    # via sympy
peft==0.21.2
    # via studio (pyproject.toml)
sympy==1.14.0
    # via torch
torch==2.13.0
    # via studio (pyproject.toml)
"""


def test_the_lock_keeps_every_pin_but_torch_and_what_only_its_build_brings(build):
    locked = build.lock.split(LINUX, MACOS, "Linux x86-64")
    assert locked.torch_pin == "torch==2.13.0"
    assert locked.left_to_torch == ("cuda-toolkit", "nvidia-cublas", "nvidia-cudnn-cu13", "triton")
    pins = build.lock.parse(locked.text)
    assert {name: pin.version for name, pin in pins.items()} == {
        "accelerate": "1.15.0",
        "filelock": "4.3.1",
        "mpmath": "1.3.0",
        "peft": "0.21.2",
        "sympy": "1.14.0",
    }
    assert "# via" in locked.text  # uv's reasons stay with each pin
    # uv reads it back as exact pins: every requirement line is name==version
    requirements = [line for line in locked.text.splitlines() if line and not line.lstrip().startswith("#")]
    assert requirements == ["accelerate==1.15.0", "filelock==4.3.1", "mpmath==1.3.0", "peft==0.21.2", "sympy==1.14.0"]


def test_on_the_portable_platform_itself_only_torch_leaves_the_lock(build):
    locked = build.lock.split(MACOS, None, "macOS")
    assert locked.left_to_torch == ()
    assert set(build.lock.parse(locked.text)) == {"accelerate", "filelock", "mpmath", "peft", "sympy"}


def test_a_resolution_without_torch_or_with_a_loose_pin_is_refused(build):
    with pytest.raises(build.lock.LockError, match="no torch pin"):
        build.lock.split("numpy==2.4.6\n    # via studio (pyproject.toml)\n", None, "Linux")
    with pytest.raises(build.lock.LockError, match="not an exact pin"):
        build.lock.split("numpy>=2\n", None, "Linux")


def test_a_package_for_another_system_is_refused_in_one_sentence(build):
    macos, windows, linux = build.TARGETS["macos"], build.TARGETS["windows"], build.TARGETS["linux"]
    said = build.refusal(macos, system="linux", machine="x86_64")
    assert said is not None and "built on macOS" in said and "this is Linux" in said and said.count(". ") == 0
    assert "this is macOS" in build.refusal(windows, system="darwin", machine="arm64")
    assert "aarch64" in build.refusal(linux, system="linux", machine="aarch64")
    assert build.refusal(linux, system="linux", machine="x86_64") is None


def test_the_command_refuses_before_any_step(build, tmp_path, capsys):
    if sys.platform == "darwin":
        pytest.skip("on macOS the macos target is this platform")
    assert build.main(["macos", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("build.py: The macos package is built on macOS") and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_windows_says_which_tool_is_missing(build, monkeypatch):
    monkeypatch.setattr(build.windows, "find_iscc", lambda: None)
    assert "ISCC" in build.missing_tool(build.TARGETS["windows"])
    assert "choco install innosetup" in build.missing_tool(build.TARGETS["windows"])


def test_every_installers_platform_has_a_build_of_every_pin(build, tmp_path):
    """uv resolves pyproject.toml for each installer's platform as build.py does: a pin with no wheel
    there (c2pa-python 0.38.1 publishes none for Windows) fails here, not on a user's first start.
    Needs the package index; skipped, saying so, only when it cannot be reached."""
    for target in build.TARGETS.values():
        out = tmp_path / f"{target.name}.txt"
        result = subprocess.run(
            [sys.executable, "-m", "uv", "pip", "compile", str(REPO / "pyproject.toml"), "--python-version",
             build.PYTHON, "--python-platform", target.uv_platform, "--no-header", "--quiet", "-o", str(out)],
            env={**os.environ, **target.uv_env}, capture_output=True, text=True, cwd=tmp_path,
        )  # fmt: skip
        unreachable = "No solution found" not in result.stderr and "Failed to fetch" in result.stderr
        if result.returncode and unreachable:
            pytest.skip(f"the package index cannot be reached: {result.stderr.strip()[:200]}")
        assert result.returncode == 0, f"{target.description}: {result.stderr}"
        pins = out.read_text()
        assert "c2pa-python==" in pins and "torch==" in pins, target.description


def test_the_build_tools_follow_pyprojects_pins(build):
    version, tools = build.pins()
    assert version and "uv==0.13.9" in tools and "pyinstaller==6.22.3" in tools
    assert any(tool.startswith("PySide6-Essentials==") for tool in tools)  # QtCore/QtGui/QtWidgets only


# -- the Linux package and its scripts ------------------------------------------------------------

# The frozen launcher's stand-in: records each call's arguments, fails when asked to.
FAKE_LAUNCHER = """#!/bin/sh
echo "$@" >> "$HOME/launcher-calls.txt"
if [ -n "${FAIL_UNINSTALL:-}" ] && [ "$1" = "--uninstall" ]; then echo "cannot remove" >&2; exit 1; fi
exit 0
"""


@pytest.fixture
def package(build, tmp_path):
    """A Linux tarball built by packagers/linux.py from a stand-in frozen folder, unpacked."""
    frozen = tmp_path / "frozen" / "Studio"
    (frozen / "_internal").mkdir(parents=True)
    (frozen / "Studio").write_text(FAKE_LAUNCHER)
    (frozen / "Studio").chmod(0o755)
    payload = tmp_path / "payload"
    payload.mkdir()
    for name in ("requirements.lock", "torch.txt", "version.txt", "studio-0.1.0-py3-none-any.whl", "uv"):
        (payload / name).write_text(name)
    icon = INSTALLERS / "launcher" / "studio.png"
    tarball = build.linux.package(frozen, payload, icon, "0.1.0", "x86_64", tmp_path / "dist", lambda _: None)
    assert tarball.name == "Studio-0.1.0-linux-x86_64.tar.gz"
    assert [p.name for p in (tmp_path / "dist").iterdir()] == [tarball.name]  # no .partial left
    with tarfile.open(tarball) as archive:
        names = set(archive.getnames())
        assert archive.getmember("Studio/install.sh").mode & 0o111
        assert archive.getmember("Studio/payload/uv").mode & 0o111
        archive.extractall(tmp_path / "download", filter="data")
    assert {"Studio/Studio", "Studio/payload/torch.txt", "Studio/studio.png", "Studio/uninstall.sh"} <= names
    return tmp_path / "download" / "Studio"


def sh(script: Path, home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {"PATH": os.environ["PATH"], "HOME": str(home), **env}
    return subprocess.run(["sh", str(script), *args], capture_output=True, text=True, env=environment)


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux package's shell scripts")
def test_install_copies_studio_adds_the_command_and_asks_for_the_desktop_entry(package, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    done = sh(package / "install.sh", home)
    assert done.returncode == 0, done.stderr
    prefix = home / ".local" / "opt" / "studio"
    assert (prefix / "Studio").is_file() and (prefix / "payload" / "torch.txt").is_file()
    assert (home / "launcher-calls.txt").read_text() == "--install-desktop\n"
    command = home / ".local" / "bin" / "studio-launcher"
    assert (
        subprocess.run([str(command), "a film.studio"], env={"HOME": str(home), "PATH": os.environ["PATH"]}).returncode
        == 0
    )
    assert (home / "launcher-calls.txt").read_text().splitlines()[-1] == "a film.studio"
    assert "uninstall.sh" in done.stdout


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux package's shell scripts")
def test_installing_again_replaces_the_old_copy_whole(package, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    assert sh(package / "install.sh", home).returncode == 0
    prefix = home / ".local" / "opt" / "studio"
    (prefix / "from-the-old-version.txt").write_text("old")
    (package / "payload" / "version.txt").write_text("0.2.0")
    assert sh(package / "install.sh", home).returncode == 0
    assert (prefix / "payload" / "version.txt").read_text() == "0.2.0"
    assert not (prefix / "from-the-old-version.txt").exists()
    assert sorted(p.name for p in prefix.parent.iterdir()) == ["studio"]  # no .new / .old folders left


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux package's shell scripts")
def test_install_refuses_a_folder_that_holds_something_else(package, tmp_path):
    home = tmp_path / "home"
    mine = home / "work"
    mine.mkdir(parents=True)
    (mine / "script.txt").write_text("the user's")
    refused = sh(package / "install.sh", home, PREFIX=str(mine))
    assert refused.returncode == 2
    assert "is not empty and holds no Studio" in refused.stderr and refused.stderr.count("\n") == 1
    assert sorted(p.name for p in mine.iterdir()) == ["script.txt"]
    assert not (home / "launcher-calls.txt").exists()
    assert sh(package / "install.sh", home, PREFIX="relative/path").returncode == 2


@pytest.mark.skipif(sys.platform == "win32", reason="the Linux package's shell scripts")
def test_uninstall_asks_the_launcher_then_removes_the_program_and_command(package, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    assert sh(package / "install.sh", home).returncode == 0
    prefix = home / ".local" / "opt" / "studio"
    failed = sh(prefix / "uninstall.sh", home, "--remove-models", FAIL_UNINSTALL="1")
    assert failed.returncode != 0 and (prefix / "Studio").is_file()  # nothing removed when the launcher fails
    done = sh(prefix / "uninstall.sh", home, "--remove-models")
    assert done.returncode == 0, done.stderr
    assert (home / "launcher-calls.txt").read_text().splitlines()[-1] == "--uninstall --remove-models"
    assert not prefix.exists() and not (home / ".local" / "bin" / "studio-launcher").exists()
    # the unpacked download is no install: its uninstall.sh leaves its own folder alone
    assert sh(package / "uninstall.sh", home).returncode == 0 and (package / "Studio").is_file()


@pytest.mark.skipif(os.environ.get("STUDIO_INSTALLER_E2E") != "1", reason="slow: set STUDIO_INSTALLER_E2E=1")
def test_the_linux_package_end_to_end():
    """benchmarks/installer_e2e.py: build (or STUDIO_INSTALLER_PACKAGE), install, provision, window,
    a shot through the launcher, uninstall keeping projects and models."""
    args = [sys.executable, str(REPO / "benchmarks" / "installer_e2e.py")]
    if os.environ.get("STUDIO_INSTALLER_PACKAGE"):
        args += ["--package", os.environ["STUDIO_INSTALLER_PACKAGE"]]
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[e2e] PASSED" in done.stdout
