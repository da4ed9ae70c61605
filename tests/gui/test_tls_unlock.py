"""Encrypted private keys: the TLS section asks for the passphrase once per session, never saves it."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from meshdesigner.gui import dialogs
from meshdesigner.gui.panels.tls_tools import locked_key, unlock_key
from meshdesigner.tls import passphrases
from meshdesigner.tls.generate import create_ca, create_server_cert, write_pair


@pytest.fixture
def locked(tmp_path):
    ca = create_ca()
    _cert, key = write_pair(create_server_cert(ca, ["a.example.com"]), tmp_path, name="locked", passphrase="pw")
    yield key
    passphrases.forget_all()


def test_a_locked_key_is_unlocked_with_the_right_passphrase(qtbot, locked, monkeypatch):
    widget = QWidget()
    qtbot.addWidget(widget)
    assert locked_key(locked) is not None
    monkeypatch.setattr(dialogs, "ask_passphrase", lambda *_: "wrong")
    message = unlock_key(widget, locked)
    assert message.startswith("Not unlocked") and passphrases.passphrase_for(locked) is None
    monkeypatch.setattr(dialogs, "ask_passphrase", lambda *_: "pw")
    message = unlock_key(widget, locked)
    assert message.startswith("Unlocked") and passphrases.passphrase_for(locked) == b"pw"
    assert locked_key(locked) is None  # the button hides once the session knows the passphrase


def test_cancelling_the_prompt_changes_nothing(qtbot, locked, monkeypatch):
    widget = QWidget()
    qtbot.addWidget(widget)
    monkeypatch.setattr(dialogs, "ask_passphrase", lambda *_: None)
    assert unlock_key(widget, locked) is None
    assert passphrases.passphrase_for(locked) is None


def test_plain_and_missing_keys_need_no_unlocking(tmp_path):
    _cert, key = write_pair(create_server_cert(create_ca(), ["a.example.com"]), tmp_path)
    assert locked_key(key) is None
    assert locked_key(str(tmp_path / "missing.key")) is None
    assert locked_key(None) is None


def test_create_certificates_for_mutual_also_writes_a_client_certificate(tmp_path, monkeypatch):
    from meshdesigner.gui.panels.tls_tools import create_certificates
    from meshdesigner.model import GatewayNode
    from meshdesigner.tls.checks import chain_leads_to
    from meshdesigner.tls.inspect import load_certificate_file

    node = GatewayNode.model_validate({
        "id": "gw", "kind": "ingress-gateway",
        "gateway": {"metadata": {"name": "gw"}, "spec": {"servers": [{
            "port": {"number": 443, "name": "https", "protocol": "HTTPS"}, "hosts": ["a.example.com"],
            "tls": {"mode": "MUTUAL"}}]}}})

    class Panel:
        def __init__(self):
            self.node, self.changes = node, None

        def edit_many(self, changes, text):
            self.changes = changes

    from meshdesigner.gui.cert_dialog import FILES, CertificateRequest

    panel = Panel()
    monkeypatch.setattr(dialogs, "ask_certificate", lambda *_: CertificateRequest("gw-cert", str(tmp_path), FILES))
    create_certificates(panel, ("gateway", "spec", "servers", 0, "tls"))
    fields = {path[-1]: value for path, value in panel.changes if value is not None}
    assert set(fields) == {"serverCertificate", "privateKey", "caCertificates"}
    folder = tmp_path / "gw-cert"
    client = load_certificate_file(folder / "client.crt")
    ca = load_certificate_file(folder / "ca.crt")
    assert chain_leads_to(client, ca)  # the client certificate is signed by the CA the server trusts
    assert oct((folder / "client.key").stat().st_mode & 0o777) == "0o600"


def test_unlocking_in_the_window_rechecks_the_key(make_editor, no_dialogs, tmp_path, monkeypatch):
    from meshdesigner.gui.panels.tls_tools import CertificateTools
    from meshdesigner.io.project_file import load_project, save_project

    ca = create_ca()
    write_pair(create_server_cert(ca, ["ext-host.example.com"]), tmp_path, name="tls", passphrase="pw")
    project = load_project("examples/seed.mesh.yaml")
    gw = project.gateways()[0]
    server = gw.gateway.spec.servers[0]
    tls = server.tls.model_copy(update={"server_certificate": "tls.crt", "private_key": "tls.key"})
    servers = [server.model_copy(update={"tls": tls})]
    project.replace_node(gw.model_copy(update={"gateway": gw.gateway.model_copy(
        update={"spec": gw.gateway.spec.model_copy(update={"servers": servers})})}))
    path = tmp_path / "locked.mesh.yaml"
    save_project(project, str(path))
    try:
        window = make_editor(str(path))
        window.diagnostics.recheck()
        before = {d.code for d in window.diagnostics.diagnostics}
        assert {"MD0608", "MD0603"} <= before
        window.view.focus_node(gw.id)
        tools = window.properties.findChild(CertificateTools)
        assert not tools.unlock.isHidden()  # shown for a locked key (its section may be folded)
        monkeypatch.setattr(dialogs, "ask_passphrase", lambda *_: "pw")
        tools.unlock.click()
        after = {d.code for d in window.diagnostics.diagnostics}
        assert "MD0608" in after and "MD0603" not in after and "MD0607" not in after
        assert "pw" not in path.read_text()
    finally:
        passphrases.forget_all()
