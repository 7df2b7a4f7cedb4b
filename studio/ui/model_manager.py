"""Generate → Models…: the model cards with their modes and memory needs, where each model was found on
disk (or that it is missing or incomplete), the models folder to use, and downloading a model.

The download runs on a thread (engine.download: no torch) awaited by a task on the Qt loop (ui/aio.py),
so the editor stays responsive; the list is read again when it is done.
"""

from __future__ import annotations

import html
import logging
import os
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import StudioError
from ..engine.card import Card
from ..engine.cards import DEMO_MODEL, CardError, Resolved, catalogue
from ..engine.download import download, plan_download
from ..engine.footprint import FootprintError
from ..engine.gpu import GpuMemory, nvidia_gpu_memory
from ..engine.memory import plan_on_gpu
from ..engine.weights import ModelFolderError, bundled_models, check_folder, models_root
from . import aio

log = logging.getLogger(__name__)

COLUMNS = ("Model", "Modes", "GPU memory", "On disk")
# A plan's tier as a newcomer reads it (README: GPU memory and memory tiers).
FIT_WORDS = {
    "resident": "fits: all on the GPU",
    "model_offload": "fits with model offload",
    "group_offload": "fits with group offload (slow)",
}


def fit_on(gpu: GpuMemory | None, entry: Resolved) -> tuple[str, str]:
    """The memory cell and its tooltip: on this computer's GPU when there is one, else what the card needs."""
    card = entry.card
    if card.runs_on_cpu:
        return "any CPU (no GPU needed)", "Runs on the CPU; a GPU makes it faster."
    needs = f"~{card.memory_gb:g} GB with everything on the GPU"
    if gpu is None or card.kind == "upsampler":  # an upsampler is loaded on the plan of the model beside it
        return f"~{card.memory_gb:g} GB", f"{needs}; less with offload (README: GPU memory and memory tiers)."
    try:
        plan = plan_on_gpu(card, entry.folder, gpu.total_gb)
    except FootprintError as exc:
        return f"~{card.memory_gb:g} GB", f"{needs}; its component sizes cannot be read: {exc}"
    if plan is None:
        return f"~{card.memory_gb:g} GB", f"{needs}; the card does not say its components' sizes."
    if not plan.fits:
        return "too big at its default size", plan.reason
    return FIT_WORDS[plan.tier] + (", VAE in tiles" if plan.tier == "resident" and plan.vae_tiling else ""), plan.reason


def modes_text(card: Card) -> str:
    """What a model does, as the table and the notes under it say it."""
    # an upsampler makes no shots: it is the second pass of the two-pass models
    return "upsampler for two-pass models" if card.kind == "upsampler" else ", ".join(m.label for m in card.modes)


def where(entry: Resolved) -> str:
    """Where a model's weights are, or what is wrong with them."""
    if entry.folder is None:
        return "missing — download it" if entry.card.repo else "missing"
    try:
        check_folder(entry.folder, entry.card.own_parts)
    except ModelFolderError as exc:
        return f"incomplete: {exc}"
    return str(entry.folder)


