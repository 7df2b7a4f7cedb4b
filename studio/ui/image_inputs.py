"""The shot's image inputs: a still to start or end on (ImageSlot) and reference images (ReferenceList),
each taking dropped image files as well as chosen ones."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog, QHBoxLayout, QLineEdit, QListWidget, QPushButton, QVBoxLayout, QWidget

from ..engine.requests import IMAGE_SUFFIXES

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)"


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

    def value(self) -> str:
        return self.path.text().strip()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose an image", self.value(), IMAGE_FILTER)
        if path:
            self.path.setText(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile() and Path(urls[0].toLocalFile()).suffix.lower() in IMAGE_SUFFIXES:
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        self.path.setText(event.mimeData().urls()[0].toLocalFile())
        event.acceptProposedAction()


class ReferenceList(QWidget):
    """Reference images (a character, an object, a place) for models that take them (Wan VACE): a list
    that takes dropped image files, with Add and Remove."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setMaximumHeight(52)
        self.list.setToolTip("Images of what the shot should show; drop image files here")
        add = QPushButton("+")
        add.setFixedWidth(30)
        add.setToolTip("Add reference images")
        add.clicked.connect(self._browse)
        remove = QPushButton("−")
        remove.setFixedWidth(30)
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

    def paths(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _remove_selected(self) -> None:
        for item in self.list.selectedItems():
            self.list.takeItem(self.list.row(item))

    def add(self, path: str) -> None:
        if path not in self.paths():
            self.list.addItem(path)

    def _browse(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(self, "Choose reference images", "", IMAGE_FILTER)
        for path in paths:
            self.add(path)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if urls and all(u.isLocalFile() and Path(u.toLocalFile()).suffix.lower() in IMAGE_SUFFIXES for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            self.add(url.toLocalFile())
        event.acceptProposedAction()
