"""Remix: a shot made again from its recipe with changes, as new takes of the same clip."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from ..core.recipe import Mode, Recipe, variations
from ..engine.requests import MAX_GUIDANCE
from .sampling_controls import GUIDANCE_TIP

MAX_SEED = 2**31 - 1


class RemixDialog(QDialog):
    """Prompt, negative prompt, style, references, seed, guidance, strength (video to video) and how many takes;
    recipes() gives the new recipes. `sequence_style`: the sequence's style now, offered where the take's differs;
    `sequence_references` the same for its reference images (None: the take's model takes none)."""

    def __init__(
        self,
        recipe: Recipe,
        parent: QWidget | None = None,
        sequence_style: str = "",
        sequence_references: list[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Remix Shot")
        # Wide enough that the style's field, beside its "Sequence's style" button, shows what it asks for.
        self.setMinimumWidth(540)
        self.source = recipe
        self.prompt = QPlainTextEdit(recipe.prompt)
        self.prompt.setMinimumHeight(90)
        self.negative = QPlainTextEdit(recipe.negative_prompt)
        self.negative.setPlaceholderText("What to avoid (optional)")
        self.negative.setMaximumHeight(48)
        # The take's own style; the sequence's since changed is a click away, to bring an older shot into it.
        self.style = QLineEdit()
        self._show_style(recipe.style)
        self.style.setPlaceholderText("The look, said after the prompt (optional)")
        style_row = QHBoxLayout()
        style_row.addWidget(self.style, 1)
        if sequence_style != recipe.style:
            use_sequences = QPushButton("Sequence's style")
            use_sequences.setObjectName("use_sequence_style")
            use_sequences.setToolTip(f"The sequence's style now: {sequence_style or '(none)'}")
            use_sequences.clicked.connect(lambda: self._show_style(sequence_style))
            style_row.addWidget(use_sequences)
        # The take's reference images likewise: an older shot brought to the sequence's characters in a click.
        self.references = QLabel()
        self.references.setWordWrap(True)
        self._show_references(recipe.references)
        references_row = QHBoxLayout()
        references_row.addWidget(self.references, 1)
        if sequence_references is not None and sequence_references != recipe.references:
            use_references = QPushButton("Sequence's images")
            use_references.setObjectName("use_sequence_references")
            use_references.setToolTip(
                "The sequence's reference images now: " + (", ".join(sequence_references) or "(none)")
            )
            use_references.clicked.connect(lambda: self._show_references(sequence_references))
            references_row.addWidget(use_references)
        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_SEED)
        self.seed.setValue(recipe.seed)
        new_seed = QPushButton("Random")
        new_seed.setToolTip("A new seed: a different take of the same recipe")
        new_seed.clicked.connect(lambda: self.seed.setValue(random.randint(0, MAX_SEED)))
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(new_seed)
        # The guidance the take ran at (a take's recipe records it); a shot with ghost shapes may want less.
        self.guidance = QDoubleSpinBox()
        self.guidance.setRange(0.0, float(MAX_GUIDANCE))
        self.guidance.setSingleStep(0.5)
        self.guidance.setSpecialValueText("Model's")  # a recipe that never recorded one: the card's
        self.guidance.setValue(recipe.guidance or 0.0)
        self.guidance.setToolTip(GUIDANCE_TIP)
        self.strength = QDoubleSpinBox()
        self.strength.setRange(0.0, 1.0)
        self.strength.setSingleStep(0.05)
        self.strength.setValue(recipe.strength)
        self.strength.setToolTip("How much of the clip is remade: 0 keeps it, 1 makes it anew")
        self.takes = QSpinBox()
        self.takes.setRange(1, 8)
        self.takes.setToolTip("Several takes at once, with the seeds seed, seed + 1, …")
        form = QFormLayout(self)
        form.addRow(QLabel(f"{recipe.mode.label} with {recipe.model}"))
        form.addRow("Prompt", self.prompt)
        form.addRow("Negative prompt", self.negative)
        form.addRow("Style", style_row)
        if sequence_references is not None or recipe.references:
            form.addRow("References", references_row)
        form.addRow("Seed", seed_row)
        form.addRow("Guidance", self.guidance)
        if recipe.mode is Mode.VIDEO_TO_VIDEO:
            form.addRow("Strength", self.strength)
        form.addRow("Takes", self.takes)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        remix = buttons.button(QDialogButtonBox.StandardButton.Ok)
        remix.setText("Remix")
        remix.setToolTip("Make the new takes (Ctrl+Return)")
        # Return in the prompt box starts a new line, as in the Shot panel's; Ctrl+Return remixes, as there it
        # generates. The box takes Ctrl+Return for itself (a new line), so the key is caught before it.
        self.prompt.installEventFilter(self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.refusal = QLabel("")  # why Remix did not start
        self.refusal.setWordWrap(True)
        self.refusal.hide()
        form.addRow(self.refusal)
        form.addRow(buttons)

    def _show_style(self, style: str) -> None:
        self.style.setText(style)
        self.style.setCursorPosition(0)  # its start in sight: the narrow field showed a long style's end

    def _show_references(self, paths: list[str]) -> None:
        self._references = list(paths)
        self.references.setText(", ".join(Path(p).name for p in paths) or "None")
        self.references.setToolTip("\n".join(paths))

    def accept(self) -> None:
        """Remix, unless the first new take would be the clip's own again (same recipe, same seed)."""
        first = dataclasses.replace(self.recipes()[0], model_revision=None)
        if first == dataclasses.replace(self.source, model_revision=None):
            self.refusal.setText(
                "Nothing changed: the same recipe and seed make the same take again. "
                "Change the prompt, the style, the references, the guidance or the seed (Random) for a different one."
            )
            self.refusal.show()
            return
        super().accept()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.prompt
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.accept()
            return True
        return super().eventFilter(watched, event)

    def recipes(self) -> list[Recipe]:
        """The recipe as changed here (the expanded prompt goes if the prompt changed), one per take."""
        prompt = self.prompt.toPlainText().strip()
        changed = dataclasses.replace(
            self.source,
            prompt=prompt,
            expanded_prompt=self.source.expanded_prompt if prompt == self.source.prompt else None,
            negative_prompt=self.negative.toPlainText().strip(),
            style=self.style.text().strip(),
            references=self._references,
            seed=self.seed.value(),
            guidance=self.guidance.value() or None,
            strength=self.strength.value() if self.source.mode is Mode.VIDEO_TO_VIDEO else self.source.strength,
            model_revision=None,
        )
        return variations(changed, self.takes.value())
