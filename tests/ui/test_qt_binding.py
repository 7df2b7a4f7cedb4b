"""The Qt binding we pin must not drop references to None, and nothing else may point it at other Qt plugins.

PySide6 6.12.0 on Python 3.11 returns None from every void method without taking a reference,
so each setPen, update or setText wore None's count down until the editor aborted with
"none_dealloc" after a few hundred timeline repaints. On Python 3.12+ None is immortal and this
check passes trivially; on 3.11 it fails for such a binding.
"""

from __future__ import annotations

import os
import subprocess
import sys

from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QLabel


def test_void_qt_calls_keep_none_alive(qtbot):
    label = QLabel()
    qtbot.addWidget(label)
    image = QImage(8, 8, QImage.Format.Format_RGB32)
    painter = QPainter(image)
    color = QColor("#808080")
    before = sys.getrefcount(None)
    for _ in range(200):
        painter.setPen(color)
        painter.drawLine(0, 0, 4, 4)
        label.setText("x")
        label.update()
    after = sys.getrefcount(None)
    painter.end()
    assert after >= before - 10, f"None lost {before - after} references in 800 Qt calls"


def test_the_editor_process_leaves_qt_its_own_plugins():
    """opencv-python's cv2 (not its headless build) sets QT_QPA_PLATFORM_PLUGIN_PATH to its own Qt 5 plugins
    when imported, and the editor imports cv2 before Qt starts: Qt 6 then looked for its xcb plugin there,
    and on a machine without Qt's X11 libraries named cv2's folder as the fault."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QT_QPA_")}
    probe = "import os, studio.ui.app, cv2; print([k for k in os.environ if k.startswith('QT_QPA_')])"
    run = subprocess.run([sys.executable, "-I", "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"
