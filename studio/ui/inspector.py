"""The inspector: what the selected clip is — its media facts, the recipe that made it, and its
takes, any of which can become the active one (an undoable edit) — and how it shows: its fit in
the sequence frame, its retime when its rate differs, its fades (each change an undoable edit)."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core.commands import EditClip, EditError, SetActiveTake
from ..core.project import MediaItem, MediaKind
from ..core.recipe import DRAFT
from .document import Document
from .media_bin import describe
from .thumbnail_loader import ThumbnailLoader

TAKE_THUMB = QSize(96, 54)
TAKE_ROWS = 2  # takes shown before the list scrolls (three left a 768-line screen four lines of recipe)
FIT_LABELS = {"fit": "Fit (black bars)", "fill": "Fill (crop)", "stretch": "Stretch"}
RETIME_LABELS = {"frames": "Frames (repeat/drop)", "flow": "Optical flow"}
RETIME_TIP = (
    "How a clip of another frame rate plays at the sequence's: the nearest frame, or in-betweens made with optical flow"
)


def recipe_html(item: MediaItem) -> str:
    recipe = item.recipe
    rows = [
        ("Mode", recipe.mode.label),
        ("Model", recipe.model + (f" @ {recipe.model_revision[:12]}" if recipe.model_revision else "")),
        ("Prompt", recipe.prompt),
    ]
    if recipe.expanded_prompt:
        rows.append(("Expanded prompt", recipe.expanded_prompt))
    if recipe.style:
        rows.append(("Style", recipe.style))
    if recipe.negative_prompt:
        rows.append(("Negative", recipe.negative_prompt))
    rows += [
        ("Seed", str(recipe.seed)),
        ("Steps · guidance", f"{recipe.steps} · {recipe.guidance}"),
        ("Size", f"{recipe.width}×{recipe.height}, {recipe.frames} frames at {recipe.fps:g} fps"),
    ]
    for condition in recipe.conditions:
        where = f"frame {condition.frame_index}"
        rows.append(
            (
                "Input",
                f"<a href='media:{escape(condition.media_id or '')}'>{escape(condition.path)}</a> at {where}"
                if condition.media_id
                else f"{escape(condition.path)} at {where}",
            )
        )
    rows += [("Reference", reference) for reference in recipe.references]
    return "".join(
        f"<tr><td style='color:#8b91a0'>{k}</td><td>{v if k == 'Input' else escape(v)}</td></tr>" for k, v in rows
    )


class Inspector(QWidget):
    message = Signal(str)
    media_link = Signal(str)  # a recipe input was clicked: the media id it came from
    remix_requested = Signal(str)  # clip id
    refine_requested = Signal(str)  # clip id: the full take of its draft
    continue_requested = Signal(str)  # clip id

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.clip_id: str | None = None
        self.details = QLabel("Select a clip to see what it is and how it was made.")
        self.details.setObjectName("hint")
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.details.linkActivated.connect(lambda link: self.media_link.emit(link.removeprefix("media:")))
        self.takes_label = QLabel("Takes — double-click one to use it")
        self.takes = QListWidget()
        self.takes.setIconSize(TAKE_THUMB)
        self.takes.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.takes.itemDoubleClicked.connect(self._use_take)
        scroll = QScrollArea()  # a long prompt scrolls instead of pushing the takes away
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.details)
        self.details.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        # Room for the clip's facts at the default layout (four lines were cut mid-line); the rest scrolls.
        scroll.setMinimumHeight(self.fontMetrics().lineSpacing() * 6)
        layout.addWidget(scroll, 1)
        self.fit = QComboBox()
        for key, label in FIT_LABELS.items():
            self.fit.addItem(label, key)
        self.fit.setToolTip("How a clip of another shape fills the sequence frame")
        self.fit.activated.connect(lambda: self._edit(fit=self.fit.currentData()))
        self.retime = QComboBox()
        for key, label in RETIME_LABELS.items():
            self.retime.addItem(label, key)
        self.retime.activated.connect(lambda: self._edit(retime=self.retime.currentData()))
        self.fade_in, self.fade_out = QSpinBox(), QSpinBox()
        for spin, key, end in ((self.fade_in, "fade_in", "in"), (self.fade_out, "fade_out", "out")):
            spin.setPrefix(f"{end} ")
            spin.setSuffix(" frames")
            spin.setToolTip(f"The fade {end}'s length, in frames of the sequence")
            spin.setKeyboardTracking(False)  # one edit when typing ends, not one per digit
            spin.valueChanged.connect(lambda value, key=key: self._edit(**{key: value}))
        self.look = QWidget()
        form = QFormLayout(self.look)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Fit", self.fit)
        form.addRow("Retime", self.retime)
        fades = QHBoxLayout()  # one row for both: on a laptop's screen the recipe above gets the room
        fades.addWidget(self.fade_in, 1)
        fades.addWidget(self.fade_out, 1)
        form.addRow("Fades", fades)
        layout.addWidget(self.look)
        layout.addWidget(self.takes_label)
        layout.addWidget(self.takes)  # as tall as its takes, up to TAKE_ROWS: the recipe above gets the rest
        self.remix_button = QPushButton("Remix…")
        self.remix_button.setToolTip(
            "Make this shot again with another prompt, seed or strength, as new takes (Ctrl+Shift+R)"
        )
        self.remix_button.clicked.connect(lambda: self.clip_id and self.remix_requested.emit(self.clip_id))
        self.continue_button = QPushButton("Continue")
        self.continue_button.setToolTip("Start a new shot from this clip's last frame, right after it (Ctrl+Shift+C)")
        self.continue_button.clicked.connect(lambda: self.clip_id and self.continue_requested.emit(self.clip_id))
        self.refine_button = QPushButton("Refine")
        self.refine_button.clicked.connect(lambda: self.clip_id and self.refine_requested.emit(self.clip_id))
        buttons = QHBoxLayout()
        buttons.addWidget(self.remix_button)
        buttons.addWidget(self.refine_button)
        buttons.addWidget(self.continue_button)
        layout.addLayout(buttons)
        self.thumbnails = ThumbnailLoader(parent=self)
        self.thumbnails.ready.connect(self._update_icons)
        document.changed.connect(self.refresh)
        document.path_changed.connect(self.refresh)  # Save As moves the media: show where it is now
        document.replaced.connect(lambda: self.show_clip(None))
        self.show_clip(None)

    def show_clip(self, clip_id: str | None) -> None:
        self.clip_id = clip_id
        self.refresh()

    def refresh(self) -> None:
        project = self.document.project
        self.thumbnails.cache_dir = self.document.cache_dir / "thumbnails"
        self.takes.clear()
        clip = None
        if self.clip_id is not None:
            try:
                _, clip = project.sequence.find_clip(self.clip_id)
            except KeyError:
                self.clip_id = None
        visible = clip is not None
        self.takes.setVisible(visible)
        self.takes_label.setVisible(visible)
        self.continue_button.setVisible(visible)
        self.remix_button.setVisible(visible)
        self.refine_button.setVisible(visible)
        self.look.setVisible(visible)
        if clip is None:
            self.details.setText("Select a clip to see what it is and how it was made.")
            return
        item = project.media.get(clip.media_id)
        if item is None:  # a hand-edited or damaged project: the clip plays as MEDIA OFFLINE
            self.remix_button.setEnabled(False)
            self.refine_button.setEnabled(False)
            self.look.setVisible(False)
            self.details.setText(
                f"<b>Media missing</b><br>This clip uses media “{escape(clip.media_id)}”, which the project does "
                "not list, so it shows as MEDIA OFFLINE. Delete the clip, or replace it with media from the bin."
            )
            return
        self.remix_button.setEnabled(item.recipe is not None)
        is_draft = is_draft_take(item)
        self.refine_button.setEnabled(is_draft)
        self.refine_button.setToolTip(
            "Make the full take of this draft (same recipe and seed), a new take of this clip (Ctrl+Shift+D)"
            if is_draft
            else "Only a draft take can be refined (Quality: Draft in the Shot panel)"
        )
        fps = project.sequence.fps
        offline = " · <span style='color:#e06060'>offline</span>" if project.is_offline(item) else ""
        facts = (
            f"<b>{escape(item.name or item.path)}</b>{' · Draft' if is_draft else ''}<br>"
            f"{escape(describe(item))}{offline}<br>"
            f"<span style='color:#8b91a0'>{escape(str(project.media_path(item)))}</span><br>"
            f"On the timeline {fps.timecode(clip.start)} – {fps.timecode(clip.end)}, "
            f"source frames {clip.source_in}–{clip.source_out}"
        )
        recipe = f"<table cellspacing='3'>{recipe_html(item)}</table>" if item.recipe else "<p>Not generated.</p>"
        self.details.setText(facts + recipe)
        self._show_look(clip, item.kind is MediaKind.VIDEO and item.fps != fps)
        for number, media_id in enumerate(clip.takes, 1):
            take = project.media.get(media_id)
            if take is None:
                continue
            seed = f" · seed {take.recipe.seed}" if take.recipe else ""
            seed += " · Draft" if is_draft_take(take) else ""
            row = QListWidgetItem(f"Take {number}{seed}{'  (in use)' if media_id == clip.media_id else ''}")
            row.setData(Qt.ItemDataRole.UserRole, media_id)
            self.takes.addItem(row)
        self._update_icons()
        rows = min(max(self.takes.count(), 1), TAKE_ROWS)
        row_height = max(self.takes.sizeHintForRow(0), TAKE_THUMB.height() + 8)  # a thumbnail comes later
        self.takes.setFixedHeight(rows * row_height + 2 * self.takes.frameWidth())

    def _show_look(self, clip, other_rate: bool) -> None:
        widgets = (self.fit, self.retime, self.fade_in, self.fade_out)
        for widget in widgets:
            widget.blockSignals(True)  # showing the clip is not editing it
        self.fit.setCurrentIndex(self.fit.findData(clip.fit))
        self.retime.setCurrentIndex(self.retime.findData(clip.retime))
        self.retime.setEnabled(other_rate)
        self.retime.setToolTip(
            RETIME_TIP
            if other_rate
            else "The clip's media has the sequence's frame rate: each of its frames is shown once"
        )
        for spin, value in ((self.fade_in, clip.fade_in), (self.fade_out, clip.fade_out)):
            spin.setRange(0, clip.duration)
            spin.setValue(value)
        for widget in widgets:
            widget.blockSignals(False)

    def _edit(self, **change) -> None:
        if self.clip_id is None:
            return
        _, clip = self.document.project.sequence.find_clip(self.clip_id)
        if all(getattr(clip, key) == value for key, value in change.items()):
            return
        try:
            self.document.push(EditClip(self.clip_id, **change))
        except EditError as exc:
            self.message.emit(str(exc))
            self.refresh()

    def _update_icons(self) -> None:
        project = self.document.project
        for index in range(self.takes.count()):
            row = self.takes.item(index)
            take = project.media.get(row.data(Qt.ItemDataRole.UserRole))
            if take is None or not row.icon().isNull():
                continue
            image = self.thumbnails.get(project.media_path(take), 0, TAKE_THUMB.height())
            if image is not None and not image.isNull():
                row.setIcon(QIcon(QPixmap.fromImage(image)))

    def _use_take(self, row: QListWidgetItem) -> None:
        media_id = row.data(Qt.ItemDataRole.UserRole)
        try:
            self.document.push(SetActiveTake(self.clip_id, media_id))
        except EditError as exc:
            self.message.emit(str(exc))


def is_draft_take(item: MediaItem) -> bool:
    """A take made at Draft quality (its recipe says so), labelled Draft and offered Refine."""
    return item.recipe is not None and item.recipe.quality == DRAFT
