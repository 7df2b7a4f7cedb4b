"""Make docs/screenshot.png: the real window, under a real X server, with generated shots on the
timeline. Run under Xvfb:  xvfb-run -s "-screen 0 1600x1000x24" .venv/bin/python docs/screenshot.py MODEL

MODEL is a model folder (e.g. one made by `studio models tiny ltx DIR`) or card id.
"""

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from studio.core import store
from studio.core.presets import RESOURCES
from studio.core.project import Project
from studio.engine.service import EngineService
from studio.ui.document import Document
from studio.ui.main_window import MainWindow

PROMPTS = [
    "a lighthouse on a cliff at dusk, waves breaking below, slow push in",
    "close-up of the keeper's hands lighting an oil lamp, warm flicker",
    "the beam sweeping over a stormy sea, wide shot",
]


def wait_until(condition, timeout_s: float) -> None:
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: condition() and loop.quit())
    timer.start(50)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()


def failed(window) -> bool:
    return any(row.state.text() in ("failed", "cancelled") for row in window.jobs_panel.rows.values())


def main(model: str, out: Path) -> None:
    app = QApplication([])
    app.setStyleSheet((RESOURCES / "style.qss").read_text(encoding="utf-8"))
    work = Path(tempfile.mkdtemp())
    project = Project.new("Lighthouse")
    store.save(project, work / "Lighthouse.studio")
    service = EngineService(log_dir=work / "logs")
    window = MainWindow(service, Document(project))
    window.resize(1560, 940)
    window.show()
    panel = window.prompt_panel
    panel.set_model(model)
    panel.resolution.setCurrentIndex(panel.resolution.findText("Draft (128p)"))
    panel.seconds.setValue(2.0)
    for prompt in PROMPTS:
        panel.prompt.setPlainText(prompt)
        before = len(project.sequence.tracks[0].clips)
        panel.generate_button.click()
        wait_until(lambda n=before: len(project.sequence.tracks[0].clips) > n or failed(window), 300)
        if failed(window):
            raise SystemExit(f"generation failed: {window.statusBar().currentMessage()}")
        window.timeline.set_playhead(project.sequence.duration)
    window.timeline.zoom_to_fit()
    window.timeline.set_playhead(30)
    window.timeline.select(project.sequence.tracks[0].clips[0].id)
    wait_until(lambda: window.viewer.shown_frame == 30, 20)
    wait_until(lambda: False, 4)  # thumbnails load in the background
    window.grab().save(str(out))
    print(out)
    window.document.undo_stack.setClean()
    window.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(__file__).with_name("screenshot.png"))
