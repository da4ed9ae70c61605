"""One table-driven test per undo command: push, undo, redo compared with the project file text."""

from __future__ import annotations

import pytest

from conftest import EXAMPLES_DIR
from meshdesigner.gui.document import Document
from meshdesigner.gui.edits import EditError
from meshdesigner.io.project_file import dump_project, load_project

VS = "virtual-service:bookinfo/reviews"
SVC = "mesh-service:bookinfo/ratings"
GW = "ingress-gateway:bookinfo/bookinfo-gateway"


def edit_weight(doc):
    doc.set_field(VS, ("virtual_service", "spec", "http", 0, "route", 0, "weight"), 70)
    doc.set_field(VS, ("virtual_service", "spec", "http", 0, "route", 1, "weight"), 30)


EDITS = {
    "add node": lambda doc: doc.create_node("mesh-service", (100.0, 100.0)),
    "remove nodes": lambda doc: doc.remove_nodes([VS, SVC]),
    "replace (property)": lambda doc: doc.set_field(GW, ("gateway", "spec", "servers", 0, "port", "number"), 8080),
    "move nodes": lambda doc: doc.move_nodes({VS: (10.0, 20.0), SVC: (30.0, 40.0)}),
    "connect": lambda doc: doc.connect_nodes(GW, VS),
    "duplicate": lambda doc: doc.duplicate([VS, SVC]),
    "two fields": edit_weight,
}


@pytest.fixture
def doc(qapp):
    document = Document(load_project(str(EXAMPLES_DIR / "bookinfo.mesh.yaml")))
    yield document
    document.close()


@pytest.mark.parametrize("name", list(EDITS))
def test_push_undo_redo(doc, name):
    before = dump_project(doc.project)
    EDITS[name](doc)
    after = dump_project(doc.project)
    assert after != before, "the edit changed nothing"
    steps = doc.undo_stack.count()
    assert steps in (1, 2)
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert dump_project(doc.project) == before
    while doc.undo_stack.canRedo():
        doc.undo_stack.redo()
    assert dump_project(doc.project) == after


def test_typing_in_one_field_is_one_step(doc):
    path = ("virtual_service", "spec", "http", 0, "timeout")
    for text in ("1", "1s", "15s"):
        doc.set_field(VS, path, text)
    assert doc.undo_stack.count() == 1
    assert doc.project.node(VS).virtual_service.spec.http[0].timeout == "15s"
    doc.set_field(VS, ("virtual_service", "spec", "http", 0, "name"), "x")  # another field: a new step
    assert doc.undo_stack.count() == 2
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.project.node(VS).virtual_service.spec.http[0].timeout is None


def test_a_value_the_model_cannot_hold_changes_nothing(doc):
    before = dump_project(doc.project)
    with pytest.raises(EditError):
        doc.set_field(GW, ("gateway", "spec", "servers", 0, "port", "number"), "not a number")
    assert dump_project(doc.project) == before and doc.undo_stack.count() == 0


def test_clearing_a_field_removes_emptied_mappings(doc):
    path = ("virtual_service", "spec", "http", 0, "rewrite", "uri")
    doc.set_field(VS, path, "/v2")
    doc.set_field(VS, path, None)
    assert doc.project.node(VS).virtual_service.spec.http[0].rewrite is None


def test_dirty_follows_the_undo_stack(doc, tmp_path):
    assert not doc.dirty
    doc.move_nodes({VS: (0.0, 0.0)})
    assert doc.dirty
    doc.save(str(tmp_path / "x.mesh.yaml"))
    assert not doc.dirty
    doc.undo_stack.undo()
    assert doc.dirty


def test_automatic_layout_is_one_step(doc):
    doc.project.move_node(VS, (900.0, 900.0))  # out of its lane, outside the undo stack
    before = dump_project(doc.project)
    doc.auto_layout()
    assert doc.undo_stack.count() == 1 and doc.project.node(VS).position != (900.0, 900.0)
    doc.undo_stack.undo()
    assert dump_project(doc.project) == before
