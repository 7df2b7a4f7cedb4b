"""Help → Keyboard Shortcuts: every menu command's keys in a table that scrolls, never taller than the
screen it opens on."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

SCREEN_SHARE = 0.85  # of the screen's free height, at most


class ShortcutsDialog(QDialog):
    def __init__(self, rows: list[tuple[str, str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(("Menu", "Command", "Keys"))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        for row, cells in enumerate(rows):
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 2:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self._fit_to_screen(parent)

    def text(self) -> str:
        """The table as plain text, one command a line (what a person reading it sees)."""
        table = self.table
        return "\n".join("  ".join(table.item(r, c).text() for c in range(3)) for r in range(table.rowCount()))

    def _fit_to_screen(self, parent: QWidget | None) -> None:
        """As tall as the table wants, but within the screen; the table scrolls for the rest."""
        screen = (parent.screen() if parent is not None else None) or self.screen()
        free = screen.availableGeometry()
        wanted_height = (
            self.table.horizontalHeader().height()
            + self.table.verticalHeader().length()
            + self.table.frameWidth() * 2
            + 60
        )
        wanted_width = self.table.horizontalHeader().length() + self.table.verticalScrollBar().sizeHint().width() + 40
        height = min(wanted_height, int(free.height() * SCREEN_SHARE))
        self.resize(min(max(wanted_width, 420), free.width()), height)
        self.setMaximumHeight(free.height())
