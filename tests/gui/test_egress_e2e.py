"""Issue 14's "done when": the seed design and an egress path built with a user's gestures (the Insert menu,
drag-to-connect, the egress dialog, the property fields, "Create certificates…"), saved and exported; then

* the ingress gateway's Envoy config serves the seed request in real Envoy;
* the egress gateway's config passes ``envoy --mode validate``;
* ``meshdesigner validate`` reports 0 errors and 0 warnings;
* the exported manifests hold no Service Istio installs.

Expected values are written by hand from the seed (README) and Istio's egress task.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QTableWidget

from conftest import connect_by_drag
from meshdesigner.model import NodeKind

ENVOY_TESTS = Path(__file__).resolve().parents[1] / "envoy"
sys.path.insert(0, str(ENVOY_TESTS))
from envoy_support import ENVOY, validate  # noqa: E402
from envoy_trial import gateway_trial  # noqa: E402

pytestmark = [pytest.mark.gui, pytest.mark.envoy, pytest.mark.slow,
              pytest.mark.skipif(ENVOY is None, reason="envoy is not installed")]
ROOT = Path(__file__).resolve().parents[2]
HOST, API = "ext-host.example.com", "api.partner.io"
SERVER = ("gateway", "spec", "servers", 0)


def field(window, path, kind=QLineEdit):
    widget = window.properties.findChild(kind, ("table:" if kind is QTableWidget else "field:")
                                         + ".".join(map(str, path)))
    assert widget is not None, f"no field {path}"
    return widget


def type_into(window, path, text: str) -> None:
    line = field(window, path)
    line.setFocus()
    line.setText(text)
    line.textEdited.emit(text)


def choose(window, path, text: str) -> None:
    combo = field(window, path, QComboBox)
    combo.setFocus()
    index = combo.findText(text)
    assert index >= 0, (path, text)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def set_cell(window, path, row: int, column: str, text: str) -> None:
    table = field(window, path, QTableWidget)
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    table.item(row, headers.index(column)).setText(text)


def insert(window, kind: NodeKind) -> str:
    before = set(window.document.project.nodes)
    window.insert_actions[kind].trigger()
    (added,) = set(window.document.project.nodes) - before
    return added


def select(window, node_id: str) -> None:
    window.view.focus_node(node_id)
    assert window.properties.node_id == node_id


def node_named(window, kind: NodeKind, name: str):
    return next(n for n in window.document.project if n.kind == kind and n.name == name)


def test_seed_and_egress_built_by_gestures_export_serve_and_validate(make_editor, no_dialogs, monkeypatch,
                                                                     tmp_path):
    from meshdesigner.gui import dialogs
    from meshdesigner.gui.cert_dialog import CREDENTIAL, CertificateRequest
    from meshdesigner.gui.egress_dialog import EgressDialog

    window = make_editor()
    window.new_file()
    design = tmp_path / "shop.mesh.yaml"
    no_dialogs["save_project_as"] = str(design)
    window.act_save.trigger()  # saved first, so the certificates go beside it (its credentials/ folder)

    # ----- the seed: an HTTPS ingress gateway, a virtual service, a mesh service (Insert menu + fields)
    gw_id = insert(window, NodeKind.INGRESS_GATEWAY)
    vs_id = insert(window, NodeKind.VIRTUAL_SERVICE)
    svc_id = insert(window, NodeKind.MESH_SERVICE)
    select(window, gw_id)
    type_into(window, ("gateway", "metadata", "name"), "ext-host-gwy")
    gw_id = node_named(window, NodeKind.INGRESS_GATEWAY, "ext-host-gwy").id
    type_into(window, (*SERVER, "port", "number"), "443")
    choose(window, (*SERVER, "port", "protocol"), "HTTPS")
    type_into(window, (*SERVER, "port", "name"), "https")
    set_cell(window, (*SERVER, "hosts"), 0, "Host", HOST)
    choose(window, (*SERVER, "tls", "mode"), "SIMPLE")
    no_dialogs["ask_certificate"] = CertificateRequest("ext-host-cert", str(tmp_path / "credentials"), CREDENTIAL)
    next(b for b in window.properties.findChildren(QPushButton) if b.text() == "Create certificates…").click()

    select(window, vs_id)
    type_into(window, ("virtual_service", "metadata", "name"), "virtual-svc")
    vs_id = node_named(window, NodeKind.VIRTUAL_SERVICE, "virtual-svc").id
    set_cell(window, ("virtual_service", "spec", "hosts"), 0, "Host", HOST)
    select(window, svc_id)
    type_into(window, ("service", "metadata", "name"), "my-svc")
    svc_id = node_named(window, NodeKind.MESH_SERVICE, "my-svc").id
    window.auto_layout()
    connect_by_drag(window, gw_id, vs_id)
    connect_by_drag(window, vs_id, svc_id)

    # ----- the egress path: an egress gateway onto an external TLS service, through the egress dialog
    egw_id = insert(window, NodeKind.EGRESS_GATEWAY)
    ext_id = insert(window, NodeKind.EXTERNAL_SERVICE)
    select(window, ext_id)
    type_into(window, ("service_entry", "metadata", "name"), "partner-api")
    ext_id = node_named(window, NodeKind.EXTERNAL_SERVICE, "partner-api").id
    set_cell(window, ("service_entry", "spec", "hosts"), 0, "Host", API)
    shown: list[EgressDialog] = []

    def egress_dialog(parent, project, gateway_id, external_id, vs=None):
        dialog = EgressDialog(project, gateway_id, external_id, parent, vs)
        shown.append(dialog)
        assert dialog.mode == "passthrough"  # the external port is TLS: passthrough is the default
        return dialog.plan

    monkeypatch.setattr(dialogs, "confirm_egress", egress_dialog)
    window.auto_layout()
    connect_by_drag(window, egw_id, ext_id)
    assert shown, "the egress dialog was not shown"
    window.act_save.trigger()
    assert not window.document.dirty

    # ----- validate: 0 errors, 0 warnings
    checked = subprocess.run([sys.executable, "-m", "meshdesigner", "validate", str(design), "--fail-on", "warning"],
                             capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_env())
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "0 errors, 0 warnings" in checked.stdout + checked.stderr

    # ----- export: no Service Istio installs; the ingress serves the seed request; the egress validates
    out = tmp_path / "deploy"
    exported = subprocess.run([sys.executable, "-m", "meshdesigner", "export", str(design), "-o", str(out),
                               "--envoy"], capture_output=True, text=True, timeout=120, cwd=tmp_path, env=_env())
    assert exported.returncode == 0, exported.stdout + exported.stderr
    manifests = [d for d in yaml.safe_load_all((out / "istio.yaml").read_text()) if d]
    services = {(d["metadata"].get("namespace"), d["metadata"]["name"]) for d in manifests if d["kind"] == "Service"}
    assert services == {("default", "my-svc")}, services
    vs_docs = {d["metadata"]["name"]: d for d in manifests if d["kind"] == "VirtualService"}
    egress_vs = vs_docs["partner-api-via-egress-gateway"]["spec"]
    assert egress_vs["gateways"] == ["mesh", "egress-gateway"]
    assert [r["match"][0]["gateways"] for r in egress_vs["tls"]] == [["mesh"], ["egress-gateway"]]
    gateway_docs = {d["metadata"]["name"]: d for d in manifests if d["kind"] == "Gateway"}
    assert gateway_docs["ext-host-gwy"]["spec"]["servers"][0]["tls"] == {"mode": "SIMPLE",
                                                                        "credentialName": "ext-host-cert"}

    egress_config = out / "envoy" / "istio-egressgateway.yaml"  # the egress gateway's pods
    result = validate(str(egress_config), str(out))
    assert result.returncode == 0, result.stderr[-3000:]

    from meshdesigner.analysis.simulate import Request

    project = window.document.project
    with gateway_trial(project, project.node(gw_id), str(tmp_path / "trial")) as trial:
        got = trial.send(Request(f"https://{HOST}/"), verify=True)
    assert got.kind == "backend", got
    assert got.backend == "outbound|80||my-svc.default.svc.cluster.local"


def _env() -> dict:
    import os

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    env.pop("MESHDESIGNER_ENVOY", None)
    return env
