"""Opening hand-written policy manifests in a shown editor window, for the security GUI tests (offscreen Qt).

The manifests are imported and saved as a project first, so the window opens a real project file, as a
user's would be; settings and the recovery journal go under the test's folder."""

from __future__ import annotations

import pathlib

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from meshdesigner.io.importer import import_manifests
from meshdesigner.io.project_file import save_project


def open_manifests(qtbot, tmp_path: pathlib.Path, monkeypatch, files) -> object:
    """A shown, exposed MainWindow (light theme, 1400x900) on the project the manifests ``files`` import into."""
    from meshdesigner.gui.main_window import MainWindow
    from meshdesigner.gui.style import apply_theme

    for scope_format in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(scope_format, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    monkeypatch.setenv("MESHDESIGNER_RECOVERY_DIR", str(tmp_path / "recovery"))
    path = tmp_path / "policies.mesh.yaml"
    save_project(import_manifests([str(f) for f in files]).project, str(path))
    apply_theme(QApplication.instance(), "light")
    window = MainWindow("light")
    assert window.open_path(str(path))
    window.resize(1400, 900)
    window.show()
    qtbot.waitExposed(window)
    return window


def close_window(window) -> None:
    """Close without the unsaved-changes question, and delete the window before the next test's (its panels'
    application-wide event filters go with it)."""
    window.document.undo_stack.setClean()
    window.close()
    window.deleteLater()
