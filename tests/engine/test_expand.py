"""Prompt expansion through a tiny language model's real transformers generate path, the CLI's
`studio expand` and `generate --expand`, and the expander being found."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from studio.engine.runtime.expand import expand
from studio.engine.weights import ExpanderError, find_expander


def test_expansion_is_text_and_the_same_every_time(tiny_expander):
    first = expand("a fox in the snow", tiny_expander)
    assert first and first == expand("a fox in the snow", tiny_expander)  # greedy: reproducible
    assert first != expand("a lighthouse at night", tiny_expander)
    assert "\n" not in first


def test_an_empty_prompt_or_a_pickled_model_is_refused(tiny_expander, tmp_path):
    with pytest.raises(ExpanderError, match="the prompt is empty"):
        expand("  ", tiny_expander)
    (tmp_path / "config.json").write_text("{}")
    (tmp_path / "pytorch_model.bin").write_bytes(b"pickle")
    with pytest.raises(ExpanderError, match="no .safetensors weights"):
        expand("a fox", tmp_path)


def test_the_expander_is_found_where_the_user_put_it(tiny_expander, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_EXPANDER", str(tiny_expander))
    assert find_expander() == tiny_expander
    with pytest.raises(ExpanderError, match="not a text model folder"):
        find_expander(tmp_path)


def test_the_editors_way_in_is_a_process_of_its_own(tiny_expander):
    result = subprocess.run(
        [sys.executable, "-m", "studio.engine.runtime.expand", str(tiny_expander)],
        input="a red kite over dunes",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1])["expanded"] == expand(
        "a red kite over dunes", tiny_expander
    )


def test_cli_expand_and_generate_with_expand(studio_cli, tiny_expander, tiny_ltx, tmp_path):
    result = studio_cli("expand", "a red kite over dunes", "--expander", str(tiny_expander), timeout=120)
    assert result.returncode == 0, result.stderr
    expanded = result.stdout.strip()
    assert expanded == expand("a red kite over dunes", tiny_expander)
    out = tmp_path / "kite.mkv"
    result = studio_cli(
        "generate",
        "-m",
        str(tiny_ltx),
        "-p",
        "a red kite over dunes",
        "--expand",
        "--expander",
        str(tiny_expander),
        "--frames",
        "5",
        "--width",
        "64",
        "--height",
        "64",
        "-o",
        str(out),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert f"expanded prompt: {expanded}" in result.stderr
    missing = studio_cli("expand", "a kite", "--expander", str(tmp_path), timeout=60)
    assert missing.returncode == 2 and "is not a text model folder" in missing.stderr


def test_the_expanders_own_failure_is_one_line_out_and_the_details_in_its_log(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.safetensors").write_bytes(b"not weights")
    env = dict(os.environ, STUDIO_CONFIG=str(tmp_path / "config"))
    result = subprocess.run(
        [sys.executable, "-m", "studio.engine.runtime.expand", str(tmp_path / "model")],
        input="a red kite",
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"].startswith("the expander failed: ")
    log = (tmp_path / "config" / "logs" / "expander.log").read_text()
    assert "ERROR studio.engine.runtime.expand: the expander failed" in log and "Traceback" in log
