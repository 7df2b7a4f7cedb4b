"""The studio's main window: prompt panel, viewer, timeline and jobs as docks, and the menus that drive
them. What the menus do lives beside it: edits in edit_actions.py, files in file_actions.py, shots in
shot_actions.py, and the life of each generation job in generation.py."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ..core.commands import SetSequenceReferences, SetSequenceStyle
from ..core.project import MediaKind
from ..core.settings import logs_dir, private_folder
from . import aio
from .autosave import Autosaver
from .desktop import open_with_system
from .document import Document
from .edit_actions import EditActions
from .engine_bridge import EngineBridge
from .file_actions import FileActions
from .generation import GenerationController
from .inspector import Inspector
from .job_feedback import bring_forward
from .jobs_panel import JobsPanel
from .media_bin import MediaBin
from .menus import build_menus
from .prompt_panel import PromptPanel
from .recent import RecentProjects
from .shortcuts_dialog import ShortcutsDialog
from .shot_actions import ShotActions
from .timeline import TimelineWidget
from .ui_settings import UiSettings
from .viewer import ViewerWidget
from .workers_dialog import WorkersDialog, describe
from .workers_dialog import apply as apply_workers


class _UpAndDown(QScrollArea):
    """Scrolls its widget up and down only: as wide as the widget needs (and the scroll bar), however long."""

    def minimumSizeHint(self) -> QSize:
        return QSize(self._width(self.widget().minimumSizeHint()), super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:  # all of it where the screen has room (MainWindow sizes itself by it)
        return QSize(self._width(self.widget().sizeHint()), self.widget().minimumSizeHint().height())

    def _width(self, widget: QSize) -> int:
        return widget.width() + self.verticalScrollBar().sizeHint().width()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.widget() and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()  # the widget's needs changed (a longer model name): the dock's width follows
            self._fit()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        """The widget as tall as the view, or its least height where that is more (then it scrolls). Not
        widgetResizable: for a layout with wrapped labels that gives the preferred height, which scrolled
        where the rows fit."""
        widget, view = self.widget(), self.viewport()
        widget.resize(view.width(), max(view.height(), widget.minimumSizeHint().height()))


class MainWindow(QMainWindow):
    refine_action: QAction  # Generate → Refine Draft (menus.py): enabled while the selected clip shows a draft

    def __init__(self, service, document: Document | None = None) -> None:
        super().__init__()
        self.document = document or Document()
        self.service = service
        self.bridge = EngineBridge(service, self)
        self.settings = UiSettings()  # models folder, window layout, export folder: kept between sessions
        remembered = self.settings.models_dir
        if self.service.models_dir is None and remembered and Path(remembered).is_dir():
            self.service.models_dir = remembered

        self.viewer = ViewerWidget(self.document)
        self.timeline = TimelineWidget(self.document)
        self.prompt_panel = PromptPanel()
        self.jobs_panel = JobsPanel()
        self.media_bin = MediaBin(self.document)
        self.inspector = Inspector(self.document)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.viewer)
        splitter.addWidget(self.timeline)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.setCentralWidget(splitter)
        # Scrolled where the screen is shorter than the panel (a laptop's 768 or 900 lines): its rows are more than
        # fit there, and unscrolled they held the window taller than the screen.
        self._dock("Shot", self._scrolled_shot_panel(), Qt.DockWidgetArea.LeftDockWidgetArea)
        jobs_dock = self._dock("Jobs", self.jobs_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        media_dock = self._dock("Media", self.media_bin, Qt.DockWidgetArea.RightDockWidgetArea)
        self.splitDockWidget(jobs_dock, media_dock, Qt.Orientation.Vertical)
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(jobs_dock, self.inspector_dock)
        jobs_dock.raise_()
        # A queued job's progress in sight: its tab comes to the front (not over a field being typed in).
        self.jobs_panel.added.connect(lambda _job: bring_forward(jobs_dock, unless_typing_in=self.inspector_dock))

        self.generation = GenerationController(service, self.document, self.timeline, self.jobs_panel, self)
        self.bridge.event.connect(self.generation.on_job_event)
        self.generation.warning.connect(lambda title, text: QMessageBox.warning(self, title, text))
        self.generation.takes_changed.connect(lambda: self.inspector.show_clip(self.timeline.selected))
        self.shots = ShotActions(service, self.document, self.prompt_panel, self.timeline, self.generation, self)
        self.edits = EditActions(self.document, self.timeline, self)
        self.autosaver = Autosaver(self.document, self)  # timed autosaves and crash recovery (autosave.py)
        # A landed take leaves jobs.json for the project in memory: autosaved at once, it survives a crash
        # (minutes of generation), where the timer could lose it for up to a minute.
        self.generation.landed.connect(self.autosaver.autosave_now)
        self.files = FileActions(self.document, self.autosaver, self.viewer, self.generation, self)
        for source in (
            self.generation,
            self.shots,
            self.edits,
            self.files,
            self.autosaver,
            self.media_bin,
            self.inspector,
        ):
            source.message.connect(self.show_message)
        self.inspector.media_link.connect(self._select_media)
        panel = self.prompt_panel  # stills dragged from the bin into its image slots
        for target in (panel.first_frame, panel.last_frame, panel.references):
            target.resolve_still = self._still_file
        self.inspector.remix_requested.connect(self.shots.remix_clip)
        self.inspector.refine_requested.connect(self.shots.refine_clip)
        self.inspector.continue_requested.connect(self.shots.continue_clip)
        self.timeline.selection_changed.connect(self._selection_changed)

        self.timeline.playhead_moved.connect(self.viewer.seek)
        self.viewer.frame_changed.connect(self.timeline.set_playhead)
        self.viewer.marks_changed.connect(self.timeline.set_marks)
        self.timeline.edit_refused.connect(self.show_message)
        self.document.edited.connect(self.show_message)
        self.timeline.readout.connect(self._show_readout)
        for signal in (self.document.changed, self.document.replaced):  # lengths count the sequence's frames
            signal.connect(lambda: self.prompt_panel.set_frame_rate(float(self.document.project.sequence.fps)))
        self.document.changed.connect(lambda: self.prompt_panel.set_style(self.document.project.sequence.style))
        self.document.replaced.connect(self._show_style)
        self._show_style()
        self.prompt_panel.style_edited.connect(self._set_style)
        references = self.prompt_panel.references  # the sequence's too, kept in step as its style is
        references.exists = lambda path: self.document.project.resolve(path).is_file()
        self.document.changed.connect(lambda: references.set_paths(self.document.project.sequence.references))
        self.document.replaced.connect(self._show_references)
        self._show_references()
        references.changed.connect(self._set_references)
        self.document.path_changed.connect(self._update_title)
        self.document.undo_stack.cleanChanged.connect(self._update_title)

        build_menus(self)
        self.recent = RecentProjects(self.recent_menu, self.files.open_project, self.show_message)
        self.document.path_changed.connect(lambda: self.document.untitled or self.recent.add(self.document.folder))
        self.shots.refresh_models()
        self._update_title()
        # 1400 wide and tall enough for the Shot panel's rows, or the screen where it is smaller (a 1366 x 768
        # laptop: the panel scrolls): a first window wholly on it.
        room = self.screen().availableGeometry()
        self.resize(min(1400, room.width()), min(max(860, self.sizeHint().height()), room.height()))
        self._default_layout = self.saveState()  # View → Reset Layout goes back to it
        # On a first start the Jobs / Inspector tabs get more of the column than the bin under them (a clip's
        # facts, its takes, a job's progress all live there): sized once the window is laid out.
        self._share_column = None if self.settings.restore_window(self) else (jobs_dock, media_dock)
        self.statusBar().showMessage("Ready")
        if remembered and not Path(remembered).is_dir():
            self.show_message(f"The models folder {remembered} is gone: choose another in Generate → Models…")
        self.generation.restore_jobs()  # the project's unfinished jobs from the last session, to resume
        if self.settings.workers:  # Generate → Workers… of an earlier session
            self.use_workers(self.settings.workers)

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        return dock

    def _selection_changed(self, clip_id: str | None) -> None:
        self.inspector.show_clip(clip_id)
        if clip_id is not None:
            self.inspector_dock.raise_()

    def _scrolled_shot_panel(self) -> QWidget:
        """The Shot panel's rows in a scroll area, its Generate button in sight below them."""
        scroll = _UpAndDown()
        scroll.setWidget(self.prompt_panel)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        margins = self.prompt_panel.layout().contentsMargins()
        button_row = QHBoxLayout()
        button_row.setContentsMargins(margins.left(), 0, margins.right(), margins.bottom())
        button_row.addWidget(self.prompt_panel.generate_button)  # moved out of the panel's own rows
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        column.addWidget(scroll, 1)
        column.addLayout(button_row)
        holder = QWidget()
        holder.setLayout(column)
        return holder

    def _show_style(self) -> None:
        self.prompt_panel.set_style(self.document.project.sequence.style, opened=True)

    def _set_style(self, style: str) -> None:
        """The Shot panel's style becomes the sequence's, as one undoable edit."""
        if style != self.document.project.sequence.style:
            self.document.push(SetSequenceStyle(style))

    def _show_references(self) -> None:
        self.prompt_panel.references.set_paths(self.document.project.sequence.references, look_again=True)

    def _set_references(self, paths: list[str]) -> None:
        """The Shot panel's references become the sequence's, as one undoable edit; a file inside the project is
        stored relative to it, as media is, so the project can move."""
        project = self.document.project
        stored = [project.relative_path(Path(p)) if Path(p).is_absolute() else p for p in paths]
        if stored != project.sequence.references:
            self.document.push(SetSequenceReferences(stored))
        else:
            self.prompt_panel.references.set_paths(stored)

    def _still_file(self, media_id: str) -> str | None:
        """A bin item's file when it is a still that is there; None for anything else."""
        item = self.document.project.media.get(media_id)
        if item is None or item.kind is not MediaKind.IMAGE or self.document.project.is_offline(item):
            return None
        return str(self.document.project.media_path(item))

    def _select_media(self, media_id: str) -> None:
        """A recipe's input was clicked: select the clip that shows that media, if there is one."""
        clip = next((c for t in self.document.project.sequence.tracks for c in t.clips if c.media_id == media_id), None)
        if clip is None:
            self.show_message("That input is not on the timeline")
            return
        self.timeline.select(clip.id)
        self.viewer.seek(clip.start)

    def _set_snapping(self, on: bool) -> None:
        self.timeline.snapping = on

    def _set_loop(self, on: bool) -> None:
        self.viewer.loop = on

    def shortcut_table(self) -> list[tuple[str, str, str]]:
        """(menu, command, keys) for every menu command that has a shortcut, read from the menus
        themselves so the list can never disagree with the keys."""
        rows = []
        for menu_action in self.menuBar().actions():
            menu = menu_action.menu()
            for action in menu.actions() if menu else []:
                keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
                if keys:
                    rows.append((menu_action.text().replace("&", ""), action.text().replace("&", ""), keys))
        return rows

    def show_shortcuts(self) -> None:
        box = ShortcutsDialog(self.shortcut_table(), self)
        box.show()  # not modal: the editor keeps working
        self.shortcuts_box = box

    def show_log_folder(self) -> None:
        try:
            folder = private_folder(logs_dir())
        except OSError as exc:
            self.show_message(f"No log folder: {exc}")
            return
        failed = open_with_system(folder)
        if failed:
            self.show_message(failed)

    def reset_layout(self) -> None:
        self.restoreState(self._default_layout)
        self.show_message("Panels back where they start")

    def show_models(self) -> None:
        from .model_manager import ModelManagerDialog

        dialog = ModelManagerDialog(self.service.models_dir, self)
        dialog.models_dir_changed.connect(self._models_dir_chosen)
        dialog.show()
        self.model_manager = dialog  # kept, so the dialog outlives this call

    def show_workers(self) -> None:
        dialog = WorkersDialog(self.settings.workers, self)
        if dialog.exec():
            self.settings.workers = dialog.choice()  # the next session starts with them too
            self.use_workers(dialog.choice())

    def use_workers(self, choice: dict[str, str]) -> None:
        """Put a Workers choice to use, joining a cluster off the Qt thread; the status bar says how it went."""
        if choice:
            self.show_message(f"Setting up {describe(choice)}…")
        aio.spawn(self, apply_workers(self.service, choice, self.show_message), name="workers")

    def _models_dir_chosen(self, folder: str) -> None:
        self.service.models_dir = folder or None
        self.settings.models_dir = folder or None  # the next session uses it too
        self.shots.refresh_models()

    # Status and title

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    def _show_readout(self, text: str) -> None:
        """A drag's live offset and length, for as long as it lasts."""
        if text:
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    def _update_title(self) -> None:
        name = "Untitled" if self.document.untitled else self.document.project.name
        self.setWindowTitle(f"{name}{' •' if self.document.is_modified() else ''} — Studio")

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._share_column is not None:
            QTimer.singleShot(0, self._size_the_column)

    def _size_the_column(self) -> None:
        if self._share_column is None:
            return
        upper, lower = self._share_column
        self._share_column = None
        total = upper.height() + lower.height()
        self.resizeDocks([upper, lower], [total * 3 // 5, total - total * 3 // 5], Qt.Orientation.Vertical)
        self._default_layout = self.saveState()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.files.confirm_discard():
            event.ignore()
            return
        self.settings.save_window(self)
        self.generation.save_jobs()
        self.generation.closing = True  # the jobs cancelled by the shutdown stay queued in jobs.json, for next time
        self.autosaver.close()
        self.viewer.shutdown()
        self.service.shutdown()
        self.document.forget_scratch()  # an untitled project with nothing in it leaves no folder behind
        # Stop listening to the undo stack: at exit it may be freed before this window, and a stack with
        # unsaved changes says "clean" as it goes, which _update_title would answer by asking the deleted
        # stack ("QUndoStack already deleted").
        self.document.undo_stack.blockSignals(True)
        event.accept()
