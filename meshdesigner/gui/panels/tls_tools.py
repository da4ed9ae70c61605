"""The TLS section's certificate tools: a summary of the chosen certificate and "Create certificates…"
(a local CA and a server certificate for the server's hosts), when :mod:`meshdesigner.tls` exists."""

from __future__ import annotations

import os

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ...tls import passphrases
from ...tls.sources import current_location, resolve_path
from .. import dialogs
from ..edits import Path, get_in, node_data
from ..style import icon

# ``tls.inspect`` and ``tls.generate`` load cryptography (about 0.1 s): imported where a certificate is
# read or made, not when the editor starts (issue 16: cold start to a shown window).

def certificate_summary(path: str | None, credential: str | None) -> tuple[str, str]:
    """(text, severity) describing the certificate a TLS server uses."""
    from ...tls.inspect import CertificateError, summarize

    if path:
        try:
            summary = summarize(path)
        except (CertificateError, OSError) as exc:
            return f"Cannot read the certificate here: {exc}", "warning"
        severity = "error" if summary.expired or summary.not_yet_valid else (
            "warning" if summary.days_left < 30 else "ok")
        return summary.text, severity
    if credential:
        return f"Uses the cluster secret “{credential}” (not checked here).", "info"
    return "No certificate chosen yet.", "info"


def server_hosts(panel, tls_path: Path) -> list[str]:
    server = get_in(node_data(panel.node), tls_path[:-1]) or {}
    hosts = [h.partition("/")[2] if "/" in h else h for h in server.get("hosts", [])]
    return [h for h in hosts if h and h != "*"]


def create_certificates(panel, tls_path: Path) -> str | None:
    """Ask for a name and a folder (the credentials folder by default), write a local CA and a server
    certificate for the server's hosts to ``<folder>/<name>/``, and point the server at them: by
    ``credentialName`` (the default, as in a cluster) or by file paths. Nothing is replaced without asking."""
    from ...tls import generate
    from ..cert_dialog import CREDENTIAL

    hosts = server_hosts(panel, tls_path)
    if not hosts:
        return "List the server's host names first (a certificate cannot be made for '*')."
    request = dialogs.ask_certificate(panel, hosts, current_location().credentials_dir)
    if request is None:
        return None
    mode = get_in(node_data(panel.node), (*tls_path, "mode"))
    mutual = mode in ("MUTUAL", "OPTIONAL_MUTUAL")
    folder = request.directory
    names = ["ca.crt", "tls.crt", "tls.key"] + (["client.crt", "client.key"] if mutual else [])
    existing = [os.path.join(folder, n) for n in names if os.path.exists(os.path.join(folder, n))]
    if existing and not dialogs.ask_overwrite(panel, existing):
        return "Nothing written: the certificate files already exist."
    try:
        os.makedirs(folder, exist_ok=True)
        for path in existing:
            os.remove(path)  # replaced on the user's word (the writers refuse to overwrite)
        ca = generate.create_ca()
        server = generate.create_server_cert(ca, hosts)
        ca_path = os.path.join(folder, "ca.crt")
        with open(ca_path, "xb") as handle:
            handle.write(ca.cert_pem)
        cert_path, key_path = generate.write_pair(server, folder, "tls")
        if mutual:  # a client certificate from the same CA, for trying the MUTUAL server (curl --cert/--key)
            generate.write_pair(generate.create_client_cert(ca, "meshdesigner-trial-client"), folder, "client")
    except OSError as exc:
        return f"Could not write the certificates: {exc}"
    if request.use == CREDENTIAL:
        changes = [((*tls_path, "credentialName"), request.name), ((*tls_path, "serverCertificate"), None),
                   ((*tls_path, "privateKey"), None), ((*tls_path, "caCertificates"), None)]
    else:
        changes = [((*tls_path, "serverCertificate"), cert_path), ((*tls_path, "privateKey"), key_path),
                   ((*tls_path, "credentialName"), None)]
        if mutual:
            changes.append(((*tls_path, "caCertificates"), ca_path))
    if not mode:
        changes.append(((*tls_path, "mode"), "SIMPLE"))
    return panel.edit_many(changes, "Create certificates")


