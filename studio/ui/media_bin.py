"""The media bin: every file the project uses (imported or generated), with thumbnails, facts
and a search box. Files are imported with the dialog or dropped from the file manager; they are
probed on a background thread, awaited on the Qt loop (ui/aio.py), and added as one undo step."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QMimeData, QSize, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QIcon, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.commands import AddMedia
from ..core.project import MediaItem, MediaKind, new_id
from ..core.timebase import FrameRate
from ..media.probe import MediaError, probe
from . import aio
from .document import Document
from .thumbnail_loader import ThumbnailLoader
from .ui_settings import UiSettings

MEDIA_FILTER = (
    "Media (*.mp4 *.mov *.mkv *.webm *.avi *.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff *.wav *.mp3 *.flac *.aac *.m4a)"
)
MEDIA_MIME = "application/x-studio-media-id"  # what a bin item carries when dragged to the timeline
THUMB = QSize(96, 54)


def describe(item: MediaItem) -> str:
    """One line of facts: size, rate, duration."""
    if item.kind is MediaKind.AUDIO:
        return "audio"
    if item.kind is MediaKind.IMAGE:
        return f"still · {item.width}×{item.height}"
    return f"{item.width}×{item.height} · {item.fps} fps · {item.fps.timecode(item.frames)}"


class _MediaList(QListWidget):
    files_dropped = Signal(list)

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)
        self.setDragEnabled(True)
        self.setViewMode(QListWidget.ViewMode.ListMode)
        self.setIconSize(THUMB)
        self.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.files_dropped.emit(paths)
            event.acceptProposedAction()
        else:
            super().dropEvent(event)

    def mimeData(self, items) -> QMimeData:
        mime = QMimeData()
        mime.setData(MEDIA_MIME, ",".join(i.data(Qt.ItemDataRole.UserRole) for i in items).encode())
        return mime

    def mimeTypes(self) -> list[str]:
        return [MEDIA_MIME]


class MediaBin(QWidget):
    message = Signal(str)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search media")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        import_button = QPushButton("Import…")
        import_button.setToolTip("Import video, image and audio files (Ctrl+I), or drop them here")
        import_button.clicked.connect(self.import_dialog)
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(import_button)
        self.list = _MediaList()
        self.list.files_dropped.connect(self.import_files)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        self.thumbnails = ThumbnailLoader(parent=self)
        self.thumbnails.ready.connect(self._update_icons)
        document.changed.connect(self.refresh)
        document.replaced.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Rebuild the list from the project's media (a bin holds tens of items, not thousands)."""
        project = self.document.project
        self.thumbnails.cache_dir = self.document.cache_dir / "thumbnails"
        self.list.clear()
        for item in sorted(project.media.values(), key=lambda m: (m.name or m.path).lower()):
            offline = project.is_offline(item)
            label = f"{item.name or Path(item.path).name}\n{describe(item)}{' · offline' if offline else ''}"
            row = QListWidgetItem(label)
            row.setData(Qt.ItemDataRole.UserRole, item.id)
            row.setToolTip(f"{project.media_path(item)}" + ("\n(generated)" if item.is_generated else ""))
            self.list.addItem(row)
        self._update_icons()
        self._filter(self.search.text())

    def _update_icons(self) -> None:
        project = self.document.project
        for index in range(self.list.count()):
            row = self.list.item(index)
            item = project.media.get(row.data(Qt.ItemDataRole.UserRole))
            if item is None or item.kind is MediaKind.AUDIO or not row.icon().isNull():
                continue
            image = self.thumbnails.get(project.media_path(item), 0, THUMB.height())
            if image is not None and not image.isNull():
                row.setIcon(QIcon(QPixmap.fromImage(image)))

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        for index in range(self.list.count()):
            row = self.list.item(index)
            haystack = (row.text() + " " + row.toolTip()).lower()
            row.setHidden(not all(word in haystack for word in words))

    def import_dialog(self) -> None:
        settings = UiSettings()
        paths, _ = QFileDialog.getOpenFileNames(self, "Import media", settings.start_folder("media"), MEDIA_FILTER)
        if paths:
            settings.remember_folder("media", paths[0])
            self.import_files([Path(p) for p in paths])

    def import_files(self, paths: list[Path]) -> threading.Thread:
        """Probe the files on a thread; add the readable ones as one undo step."""
        fps = self.document.project.sequence.fps  # read here: the project belongs to the Qt thread
        work = aio.ThreadWork(lambda _report: _probe_all(list(paths), fps), name="import")
        aio.spawn(self, self._add_probed(work), name="import")
        return work.thread

    async def _add_probed(self, work: aio.ThreadWork[tuple[list[MediaItem], list[str]]]) -> None:
        items, problems = await work.result()
        project = self.document.project
        for item in items:
            item.path = project.relative_path(Path(item.path))
        if items:
            self.document.push(
                [AddMedia(item) for item in items], f"Import {len(items)} file{'s' if len(items) > 1 else ''}"
            )
        if problems:
            self.message.emit(f"Not imported: {'; '.join(problems)}")
        elif items:
            self.message.emit(f"Imported {len(items)} file{'s' if len(items) > 1 else ''}")


def _probe_all(paths: list[Path], fps: FrameRate) -> tuple[list[MediaItem], list[str]]:
    """On the import's thread: the readable files as media items, and what is wrong with the others.
    fps: the sequence's rate, for files without one of their own."""
    items, problems = [], []
    for path in paths:
        try:
            info = probe(path)
        except MediaError as exc:
            problems.append(str(exc))
            continue
        rate = info.fps or fps
        # A sound file is measured in frames of the sequence it was imported into.
        frames = max(1, rate.frames(info.duration)) if info.kind is MediaKind.AUDIO else info.frames
        items.append(
            MediaItem(
                id=new_id(),
                path=str(path.absolute()),
                kind=info.kind,
                width=info.width,
                height=info.height,
                fps=rate,
                frames=frames,
                has_audio=info.has_audio,
                name=path.name,
            )
        )
    return items, problems
