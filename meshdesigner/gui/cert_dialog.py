""""Create certificates…": a local CA and a server certificate for a TLS server's hosts, under a name.

The default is a credential: the files go to ``<credentials folder>/<name>/`` (``tls.crt``, ``tls.key``,
``ca.crt``: the layout ``export --with-secrets`` turns into a Secret and ``run-gateway --credentials`` reads),
and the server gets ``credentialName: <name>``, which is what Istio expects in a cluster. File paths
(``serverCertificate``/``privateKey``) stay available for trials with ``--files-root``; the check MD1105
warns when a local path would be exported. Missing folders are created; existing files are replaced only
after the user agrees.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from . import dialogs

CREDENTIAL, FILES = "credential", "files"
_NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


@dataclass(frozen=True)
class CertificateRequest:
    """What the dialog asked for: the name, where, and how the server refers to it."""

    name: str
    folder: str       # the certificate goes to folder/name/
    use: str          # CREDENTIAL or FILES

    @property
    def directory(self) -> str:
        return os.path.join(self.folder, self.name)


def default_name(hosts: list[str]) -> str:
    """``ext-host.example.com`` -> ``ext-host-example-com-cert`` (a valid Secret name)."""
    base = re.sub(r"[^a-z0-9]+", "-", (hosts[0] if hosts else "server").lower().lstrip("*.")).strip("-")
    return f"{base or 'server'}-cert"[:253]


def name_problem(name: str) -> str | None:
    if not name:
        return "a name is required"
    if len(name) > 253 or not _NAME.match(name):
        return "lower-case letters, digits, '-' and '.', starting and ending with a letter or digit"
    return None


class CertificateDialog(QDialog):
    """Asks for the certificate's name, its folder and whether the server uses credentialName or files."""

    def __init__(self, hosts: list[str], credentials_dir: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("certificateDialog")
        self.setWindowTitle("Create certificates")
        layout = QVBoxLayout(self)
        intro = QLabel(f"A local CA and a certificate for {', '.join(hosts)}, for trials.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.name = QLineEdit(default_name(hosts))
        self.name.setObjectName("certName")
        form.addRow("Name", self.name)
        folder_row = QHBoxLayout()
        self.folder = QLineEdit(credentials_dir)
        self.folder.setObjectName("certFolder")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        form.addRow("Folder", folder_row)
        layout.addLayout(form)
        self.use_credential = QRadioButton("Use it as credentialName (a Kubernetes Secret, as in a cluster)")
        self.use_credential.setObjectName("certUseCredential")
        self.use_files = QRadioButton("Use file paths (serverCertificate / privateKey; local trials only)")
        self.use_files.setObjectName("certUseFiles")
        group = QButtonGroup(self)
        for button in (self.use_credential, self.use_files):
            group.addButton(button)
            layout.addWidget(button)
        self.use_credential.setChecked(True)
        self.where = QLabel()
        self.where.setObjectName("Hint")
        self.where.setWordWrap(True)
        layout.addWidget(self.where)
        self.problem = QLabel()
        self.problem.setObjectName("FieldError")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for signal in (self.name.textChanged, self.folder.textChanged, self.use_credential.toggled):
            signal.connect(self._update)
        self._update()
        self.setMinimumWidth(520)

    def request(self) -> CertificateRequest:
        return CertificateRequest(self.name.text().strip(), os.path.abspath(os.path.expanduser(
            self.folder.text().strip() or ".")), CREDENTIAL if self.use_credential.isChecked() else FILES)

    def _browse(self) -> None:
        folder = dialogs.choose_folder(self, "Folder for the certificates", self.folder.text())
        if folder:
            self.folder.setText(folder)

    def _update(self, *_args) -> None:
        problem = name_problem(self.name.text().strip())
        self.problem.setText(problem or "")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)
        request = self.request()
        how = (f"The server gets credentialName: {request.name}. `meshdesigner export --with-secrets "
               f"{request.folder}` writes its Secret; `run-gateway --credentials {request.folder}` uses it."
               if request.use == CREDENTIAL else
               "The server gets the two paths; they exist only on this machine (MD1105 warns on export).")
        self.where.setText(f"Writes {request.directory}{os.sep}tls.crt, tls.key and ca.crt (missing folders "
                           f"are created). {how}")
