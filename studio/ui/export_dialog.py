"""Export the sequence to a video file, image sequence or sound file, as a preset or a format at the
sequence's size, with its settings changed where the editor wants (size, fit, rate, quality or
bitrate, pixel format) and the whole sequence or its In to Out range; with progress, time left and
cancel. The render runs on a thread over a snapshot of the project, awaited by a task on the Qt loop
(ui/aio.py), so editing can go on while it runs.

Generated shots in the export are marked as AI-generated (a signed C2PA manifest, tags, or a recipe
file: media/provenance.py); the box that turns that off asks first."""

from __future__ import annotations

import copy
import dataclasses
import functools
import logging
import threading
import time
from pathlib import Path

from PySide6.QtCore import QSignalBlocker
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import StudioError
from ..core.project import Project
from ..core.timebase import FrameRate
from ..media import export
from . import aio
from .desktop import open_with_system
from .ui_settings import UiSettings

log = logging.getLogger(__name__)

RATES = ["23.976", "24", "25", "29.97", "30", "50", "59.94", "60"]
PIXEL_FORMATS = ["yuv420p", "yuv422p", "yuv444p", "yuv420p10le", "yuv422p10le", "yuv444p10le"]


class ExportDialog(QDialog):
    def __init__(
        self,
        project: Project,
        default_path: Path,
        parent: QWidget | None = None,
        marks: tuple[int | None, int | None] = (None, None),
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setMinimumWidth(520)
        self.project = project
        self.state = "idle"
        self.message = ""
        self._cancel = threading.Event()
        self._work: aio.ThreadWork | None = None  # the render under way, or the last one
        self._started = 0.0

        seq = project.sequence
        self._settings = UiSettings()
        last_folder = self._settings.export_folder
        if last_folder and Path(last_folder).is_dir():  # where the last export went, under this project's name
            default_path = Path(last_folder) / Path(default_path).name
        self.path = QLineEdit(str(default_path))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.summary = QLabel(
            f"Sequence: {seq.width}×{seq.height} · {seq.fps} fps · {seq.duration} frames "
            f"({seq.fps.timecode(seq.duration)})"
        )
        self.format = QComboBox()
        self.format.addItem("H.264 MP4 — the sequence's size and rate", export.RenderSettings())
        for preset in export.load_presets().values():
            self.format.addItem(preset.name, preset)
        for codec in ("h265", "av1", "prores_4444", "png", "wav"):
            self.format.addItem(
                f"{export.CODECS[codec].label} — the sequence's size and rate", export.RenderSettings(codec)
            )
        self.format.setToolTip("Presets come from studio/resources/render_presets.toml")
        self.format.currentIndexChanged.connect(self._format_changed)
        self.provenance = QCheckBox("Mark as AI-generated (C2PA)")
        self.provenance.setChecked(True)
        self.provenance.setToolTip(
            "Generated shots in the export are marked: a signed C2PA manifest with their recipes (MP4, MOV, WAV), "
            "metadata tags, or a recipe file in a PNG sequence's folder. Files without generated shots are not "
            "marked."
        )
        self.provenance.toggled.connect(self._provenance_toggled)
        self.progress = QProgressBar()
        self.progress.setRange(0, max(1, seq.duration))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self._cancel_or_close)
        self.show_folder_button = self.buttons.addButton("Show in Folder", QDialogButtonBox.ButtonRole.ActionRole)
        self.show_folder_button.setToolTip("Open the folder the export was written to")
        self.show_folder_button.clicked.connect(self.show_in_folder)
        self.show_folder_button.hide()  # until an export is done
        self.output: Path | None = None  # the file (or PNG folder) the last finished export wrote

        self.output_label = QLabel()
        self._build_settings(seq, marks)
        self._name_output()

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Format"))
        layout.addWidget(self.format)
        layout.addWidget(self.custom)
        layout.addWidget(self.output_label)
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.provenance)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

    def _build_settings(self, seq, marks: tuple[int | None, int | None]) -> None:
        """The chosen format's settings, each changeable; blank or 0 keeps the format's own."""
        self.width = QSpinBox()
        self.height = QSpinBox()
        for box in (self.width, self.height):
            box.setRange(0, 16384)
            box.setSingleStep(2)
        size = QHBoxLayout()
        size.addWidget(self.width)
        size.addWidget(QLabel("×"))
        size.addWidget(self.height)
        self.fit = QComboBox()
        for name, label in (("fit", "Fit (black bars)"), ("fill", "Fill (crop)"), ("stretch", "Stretch")):
            self.fit.addItem(label, name)
        self.rate = QComboBox()
        self.rate.setEditable(True)
        self.rate.addItems(["", *RATES])  # the first item: the format's own rate, named by _show_defaults
        self.rate.setToolTip("Frames per second; another rate than the sequence's drops or repeats frames")
        self.quality = QSpinBox()
        self.quality.setRange(0, 63)
        self.quality.setToolTip("The encoder's quality number (H.264/H.265: CRF, lower is better)")
        self.bitrate = QLineEdit()
        self.bitrate.setPlaceholderText("e.g. 20M — instead of the quality")
        self.pixel_format = QComboBox()
        self.pixel_format.setEditable(True)
        self.pixel_format.addItems(["", *PIXEL_FORMATS])
        self.pixel_format.setToolTip("Any pixel format ffmpeg names for the codec")
        self.range = QComboBox()
        self.range.addItem(f"Whole sequence ({seq.duration} frames)", None)
        first, end = marks[0] or 0, (marks[1] + 1) if marks[1] is not None else seq.duration
        if (marks[0] is not None or marks[1] is not None) and 0 <= first < end <= seq.duration:
            self.range.addItem(
                f"In to Out: {seq.fps.timecode(first)}–{seq.fps.timecode(end - 1)} ({end - first} frames)", (first, end)
            )
            self.range.setCurrentIndex(1)
        form = QFormLayout()
        form.addRow("Size", size)
        form.addRow("Fit", self.fit)
        form.addRow("Frame rate", self.rate)
        form.addRow("Quality", self.quality)
        form.addRow("Bitrate", self.bitrate)
        form.addRow("Pixel format", self.pixel_format)
        form.addRow("Range", self.range)
        self.custom = QGroupBox("Settings")
        self.custom.setLayout(form)
        self._show_defaults()

    def _show_defaults(self) -> None:
        """Each setting left as it is says what it will be: the format's own value, or the sequence's."""
        seq, base = self.project.sequence, self.format.currentData()
        codec = export.CODECS[base.codec]
        self.width.setSpecialValueText(f"{base.width or seq.width} ({'preset' if base.width else 'sequence'})")
        self.height.setSpecialValueText(f"{base.height or seq.height} ({'preset' if base.height else 'sequence'})")
        rate = f"{base.fps} fps (preset)" if base.fps else f"{seq.fps} fps (sequence)"
        label = codec.label.split(" ")[0]
        quality = base.quality or (codec.quality[1] if codec.quality else None)
        pixels = base.pix_fmt or codec.pix_fmt
        self.quality.setSpecialValueText(
            f"none ({label} has no quality number)"
            if quality is None
            else f"{quality} ({'preset' if base.quality else label + ' default'})"
        )
        self.quality.setEnabled(quality is not None)
        pixel_text = (
            f"none ({label})" if not pixels else f"{pixels} ({'preset' if base.pix_fmt else label + ' default'})"
        )
        for box, text in ((self.rate, rate), (self.pixel_format, pixel_text)):
            untouched = not self._chosen(box)  # still the default, not a value typed or picked
            box.setItemText(0, text)
            if untouched:
                box.setCurrentIndex(0)
                box.setEditText(text)
        self.pixel_format.setEnabled(bool(pixels))
        # A bitrate only where there is a quality number to replace (not PNG, ProRes or WAV, whose encoders
        # ignore one); no picture settings for WAV, which is sound alone.
        self.bitrate.setEnabled(quality is not None)
        self.bitrate.setPlaceholderText(
            "e.g. 20M — instead of the quality" if quality is not None else f"none ({label} has no bitrate)"
        )
        for widget in (self.width, self.height, self.fit, self.rate):
            widget.setEnabled(bool(codec.video))

    @staticmethod
    def _chosen(box: QComboBox) -> str:
        """A combo box's typed or picked value; "" when it still shows the default (its first item)."""
        text = box.currentText().strip()
        return "" if not text or text == box.itemText(0) else text

    @property
    def settings(self) -> export.RenderSettings:
        """The chosen format with the changes asked for; raises ExportError for one that cannot be."""
        base: export.RenderSettings = self.format.currentData()
        changes: dict = {"fit": self.fit.currentData()}
        if self.width.value() or self.height.value():
            changes.update(width=self.width.value() or None, height=self.height.value() or None)
        rate = self._chosen(self.rate)
        if rate:
            try:
                changes["fps"] = FrameRate.parse(rate)
            except ValueError as exc:
                raise export.ExportError(f"{rate!r} is not a frame rate (e.g. 24, 29.97, 30000/1001)") from exc
        if self.quality.value():
            changes["quality"] = self.quality.value()
        if self.bitrate.isEnabled() and self.bitrate.text().strip():
            changes["bitrate"] = self.bitrate.text().strip()
        pixel_format = self._chosen(self.pixel_format)
        if pixel_format:
            changes["pix_fmt"] = pixel_format
        settings = dataclasses.replace(base, **changes)
        settings.check()
        return settings

    def _with_suffix(self, path: Path) -> Path:
        return path.with_suffix(export.output_suffix(self.format.currentData()))

    def _format_changed(self) -> None:
        self.path.setText(str(self._with_suffix(Path(self.path.text()))))
        self._show_defaults()
        self._name_output()

    def _name_output(self) -> None:
        """A file for a movie or sound, a new folder for a PNG sequence (its format has no suffix)."""
        folder = not export.output_suffix(self.format.currentData())
        self.output_label.setText("Output folder (a new one: the PNG frames go in it)" if folder else "Output file")

    def _provenance_toggled(self, on: bool) -> None:
        if on:
            return
        answer = QMessageBox.question(
            self,
            "Export without the AI-generated mark?",
            "Without the mark, nothing in the exported file says that it contains generated shots: no C2PA "
            "manifest, no recipe, no metadata tags. Whoever receives it, and any site it is uploaded to, cannot "
            "tell that it was made with AI.\n\nExport without the mark?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer != QMessageBox.StandardButton.Yes:
            with QSignalBlocker(self.provenance):
                self.provenance.setChecked(True)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text())
        if path:
            self.path.setText(str(self._with_suffix(Path(path))))

    def start(self) -> None:
        out = Path(self.path.text()).expanduser()
        try:
            settings = self.settings
        except export.ExportError as exc:
            self.status.setText(str(exc))
            return
        suffix = export.output_suffix(settings)
        if out.suffix.lower() != suffix:
            self.status.setText(
                f"Choose a name ending in {suffix}"
                if suffix
                else "Choose a new folder name (no extension) for the PNG sequence"
            )
            return
        # The settings are read here: the combo box belongs to the Qt thread, the render does not.
        self._launch(
            (copy.deepcopy(self.project), out, settings, self.provenance.isChecked(), self.range.currentData()),
            allow_offline=False,
        )

    def _launch(self, job: tuple, allow_offline: bool) -> None:
        """Render on a thread. The media is checked there too (a probe per file), so a long sequence
        never stalls the editor; offline media comes back as a question (_ask_offline)."""
        self._job = job
        self.state = "running"
        self.export_button.setEnabled(False)
        self._cancel.clear()
        self._started = time.monotonic()
        self.status.setText("Checking the media…" if not allow_offline else "Exporting…")
        work: aio.ThreadWork[None] = aio.ThreadWork(functools.partial(self._run, *job, allow_offline), name="export")
        self._work = work
        aio.spawn(self, self._follow(work, job[1]), name="export")

    def _ask_offline(self, problems: list) -> None:
        """Some clips' media is missing, unreadable or cut short (nothing was written): export with
        MEDIA OFFLINE frames in their place, or not at all."""
        clips = sum(p.clips for p in problems)
        listed = "\n".join(f"• {p}" for p in problems[:8]) + (
            f"\n• … and {len(problems) - 8} more" if len(problems) > 8 else ""
        )
        answer = QMessageBox.question(
            self,
            "Media offline",
            f"{clips} clip{'s are' if clips != 1 else ' is'} offline:\n{listed}\n\nExport with MEDIA OFFLINE "
            "frames in their place?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        if answer == QMessageBox.StandardButton.Yes:
            self._launch(self._job, allow_offline=True)
            return
        self.state = "idle"
        self.export_button.setEnabled(True)
        self.status.setText(f"Not exported: {clips} clip(s) offline; relink or replace their media")

    def _run(
        self,
        project: Project,
        out: Path,
        settings: export.RenderSettings,
        provenance: bool,
        frames: tuple[int, int] | None,
        allow_offline: bool,
        report: aio.Report,
    ) -> None:
        """The render, on its thread: it touches nothing of the dialog's but the cancel flag."""
        export.export_sequence(
            project,
            project.sequence,
            out,
            progress=report,
            cancel=self._cancel,
            settings=settings,
            provenance=provenance,
            frames=frames,
            allow_offline=allow_offline,
        )

    async def _follow(self, work: aio.ThreadWork[None], out: Path) -> None:
        try:
            await work.result(self._on_progress)
        except export.OfflineMediaError as exc:  # refused before anything was written: ask the person
            aio.soon(self, self._ask_offline, exc.problems)  # a modal question: not inside the task
        except export.ExportCancelled:
            self._on_finished("cancelled", "Export cancelled; no file was written.")
        except StudioError as exc:  # ours, written for people: reported in the dialog
            log.warning("the export to %s failed: %s", out, exc)
            self._on_finished("failed", f"Export failed: {exc}")
        except Exception as exc:  # not ours: reported in the dialog too, its traceback in the log
            log.exception("the export to %s failed", out)
            self._on_finished("failed", f"Export failed: {exc}")
        else:
            self.output = out
            self._on_finished("done", f"Exported {out}")

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        elapsed = time.monotonic() - self._started
        if done:
            remaining = elapsed / done * (total - done)
            self.status.setText(f"Frame {done} of {total} · about {remaining:.0f}s left")

    def _on_finished(self, state: str, message: str) -> None:
        self.state, self.message = state, message
        self.status.setText(message)
        self.export_button.setEnabled(True)
        self.close_button.setText("Close")
        if state == "done" and self.output is not None:
            self._settings.export_folder = self.output.parent  # the next export starts there
            self.show_folder_button.show()

    def show_in_folder(self) -> None:
        """The exported file's folder in the system's file manager."""
        if self.output is not None:
            folder = self.output if self.output.is_dir() else self.output.parent  # a PNG sequence is a folder
            failed = open_with_system(folder)
            if failed:
                self.status.setText(failed)

    def _cancel_or_close(self) -> None:
        if self.state == "running":
            self._cancel.set()
        else:
            self.reject()

    def wait(self, timeout: float = 60) -> None:
        """For tests and shutdown: wait for a running export to end."""
        if self._work is not None:
            self._work.join(timeout)
