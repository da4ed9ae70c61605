"""Where edges and their labels are drawn: a weight label belongs to its own rule's row and stays clear of
every card."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF

from conftest import EXAMPLES_DIR
from meshdesigner.gui.document import Document
from meshdesigner.gui.scene.canvas import CanvasScene
from meshdesigner.gui.scene.items import CARD_WIDTH, label_width
from meshdesigner.gui.scene.rows import rule_row
from meshdesigner.io.project_file import load_project


def _scene(example: str) -> CanvasScene:
    return CanvasScene(Document(load_project(str(EXAMPLES_DIR / example))))


def _card(item) -> QRectF:
    return QRectF(item.pos().x(), item.pos().y(), CARD_WIDTH, item.height)


@pytest.mark.parametrize("example", ["bookinfo.mesh.yaml", "tcp.mesh.yaml"])
def test_weight_labels_sit_on_their_rule_row_clear_of_cards(qapp, example):
    scene = _scene(example)
    labelled = [e for e in scene.edges.values() if e.ref.kind == "routes" and "%" in e.label_text()]
    assert labelled, "the example splits traffic by weight"
    for edge in labelled:
        row = rule_row(edge.source.node, edge.ref.section, edge.ref.rule_index)
        assert edge.label_at.y() == pytest.approx(edge.source.out_anchor(row).y())
        width = label_width(edge.label_text())
        pill = QRectF(edge.label_at.x() - width / 2, edge.label_at.y() - 8, width, 16)
        for node in scene.items_by_id.values():
            assert not pill.intersects(_card(node)), (edge.label_text(), node.node.name)


@pytest.mark.parametrize("example", ["gateway-functions.mesh.yaml", "bookinfo.mesh.yaml", "egress.mesh.yaml"])
def test_edges_that_skip_a_lane_go_around_its_cards(qapp, example):
    scene = _scene(example)
    for edge in scene.edges.values():
        if edge.ref.kind != "routes":
            continue
        points = [edge.path.pointAtPercent(i / 100) for i in range(101)]
        for node in scene.items_by_id.values():
            if node in (edge.source, edge.target):
                continue
            card = _card(node)
            assert not any(card.contains(p) for p in points), \
                f"{edge.source.node.name} -> {edge.target.node.name} runs through {node.node.name}"
