"""The model manager: cards with modes and memory, where each model is, the models folder, downloading."""

from __future__ import annotations

import dataclasses
import shutil

from PySide6.QtCore import Qt

from studio.engine.cards import folder_card
from studio.ui.model_manager import ModelManagerDialog
from tests.engine.test_download import FakeHub


def rows(dialog) -> dict[str, list[str]]:
    table = dialog.table
    return {
        entry.card.id: [table.item(r, c).text() for c in range(table.columnCount())]
        for r, entry in enumerate(dialog.entries)
    }


def select(qtbot, dialog, card_id: str) -> None:
    row = [e.card.id for e in dialog.entries].index(card_id)
    rect = dialog.table.visualItemRect(dialog.table.item(row, 0))
    qtbot.mouseClick(dialog.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_the_manager_shows_modes_memory_and_where_each_model_is(qtbot, tiny_ltx, tmp_path):
    dialog = ModelManagerDialog(tiny_ltx.parent)
    qtbot.addWidget(dialog)
    shown = rows(dialog)
    assert shown["tiny-ltx"][3] == str(tiny_ltx)
    assert "text to video" in shown["tiny-ltx"][1] and shown["tiny-ltx"][2] == "~0.1 GB"
    assert shown["demo"][2] == "any CPU (no GPU needed)"  # not "~1 GB", which would read as a GPU's
    assert shown["ltx-video-0.9.5"][3] == "missing — download it"
    select(qtbot, dialog, "tiny-ltx")
    assert not dialog.download_button.isEnabled()  # already here
    select(qtbot, dialog, "ltx-video-0.9.5")
    assert dialog.download_button.isEnabled()

    other = tmp_path / "elsewhere"
    shutil.copytree(tiny_ltx, other / "tiny-ltx")
    shutil.rmtree(other / "tiny-ltx" / "vae")
    with qtbot.waitSignal(dialog.models_dir_changed) as changed:
        dialog.set_models_dir(other)
    assert changed.args == [str(other)]
    state = rows(dialog)["tiny-ltx"][3]
    assert state.startswith("incomplete: ") and "the 'vae' folder is missing" in state


def test_download_runs_off_the_qt_thread_and_the_model_appears(qtbot, tiny_ltx, tmp_path):
    cards = tmp_path / "cards"
    cards.mkdir()
    card = dataclasses.replace(folder_card(tiny_ltx), id="tiny-download", repo="studio/tiny-ltx", source=None)
    (cards / "tiny-download.toml").write_text(card.to_toml())
    models = tmp_path / "models"
    models.mkdir()
    dialog = ModelManagerDialog(models, cards_dir=cards, api=FakeHub(tiny_ltx))
    qtbot.addWidget(dialog)
    assert rows(dialog)["tiny-download"][3] == "missing — download it"
    select(qtbot, dialog, "tiny-download")
    with qtbot.waitSignal(dialog.models_dir_changed, timeout=30_000):
        qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    assert rows(dialog)["tiny-download"][3] == str(models / "tiny-download")
    assert dialog.status.text() == f"{card.name} is ready in {models / 'tiny-download'}"
    assert dialog.progress.value() == 1000


def test_a_failed_download_is_a_message_not_a_crash(qtbot, tiny_ltx, tmp_path):
    class Offline:
        def list_repo_tree(self, *args, **kwargs):
            raise ConnectionError("no route to host")

    dialog = ModelManagerDialog(tmp_path, api=Offline())
    qtbot.addWidget(dialog)
    select(qtbot, dialog, "ltx-video-0.9.5")
    qtbot.mouseClick(dialog.download_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_busy() and "offline" in dialog.status.text(), timeout=10_000)
    assert dialog.status.text().startswith("cannot reach Hugging Face to download Lightricks/LTX-Video-0.9.5")
    assert dialog.download_button.isEnabled()


def test_the_editor_opens_the_manager_and_takes_the_folder_chosen(open_window, qtbot, tiny_ltx, tmp_path):
    from studio.core import store

    window = open_window(store.create(tmp_path / "Film"))
    action = next(a for a in window.menuBar().actions() if a.text() == "&Generate")
    next(a for a in action.menu().actions() if a.text() == "&Models…").trigger()
    dialog = window.model_manager
    assert dialog.isVisible()
    dialog.set_models_dir(tiny_ltx.parent)
    assert window.service.models_dir == str(tiny_ltx.parent)
    dialog.close()


def test_the_selected_models_card_says_what_it_is_and_an_installed_one_is_selected_first(qtbot, tiny_ltx):
    dialog = ModelManagerDialog(tiny_ltx.parent)
    qtbot.addWidget(dialog)
    assert dialog.entries[dialog.table.currentRow()].card.id == "tiny-ltx"  # the model the user has
    assert "for tests: coloured noise" in dialog.about.text()
    assert "ships with the studio" not in dialog.about.text()  # the user built it, in a folder of theirs
    select(qtbot, dialog, "ltx-video-0.9.5")
    assert "Fast 2B model" in dialog.about.text() and "nothing to download" not in dialog.about.text()
    select(qtbot, dialog, "demo")
    assert "trained on coloured shapes: try the studio on any computer" in dialog.about.text()
    assert "ships with the studio: nothing to download" in dialog.about.text()
    assert "download a model such as LTX-Video" in dialog.about.text()  # how to get a real one
    # What the table's cells cut, the note says whole: every mode and where the weights are.
    demo = next(e for e in dialog.entries if e.card.id == "demo")
    assert f"<b>Modes:</b> {', '.join(m.label for m in demo.card.modes)}." in dialog.about.text()
    assert f"<b>On disk:</b> {demo.folder}" in dialog.about.text()
    select(qtbot, dialog, "ltx-video-0.9.5")
    assert "<b>On disk:</b> missing — download it" in dialog.about.text()


def test_the_manager_takes_most_of_the_editors_window(open_window, qtbot, tmp_path):
    from studio.core import store

    window = open_window(store.create(tmp_path / "Film"))
    window.resize(1400, 900)
    dialog = ModelManagerDialog(None, parent=window)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.width() >= 1200 and dialog.height() >= 740
    visible = dialog.table.viewport().height() // dialog.table.verticalHeader().defaultSectionSize()
    assert visible >= len(dialog.entries) >= 20, visible  # every row of a first start's catalogue, no scrolling
    dialog.close()


def fake_nvidia_smi(monkeypatch, tmp_path, mib: int) -> None:
    """An nvidia-smi on PATH that lists one GPU of `mib` MiB, as the real one answers the studio's query."""
    bin_dir = tmp_path / f"bin{mib}"
    bin_dir.mkdir()
    script = bin_dir / "nvidia-smi"
    script.write_text(f'#!/bin/sh\necho "NVIDIA GeForce RTX 4090, {mib}"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")


def test_the_memory_column_says_how_each_model_fits_this_computers_gpu(qtbot, monkeypatch, tmp_path):
    """Journey 8: "whether it fits this GPU". On a 24 GB GPU the column reads the tier each model gets
    there (as `studio models fit --gpu-memory 24` and the README's table), not only what it needs resident."""
    fake_nvidia_smi(monkeypatch, tmp_path, 24564)
    dialog = ModelManagerDialog()
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.gpu is not None, timeout=10_000)
    assert dialog.table.horizontalHeaderItem(2).text() == "On this GPU (24 GB)"
    assert dialog.table.horizontalHeaderItem(2).toolTip().startswith("NVIDIA GeForce RTX 4090, 24 GB: the tier")
    shown = rows(dialog)
    assert shown["cogvideox-1.5-5b"][2] == "fits with model offload"  # the card's ~40 GB would say it cannot
    assert shown["ltx-2"][2] == "fits with group offload (slow)"
    assert shown["wan-2.1-t2v-1.3b"][2] == "fits: all on the GPU"
    assert shown["demo"][2] == "any CPU (no GPU needed)"
    row = [e.card.id for e in dialog.entries].index("ltx-2")
    assert "so group offload" in dialog.table.item(row, 2).toolTip()  # which component decided

    fake_nvidia_smi(monkeypatch, tmp_path, 8192)
    small = ModelManagerDialog()
    qtbot.addWidget(small)
    qtbot.waitUntil(lambda: small.gpu is not None, timeout=10_000)
    assert rows(small)["wan-2.1-vace-14b"][2] == "too big at its default size"


def test_without_a_gpu_the_column_says_what_each_model_needs_and_the_card_says_none_was_found(
    qtbot, monkeypatch, tmp_path
):
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi
    dialog = ModelManagerDialog()
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog._gpu_asked, timeout=10_000)
    assert dialog.table.horizontalHeaderItem(2).text() == "GPU memory"
    assert rows(dialog)["cogvideox-1.5-5b"][2] == "~40 GB"
    select(qtbot, dialog, "cogvideox-1.5-5b")
    assert "It needs an NVIDIA GPU, and none was found on this computer" in dialog.about.text()
    select(qtbot, dialog, "demo")
    assert "NVIDIA" not in dialog.about.text()