class CertificateTools(QWidget):
    """Summary line plus the create button; refreshed with the panel's fields."""

    def __init__(self, panel, tls_path: Path) -> None:
        super().__init__()
        self.setObjectName("refresh-on-change")
        self.panel, self.tls_path = panel, tls_path
        # The summary on its own line, the buttons below: the row never needs more than the dock's width.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        buttons = QHBoxLayout()
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setObjectName("Hint")
        self.button = QPushButton(icon("certificate"), "Create certificates…")
        self.button.setToolTip("Make a local CA and a certificate for this server's hosts (for trials)")
        self.button.clicked.connect(self._create)
        self.unlock = QPushButton("Unlock key…")
        self.unlock.setToolTip("The private key is encrypted: give its passphrase so the checks can compare it "
                               "with the certificate (kept for this session only, never saved)")
        self.unlock.clicked.connect(self._unlock)
        layout.addWidget(self.summary)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock)
        buttons.addWidget(self.button)
        layout.addLayout(buttons)
        self.refresh(panel.node)

    def refresh(self, node) -> None:
        tls = get_in(node_data(node), self.tls_path) or {}
        text, severity = certificate_summary(tls.get("serverCertificate"), tls.get("credentialName"))
        colour = {"error": "#D55E00", "warning": "#B7791F", "ok": "#009E73"}.get(severity)
        self.summary.setText(f"<span style='color:{colour}'>{text}</span>" if colour else text)
        self.summary.setToolTip(text)
        self.unlock.setVisible(locked_key(tls.get("privateKey")) is not None)

    def _unlock(self) -> None:
        tls = get_in(node_data(self.panel.node), self.tls_path) or {}
        message = unlock_key(self, tls.get("privateKey"))
        if message:
            self.panel.sig_message.emit(message)
        self.refresh(self.panel.node)

    def _create(self) -> None:
        message = create_certificates(self.panel, self.tls_path)
        if message:
            self.panel.sig_message.emit(message)


def locked_key(path: str | None) -> str | None:
    """The resolved path of an encrypted key whose passphrase this session does not know, else None."""
    from ...tls.inspect import is_encrypted_key

    if not path:
        return None
    resolved = resolve_path(path, current_location().base_dir)  # relative to the project's folder
    try:
        with open(resolved, "rb") as handle:
            data = handle.read(1 << 20)
    except OSError:
        return None
    return resolved if is_encrypted_key(data) and passphrases.passphrase_for(resolved) is None else None


def unlock_key(widget: QWidget, path: str | None) -> str | None:
    """Ask for the key's passphrase, check it, remember it for the session and re-run the checks."""
    from ...tls.inspect import CertificateError, load_private_key_file

    resolved = locked_key(path)
    if resolved is None:
        return None
    secret = dialogs.ask_passphrase(widget, resolved)
    if not secret:
        return None
    try:
        load_private_key_file(resolved, secret)
    except CertificateError as exc:
        return f"Not unlocked: {exc}"
    passphrases.remember(resolved, secret)
    diagnostics = getattr(widget.window(), "diagnostics", None)
    if diagnostics is not None:
        diagnostics.recheck_from_scratch()  # the design did not change, so the incremental checker would not
    return f"Unlocked {os.path.basename(resolved)} for this session; the key is checked against its certificate."


def certificate_tools(panel, section, tls_path: Path) -> None:
    section.add(CertificateTools(panel, tls_path))


def register() -> None:
    from .node_sections import TLS_EXTRAS

    if certificate_tools not in TLS_EXTRAS:
        TLS_EXTRAS.append(certificate_tools)
