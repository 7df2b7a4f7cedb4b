"""Prompt expansion: a small local instruct model rewrites a short prompt into a detailed shot
description. Runs where torch may: the CLI, or its own process for the editor
(`python -m studio.engine.runtime.expand MODEL`, the prompt on stdin, one JSON line out), so the editor
never loads a language model itself. weights.find_expander says where the model is.

Safetensors only, local files only, never remote code. Greedy decoding, so the same prompt on the
same weights gives the same expansion.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path

from ...core.logs import start_logging
from ..weights import ExpanderError

MAX_NEW_TOKENS = 180
SYSTEM = (
    "You are a cinematographer writing prompts for a video model. Rewrite the user's idea as one "
    "paragraph of at most 120 words describing a single continuous shot: the subject and what it "
    "does, the setting, the camera (framing, lens, movement), the light and the mood. Write only the "
    "description, in the present tense, with no title, list or commentary."
)
# Named, not __name__: the editor runs this module as __main__.
log = logging.getLogger("studio.engine.runtime.expand")


def expand(prompt: str, folder: str | os.PathLike[str]) -> str:
    """The expanded prompt for a short one."""
    if not prompt.strip():
        raise ExpanderError("the prompt is empty: write a few words to expand")
    folder = Path(folder)
    if not any(folder.glob("*.safetensors")):
        raise ExpanderError(f"{folder} has no .safetensors weights; the studio loads no other kind")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    model = AutoModelForCausalLM.from_pretrained(
        folder, local_files_only=True, use_safetensors=True, trust_remote_code=False
    )
    model.eval()
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": prompt.strip()}]
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.no_grad():
        output = model.generate(
            **inputs,
            max_new_tokens=MAX_NEW_TOKENS,
            do_sample=False,
            pad_token_id=tokenizer.pad_token_id or tokenizer.eos_token_id,
        )
    text = tokenizer.decode(output[0, inputs["input_ids"].shape[1] :], skip_special_tokens=True).strip()
    if not text:
        raise ExpanderError("the expander wrote nothing; keep the prompt as it is or try another model")
    return " ".join(text.split())


def main() -> int:
    """`python -m studio.engine.runtime.expand MODEL`: the prompt on stdin, {"expanded": ...} or {"error": ...} out."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        start_logging("expander")
    except OSError:  # no log folder of our own: expanding still works, without a log
        pass
    try:
        text = expand(sys.stdin.read(), sys.argv[1])
    except ExpanderError as exc:
        print(json.dumps({"error": str(exc)}))
        return 1
    except Exception as exc:  # a person reads this in the prompt panel; the details go to the log
        log.exception("the expander failed (arguments %s)", sys.argv[1:])
        print(json.dumps({"error": f"the expander failed: {str(exc).splitlines()[0] if str(exc) else exc!r}"}))
        return 1
    print(json.dumps({"expanded": text}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
