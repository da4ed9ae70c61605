"""Files from the window: dropping designs and manifests, importing, recent files, and the export
dialog's error gate."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication

from conftest import EXAMPLES_DIR
from meshdesigner.gui import settings

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]
SAMPLES = EXAMPLES_DIR.parent.parent / "shared" / "oracle" / "istio-samples"


def drop_files(window, paths) -> None:
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(QPointF(300, 300), Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)


def test_dropping_a_design_opens_it_and_remembers_it(make_editor, qtbot):
    window = make_editor()
    path = EXAMPLES_DIR / "tcp.mesh.yaml"
    drop_files(window, [path])
    assert window.opening  # read on a worker, drawn in slices (#16)
    qtbot.waitUntil(lambda: not window.opening, timeout=30000)
    assert window.document.path == str(path)
    # (written in a turn of its own after the design is shown)
    qtbot.waitUntil(lambda: settings.recent_files()[:1] == [str(path)], timeout=5000)


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="the oracle samples are absent")
def test_dropping_manifests_imports_them_as_a_new_unsaved_design(make_editor):
    window = make_editor()
    drop_files(window, [SAMPLES / "istio-bookinfo-bookinfo-gateway.yaml"])
    project = window.document.project
    assert project.gateways() and project.virtual_services()
    assert window.document.path is None
    assert set(window.scene.items_by_id) == set(project.nodes)
    assert "Imported" in window.statusBar().currentMessage()


def test_export_is_blocked_by_errors_unless_overridden(make_editor, tmp_path, qtbot):
    from meshdesigner.gui.export_dialog import ExportDialog

    window = make_editor(str(EXAMPLES_DIR / "seed.mesh.yaml"))
    window.document.set_field("virtual-service:default/virtual-svc", ("virtual_service", "spec", "hosts"),
                              ["bad host!"])
    window.diagnostics.recheck()
    assert window.diagnostics.counts()["error"] >= 1
    dialog = ExportDialog(window.document.project, window.diagnostics.diagnostics, str(tmp_path / "out"), window)
    qtbot.waitUntil(lambda: not dialog.worker.busy, timeout=10000)  # the preview is made off the GUI thread
    assert dialog.texts and not dialog.export_button.isEnabled()
    assert "error" in dialog.status.text()
    dialog.do_export()
    assert not (tmp_path / "out").exists()          # nothing written
    dialog.override.setChecked(True)
    assert dialog.export_button.isEnabled()
    assert dialog.export_button.text() == f"Export {len(dialog.texts)} files to out/"
    dialog.do_export()
    assert (tmp_path / "out" / "istio.yaml").is_file()
    QApplication.processEvents()


def test_recent_files_menu_lists_opened_designs(make_editor):
    window = make_editor(str(EXAMPLES_DIR / "bookinfo.mesh.yaml"))
    window.open_path(str(EXAMPLES_DIR / "seed.mesh.yaml"))
    window._fill_recent()
    names = [a.text() for a in window.recent_menu.actions()]
    assert names[:2] == ["seed.mesh.yaml", "bookinfo.mesh.yaml"]


def _credential_messages(window) -> list[str]:
    window.diagnostics.recheck()
    return [d.message for d in window.diagnostics.diagnostics if d.code in ("MD0601", "MD0602")]


def test_certificates_are_looked_for_next_to_the_project_not_in_the_start_folder(make_editor, tmp_path,
                                                                                 monkeypatch, no_dialogs):
    from meshdesigner.tls.sources import set_certificate_location

    project_dir = tmp_path / "project"
    project_dir.mkdir()
    design = project_dir / "public-private.mesh.yaml"
    design.write_text((EXAMPLES_DIR / "public-private.mesh.yaml").read_text())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    try:
        window = make_editor(str(design))
        messages = _credential_messages(window)
        assert messages and all(str(project_dir) in m for m in messages), messages
        assert not any(str(elsewhere) in m for m in messages)
        moved = tmp_path / "moved"
        moved.mkdir()
        no_dialogs["save_project_as"] = str(moved / "copy.mesh.yaml")
        assert window.save_as()
        messages = _credential_messages(window)
        assert messages and all(str(moved) in m for m in messages), messages
    finally:
        set_certificate_location(None)
