"""installers/bootstrap.py: which torch build setup installs, with nvidia-smi and pip faked.

bootstrap.py is a script, not a module of the studio (it runs before the venv exists), so it is
loaded from its file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PIN = re.search(r'"(torch==[^"]+)"', (REPO / "pyproject.toml").read_text()).group(1)
INSTALL = ["install", "--disable-pip-version-check", "--no-compile"]  # the test setup's pip install
VERSION = PIN.split("==")[1]


def load_bootstrap():
    spec = importlib.util.spec_from_file_location("studio_bootstrap", REPO / "installers" / "bootstrap.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def bootstrap():
    return load_bootstrap()


# Real nvidia-smi output, as each driver prints it.
WINDOWS_4090_QUERY = "NVIDIA GeForce RTX 4090, 560.94\n"
WINDOWS_4090_BANNER = """\
Mon Dec  1 21:14:02 2026
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 560.94                 Driver Version: 560.94         CUDA Version: 12.6     |
|-----------------------------------------+------------------------+----------------------+
| GPU  Name                  Driver-Model | Bus-Id          Disp.A | Volatile Uncorr. ECC |
| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |
|                                         |                        |               MIG M. |
|=========================================+========================+======================|
|   0  NVIDIA GeForce RTX 4090      WDDM  |   00000000:01:00.0  On |                  Off |
|  0%   38C    P8             22W /  450W |    1012MiB /  24564MiB |      2%      Default |
|                                         |                        |                  N/A |
+-----------------------------------------+------------------------+----------------------+
"""
LINUX_A100_QUERY = "NVIDIA A100-SXM4-80GB, 535.104.05\n"
LINUX_A100_BANNER = """\
+---------------------------------------------------------------------------------------+
| NVIDIA-SMI 535.104.05             Driver Version: 535.104.05   CUDA Version: 12.2     |
|-----------------------------------------+----------------------+----------------------+
| GPU  Name                 Persistence-M | Bus-Id        Disp.A | Volatile Uncorr. ECC |
| Fan  Temp   Perf          Pwr:Usage/Cap |         Memory-Usage | GPU-Util  Compute M. |
|=========================================+======================+======================|
|   0  NVIDIA A100-SXM4-80GB          On  | 00000000:07:00.0 Off |                    0 |
| N/A   31C    P0              62W / 400W |      4MiB / 81920MiB |      0%      Default |
+-----------------------------------------+----------------------+----------------------+
"""
LINUX_2XH100_QUERY = "NVIDIA H100 80GB HBM3, 580.65.06\nNVIDIA H100 80GB HBM3, 580.65.06\n"
LINUX_H100_BANNER = """\
+-----------------------------------------------------------------------------------------+
| NVIDIA-SMI 580.65.06              Driver Version: 580.65.06      CUDA Version: 13.0     |
+-----------------------------------------+------------------------+----------------------+
"""
OLD_1080_QUERY = "NVIDIA GeForce GTX 1080, 470.182.03\n"
OLD_1080_BANNER = """\
+-----------------------------------------------------------------------------+
| NVIDIA-SMI 470.182.03   Driver Version: 470.182.03   CUDA Version: 11.4     |
|-------------------------------+----------------------+----------------------+
"""


def test_parses_real_nvidia_smi_output(bootstrap):
    gpu = bootstrap.parse_gpu(WINDOWS_4090_QUERY, WINDOWS_4090_BANNER)
    assert (gpu.name, gpu.driver, gpu.cuda) == ("NVIDIA GeForce RTX 4090", "560.94", (12, 6))
    gpu = bootstrap.parse_gpu(LINUX_A100_QUERY, LINUX_A100_BANNER)
    assert (gpu.name, gpu.driver, gpu.cuda) == ("NVIDIA A100-SXM4-80GB", "535.104.05", (12, 2))
    gpu = bootstrap.parse_gpu(LINUX_2XH100_QUERY, LINUX_H100_BANNER)
    assert (gpu.name, gpu.driver, gpu.cuda) == ("NVIDIA H100 80GB HBM3 (and 1 more)", "580.65.06", (13, 0))
    gpu = bootstrap.parse_gpu(OLD_1080_QUERY, OLD_1080_BANNER)
    assert gpu.cuda == (11, 4)
    # A banner without the CUDA line still names the GPU; nothing listed is no GPU.
    assert bootstrap.parse_gpu(WINDOWS_4090_QUERY, "").cuda is None
    assert bootstrap.parse_gpu("", WINDOWS_4090_BANNER) is None
    assert bootstrap.parse_gpu("No devices were found\n", None) is None


def test_detect_gpu_runs_both_nvidia_smi_commands(bootstrap, monkeypatch):
    calls = []

    def fake(args):
        calls.append(args)
        return WINDOWS_4090_QUERY if args else WINDOWS_4090_BANNER

    monkeypatch.setattr(bootstrap, "nvidia_smi", fake)
    assert bootstrap.detect_gpu().cuda == (12, 6)
    assert calls == [["--query-gpu=name,driver_version", "--format=csv,noheader"], []]
    monkeypatch.setattr(bootstrap, "nvidia_smi", lambda args: None)
    assert bootstrap.detect_gpu() is None


def test_no_nvidia_smi_is_no_gpu(bootstrap, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # nvidia-smi cannot be found
    assert bootstrap.nvidia_smi(["--query-gpu=name,driver_version", "--format=csv,noheader"]) is None
    assert bootstrap.detect_gpu() is None


def gpu(bootstrap, query: str, banner: str):
    return bootstrap.parse_gpu(query, banner)


def test_windows_with_a_gpu_gets_the_newest_cuda_build_its_driver_supports(bootstrap):
    choice = bootstrap.choose_torch(PIN, "win32", gpu(bootstrap, WINDOWS_4090_QUERY, WINDOWS_4090_BANNER))
    assert choice.build == "cu126"
    assert choice.pip_args(PIN) == [PIN, "--index-url", "https://download.pytorch.org/whl/cu126"]
    assert (
        choice.reason
        == f"NVIDIA GeForce RTX 4090, driver 560.94 (CUDA 12.6): installing torch {VERSION} with CUDA 12.6"
    )
    for cuda, build in [
        ((12, 9), "cu126"),
        ((13, 0), "cu130"),
        ((13, 1), "cu130"),
        ((13, 2), "cu132"),
        ((14, 0), "cu132"),
    ]:
        newer = bootstrap.Gpu("NVIDIA GeForce RTX 5090", "600.1", cuda)
        assert bootstrap.choose_torch(PIN, "win32", newer).build == build


def test_linux_with_a_gpu_also_takes_the_build_from_pytorchs_index(bootstrap):
    """PyPI's Linux wheel is CUDA 13.0: it would not run on this 12.2 driver, which cu126 does not need…"""
    choice = bootstrap.choose_torch(PIN, "linux", gpu(bootstrap, LINUX_A100_QUERY, LINUX_A100_BANNER))
    assert choice.build == "default"  # 12.2 is older than the oldest build (12.6)
    choice = bootstrap.choose_torch(PIN, "linux", gpu(bootstrap, LINUX_2XH100_QUERY, LINUX_H100_BANNER))
    assert choice.pip_args(PIN) == [PIN, "--index-url", "https://download.pytorch.org/whl/cu130"]
    assert choice.reason.startswith("NVIDIA H100 80GB HBM3 (and 1 more), driver 580.65.06 (CUDA 13.0): installing")


