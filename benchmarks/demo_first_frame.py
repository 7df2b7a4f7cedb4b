"""How the shipped demo model's first-frame transformer (studio/models/demo/first_frame/) was made: first_frame.py's
stage from the seed's weights (not the video transformer's, which `studio models train-demo` now begins it from:
a quarter of the steps for the same shape, benchmarks/demo_training.md), 24000 steps, on the shipped model's own
VAE and text encoder (which it leaves as they are).

    python benchmarks/demo_first_frame.py MODEL WORK [--steps N] [--threads N]

MODEL: the model folder to add it to (studio/models/demo). WORK: where the first frames' latents and the stage's
checkpoints go (run it again to resume). Seed 0: the random streams of the run that made the shipped one (begun as a
script of the same steps, /work/exp/e2v/t2i.py, and continued here from its checkpoint). About 0.12 s a step on
two threads of the 2-core workplace, 30000 steps in an hour. benchmarks/demo_training.md, "The first frame first",
has what it measured.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from studio.demo import first_frame, train  # noqa: E402
from studio.demo.runlog import Log, save_checkpoint  # noqa: E402

SHIPPED_STEPS = 24000  # from the seed's weights (the recipe's stage begins from the video transformer's: 6000)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("work", type=Path)
    parser.add_argument("--steps", type=int, default=SHIPPED_STEPS)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from diffusers import AutoencoderKLLTXVideo
    from transformers import AutoTokenizer, T5EncoderModel

    checkpoints = args.work / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(args.model / "tokenizer")
    text_encoder = T5EncoderModel.from_pretrained(args.model / "text_encoder", torch_dtype=torch.float32).eval()
    frames_file = checkpoints / "first_frames.pt"
    if not frames_file.exists():
        vae = AutoencoderKLLTXVideo.from_pretrained(args.model / "vae", torch_dtype=torch.float32).eval()
        save_checkpoint(frames_file, **first_frame.encode_first_frames(vae, first_frame.FIRST_FRAMES, train.SEED))
    frames = torch.load(frames_file, weights_only=False)  # our own file, written just above
    transformer = first_frame.train_first_frame(
        args.work, frames, args.steps, Log(args.work), train.SEED, tokenizer, text_encoder
    )
    out = args.model / train.FIRST_FRAME_FOLDER
    transformer.to(torch.float16).save_pretrained(out, safe_serialization=True)
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
