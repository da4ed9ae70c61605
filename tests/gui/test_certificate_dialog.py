"""'Create certificates…' (issue 14): asks for a name, creates missing folders, never overwrites without
asking, and offers credentialName (the layout `export --with-secrets` and `run-gateway --credentials` read)
as the default over file paths."""

from __future__ import annotations

import pytest

from conftest import EXAMPLES_DIR, docs_image
from meshdesigner.gui.cert_dialog import (
    CREDENTIAL,
    FILES,
    CertificateDialog,
    CertificateRequest,
    default_name,
)
from meshdesigner.gui.panels.tls_tools import CertificateTools
from meshdesigner.model import NodeKind

pytestmark = pytest.mark.gui


def _gateway_tools(window):
    gw_id = next(n.id for n in window.document.project if n.kind == NodeKind.INGRESS_GATEWAY)
    window.view.focus_node(gw_id)
    tools = window.properties.findChild(CertificateTools)
    assert tools is not None
    return gw_id, tools


def test_dialog_defaults_to_a_credential_named_after_the_host(qtbot, tmp_path):
    dialog = CertificateDialog(["ext-host.example.com"], str(tmp_path / "credentials"))
    qtbot.addWidget(dialog)
    request = dialog.request()
    assert request == CertificateRequest("ext-host-example-com-cert", str(tmp_path / "credentials"), CREDENTIAL)
    dialog.name.setText("Bad_Name")
    assert not dialog.buttons.button(dialog.buttons.StandardButton.Ok).isEnabled()
    assert dialog.problem.text()
    assert default_name(["*.shop.example.com"]) == "shop-example-com-cert"


def test_credential_into_a_new_folder_sets_credential_name(make_editor, no_dialogs, tmp_path):
    window = make_editor(str(EXAMPLES_DIR / "seed.mesh.yaml"))
    gw_id, tools = _gateway_tools(window)
    folder = tmp_path / "not" / "yet" / "there"
    no_dialogs["ask_certificate"] = CertificateRequest("ext-host-cert", str(folder), CREDENTIAL)
    count = window.document.undo_stack.count()
    tools.button.click()
    assert window.document.undo_stack.count() == count + 1
    for name in ("tls.crt", "tls.key", "ca.crt"):
        assert (folder / "ext-host-cert" / name).is_file()
    tls = window.document.project.node(gw_id).gateway.spec.servers[0].tls
    assert tls.credential_name == "ext-host-cert"
    assert tls.server_certificate is None and tls.private_key is None  # no local paths left to export


def test_existing_files_are_kept_unless_the_user_agrees(make_editor, no_dialogs, tmp_path):
    window = make_editor(str(EXAMPLES_DIR / "seed.mesh.yaml"))
    gw_id, tools = _gateway_tools(window)
    (tmp_path / "ext-host-cert").mkdir()
    key = tmp_path / "ext-host-cert" / "tls.key"
    key.write_text("my precious key")
    no_dialogs["ask_certificate"] = CertificateRequest("ext-host-cert", str(tmp_path), CREDENTIAL)
    no_dialogs["ask_overwrite"] = False
    count = window.document.undo_stack.count()
    tools.button.click()
    assert key.read_text() == "my precious key"
    assert window.document.undo_stack.count() == count
    no_dialogs["ask_overwrite"] = True
    tools.button.click()
    assert key.read_text().startswith("-----BEGIN")
    assert window.document.project.node(gw_id).gateway.spec.servers[0].tls.credential_name == "ext-host-cert"


def test_file_paths_when_asked(make_editor, no_dialogs, tmp_path):
    window = make_editor(str(EXAMPLES_DIR / "seed.mesh.yaml"))
    gw_id, tools = _gateway_tools(window)
    no_dialogs["ask_certificate"] = CertificateRequest("trial", str(tmp_path), FILES)
    tools.button.click()
    tls = window.document.project.node(gw_id).gateway.spec.servers[0].tls
    assert tls.server_certificate == str(tmp_path / "trial" / "tls.crt")


def test_certificate_dialog_screenshot(qtbot, tmp_path):
    dialog = CertificateDialog(["ext-host.example.com"], "/home/me/shop/credentials")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.grab().save(docs_image(tmp_path, "certificate-dialog.png"))
