"""The shot's image inputs: a still to start or end on (ImageSlot) and reference images (ReferenceList),
each taking image files dropped from the file manager or stills dragged from the bin, as well as chosen ones."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent
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

from ..engine.requests import IMAGE_SUFFIXES
from .media_bin import MEDIA_MIME
from .ui_settings import UiSettings

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)"

# A bin item's id → its file when it is a still, else None (set by the window, which has the project).
StillResolver = Callable[[str], str | None]


def dropped_images(mime: QMimeData, resolve: StillResolver) -> list[str]:
    """The image files a drag carries: files from the file manager, or the bin's stills; [] if any is not one."""
    if mime.hasFormat(MEDIA_MIME):
        found = [resolve(media_id) for media_id in bytes(mime.data(MEDIA_MIME).data()).decode().split(",")]
        return [path for path in found if path is not None] if all(found) else []
    urls = mime.urls()
    if urls and all(u.isLocalFile() and Path(u.toLocalFile()).suffix.lower() in IMAGE_SUFFIXES for u in urls):
        return [u.toLocalFile() for u in urls]
    return []


class ImageSlot(QWidget):
    """A still to animate: a path field that takes a dropped image file, with Browse and Clear."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = QLineEdit()
        self.path.setPlaceholderText(placeholder)
        self.path.setToolTip("Drop an image here, or choose one")
        browse = QPushButton("…")
        browse.setFixedWidth(36)
        browse.setToolTip("Choose an image")
        browse.clicked.connect(self._browse)
        clear = QPushButton("✕")
        clear.setFixedWidth(30)
        clear.setToolTip("No image")
        clear.clicked.connect(self.path.clear)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        row.addWidget(clear)
        self.setAcceptDrops(True)
        self.resolve_still: StillResolver = lambda _media_id: None

    def value(self) -> str:
        return self.path.text().strip()

    def _browse(self) -> None:
        settings = UiSettings()
        start = self.value() if Path(self.value()).is_file() else settings.start_folder("images")
        path, _ = QFileDialog.getOpenFileName(self, "Choose an image", start, IMAGE_FILTER)
        if path:
            settings.remember_folder("images", path)
            self.path.setText(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if len(dropped_images(event.mimeData(), self.resolve_still)) == 1:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        (path,) = dropped_images(event.mimeData(), self.resolve_still)
        self.path.setText(path)
        event.acceptProposedAction()


class ReferenceList(QWidget):
    """Reference images (a character, an object, a place) for models that take them (Wan VACE): a list
    that takes dropped image files, with Add and Remove. They are the sequence's: `changed` says the list
    the user made (added, dropped, removed; shown at once), set_paths shows the sequence's without saying it
    back."""

    changed = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setMaximumHeight(52)
        self.list.setToolTip(
            "Images of what every shot of the sequence should show (a character, an object, a place); drop "
            "image files or bin stills here. Saved with the project"
        )
        add = QPushButton("+")
        add.setFixedWidth(30)
        add.setObjectName("compact")  # two to the list's height: the theme's padding would clip the + to a dagger
        add.setToolTip("Add reference images")
        add.clicked.connect(self._browse)
        remove = QPushButton("−")
        remove.setFixedWidth(30)
        remove.setObjectName("compact")
        remove.setToolTip("Remove the selected reference")
        remove.clicked.connect(self._remove_selected)
        buttons = QVBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(add)
        buttons.addWidget(remove)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.list, 1)
        row.addLayout(buttons)
        self.setAcceptDrops(True)
        self.resolve_still: StillResolver = lambda _media_id: None
        # Whether a listed path's file is there (the window resolves paths stored relative to the project).
        self.exists: Callable[[str], bool] = lambda path: Path(path).is_file()

    def paths(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())]

    def set_paths(self, paths: list[str], *, look_again: bool = False) -> None:
        """Show `paths` (the sequence's), saying nothing back; a file that is not there is marked so (looked for
        again when the list changes, or with `look_again`: a project opened)."""
        if paths == self.paths() and not look_again:
            return
        self.list.clear()
        for path in paths:
            self._append(path)

    def _append(self, path: str) -> None:
        there = self.exists(path)
        item = QListWidgetItem(path if there else f"{path} (not found)")
        item.setData(Qt.ItemDataRole.UserRole, path)
        item.setToolTip(path if there else f"{path}: no image there; remove it, or put the file back")
        if not there:
            item.setForeground(QColor("#e06c6c"))
        self.list.addItem(item)

    def _remove_selected(self) -> None:
        selected = {self.list.row(item) for item in self.list.selectedItems()}
        if selected:
            self._edited([path for i, path in enumerate(self.paths()) if i not in selected])

    def add(self, path: str) -> None:
        self.add_all([path])

    def add_all(self, paths: list[str]) -> None:
        new = [path for path in dict.fromkeys(paths) if path not in self.paths()]
        if new:
            self._edited(self.paths() + new)

    def _edited(self, paths: list[str]) -> None:
        self.set_paths(paths)
        self.changed.emit(paths)

    def _browse(self) -> None:
        settings = UiSettings()
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Choose reference images", settings.start_folder("images"), IMAGE_FILTER
        )
        if paths:
            settings.remember_folder("images", paths[0])
            self.add_all(paths)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_images(event.mimeData(), self.resolve_still):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.add_all(dropped_images(event.mimeData(), self.resolve_still))
        event.acceptProposedAction()
