"""Run by test_studio_round.py in a fresh process: generate and export through the real window,
then report whether this (GUI) process ever imported torch."""

import sys
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication

from studio.core import store
from studio.core.project import Project
from studio.engine.service import EngineService
from studio.media.probe import probe
from studio.ui.document import Document
from studio.ui.main_window import MainWindow


def wait_until(condition, timeout_s: float) -> None:
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: condition() and loop.quit())
    timer.start(50)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    loop.exec()
    if not condition():
        raise SystemExit("timed out")


model, work = sys.argv[1], Path(sys.argv[2])
app = QApplication([])
project = Project.new("NoTorch")
store.save(project, work / "NoTorch.studio")
service = EngineService(log_dir=work / "logs")
window = MainWindow(service, Document(project))
window.show()
panel = window.prompt_panel
panel.set_model(model)
panel.prompt.setPlainText("a paper boat on a puddle")
panel.aspect.setCurrentIndex(panel.aspect.findText("1:1 square"))
panel.resolution.setCurrentIndex(panel.resolution.findText("Tiny (128p)"))
panel.seconds.setValue(0.5)
panel.generate_button.click()
wait_until(lambda: project.sequence.duration > 0, 240)
window.files.export()
window.files.export_dialog.path.setText(str(work / "out.mp4"))
window.files.export_dialog.export_button.click()
wait_until(lambda: window.files.export_dialog.state != "running", 60)
print(f"export={window.files.export_dialog.state} frames={probe(work / 'out.mp4').frames}")
print(f"torch-loaded={'torch' in sys.modules}")
window.viewer.shutdown()
service.shutdown()