def test_no_gpu_installs_exactly_the_pin(bootstrap):
    for system in ("win32", "linux"):
        choice = bootstrap.choose_torch(PIN, system, None)
        assert choice.pip_args(PIN) == [PIN]
        assert "no NVIDIA GPU found" in choice.reason and "CPU" in choice.reason


def test_an_old_driver_gets_the_default_build_and_says_to_update_it(bootstrap):
    choice = bootstrap.choose_torch(PIN, "win32", gpu(bootstrap, OLD_1080_QUERY, OLD_1080_BANNER))
    assert choice.pip_args(PIN) == [PIN]
    assert choice.reason.startswith("NVIDIA GeForce GTX 1080, driver 470.182.03 (CUDA 11.4): the driver is older")
    assert "update the NVIDIA driver" in choice.reason


def test_the_override_wins(bootstrap):
    new_gpu = gpu(bootstrap, LINUX_2XH100_QUERY, LINUX_H100_BANNER)
    assert bootstrap.choose_torch(PIN, "linux", new_gpu, "cu126").pip_args(PIN)[-1].endswith("/whl/cu126")
    assert bootstrap.choose_torch(PIN, "linux", new_gpu, "cpu").pip_args(PIN) == [
        PIN,
        "--index-url",
        "https://download.pytorch.org/whl/cpu",
    ]
    assert bootstrap.choose_torch(PIN, "win32", new_gpu, "default").pip_args(PIN) == [PIN]
    # Even with no GPU found (a CI machine building a CUDA image, say).
    assert bootstrap.choose_torch(PIN, "win32", None, "cu130").build == "cu130"
    assert bootstrap.choose_torch(PIN, "win32", new_gpu, " Auto ").build == "cu130"
    with pytest.raises(bootstrap.SetupError, match="STUDIO_TORCH=cu118 is not a build of torch .*cu126"):
        bootstrap.choose_torch(PIN, "win32", new_gpu, "cu118")
    with pytest.raises(bootstrap.SetupError, match="no CUDA builds for macOS"):
        bootstrap.choose_torch(PIN, "darwin", None, "cu130")
    assert not bootstrap.wants_detection("linux", "x86_64", "cpu")
    assert bootstrap.wants_detection("linux", "x86_64", "auto")
    assert bootstrap.wants_detection("win32", "AMD64", None)


