"""Node ids follow renames (issue 14: ``ingress-gateway:default/ingress-gateway`` stayed the id of
``ext-host-gwy``), so a saved file reads as the design does: one undo step, selection and references follow."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLineEdit

from meshdesigner.io.project_file import load_project
from meshdesigner.model import NodeKind, Project
from meshdesigner.model.references import derive_references

pytestmark = pytest.mark.gui
NAME = ("gateway", "metadata", "name")


def type_name(window, text: str) -> None:
    line = window.properties.findChild(QLineEdit, "field:" + ".".join(NAME))
    line.setFocus()
    for i in range(1, len(text) + 1):  # a burst of typing, one keystroke at a time
        line.setText(text[:i])
        line.textEdited.emit(text[:i])


def test_renamed_gateway_gets_a_matching_id_in_one_undo_step(make_editor, no_dialogs, tmp_path):
    window = make_editor()
    window.new_file()
    gw = window.document.create_node(NodeKind.INGRESS_GATEWAY, (40.0, 80.0))
    vs = window.document.create_node(NodeKind.VIRTUAL_SERVICE, (380.0, 80.0))
    window.document.connect_nodes(gw.id, vs.id)
    window.view.focus_node(gw.id)
    assert gw.id == "ingress-gateway:default/ingress-gateway"
    stack = window.document.undo_stack
    before = stack.count()
    type_name(window, "ext-host-gwy")
    project = window.document.project
    assert "ingress-gateway:default/ext-host-gwy" in project
    assert gw.id not in project
    assert stack.count() == before + 1, "typing the name is one undo step"
    assert window.scene.selected_ids() == ["ingress-gateway:default/ext-host-gwy"]
    assert window.properties.node_id == "ingress-gateway:default/ext-host-gwy"
    line = window.properties.findChild(QLineEdit, "field:" + ".".join(NAME))
    assert line.hasFocus() and line.text() == "ext-host-gwy"
    # the canvas keys the same card by the new id; the virtual service's binding followed the name
    assert set(window.scene.items_by_id) == set(project.nodes)
    assert project.node(vs.id).virtual_service.spec.gateways == ["ext-host-gwy"]
    refs = {(r.source, r.target, r.kind) for r in derive_references(project)}
    assert ("ingress-gateway:default/ext-host-gwy", vs.id, "binds") in refs
    assert {k[:3] for k in window.scene.edges} == refs

    no_dialogs["save_project_as"] = str(tmp_path / "d.mesh.yaml")
    window.act_save.trigger()
    text = (tmp_path / "d.mesh.yaml").read_text()
    assert "id: ingress-gateway:default/ext-host-gwy" in text
    assert load_project(str(tmp_path / "d.mesh.yaml")) == project

    stack.undo()
    assert gw.id in project and project.node(gw.id).name == "ingress-gateway"
    assert project.node(vs.id).virtual_service.spec.gateways == ["ingress-gateway"]
    assert window.scene.selected_ids() == [gw.id]
    stack.redo()
    assert "ingress-gateway:default/ext-host-gwy" in project


def test_ids_chosen_by_hand_stay():
    project = Project("p")
    from meshdesigner.gui import templates

    node = templates.new_node(project, NodeKind.MESH_SERVICE, (0.0, 0.0)).model_copy(update={"id": "my-own-id"})
    project.add_node(node)
    renamed = node.model_copy(update={"service": node.service.model_copy(
        update={"metadata": node.service.metadata.model_copy(update={"name": "orders"})})})
    assert project.id_after_rename(node, renamed) == "my-own-id"


def test_rename_to_a_taken_name_gets_a_free_id(make_editor):
    window = make_editor()
    window.new_file()
    a = window.document.create_node(NodeKind.MESH_SERVICE, (720.0, 80.0))
    b = window.document.create_node(NodeKind.MESH_SERVICE, (720.0, 200.0))
    window.document.set_field(b.id, ("service", "metadata", "namespace"), "shop")
    moved = next(n for n in window.document.project if n.name == b.name)
    assert moved.id == "mesh-service:shop/service-2"
    window.document.set_field(moved.id, ("service", "metadata", "name"), "service")
    window.document.set_field("mesh-service:shop/service", ("service", "metadata", "namespace"), "default")
    ids = sorted(window.document.project.nodes)
    assert ids == [a.id, a.id + "~2"]


def test_renaming_a_service_moves_the_routes_to_it(make_editor):
    window = make_editor()
    window.new_file()
    doc = window.document
    vs = doc.create_node(NodeKind.VIRTUAL_SERVICE, (380.0, 80.0))
    svc = doc.create_node(NodeKind.MESH_SERVICE, (720.0, 80.0))
    doc.connect_nodes(vs.id, svc.id)
    before = doc.undo_stack.count()
    doc.set_field(svc.id, ("service", "metadata", "name"), "orders")
    assert doc.undo_stack.count() == before + 1
    route = doc.project.node(vs.id).virtual_service.spec.http[0].route[0].destination
    assert route.host == "orders"
    doc.set_field("mesh-service:default/orders", ("service", "metadata", "namespace"), "shop")
    route = doc.project.node(vs.id).virtual_service.spec.http[0].route[0].destination
    assert route.host == "orders.shop.svc.cluster.local"
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.project.node(vs.id).virtual_service.spec.http[0].route[0].destination.host == "service"
