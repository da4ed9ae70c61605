"""A hypothesis state machine of random edits, undos and redos: the canvas always mirrors the model
(one card per node at its position showing that node, one edge per derived reference)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from meshdesigner.gui.connect import ConnectError
from meshdesigner.gui.document import Document
from meshdesigner.gui.edits import EditError
from meshdesigner.gui.scene.canvas import CanvasScene
from meshdesigner.gui.scene.items import edge_key
from meshdesigner.io.project_file import load_project
from meshdesigner.model import NodeKind, derive_references

KINDS = st.sampled_from([str(k) for k in NodeKind])
NAMES = st.sampled_from(["a", "b", "reviews", "api", "web"])


class SceneFollowsModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        from conftest import EXAMPLES_DIR

        self.document = Document(load_project(str(EXAMPLES_DIR / "bookinfo.mesh.yaml")))
        self.scene = CanvasScene(self.document)

    def teardown(self) -> None:
        self.scene.deleteLater()
        self.document.close()

    def ids(self) -> list[str]:
        return sorted(self.document.project.nodes)

    @rule(kind=KINDS, x=st.integers(0, 1500), y=st.integers(0, 900))
    def add(self, kind, x, y):
        self.document.create_node(kind, (float(x), float(y)))

    @precondition(lambda self: len(self.document.project) > 0)
    @rule(data=st.data())
    def remove(self, data):
        ids = self.ids()
        chosen = data.draw(st.lists(st.sampled_from(ids), min_size=1, max_size=3, unique=True))
        self.document.remove_nodes(chosen)

    @precondition(lambda self: len(self.document.project) > 1)
    @rule(data=st.data())
    def connect(self, data):
        ids = self.ids()
        source, target = data.draw(st.sampled_from(ids)), data.draw(st.sampled_from(ids))
        with contextlib.suppress(ConnectError):
            self.document.connect_nodes(source, target)

    @precondition(lambda self: len(self.document.project) > 0)
    @rule(data=st.data(), name=NAMES)
    def rename(self, data, name):
        node = self.document.project.node(data.draw(st.sampled_from(self.ids())))
        attr = {"ingress-gateway": "gateway", "egress-gateway": "gateway", "virtual-service": "virtual_service",
                "mesh-service": "service", "external-service": "service_entry"}[str(node.kind)]
        self.document.set_field(node.id, (attr, "metadata", "name"), name)

    @precondition(lambda self: self.document.project.virtual_services())
    @rule(data=st.data(), weight=st.integers(-5, 120))
    def edit_weight(self, data, weight):
        vs = data.draw(st.sampled_from(sorted(self.document.project.virtual_services(), key=lambda n: n.id)))
        if not vs.virtual_service.spec.http or not vs.virtual_service.spec.http[0].route:
            return
        with contextlib.suppress(EditError):
            self.document.set_field(vs.id, ("virtual_service", "spec", "http", 0, "route", 0, "weight"), weight)

    @precondition(lambda self: len(self.document.project) > 0)
    @rule(data=st.data(), dx=st.integers(-300, 300), dy=st.integers(-300, 300))
    def move(self, data, dx, dy):
        node = self.document.project.node(data.draw(st.sampled_from(self.ids())))
        self.document.move_nodes({node.id: (node.position[0] + dx, node.position[1] + dy)})

    @precondition(lambda self: len(self.document.project) > 0)
    @rule(data=st.data())
    def duplicate(self, data):
        self.document.duplicate([data.draw(st.sampled_from(self.ids()))])

    @rule()
    def undo(self):
        self.document.undo_stack.undo()

    @rule()
    def redo(self):
        self.document.undo_stack.redo()

    @invariant()
    def scene_matches_model(self):
        project = self.document.project
        assert set(self.scene.items_by_id) == set(project.nodes)
        for node_id, item in self.scene.items_by_id.items():
            node = project.node(node_id)
            assert item.node is node
            assert (item.pos().x(), item.pos().y()) == node.position
            assert item.scene() is self.scene
        expected = {edge_key(r): r for r in derive_references(project)}
        assert {k: e.ref for k, e in self.scene.edges.items()} == expected
        for key, edge in self.scene.edges.items():
            assert edge.source is self.scene.items_by_id[key[0]]
            assert edge.target is self.scene.items_by_id[key[1]]
        for node_id, keys in self.scene.edges_of.items():
            assert keys <= set(self.scene.edges), node_id


TestSceneFollowsModel = SceneFollowsModel.TestCase
TestSceneFollowsModel.settings = settings(max_examples=60, stateful_step_count=30, deadline=None,
                                          suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(autouse=True)
def _app(qapp):
    return qapp