def test_macos_and_arm_take_the_default_build_without_looking_for_a_gpu(bootstrap):
    assert not bootstrap.wants_detection("darwin", "arm64", None)
    choice = bootstrap.choose_torch(PIN, "darwin", None)
    assert choice.pip_args(PIN) == [PIN] and "MPS" in choice.reason
    assert not bootstrap.wants_detection("linux", "aarch64", None)
    assert bootstrap.choose_torch(PIN, "linux", None, machine="aarch64").pip_args(PIN) == [PIN]


def test_the_cuda_table_knows_the_pinned_torch(bootstrap):
    """Bumping the pin without the table would quietly give every GPU the default build."""
    assert VERSION in bootstrap.CUDA_BUILDS
    assert all(re.fullmatch(r"cu\d{3}", build) for build in bootstrap.CUDA_BUILDS[VERSION])
    unknown = bootstrap.choose_torch("torch==9.9.9", "win32", gpu(bootstrap, WINDOWS_4090_QUERY, WINDOWS_4090_BANNER))
    assert unknown.pip_args("torch==9.9.9") == ["torch==9.9.9"] and "STUDIO_TORCH" in unknown.reason


# -- setup, with pip and the venv faked ---------------------------------------------------------------


class FakeMachine:
    """setup()'s world: a project folder, an existing venv, a platform, nvidia-smi and a pip that only
    records what it was asked."""

    def __init__(self, bootstrap, monkeypatch, tmp_path: Path):
        self.bootstrap = bootstrap
        self.commands: list[list[str]] = []
        self.root = tmp_path / "studio"
        self.root.mkdir()
        (self.root / "pyproject.toml").write_bytes((REPO / "pyproject.toml").read_bytes())
        self.venv = self.root / ".venv"
        self.python = self.venv / "bin" / "python"
        self.python.parent.mkdir(parents=True)
        self.python.write_text("")
        self.smi: tuple[str, str] | None = None
        self.installed: set[str] = set()  # the distributions in the venv, as setup's probe finds them
        for name, value in [("ROOT", self.root), ("VENV", self.venv), ("PYTHON", self.python)]:
            monkeypatch.setattr(bootstrap, name, value)
        monkeypatch.setattr(bootstrap, "PLATFORM", "win32", raising=False)
        monkeypatch.setattr("platform.machine", lambda: "AMD64")
        monkeypatch.setattr(bootstrap, "nvidia_smi", self.nvidia_smi, raising=False)
        monkeypatch.setattr(bootstrap.subprocess, "run", self.run)
        monkeypatch.delenv("STUDIO_TORCH", raising=False)

    def nvidia_smi(self, args):
        if self.smi is None:
            return None
        return self.smi[0] if args else self.smi[1]

    def run(self, command, **kwargs):
        command = [str(part) for part in command]
        self.commands.append(command)
        if command[1:3] == ["-I", "-c"]:  # the probe of what the venv holds
            return subprocess.CompletedProcess(command, 0, " ".join(n for n in command[4:] if n in self.installed), "")
        if command[3:5] == ["uninstall", "--yes"]:
            self.installed -= set(command[6:])
        return subprocess.CompletedProcess(command, 0, "", "")

    def setup(self, extras: str = "dev") -> list[list[str]]:
        self.commands.clear()
        self.bootstrap.setup(extras)
        return [command[3:] for command in self.commands if command[1:3] == ["-m", "pip"]]  # without "python -m pip"

    @property
    def stamp(self) -> str:
        return (self.venv / ".setup-dev").read_text()


