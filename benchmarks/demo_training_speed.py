"""How fast each stage of `studio models train-demo` steps, and so how long the recipe takes on this machine.

    python benchmarks/demo_training_speed.py [--steps 200] [--phases ...]

Each phase of the recipe (the VAE's main cycle on crops and then on whole frames, its join cycle, the video
transformer's first and last cycles, the first-frame transformer) is timed through the real command's code,
train.train: a folder is made whose checkpoints stand where the phase begins (the seed's weights, a small bank: the
speed of a step does not depend on what was learnt), train.train runs in a child process, and is stopped once its
log has --steps steps of the phase. The seconds a step come from the log's clock (the seconds column), from the 20th
step logged to the last, so the compile is left out and given apart (the first logged step's seconds). The recipe's
steps take each phase's steps times its rate; the bank, the text encoder's short stage, the first frames and the
compiles come on top (about 8 minutes on the 2-core workplace: benchmarks/demo_training.md).
"""

from __future__ import annotations

import argparse
import csv
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from studio.demo import first_frame, text, train, vae_stage  # noqa: E402
from studio.demo.runlog import save_checkpoint  # noqa: E402

# phase: (stage in the log, the checkpoints it starts from {stage: step}, train.train's step counts)
RECIPE = {
    "vae_steps": vae_stage.VAE_STEPS,
    "text_steps": text.TEXT_STEPS,
    "transformer_steps": train.TRANSFORMER_STEPS,
    "first_frame_steps": first_frame.FIRST_FRAME_STEPS,
}
JOIN_FROM = vae_stage.vae_join_from(vae_stage.VAE_STEPS)
# Where the VAE's main cycle turns from crops to whole frames.
WHOLE_FROM = next(step for step in range(vae_stage.VAE_STEPS) if not vae_stage.vae_cropped(step, vae_stage.VAE_STEPS))
PHASES = {
    # From step 2000: every other step single frames (the first 15 % of the cycle are all single frames, about
    # as dear as a step of clips).
    "vae main cycle, crops": ("vae", {"vae": 2000}, {}),
    "vae main cycle, whole frames": ("vae", {"vae": WHOLE_FROM}, {}),
    "vae join cycle": ("vae", {"vae": JOIN_FROM}, {}),
    # The video stage compiles only with COMPILE_FROM steps to go, as the recipe's whole stage does: the last
    # cycle's phase asks for more steps than the recipe (the batches depend on the step, not the count).
    "video transformer, first cycles": (
        "transformer",
        {"vae": vae_stage.VAE_STEPS, "text_encoder": text.TEXT_STEPS, "transformer": 0},
        {},
    ),
    "video transformer, last cycle": (
        "transformer",
        {"vae": vae_stage.VAE_STEPS, "text_encoder": text.TEXT_STEPS, "transformer": train.LATE_FROM},
        {"transformer_steps": train.LATE_FROM + train.COMPILE_FROM},
    ),
    "first-frame transformer": (
        "first_frame",
        {
            "vae": vae_stage.VAE_STEPS,
            "text_encoder": text.TEXT_STEPS,
            "transformer": train.TRANSFORMER_STEPS,
            "first_frame": 0,
        },
        {},
    ),
}
# Of the recipe's steps, how many each phase's rate stands for.
RECIPE_STEPS = {
    "vae main cycle, crops": WHOLE_FROM,
    "vae main cycle, whole frames": JOIN_FROM - WHOLE_FROM,
    "vae join cycle": vae_stage.VAE_STEPS - JOIN_FROM,
    "video transformer, first cycles": train.LATE_FROM,
    "video transformer, last cycle": train.TRANSFORMER_STEPS - train.LATE_FROM,
    "first-frame transformer": first_frame.FIRST_FRAME_STEPS,
}
BANK = 64  # clips: enough for the batches to be drawn as in the recipe


def prepare(folder: Path, at: dict[str, int]) -> None:
    """Checkpoints of the seed's weights standing at the steps `at` (a stage at its last step is done)."""
    (folder / "checkpoints").mkdir(parents=True)
    torch.manual_seed(train.SEED)
    for stage, step in at.items():
        if step == 0:
            continue
        if stage == "vae":
            modules = {"model": vae_stage.build_vae()}
        elif stage == "text_encoder":
            encoder = text.build_text_encoder(len(text.build_tokenizer()))
            head = torch.nn.Linear(text.TEXT_WIDTH, sum(len(values) for _, values in text.ATTRIBUTES))
            modules = {"text_encoder": encoder, "head": head}
        else:
            modules = {"transformer": train.build_transformer()}
        state = {key: module.state_dict() for key, module in modules.items()}
        params = [p for module in modules.values() for p in module.parameters()]
        state["optimizer"] = torch.optim.AdamW(params).state_dict()
        save_checkpoint(folder / "checkpoints" / f"{stage}.pt", **state, step=step, seconds=0.0)


def steps_logged(log: Path, stage: str) -> list[tuple[int, float]]:
    if not log.exists():
        return []
    with log.open(newline="") as file:
        return [(int(r["step"]), float(r["seconds"])) for r in csv.DictReader(file) if r["stage"] == stage]


def time_phase(name: str, steps: int, work: Path) -> dict:
    stage, at, asked = PHASES[name]
    folder = work / name.replace(" ", "-").replace(",", "")
    prepare(folder, at)
    counts = {**RECIPE, **asked}
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); from studio.demo import train; "
        f"train.train(Path(sys.argv[2]), bank_size={BANK}, first_frames={BANK}, "
        + ", ".join(f"{k}={v}" for k, v in counts.items())
        + ")"
    )
    child = subprocess.Popen([sys.executable, "-c", code, str(ROOT), str(folder)], cwd=work, stderr=subprocess.DEVNULL)
    log, first = folder / "training-log.csv", at.get(stage, 0)
    try:
        while child.poll() is None:
            rows = steps_logged(log, stage)
            if rows and rows[-1][0] >= first + steps:
                break
            time.sleep(2)
    finally:
        child.kill()
        child.wait()
    rows = steps_logged(log, stage)
    if len(rows) < 3:
        raise SystemExit(f"{name}: the run stopped before {steps} steps (see {folder})")
    (s0, t0), (s1, t1) = rows[1], rows[-1]
    return {"rate": (t1 - t0) / (s1 - s0), "first step": rows[0][1]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=200, help="steps timed in each phase")
    parser.add_argument("--phases", nargs="+", default=list(PHASES), choices=list(PHASES))
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.phases:
            results[name] = time_phase(name, args.steps, Path(tmp))
            print(f"{name}: {results[name]['rate']:.3f} s a step", flush=True)
    print("\n| phase | s a step | first step (with its compile) | the recipe's steps | minutes |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        minutes = RECIPE_STEPS[name] * r["rate"] / 60
        print(f"| {name} | {r['rate']:.3f} | {r['first step']:.0f} s | {RECIPE_STEPS[name]} | {minutes:.1f} |")
    total = sum(RECIPE_STEPS[name] * r["rate"] for name, r in results.items()) / 60
    print(f"\nThe recipe's steps of these phases: {total:.1f} min (their compiles, the bank, the text encoder and the")
    print("first frames apart).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
