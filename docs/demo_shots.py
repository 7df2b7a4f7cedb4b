"""Make the README's picture of the demo model's shots: real takes of the shipped model (studio/models/demo/)
through the engine, one row a mode, six frames of each, with what was asked beside it.

    .venv/bin/python docs/demo_shots.py        # writes docs/screens/demo-shots.png
"""

import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.core.recipe import Condition, Mode  # noqa: E402
from studio.demo import quality, world  # noqa: E402
from studio.engine.cards import find_weights, load_cards  # noqa: E402
from studio.engine.families.ltx import adapter as ltx  # noqa: E402
from studio.engine.runtime.loader import load_pipeline, pick_device  # noqa: E402
from studio.media.takes import write_frames  # noqa: E402

OUT = Path(__file__).resolve().parent / "screens" / "demo-shots.png"
LABEL = 300  # pixels of text left of each row


def row(label: str, frames: np.ndarray, marks: set[int] = frozenset()) -> Image.Image:
    """Six frames spread over the take; a frame that was given (not generated) is framed in grey."""
    picks = np.linspace(0, len(frames) - 1, 6).round().astype(int)
    image = Image.new("RGB", (LABEL + 6 * 132, 132), (32, 34, 38))
    draw = ImageDraw.Draw(image)
    for n, i in enumerate(picks):
        x = LABEL + n * 132
        if i in marks:
            draw.rectangle((x, 0, x + 131, 131), fill=(140, 140, 140))
        image.paste(Image.fromarray(frames[i]), (x + 2, 2))
        draw.text((x + 4, 118), str(i), fill=(255, 255, 255))
    draw.multiline_text((8, 8), label, fill=(230, 230, 230), spacing=4)
    return image


def main() -> None:
    card = load_cards()["demo"]
    pipe = load_pipeline(find_weights(card), card, pick_device("cpu"))
    tmp = Path(tempfile.mkdtemp())
    rows = []
    for seed, prompt in enumerate(
        (
            "a red circle moves right on a blue background",
            "on black, a white square drifting up",
            "a yellow triangle moves left over a green background",
        )
    ):
        take = ltx.generate(pipe, quality.recipe(card, Mode.TEXT_TO_VIDEO, prompt, seed), card)
        rows.append(row(f'text to video\n"{prompt}"', take))

    scene = world.Scene("black", "green", "circle", "right", start=(0.3, 0.5))
    still = tmp / "still.png"
    Image.fromarray(world.render(scene, 1)[0]).save(still)
    prompt = quality.prompt_for(scene, 0)
    asked = quality.recipe(card, Mode.IMAGE_TO_VIDEO, prompt, 7, conditions=[Condition(str(still), 0)])
    take = ltx.generate(pipe, asked, card)
    rows.append(row(f'image to video\n(frame 0 given)\n"{prompt}"', take, {0}))

    scene = world.Scene("white", "blue", "square", "down", start=(0.5, 0.3))
    clip = write_frames(tmp / "clip.mkv", world.render(scene, 25), 24)
    prompt = quality.prompt_for(scene, 1)
    asked = quality.recipe(card, Mode.EXTEND_FORWARD, prompt, 8, conditions=[Condition(str(clip))])
    take = ltx.generate(pipe, asked, card)
    rows.append(row(f'extend forward\n(frames 0-24 given)\n"{prompt}"', take, set(range(25))))

    sheet = Image.new("RGB", (rows[0].width, 132 * len(rows)))
    for n, image in enumerate(rows):
        sheet.paste(image, (0, 132 * n))
    OUT.parent.mkdir(exist_ok=True)
    sheet.save(OUT)
    print(OUT)


if __name__ == "__main__":
    main()
