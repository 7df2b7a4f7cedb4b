"""The prompt panel: what to generate. It builds a Recipe; the main window queues it."""

from __future__ import annotations

import math
import random
from pathlib import Path

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QStyledItemDelegate,
    QVBoxLayout,
    QWidget,
)

from ..core import presets
from ..core.recipe import DRAFT, FULL, Condition, Mode, Recipe
from ..engine import drafts
from ..engine.cards import Card
from ..engine.sizes import SizeError
from ..engine.windows import LongShotError
from .image_inputs import IMAGE_FILTER, ImageSlot, ReferenceList
from .prompt_expander import PromptExpander
from .sampling_controls import SamplingControls
from .shot_limits import longest_seconds, made_frames, made_size, window_count
from .ui_settings import UiSettings

# The widgets the panel is built of stay importable from here.
__all__ = [
    "DISABLED_TEXT",
    "GENERIC_PROMPT_HINT",
    "IMAGE_FILTER",
    "MAX_SEED",
    "ImageSlot",
    "PromptExpander",
    "PromptPanel",
    "ReferenceList",
]

MAX_SEED = 2**31 - 1
DISABLED_TEXT = QColor("#6d7280")  # QPushButton:disabled in studio/resources/style.qss

GENERIC_PROMPT_HINT = "Describe the shot: subject, action, setting, light, camera…"


def _model_tip(label: str, value: str) -> str:
    return f"{label}\nCard: {value}" if label != value else value


def _offer(combo: QComboBox, index: int, ok: bool, why: str) -> None:
    """Enable or grey out one choice of a combo box, with why in its tooltip."""
    model = combo.model()
    if isinstance(model, QStandardItemModel):
        item = model.item(index)
        item.setEnabled(ok)
        item.setToolTip(why)
        # The theme's one text colour covers disabled items too: grey them as studio/resources/style.qss greys buttons.
        item.setForeground(QBrush() if ok else QBrush(DISABLED_TEXT))


