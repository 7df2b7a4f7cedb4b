"""The worker process's protocol, driven directly over its pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_stray_prints_cannot_corrupt_the_protocol():
    code = (
        "import os; from studio.engine.runtime.worker import _take_protocol_stream\n"
        "protocol = _take_protocol_stream()\n"
        "print('a library chatting'); os.write(1, b'C code writing to fd 1\\n')\n"
        'protocol.write(\'{"type": "ok"}\\n\')\n'
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert result.stdout == '{"type": "ok"}\n'
    assert "a library chatting" in result.stderr and "C code writing to fd 1" in result.stderr


def test_the_worker_runs_requests_from_stdin_and_answers_in_json_lines(tiny_ltx, tmp_path):
    def run(job_id, **recipe):
        base = dict(
            mode="text_to_video",
            model=str(tiny_ltx),
            prompt="a cat on a wall",
            width=64,
            height=64,
            frames=5,
            steps=2,
            guidance=3.0,
        )
        return {
            "type": "run",
            "job_id": job_id,
            "recipe": base | recipe,
            "output": str(tmp_path / f"{job_id}.mkv"),
        }

    requests = [
        run(
            "bad",
            mode="image_to_video",
            conditions=[{"path": str(tmp_path / "missing.png"), "frame_index": 0}],
        ),
        run("good"),
        {"type": "quit"},
    ]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    result = subprocess.run(
        [sys.executable, "-m", "studio.engine.runtime.worker"],
        input="not json\n" + "".join(json.dumps(r) + "\n" for r in requests),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]  # every line is JSON
    assert [(e["type"], e["job_id"]) for e in events] == [
        ("started", "bad"),
        ("failed", "bad"),
        ("started", "good"),
        ("progress", "good"),
        ("progress", "good"),
        ("preview", "good"),  # from the latents, after the second (last) step
        ("done", "good"),
    ]
    assert (
        events[1]["reason"]
        == f"{tmp_path / 'missing.png'} does not exist (was it moved or deleted after the job was queued?)"
    )
    assert "Traceback" in result.stderr  # the details go to the log
    assert "ERROR studio.engine.runtime.worker: job bad failed" in result.stderr
    assert "WARNING studio.engine.runtime.worker: ignoring a line that is not JSON: 'not json\\n'" in result.stderr
    done = events[-1]
    assert (done["frames"], done["width"], done["height"]) == (5, 64, 64)
    assert done["recipe"]["model_revision"].startswith("local-")
    assert (tmp_path / "good.mkv").is_file()