@pytest.fixture
def machine(bootstrap, monkeypatch, tmp_path):
    return FakeMachine(bootstrap, monkeypatch, tmp_path)


def test_setup_on_windows_with_an_nvidia_gpu_installs_the_cuda_build_and_says_so(machine, capsys):
    machine.smi = (WINDOWS_4090_QUERY, WINDOWS_4090_BANNER)
    commands = machine.setup()
    assert commands[0] == [
        *INSTALL,
        PIN,
        "--index-url",
        "https://download.pytorch.org/whl/cu126",
    ]
    assert commands[1] == [*INSTALL, "-e", ".[dev]"]
    assert (
        f"[studio setup] NVIDIA GeForce RTX 4090, driver 560.94 (CUDA 12.6): installing torch {VERSION} with CUDA 12.6"
        in capsys.readouterr().out
    )
    assert "torch cu126" in machine.stamp


def test_the_apps_setup_byte_compiles_what_it_installs_and_the_test_setup_leaves_it_to_first_import(machine):
    """pip compiles 15 000 files for the test setup, 80 s on a slow 2-core CPU; the checks import under a quarter."""
    assert machine.setup("")[:2] == [
        ["install", "--disable-pip-version-check", PIN],
        ["install", "--disable-pip-version-check", "-e", "."],
    ]
    assert machine.setup("dev,cluster")[:2] == [[*INSTALL, PIN], [*INSTALL, "-e", ".[dev,cluster]"]]


def test_setup_without_a_gpu_runs_exactly_pip_install_the_pin(machine):
    """CI installs torch from a local wheel of the pin: the command must stay exactly this."""
    assert machine.setup()[0] == [*INSTALL, PIN]
    assert machine.setup() == []  # nothing changed: nothing to do


def test_choosing_another_build_reinstalls_torch(machine, monkeypatch):
    machine.setup()
    machine.smi = (WINDOWS_4090_QUERY, WINDOWS_4090_BANNER)  # a driver was installed since
    commands = machine.setup()
    # pip keeps an installed torch 2.13.0 whatever its build, so it goes first.
    assert commands[0] == ["uninstall", "--yes", "--disable-pip-version-check", "torch"]
    assert commands[1][-1] == "https://download.pytorch.org/whl/cu126"
    monkeypatch.setenv("STUDIO_TORCH", "cpu")
    commands = machine.setup()
    assert commands[0][0] == "uninstall" and commands[1][-1] == "https://download.pytorch.org/whl/cpu"
    assert "torch cpu" in machine.stamp
    assert machine.setup() == []


def test_an_older_setups_opencv_python_is_replaced_by_the_headless_build(machine, capsys):
    """opencv-python's cv2 points Qt at its own Qt 5 plugins: left beside the headless build, it still would."""
    machine.setup()
    machine.installed = {"opencv-python", "opencv-python-headless"}  # both own cv2's files: pip left the old one
    (machine.venv / ".setup-dev").write_text("an older pyproject.toml\n")
    commands = machine.setup()
    assert commands[1] == [
        "uninstall",
        "--yes",
        "--disable-pip-version-check",
        "opencv-python",
        "opencv-python-headless",
    ]
    assert commands[2] == [*INSTALL, "-e", ".[dev]"]  # puts cv2 back whole
    assert "removing opencv-python: the studio uses opencv-python-headless instead" in capsys.readouterr().out
    machine.installed = {"opencv-python-headless"}
    (machine.venv / ".setup-dev").write_text("an older pyproject.toml\n")
    assert [command[0] for command in machine.setup()] == ["install", "install"]  # nothing left to remove
    assert "opencv-python-headless" in (REPO / "pyproject.toml").read_text()


def test_a_stamp_from_before_the_choice_counts_as_the_default_build(machine):
    digest = hashlib.sha256((machine.root / "pyproject.toml").read_bytes()).hexdigest()
    (machine.venv / ".setup-dev").write_text(digest)  # what setup wrote before it chose builds
    commands = machine.setup()
    assert commands[0] == [*INSTALL, PIN]  # no uninstall: same build


def test_an_unknown_override_stops_setup_with_one_sentence(machine, monkeypatch, capsys):
    monkeypatch.setenv("STUDIO_TORCH", "cu999")
    assert machine.bootstrap.main(["test"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Setup cannot go on: STUDIO_TORCH=cu999 is not a build of torch") and "Traceback" not in err
    assert machine.commands == []
