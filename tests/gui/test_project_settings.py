""""Project settings…" (issue 13, What to build 3): the resources that live elsewhere, the root namespace, the
Istio version and the ignored checks, edited in the app as one undo step, validated as the project file is."""

from __future__ import annotations

import pytest

from conftest import docs_image
from meshdesigner.analysis import analyze
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.project_file import save_project
from meshdesigner.model.project import ProjectSettings

pytestmark = pytest.mark.gui

MISSING_GATEWAY = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [a.example.com]
  gateways: [istio-system/shared]
  http:
  - route:
    - destination: {host: reviews}
"""


def _dialog(qtbot, settings=None):
    from meshdesigner.gui.project_settings_dialog import ProjectSettingsDialog

    dialog = ProjectSettingsDialog(settings or ProjectSettings())
    qtbot.addWidget(dialog)
    return dialog


def test_the_dialog_validates_like_the_project_file(qtbot):
    dialog = _dialog(qtbot)
    dialog.external.setPlainText("shared")
    dialog.accept()
    assert dialog.settings() is None and not dialog.problem.isHidden()
    assert "Resources that live elsewhere" in dialog.problem.text() and "NAMESPACE/KIND/NAME" in dialog.problem.text()
    dialog.external.setPlainText("istio-system/Gateway/shared\n\n default/Service/reviews \nistio-system/Gateway/shared")
    dialog.ignore.setText("MD0509, MD0402 MD0509")
    dialog.istio_version.setText("1.24")
    dialog.accept()
    assert dialog.settings() == ProjectSettings(external_resources=("istio-system/Gateway/shared",
                                                                    "default/Service/reviews"),
                                                ignore=("MD0509", "MD0402"), istio_version="1.24")
    bad = _dialog(qtbot)
    bad.istio_version.setText("2.x")
    bad.accept()
    assert bad.settings() is None and "Istio version" in bad.problem.text()
    empty = _dialog(qtbot)
    empty.root_namespace.setText(" ")
    empty.accept()
    assert empty.settings() is None and "Root namespace" in empty.problem.text()


def test_the_setting_changes_the_checks_in_one_undo_step(make_editor, monkeypatch, tmp_path):
    from meshdesigner.gui import dialogs

    manifest = tmp_path / "vs.yaml"
    manifest.write_text(MISSING_GATEWAY)
    path = tmp_path / "vs.mesh.yaml"
    save_project(import_manifests([str(manifest)]).project, str(path))
    window = make_editor(str(path))
    project = window.document.project
    assert "MD0401" in {d.code for d in analyze(project)}  # the gateway is nowhere: IST0101, an error
    declared = ProjectSettings(external_resources=("istio-system/Gateway/shared",))
    monkeypatch.setattr(dialogs, "edit_project_settings", lambda parent, settings: declared)
    window.act_project_settings.trigger()
    assert project.settings == declared and window.document.dirty
    codes = {d.code for d in analyze(project)}
    assert "MD0401" not in codes and "MD1003" in codes  # declared elsewhere; the design is now complete
    window.act_undo.trigger()
    assert project.settings == ProjectSettings()
    monkeypatch.setattr(dialogs, "edit_project_settings", lambda parent, settings: None)  # Cancel
    window.act_project_settings.trigger()
    assert project.settings == ProjectSettings()
    assert window.document.undo_stack.count() == 1


def test_project_settings_dialog_screenshot(qtbot, tmp_path):
    dialog = _dialog(qtbot, ProjectSettings(external_resources=("istio-system/Gateway/shared",),
                                            ignore=("MD0509",)))
    dialog.external.setPlainText("shared")
    dialog.accept()
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.grab().save(docs_image(tmp_path, "project-settings.png"))