class ModelManagerDialog(QDialog):
    models_dir_changed = Signal(str)  # the user chose another models folder

    def __init__(
        self,
        models_dir: str | os.PathLike[str] | None = None,
        parent: QWidget | None = None,
        cards_dir: str | os.PathLike[str] | None = None,
        api=None,  # the Hugging Face API object; tests give a fake
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Models")
        # Most of the editor's window (or the screen): the catalogue's rows and names whole, not nine cut ones.
        room = (parent.window().geometry() if parent is not None else self.screen().availableGeometry()).size()
        self.resize(max(900, min(1300, room.width() * 9 // 10)), max(440, min(820, room.height() * 85 // 100)))
        self.models_dir = str(models_dir) if models_dir else None
        self.cards_dir = cards_dir
        self.api = api
        self.entries: list[Resolved] = []
        self._download: aio.ThreadWork | None = None  # the download under way
        self.gpu: GpuMemory | None = None  # this computer's NVIDIA GPU, once nvidia-smi has answered
        self._gpu_asked = False  # nvidia-smi has answered (or there is none)

        self.folder = QLineEdit(self.models_dir or "")
        self.folder.setPlaceholderText(f"none: only {models_root()}, the studio's own and the Hugging Face cache")
        self.folder.setReadOnly(True)
        choose = QPushButton("Choose…")
        choose.clicked.connect(self._choose_folder)
        row = QHBoxLayout()
        row.addWidget(QLabel("Models folder:"))
        row.addWidget(self.folder, 1)
        row.addWidget(choose)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)  # a list, not a form
        self.table.itemSelectionChanged.connect(self._update_buttons)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.hide()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.about = QLabel("")  # what the selected model is, from its card
        self.about.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.download_button = self.buttons.addButton("Download", QDialogButtonBox.ButtonRole.ActionRole)
        self.download_button.clicked.connect(self.download_selected)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.about)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        self.refresh()
        # nvidia-smi can take a second: asked on a thread, and the memory column says the fit when it answers.
        aio.spawn(self, self._find_gpu(aio.ThreadWork(lambda _report: nvidia_gpu_memory(), name="gpu")), name="gpu")

    async def _find_gpu(self, work: aio.ThreadWork[GpuMemory | None]) -> None:
        self.gpu = await work.result()
        self._gpu_asked = True
        if self.gpu is not None:
            header = QTableWidgetItem(f"On this GPU ({self.gpu.total_gb:.0f} GB)")
            header.setToolTip(f"{self.gpu}: the tier each model gets on it at its default size (hover a row for why)")
            self.table.setHorizontalHeaderItem(2, header)
            self.refresh()
        else:
            self._update_buttons()

    def refresh(self) -> None:
        try:
            self.entries = catalogue(self.models_dir, self.cards_dir)
        except CardError as exc:
            self.entries = []
            self.status.setText(f"A model card is broken: {exc}")
        self.table.setRowCount(len(self.entries))
        for row, entry in enumerate(self.entries):
            card = entry.card
            memory, why = fit_on(self.gpu, entry)
            cells = (
                (f"{card.name} ({card.id})", ""),
                (modes_text(card), ""),
                (memory, why),
                (where(entry), ""),
            )
            for column, (text, tip) in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(tip or text)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        for column, widest in enumerate((460, 340, 340)):  # long names and mode lists are cut (the note has them)
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), widest))
        if not self.table.selectedItems():  # open on a model the user has, a real one before the demo
            have = [row for row, e in enumerate(self.entries) if e.folder is not None and e.card.kind == "video"]
            have.sort(key=lambda row: self.entries[row].card.id == DEMO_MODEL)
            if have:
                self.table.selectRow(have[0])
        self._update_buttons()

    def set_models_dir(self, folder: str | os.PathLike[str] | None) -> None:
        self.models_dir = str(folder) if folder else None
        self.folder.setText(self.models_dir or "")
        self.refresh()
        self.models_dir_changed.emit(self.models_dir or "")

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Models folder", self.models_dir or str(Path.home()))
        if folder:
            self.set_models_dir(folder)

    def selected(self) -> Resolved | None:
        rows = self.table.selectionModel().selectedRows()
        return self.entries[rows[0].row()] if rows else None

    def _update_buttons(self) -> None:
        entry = self.selected()
        if entry is None:
            self.about.setText("Select a model to read what it is.")
        else:
            # The demo model in the package's own studio/models/ (one in a models folder is not "shipped").
            shipped = (
                entry.card.id == DEMO_MODEL and entry.folder is not None and (entry.folder.parent == bundled_models())
            )
            no_gpu = self._gpu_asked and self.gpu is None and not entry.card.runs_on_cpu
            card = entry.card
            self.about.setText(
                f"<b>{card.name}</b>: {card.description or 'no description'}"
                + (" It ships with the studio: nothing to download." if shipped else "")
                + (
                    " It needs an NVIDIA GPU, and none was found on this computer (<i>studio models fit "
                    "--gpu-memory N</i> says how it fits a GPU of N GB)."
                    if no_gpu
                    else ""
                )
                + f"<br><b>Modes:</b> {modes_text(card)}.<br><b>On disk:</b> {html.escape(where(entry))}"
            )
        self.download_button.setEnabled(
            entry is not None
            and bool(entry.card.repo)
            and not self.is_busy()
            and (entry.folder is None or where(entry).startswith("incomplete"))
        )

    def download_selected(self) -> None:
        entry = self.selected()
        if entry is None or not entry.card.repo or self.is_busy():
            return
        target = Path(self.models_dir) if self.models_dir else models_root()
        card, api = entry.card, self.api
        self.status.setText(f"Downloading {card.name} into {target / card.id}…")
        self.progress.setValue(0)
        self.progress.show()

        def work(report: aio.Report) -> Path:
            plan = plan_download(card, target, api)
            download(plan, api, progress=report)
            return plan.folder

        self._download = aio.ThreadWork(work, name=f"download-{card.id}")
        aio.spawn(self, self._follow(self._download, card), name=f"download-{card.id}")
        self._update_buttons()

    async def _follow(self, work: aio.ThreadWork[Path], card: Card) -> None:
        try:
            folder = await work.result(self._show_progress)
        except StudioError as exc:  # ours, written for people
            log.warning("the download of %s failed: %s", card.id, exc)
            self._done("failed", str(exc))
        except Exception as exc:  # never let a download take the editor down; the details go to the log
            log.exception("the download of %s failed", card.id)
            self._done("failed", f"the download failed: {type(exc).__name__}: {exc}")
        else:
            self._done("done", f"{card.name} is ready in {folder}")

    def _show_progress(self, done: int, total: int, rate: float) -> None:
        self.progress.setValue(int(1000 * done / max(total, 1)))
        self.progress.setFormat(f"{done / 2**30:.2f} of {total / 2**30:.2f} GB (%p%) · {rate / 2**20:.1f} MB/s")

    def _done(self, state: str, message: str) -> None:
        self._download = None
        self.status.setText(message)
        self.progress.setVisible(state == "done")
        self.refresh()
        if state == "done":
            self.models_dir_changed.emit(self.models_dir or "")  # the editor reads its model list again

    def is_busy(self) -> bool:
        return self._download is not None
