"""Egress by construction in the editor: dragging an egress gateway onto an external service opens the
egress dialog; applying creates what Istio's egress tasks do, as one undo step, and nothing Istio installed is
exported. The expected resources are written by hand from istio.io's "Egress Gateways" task."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF

from conftest import connect_by_drag, docs_image, drop_from_palette
from meshdesigner.analysis import analyze
from meshdesigner.export.istio.manifests import project_manifests
from meshdesigner.gui.edits import with_value

pytestmark = pytest.mark.gui
API = "api.partner.io"


def _egress_design(window):
    gw = drop_from_palette(window, "egress-gateway", QPointF(1060, 80))
    ext = drop_from_palette(window, "external-service", QPointF(1400, 80))
    window.document.replace_node(with_value(ext, ("service_entry", "spec", "hosts"), [API]))
    return gw.id, ext.id


def _answer_with_dialog(mode, seen):
    from meshdesigner.gui.egress_dialog import EgressDialog

    def answer(parent, project, gateway_id, external_id, vs_id=None):
        dialog = EgressDialog(project, gateway_id, external_id, parent, vs_id)
        seen.append(dialog)
        dialog.choose(mode)
        return dialog.plan

    return answer


def test_drag_egress_to_external_builds_passthrough(make_editor, no_dialogs, monkeypatch, qtbot):
    from meshdesigner.gui import dialogs

    window = make_editor()
    window.new_file()
    gw_id, ext_id = _egress_design(window)
    seen: list = []
    monkeypatch.setattr(dialogs, "confirm_egress", _answer_with_dialog("passthrough", seen))
    before = window.document.undo_stack.count()
    connect_by_drag(window, gw_id, ext_id)
    assert seen, "the egress dialog was not shown"
    assert window.document.undo_stack.count() == before + 1

    project = window.document.project
    gw = project.node(gw_id)
    tls = [s for s in gw.gateway.spec.servers if s.port.protocol == "TLS"]
    assert len(tls) == 1 and tls[0].port.number == 443 and tls[0].hosts == [API]
    assert tls[0].tls.mode == "PASSTHROUGH"
    (vs,) = [n for n in project.virtual_services() if API in (n.virtual_service.spec.hosts or [])]
    spec = vs.virtual_service.spec
    assert set(spec.gateways) == {"mesh", gw.name}
    assert not spec.http
    mesh_rule, gw_rule = spec.tls
    assert mesh_rule.match[0].gateways == ["mesh"] and mesh_rule.match[0].sni_hosts == [API]
    assert mesh_rule.route[0].destination.host == "istio-egressgateway.istio-system.svc.cluster.local"
    assert gw_rule.match[0].gateways == [gw.name] and gw_rule.match[0].sni_hosts == [API]
    assert gw_rule.route[0].destination.host == API and gw_rule.route[0].destination.port.number == 443
    assert not [d.format() for d in analyze(project) if d.severity in ("error", "warning")]

    kinds = [(m["kind"], m["metadata"]["name"]) for m in project_manifests(project)]
    assert ("Service", "istio-egressgateway") not in kinds, "Istio installs that Service"

    window.document.undo_stack.undo()
    assert API not in str([n.virtual_service.spec.hosts for n in project.virtual_services()])
    assert all(s.port.protocol != "TLS" for s in project.node(gw_id).gateway.spec.servers)


def test_origination_adds_http_port_and_a_destination_rule(make_editor, no_dialogs, monkeypatch):
    from meshdesigner.gui import dialogs

    window = make_editor()
    window.new_file()
    gw_id, ext_id = _egress_design(window)
    monkeypatch.setattr(dialogs, "confirm_egress", _answer_with_dialog("origination", []))
    connect_by_drag(window, gw_id, ext_id)
    project = window.document.project
    ext = project.node(ext_id)
    assert {(p.number, p.protocol) for p in ext.service_entry.spec.ports} == {(443, "TLS"), (80, "HTTP")}
    tls = ext.destination_rule.spec.tls_for(443)
    assert tls.mode == "SIMPLE" and tls.sni == API
    (vs,) = [n for n in project.virtual_services() if API in (n.virtual_service.spec.hosts or [])]
    mesh_rule, gw_rule = vs.virtual_service.spec.http
    assert mesh_rule.match[0].gateways == ["mesh"] and mesh_rule.match[0].port == 80
    assert gw_rule.route[0].destination.port.number == 443
    codes = {d.code for d in analyze(project)}
    assert not {"MD1101", "MD1102", "MD1103", "MD1104"} & codes


def test_cancelled_dialog_changes_nothing(make_editor, no_dialogs):
    window = make_editor()
    window.new_file()
    gw_id, ext_id = _egress_design(window)
    before = window.document.undo_stack.count()
    no_dialogs["confirm_egress"] = None
    connect_by_drag(window, gw_id, ext_id)
    assert window.document.undo_stack.count() == before


def test_egress_dialog_screenshot(make_editor, qtbot, tmp_path):
    from meshdesigner.gui.egress_dialog import EgressDialog

    window = make_editor()
    window.new_file()
    gw_id, ext_id = _egress_design(window)
    dialog = EgressDialog(window.document.project, gw_id, ext_id, window)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.mode == "passthrough"
    assert dialog.changes.count() >= 4
    assert dialog.grab().save(docs_image(tmp_path, "egress-dialog.png"))
    dialog.close()


def test_user_can_say_the_design_exports_the_egress_service(make_editor):
    from PySide6.QtWidgets import QCheckBox

    window = make_editor()
    window.new_file()
    gw_id, _ext_id = _egress_design(window)
    window.view.focus_node(gw_id)
    box = next(b for b in window.properties.findChildren(QCheckBox) if b.text().startswith("Exported by this design"))
    assert not box.isChecked()  # Istio's own Service: drawn, not exported
    box.setChecked(True)
    node = window.document.project.node(gw_id)
    assert node.service_managed is True
    assert ("Service", "istio-egressgateway") in [(m["kind"], m["metadata"]["name"])
                                                  for m in project_manifests(window.document.project)]


def test_programmatic_connect_builds_the_same_egress_shape():
    """Document.connect_nodes (no dialog) gives the dialog's default, never the old HTTP-to-443 route."""
    from meshdesigner.gui import templates
    from meshdesigner.gui.connect import ConnectError, connect
    from meshdesigner.model import NodeKind, Project

    project = Project("p")
    gw = templates.new_node(project, NodeKind.EGRESS_GATEWAY, (900.0, 80.0))
    project.add_node(gw)
    ext = with_value(templates.new_node(project, NodeKind.EXTERNAL_SERVICE, (1200.0, 80.0)),
                     ("service_entry", "spec", "hosts"), [API])
    project.add_node(ext)
    result = connect(project, gw.id, ext.id)
    for node in result.replaced:
        project.replace_node(node)
    for node in result.added:
        project.add_node(node)
    (vs,) = project.virtual_services()
    assert not vs.virtual_service.spec.http and len(vs.virtual_service.spec.tls) == 2
    assert not [d.code for d in analyze(project) if d.code.startswith("MD11")]
    with pytest.raises(ConnectError, match="already"):
        connect(project, gw.id, ext.id)


def test_dragging_a_virtual_service_for_the_external_host_onto_the_egress_gateway(make_editor, no_dialogs,
                                                                                   monkeypatch):
    from meshdesigner.gui import dialogs

    window = make_editor()
    window.new_file()
    gw_id, ext_id = _egress_design(window)
    vs = drop_from_palette(window, "virtual-service", QPointF(380, 80))
    window.document.replace_node(with_value(vs, ("virtual_service", "spec", "hosts"), [API]))
    seen: list = []
    monkeypatch.setattr(dialogs, "confirm_egress", _answer_with_dialog("passthrough", seen))
    connect_by_drag(window, vs.id, gw_id)
    assert seen and seen[0].virtual_service_id == vs.id
    spec = window.document.project.node(vs.id).virtual_service.spec
    assert "mesh" in spec.gateways and [r.match[0].gateways for r in spec.tls] == [["mesh"], ["egress-gateway"]]
    assert len(window.document.project.virtual_services()) == 1  # the dragged one carries both hops
