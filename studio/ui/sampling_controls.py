"""The shot's steps and guidance: the model's own unless set by hand.

Each box's lowest value reads "Model's: 20 steps" (the card's number) and leaves the number to the
card (None in the recipe), as the CLI does without --steps or --guidance. The card's guidance can differ
by mode ([mode_guidance]: the demo model animates a still at 1, no guided pass, and draws from text at
3), so the box follows the mode the panel's inputs make. From "Model's", the first step up sets the
model's number itself, for a change from there."""

from __future__ import annotations

from PySide6.QtWidgets import QDoubleSpinBox, QHBoxLayout, QSpinBox, QWidget

from ..core.recipe import Mode
from ..engine.cards import Card
from ..engine.requests import MAX_GUIDANCE, MAX_STEPS

GUIDANCE_TIP = (
    "How hard the prompt steers the shot (classifier-free guidance). Above 1 the model makes a second, "
    "unguided pass each step, the negative prompt's, and pushes away from it: the prompt's look comes "
    "out stronger, and too much draws ghost shapes and burnt colours. 1 makes one pass a step (faster; the "
    "negative prompt is then not used)."
)
STEPS_TIP = "Denoising steps: each is one pass of the model (two with guidance above 1); more takes longer"


def _up_from_models(box: QSpinBox | QDoubleSpinBox, default: float, steps: int) -> bool:
    """Whether this step goes up from "Model's" (the lowest value): it lands on the model's own number."""
    return box.value() == box.minimum() and steps > 0 and default > box.minimum()


class _Steps(QSpinBox):
    default = 0

    def stepBy(self, steps: int) -> None:
        if _up_from_models(self, self.default, steps):
            self.setValue(self.default)
        else:
            super().stepBy(steps)


class _Guidance(QDoubleSpinBox):
    default = 0.0

    def stepBy(self, steps: int) -> None:
        if _up_from_models(self, self.default, steps):
            self.setValue(self.default)
        else:
            super().stepBy(steps)


class SamplingControls(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._card: Card | None = None
        self._mode = Mode.TEXT_TO_VIDEO
        self.steps = _Steps()
        self.steps.setRange(0, MAX_STEPS)
        self.steps.setSuffix(" steps")
        self.guidance = _Guidance()
        self.guidance.setRange(0.0, float(MAX_GUIDANCE))
        self.guidance.setDecimals(2)
        self.guidance.setSingleStep(0.5)
        self.guidance.setPrefix("guidance ")
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.steps, 1)
        row.addWidget(self.guidance, 1)
        self._update()

    def set_card(self, card: Card | None) -> None:
        self._card = card
        self._update()

    def set_mode(self, mode: Mode) -> None:
        """The mode the shot will run in (text or image to video): the card's guidance may differ by it."""
        self._mode = mode
        self._update()

    def steps_value(self) -> int | None:
        """The steps set by hand; None: the card's."""
        return self.steps.value() or None

    def guidance_value(self) -> float | None:
        """The guidance set by hand; None: the card's for the shot's mode."""
        return self.guidance.value() or None

    def _update(self) -> None:
        card = self._card
        if card is None:
            self.steps.default, self.guidance.default = 0, 0.0
            self.steps.setSpecialValueText("Model's steps")
            self.guidance.setSpecialValueText("Model's guidance")
            self.steps.setToolTip(STEPS_TIP)
            self.guidance.setToolTip(GUIDANCE_TIP)
            return
        steps, guidance = card.default_steps, card.guidance_for(self._mode)
        self.steps.default, self.guidance.default = steps, guidance
        self.steps.setSpecialValueText(f"Model's: {steps} steps")
        self.guidance.setSpecialValueText(f"Model's: guidance {guidance:g}")
        self.steps.setToolTip(f"{STEPS_TIP}. {card.name}'s own: {steps}")
        by_mode = "; ".join(f"{mode.label} {card.guidance_for(mode):g}" for mode in card.modes)
        self.guidance.setToolTip(f"{GUIDANCE_TIP}\n{card.name}'s own: {by_mode}")
