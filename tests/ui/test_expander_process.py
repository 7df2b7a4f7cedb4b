"""The editor's expander process runs this checkout's code, never a module planted in the folder the
studio was started from."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from studio.ui.prompt_panel import PromptPanel


def test_expand_ignores_modules_planted_in_the_current_folder(qtbot, tiny_expander, tmp_path, monkeypatch):
    here = tmp_path / "downloads"
    for name in ("torch.py", "transformers.py", "studio/__init__.py"):
        (here / name).parent.mkdir(parents=True, exist_ok=True)
        (here / name).write_text(f"import pathlib\npathlib.Path({str(here / 'IMPORTED')!r}).write_text('x')\n")
    monkeypatch.chdir(here)
    monkeypatch.setenv("PYTHONPATH", str(here))
    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.prompt.setPlainText("a fox in the snow")
    panel.expander.set_model(Path(tiny_expander))
    qtbot.mouseClick(panel.expander.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.expander.running(), timeout=120_000)
    assert panel.expander.status.text().startswith("Expanded"), panel.expander.status.text()
    assert panel.expander.value()
    assert not (here / "IMPORTED").exists()