class PromptPanel(QWidget):
    generate_requested = Signal()
    style_edited = Signal(str)  # the sequence's style as typed, once its field is left or Return pressed

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.aspects, self.resolutions = presets.load()
        self._card: Card | None = None  # the chosen model's card: what the panel offers follows it
        self._draft_card: Card | None = None  # the card its drafts are made with (a distilled one), if another
        self._fps = 24.0  # the sequence's rate: shot lengths are counted in its frames
        self._clamping = False  # the panel, not the person, is changing the duration
        self._filling = False  # Generate fills a selected gap: a bridge, with its mode's guidance

        self.prompt = QPlainTextEdit()
        self.prompt.setPlaceholderText(GENERIC_PROMPT_HINT)
        self.prompt.setToolTip("What the shot shows")
        self.expander = PromptExpander(self.prompt)
        self.negative = QPlainTextEdit()
        self.negative.setPlaceholderText("What to avoid (optional)")
        self.negative.setMaximumHeight(48)
        # The sequence's, not the shot's: the main window keeps it and the sequence in step (set_style).
        self.style = QLineEdit()
        self.style.setPlaceholderText("Every shot's look (optional)")
        self.style.setToolTip(
            "The sequence's style: said to the model after the prompt of every shot made for this sequence "
            "(and of its extensions, bridges, loops and restyles), so its shots share one look. Saved with "
            "the project; takes already made keep the style they were made with"
        )
        self._style_said = ""  # the style last shown or sent: set_style leaves a style being typed alone
        self.style.editingFinished.connect(self._say_style)

        self.seconds = QDoubleSpinBox()
        self.seconds.setRange(0.1, 600.0)
        self.seconds.setSingleStep(0.5)
        self.seconds.setValue(4.0)
        self.seconds.setSuffix(" s")
        self.seconds.setToolTip(
            "Shot length; rounded to a frame count the model can make. Longer than the model "
            "makes at once, the shot is made in windows, each continuing the last"
        )
        self.length_label = QLabel()
        self.length_label.setObjectName("hint")
        self.length_label.setWordWrap(True)
        self.seconds.valueChanged.connect(self._seconds_changed)
        self.window_prompts = QPlainTextEdit()
        self.window_prompts.setPlaceholderText("Long shots: one prompt per window (optional)")
        self.window_prompts.setToolTip(
            "A shot longer than the model makes at once is made in windows (about 10 s "
            "each for LTX-Video); each line here is the next window's prompt"
        )
        self.window_prompts.setMaximumHeight(54)

        self.aspect = QComboBox()
        for aspect in self.aspects:
            self.aspect.addItem(aspect.name, aspect)
        self.resolution = QComboBox()
        for resolution in self.resolutions:
            self.resolution.addItem(resolution.name, resolution.short_side)
        self.resolution.setCurrentIndex(min(2, self.resolution.count() - 1))
        for combo in (self.aspect, self.resolution):  # an item delegate draws the greyed choices grey
            combo.setItemDelegate(QStyledItemDelegate(combo))
        # What the person chose, which a model that makes more gets back after one that made less.
        self._wanted = (self.aspect.currentIndex(), self.resolution.currentIndex(), self.seconds.value())
        self._chosen = False  # until the person sets a size or length, the panel takes each model's defaults

        self.seed = QSpinBox()
        self.seed.setRange(0, MAX_SEED)
        self.seed.setToolTip("The same seed and settings make the same shot again")
        self.randomise = QPushButton("Random")
        self.randomise.setToolTip("Pick a random seed")
        self.randomise.clicked.connect(self.randomise_seed)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.randomise)
        self.takes = QSpinBox()
        self.takes.setRange(1, 8)
        self.takes.setToolTip(
            "Variations: this many takes of the shot (seeds seed, seed + 1, …), kept together "
            "in one clip; the inspector switches between them"
        )

        self.sampling = SamplingControls()

        self.quality = QComboBox()
        self.quality.addItem("Full", FULL)
        self.quality.addItem("Draft", DRAFT)
        self.quality.currentIndexChanged.connect(self._update_quality_tip)

        self.model = QComboBox()
        self.model.setEditable(True)  # a card id or a path to a diffusers model folder
        self.model.setToolTip("A model card id, or a folder holding a diffusers model")
        # A long name shows its start (a line edit otherwise scrolls to its end); the box stays narrow.
        self.model.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model.setMinimumContentsLength(12)
        self.model.currentIndexChanged.connect(self._show_model_start)
        self.model.lineEdit().editingFinished.connect(lambda: self.model.lineEdit().setCursorPosition(0))
        browse = QPushButton("…")
        browse.setFixedWidth(36)
        browse.setToolTip("Choose a model folder")
        browse.clicked.connect(self._browse_model)
        model_row = QHBoxLayout()
        model_row.addWidget(self.model, 1)
        model_row.addWidget(browse)

        self.first_frame = ImageSlot("First frame (optional): animate a still")
        self.last_frame = ImageSlot("Last frame (optional): end on a still")
        self.references = ReferenceList()
        for slot in (self.first_frame, self.last_frame):  # a still makes it image to video: its own guidance
            slot.path.textChanged.connect(self._update_mode)
        self.images_hint = QLabel("")
        self.images_hint.setObjectName("hint")
        self.images_hint.setWordWrap(True)

        self.size_label = QLabel()
        self.size_label.setObjectName("hint")
        self.size_label.setWordWrap(True)
        self.fit_note = QLabel()  # what the panel changed to suit the model, and why
        self.fit_note.setObjectName("hint")
        self.fit_note.setWordWrap(True)
        self.fit_note.hide()
        self.aspect.currentIndexChanged.connect(self._aspect_changed)
        self.resolution.currentIndexChanged.connect(self._resolution_changed)

        self.generate_button = QPushButton("Generate")
        self.generate_button.setObjectName("primary")
        self.generate_button.setToolTip("Queue the shot (Ctrl+Return)")
        self.generate_button.clicked.connect(self.generate_requested)

        form = self._form = QFormLayout()
        form.addRow("Style", self.style)
        form.addRow("Model", model_row)
        form.addRow("Duration", self.seconds)
        form.addRow("", self.length_label)
        form.addRow("Windows", self.window_prompts)
        form.addRow("Aspect", self.aspect)
        form.addRow("Resolution", self.resolution)
        form.addRow("", self.size_label)
        form.addRow("", self.fit_note)
        form.addRow("Seed", seed_row)
        form.addRow("Takes", self.takes)
        form.addRow("Sampling", self.sampling)
        form.addRow("Quality", self.quality)
        form.addRow("First frame", self.first_frame)
        form.addRow("Last frame", self.last_frame)
        form.addRow("", self.images_hint)
        form.addRow("References", self.references)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Prompt"))
        layout.addWidget(self.prompt, 2)
        layout.addWidget(self.expander)
        layout.addWidget(QLabel("Negative prompt"))
        layout.addWidget(self.negative)
        layout.addLayout(form)
        layout.addWidget(self.generate_button)
        layout.addStretch(0)
        self._update_size_label()
        self._update_length_label()
        self.set_references_allowed(False)
        self.randomise_seed()

    def set_models(self, models: list[tuple[str, str]]) -> None:
        """(label, value) pairs; value is what goes in the recipe (card id or folder)."""
        current = self.model.currentText()
        self.model.clear()
        for label, value in models:
            self.model.addItem(label, value)
            self.model.setItemData(self.model.count() - 1, _model_tip(label, value), Qt.ItemDataRole.ToolTipRole)
        # The list opens wide enough for the longest name, however narrow the box is.
        metrics = self.model.view().fontMetrics()
        widest = max((metrics.horizontalAdvance(label) for label, _ in models), default=0)
        self.model.view().setMinimumWidth(widest + 32)
        if current:
            self.set_model(current)
        self.model.lineEdit().setPlaceholderText(
            "No models found: see README → Models" if not models else "A model card id or folder"
        )
        self._show_model_start()

    def set_style(self, style: str, *, opened: bool = False) -> None:
        """Show the sequence's style where it changed (an undo) or another project was opened; another edit of
        the project (a take landing) leaves what is being typed alone."""
        if opened or style != self._style_said:
            self._style_said = style
            self.style.setText(style)

    def _say_style(self) -> str:
        self._style_said = self.style.text().strip()
        self.style_edited.emit(self._style_said)
        return self._style_said

    def set_model(self, value: str) -> None:
        index = self.model.findData(value)
        if index >= 0:
            self.model.setCurrentIndex(index)
        else:
            self.model.setEditText(value)

    def model_value(self) -> str:
        index = self.model.currentIndex()
        if index >= 0 and self.model.itemText(index) == self.model.currentText():
            return self.model.itemData(index) or self.model.currentText()
        return self.model.currentText().strip()

    def _show_model_start(self, *_: object) -> None:
        """The chosen model's name from its start, and its full name and card id in the tooltip."""
        self.model.lineEdit().setCursorPosition(0)
        index = self.model.currentIndex()
        if index >= 0 and self.model.itemText(index) == self.model.currentText():
            self.model.setToolTip(_model_tip(self.model.itemText(index), self.model.itemData(index)))
        else:
            self.model.setToolTip("A model card id, or a folder holding a diffusers model")

    # What the model makes

    def set_card(self, card: Card | None) -> None:
        """The chosen model's card (None: not known yet). The panel offers only the sizes and lengths
        it makes, moves a choice it does not make to the nearest one it does, and says so."""
        if card == self._card:
            return
        self._card = card
        # A model of a small world (the demo model) says what it knows in its example prompt.
        self.prompt.setPlaceholderText(
            f"e.g. {card.example_prompt}" if card and card.example_prompt else GENERIC_PROMPT_HINT
        )
        if card is not None and not self._chosen:
            self._wanted = self._card_defaults(card)
        self._say(self._offer_sizes() + self._offer_lengths())
        self._update_length_label()
        self._update_quality_tip()
        self.sampling.set_card(card)

    def set_draft_card(self, card: Card | None) -> None:
        """The card the chosen model's drafts are made with, where its [draft] names another (a distilled model)."""
        self._draft_card = card
        self._update_quality_tip()

    def _update_quality_tip(self, *_: object) -> None:
        """The Quality box says what a Draft of the chosen model makes, at the panel's size."""
        tip = "Full: the model's own recipe. Draft: a quick look at the shot; Refine makes the full take of it"
        if self._card is not None:
            width, height = self.made_frame_size()
            tip += f". Draft for {self._card.name}: {drafts.describe(self._card, width, height, self._draft_card)}"
        self.quality.setToolTip(tip)

    def _card_defaults(self, card: Card) -> tuple[int, int, float]:
        """The card's default shot as the panel's choices: the nearest shape, the nearest short side,
        and its default length (what a model trained at 128x128 for 25 frames makes best)."""
        ratio = card.default_width / card.default_height
        aspect = min(
            range(len(self.aspects)),
            key=lambda i: abs(math.log(self.aspects[i].ratio[0] / self.aspects[i].ratio[1] / ratio)),
        )
        side = min(card.default_width, card.default_height)
        resolution = min(range(len(self.resolutions)), key=lambda i: abs(self.resolutions[i].short_side - side))
        return aspect, resolution, round(card.default_frames / self._fps, 2)

    def set_frame_rate(self, fps: float) -> None:
        """The sequence's rate, which a shot's length in seconds is counted in."""
        if fps <= 0 or fps == self._fps:
            return
        self._fps = fps
        self._say(self._offer_lengths())
        self._update_length_label()

    def _say(self, notes: list[tuple[str, str]]) -> None:
        """Notes on what the panel changed for the model: (a short line to show, the whole reason)."""
        self.fit_note.setText(" ".join(short for short, _ in notes))
        self.fit_note.setToolTip("\n".join(whole for _, whole in notes))
        self.fit_note.setVisible(bool(notes))

    def _size_refusal(self, aspect: presets.Aspect, short_side: int) -> str:
        """Why the model does not make this preset ("" when it does, or no model is known)."""
        if self._card is None:
            return ""
        width, height = presets.frame_size(aspect, short_side)
        try:
            made_size(self._card, width, height)
        except SizeError as exc:
            return f"{width} × {height}: {exc}"
        return ""

    def _offer_sizes(self) -> list[tuple[str, str]]:
        """Enable the aspects and resolutions the model makes; move a choice it does not make."""
        card, notes = self._card, []
        shapes = [any(not self._size_refusal(a, r.short_side) for r in self.resolutions) for a in self.aspects]
        if not any(shapes):  # nothing fits (or no model known): offer all, and Generate says why
            shapes = [True] * len(self.aspects)
        for index, ok in enumerate(shapes):
            tip = "" if ok else f"{card.name} makes none of the sizes below in this shape"
            _offer(self.aspect, index, ok, tip)
        wanted = self._wanted[0]
        with QSignalBlocker(self.aspect):
            self.aspect.setCurrentIndex(wanted if shapes[wanted] else shapes.index(True))
        if self.aspect.currentIndex() != wanted:
            notes.append(
                (
                    f"{self.aspect.itemText(wanted)}: no size fits; {self.aspect.currentText()} chosen.",
                    f"{card.name} makes no {self.aspect.itemText(wanted)} frame of these sizes.",
                )
            )
        notes += self._offer_resolutions()
        self._update_size_label()
        return notes

    def _offer_resolutions(self) -> list[tuple[str, str]]:
        aspect, notes = self.aspect.currentData(), []
        refusals = [self._size_refusal(aspect, r.short_side) for r in self.resolutions]
        if all(refusals):
            refusals = [""] * len(refusals)
        for index, refusal in enumerate(refusals):
            _offer(self.resolution, index, not refusal, refusal)
        wanted = self._wanted[1]
        side = self.resolutions[wanted].short_side
        # The nearest size it makes to the one chosen; between two as near, the smaller.
        nearest = min(
            (i for i, r in enumerate(refusals) if not r),
            key=lambda i: (abs(self.resolutions[i].short_side - side), self.resolutions[i].short_side),
        )
        with QSignalBlocker(self.resolution):
            self.resolution.setCurrentIndex(nearest)
        if nearest != wanted:
            width, height = self.made_frame_size()
            notes.append(
                (
                    f"{self.resolution.itemText(wanted)} is too large for this model: "
                    f"{self.resolution.currentText()} chosen.",
                    f"{refusals[wanted]}. Nearest it makes: {self.resolution.currentText()}, {width} × {height}.",
                )
            )
        return notes

    def _aspect_changed(self) -> None:
        self._wanted, self._chosen = (self.aspect.currentIndex(), *self._wanted[1:]), True
        self._say(self._offer_resolutions())
        self._update_size_label()

    def _resolution_changed(self) -> None:
        self._wanted, self._chosen = (self._wanted[0], self.resolution.currentIndex(), self._wanted[2]), True
        self._say(self._offer_resolutions())
        self._update_size_label()

    def _seconds_changed(self) -> None:
        if not self._clamping:
            self._wanted, self._chosen = (*self._wanted[:2], self.seconds.value()), True
        self._update_length_label()

    def _offer_lengths(self) -> list[tuple[str, str]]:
        """The longest shot the model makes, when it cannot make longer ones in windows."""
        longest = None if self._card is None else longest_seconds(self._card, self._fps)
        wanted = self._wanted[2]
        self._clamping = True  # not a choice of the person's: the one they made is kept for the next model
        try:
            self.seconds.setMaximum(600.0 if longest is None else max(self.seconds.minimum(), longest))
            self.seconds.setValue(wanted)
        finally:
            self._clamping = False
        if longest is not None and wanted > longest:
            return [
                (
                    f"{wanted:g} s is longer than this model makes: {self.seconds.value():g} s chosen.",
                    f"{self._card.name} makes at most {self._card.max_frames} frames, and it cannot continue a "
                    "shot in windows.",
                )
            ]
        return []

    def _shot_frames(self, fps: float | None = None) -> int:
        """The frames the shot gets: the duration in frames at fps (the sequence's), by the model's frame rule."""
        frames = max(1, round(self.seconds.value() * (fps or self._fps)))
        if self._card is not None:
            try:
                return made_frames(self._card, frames)
            except (SizeError, LongShotError):
                pass  # Generate says why
        return frames

    def _update_length_label(self) -> None:
        """A short line (the frames the shot gets) and the whole story in its tooltip."""
        frames, card = self._shot_frames(), self._card
        asked = max(1, round(self.seconds.value() * self._fps))
        text = f"{frames} frames, {frames / self._fps:.2f} s at {self._fps:g} fps"
        tip = [text]
        if card is not None and frames != asked:
            text += f" ({card.frame_step}k+1)"
            tip.append(f"{asked} frames asked; {card.label} makes {card.frame_step}k+1 frames")
        windows = 1 if card is None else window_count(card, frames)
        if windows > 1:
            text += f", in {windows} windows"
            tip.append(
                f"longer than {card.name} makes at once: made in {windows} windows of up to "
                f"{card.max_frames} frames, each continuing the last"
            )
        self.length_label.setText(text)
        self.length_label.setToolTip("\n".join(tip))

    def set_image_inputs(self, allowed: bool, reason: str = "") -> None:
        """Offer still inputs only for a model that can animate them."""
        for slot in (self.first_frame, self.last_frame):
            slot.setEnabled(allowed)
        self.images_hint.setText("" if allowed else reason)
        self.images_hint.setVisible(not allowed and bool(reason))
        self._update_mode()

    def _stills(self) -> bool:
        return any(slot.isEnabled() and slot.value() for slot in (self.first_frame, self.last_frame))

    def set_filling(self, filling: bool) -> None:
        """Generate fills a selected gap (a connect), or makes a shot."""
        self._filling = filling
        self._update_mode()

    def _update_mode(self, *_: object) -> None:
        stills = Mode.IMAGE_TO_VIDEO if self._stills() else Mode.TEXT_TO_VIDEO
        self.sampling.set_mode(Mode.CONNECT if self._filling else stills)

    def set_references_allowed(self, allowed: bool) -> None:
        """Reference images only for a model whose card takes them; hidden otherwise."""
        self._references_allowed = allowed
        self._form.setRowVisible(self.references, allowed)

    def _browse_model(self) -> None:
        models = UiSettings().models_dir  # a model is most likely there; else home, not the working folder
        start = models if models and Path(models).is_dir() else str(Path.home())
        folder = QFileDialog.getExistingDirectory(self, "Choose a diffusers model folder", start)
        if folder:
            self.set_model(folder)

    def randomise_seed(self) -> None:
        self.seed.setValue(random.randint(0, MAX_SEED))

    def frame_size(self) -> tuple[int, int]:
        """The preset's size, before the model's rounding."""
        return presets.frame_size(self.aspect.currentData(), self.resolution.currentData())

    def made_frame_size(self) -> tuple[int, int]:
        """The size the chosen model makes for the preset (the preset's own when no model is known, or
        the model makes nothing that large: Generate then says why)."""
        width, height = self.frame_size()
        if self._card is not None:
            try:
                return made_size(self._card, width, height)
            except SizeError:
                pass
        return width, height

    def _update_size_label(self) -> None:
        w, h = self.frame_size()
        card = self._card
        if card is None:
            self.size_label.setText(f"{w} × {h} before rounding to the model's sizes")
            return
        refusal = self._size_refusal(self.aspect.currentData(), self.resolution.currentData())
        made = self.made_frame_size()
        if refusal:
            self.size_label.setText(refusal)
        elif made != (w, h):
            self.size_label.setText(f"{made[0]} × {made[1]} (multiples of {card.size_multiple})")
        else:
            self.size_label.setText(f"{w} × {h}")
        self._update_quality_tip()
        self.size_label.setToolTip(
            refusal
            or f"{w} × {h}, made {made[0]} × {made[1]}: {card.label} needs "
            f"multiples of {card.size_multiple}, at most {card.max_width} × {card.max_height}"
        )

    def recipe(self, fps: float) -> Recipe:
        """The recipe as the panel stands; the engine validates and snaps it before queueing."""
        style = self._say_style()  # a shot made while the style is being typed: the sequence gets it too
        width, height = self.made_frame_size()
        frames = self._shot_frames(fps)
        conditions = []
        if self.first_frame.isEnabled() and self.first_frame.value():
            conditions.append(Condition(self.first_frame.value(), frame_index=0))
        if self.last_frame.isEnabled() and self.last_frame.value():
            # The engine snaps the frame count; it moves a condition at the old last frame with it.
            conditions.append(Condition(self.last_frame.value(), frame_index=frames - 1))
        return Recipe(
            mode=Mode.IMAGE_TO_VIDEO if conditions else Mode.TEXT_TO_VIDEO,
            model=self.model_value(),
            prompt=self.prompt.toPlainText().strip(),
            expanded_prompt=self.expander.value() or None,
            window_prompts=[line.strip() for line in self.window_prompts.toPlainText().splitlines() if line.strip()],
            negative_prompt=self.negative.toPlainText().strip(),
            style=style,
            seed=self.seed.value(),
            steps=self.sampling.steps_value(),
            guidance=self.sampling.guidance_value(),
            width=width,
            height=height,
            frames=frames,
            fps=fps,
            conditions=conditions,
            references=self.references.paths() if self._references_allowed else [],
            quality=self.quality.currentData(),
        )
