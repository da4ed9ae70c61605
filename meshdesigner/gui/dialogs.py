"""Every native dialog the editor shows, in one place so tests can patch them.

Texts say what will happen in the user's words.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

PROJECT_FILTER = "MeshDesigner projects (*.mesh.yaml);;All files (*)"
MANIFEST_FILTER = "Kubernetes manifests (*.yaml *.yml);;All files (*)"


def open_project(parent: QWidget | None, folder: str = "") -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open a design", folder, PROJECT_FILTER)
    return path or None


def save_project_as(parent: QWidget | None, suggested: str = "") -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, "Save the design as", suggested, PROJECT_FILTER)
    if path and not path.endswith(".mesh.yaml"):
        path = path.removesuffix(".yaml").removesuffix(".yml") + ".mesh.yaml"
    return path or None


def import_manifests(parent: QWidget | None) -> list[str]:
    paths, _ = QFileDialog.getOpenFileNames(parent, "Import Istio manifests", "", MANIFEST_FILTER)
    return paths


def choose_folder(parent: QWidget | None, title: str, folder: str = "") -> str | None:
    return QFileDialog.getExistingDirectory(parent, title, folder) or None


def open_file(parent: QWidget | None, title: str, filters: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, "", filters)
    return path or None


def ask_save_changes(parent: QWidget | None, name: str) -> str:
    """``save``, ``discard`` or ``cancel``."""
    box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes",
                      f"Save the changes to {name} before closing?", parent=parent)
    box.setInformativeText("If you don't save, your changes since the last save are lost.")
    save = box.addButton("Save", QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton("Don't save", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton("Cancel", QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(save)
    box.exec()
    clicked = box.clickedButton()
    return "save" if clicked is save else "discard" if clicked is discard else "cancel"


def ask_restore(parent: QWidget | None, when: str, name: str) -> bool:
    answer = QMessageBox.question(
        parent, "Restore unsaved work?",
        f"MeshDesigner closed unexpectedly {when} with unsaved changes to {name}.\n\n"
        "Restore them? (No discards the recovered copy.)")
    return answer == QMessageBox.StandardButton.Yes


def ask_export_despite_errors(parent: QWidget | None, count: int) -> bool:
    answer = QMessageBox.warning(
        parent, "The design has errors",
        f"The design has {count} error{'s' if count != 1 else ''}; the exported files may be rejected by Istio.\n\n"
        "Export anyway?", QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def error(parent: QWidget | None, title: str, message: str) -> None:
    QMessageBox.critical(parent, title, message)


def info(parent: QWidget | None, title: str, message: str) -> None:
    QMessageBox.information(parent, title, message)


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    value, ok = QInputDialog.getText(parent, title, label, text=text)
    return value if ok else None


def ask_passphrase(parent: QWidget | None, path: str) -> str | None:
    """The passphrase of an encrypted private key (kept in memory for this session only)."""
    value, ok = QInputDialog.getText(parent, "Unlock private key",
                                     f"Passphrase for {path}\n(kept for this session only, never saved):",
                                     QLineEdit.EchoMode.Password)
    return value if ok else None


def confirm_egress(parent: QWidget | None, project, gateway_id: str, external_id: str,
                   virtual_service_id: str | None = None):
    """The egress dialog (mode and what will be created); the chosen :class:`EgressPlan`, or None."""
    from .egress_dialog import EgressDialog

    dialog = EgressDialog(project, gateway_id, external_id, parent, virtual_service_id)
    return dialog.plan if dialog.exec() == EgressDialog.DialogCode.Accepted else None


def ask_certificate(parent: QWidget | None, hosts: list[str], credentials_dir: str):
    """"Create certificates…": name, folder and use (credentialName or files); a CertificateRequest or None."""
    from .cert_dialog import CertificateDialog

    dialog = CertificateDialog(hosts, credentials_dir, parent)
    return dialog.request() if dialog.exec() == CertificateDialog.DialogCode.Accepted else None


def edit_project_settings(parent: QWidget | None, settings):
    """"Project settings…": the new ProjectSettings, or None when the user cancels."""
    from .project_settings_dialog import ProjectSettingsDialog

    dialog = ProjectSettingsDialog(settings, parent)
    return dialog.settings() if dialog.exec() == ProjectSettingsDialog.DialogCode.Accepted else None


def ask_overwrite(parent: QWidget | None, paths: list[str]) -> bool:
    """Whether to replace files that already exist (named in the question)."""
    names = "\n".join(paths[:6]) + ("\n…" if len(paths) > 6 else "")
    answer = QMessageBox.question(parent, "Replace existing files?",
                                  f"These files already exist and would be replaced:\n{names}\n\nReplace them?",
                                  QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                  QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes
