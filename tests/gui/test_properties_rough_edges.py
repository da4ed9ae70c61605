"""Issue 14's rough edges in the Properties panel, each as a user meets it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QListWidget, QTableWidget

from conftest import EXAMPLES_DIR
from meshdesigner.model import NodeKind

pytestmark = pytest.mark.gui
SERVER = ("gateway", "spec", "servers", 0)


def type_into(window, path: tuple, text: str) -> None:
    line = window.properties.findChild(QLineEdit, "field:" + ".".join(map(str, path)))
    assert line is not None, path
    line.setFocus()
    line.setText(text)
    line.textEdited.emit(text)


def wheel_over(widget, steps: int = -3) -> None:
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(centre, QPointF(widget.mapToGlobal(centre.toPoint())), QPoint(0, 0),
                        QPoint(0, 120 * steps), Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(widget, event)


def test_wheel_over_an_unfocused_combo_changes_nothing(make_editor):
    window = make_editor(str(EXAMPLES_DIR / "seed.mesh.yaml"))
    gw_id = next(n.id for n in window.document.project if n.kind == NodeKind.INGRESS_GATEWAY)
    window.view.focus_node(gw_id)
    combo = window.properties.findChild(QComboBox, "field:" + ".".join(map(str, (*SERVER, "port", "protocol"))))
    assert combo is not None and combo.currentText() == "HTTPS"
    window.view.setFocus()
    before = window.document.undo_stack.count()
    for _ in range(3):
        wheel_over(combo)
        wheel_over(combo, 3)
        wheel_over(combo, -1)
    assert combo.currentText() == "HTTPS"
    assert window.document.project.node(gw_id).gateway.spec.servers[0].port.protocol == "HTTPS"
    assert window.document.undo_stack.count() == before


def test_servers_list_label_follows_edits(make_editor):
    window = make_editor(str(EXAMPLES_DIR / "seed.mesh.yaml"))
    gw_id = next(n.id for n in window.document.project if n.kind == NodeKind.INGRESS_GATEWAY)
    window.view.focus_node(gw_id)
    servers = window.properties.findChild(QListWidget, "list:server")
    assert servers.item(0).text().startswith("443 HTTPS")
    type_into(window, (*SERVER, "port", "number"), "8443")
    assert servers.item(0).text().startswith("8443 HTTPS"), servers.item(0).text()
    # the card's row and the list read the same
    assert window.scene.items_by_id[gw_id].rows[0].text == servers.item(0).text()


def test_switching_nodes_scrolls_to_the_top(make_editor, qtbot):
    window = make_editor(str(EXAMPLES_DIR / "public-private.mesh.yaml"))
    project = window.document.project
    gw_id, other_id = sorted(n.id for n in project if n.kind == NodeKind.INGRESS_GATEWAY)
    window.view.focus_node(gw_id)
    bar = window.properties.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=2000)  # the gateway's fields are taller than the dock
    bar.setValue(bar.maximum())
    window.view.focus_node(other_id)  # as tall as the first one: the old position would still fit
    QApplication.processEvents()
    assert bar.maximum() > 0 and bar.value() == 0
    name = window.properties.fields_by_path["metadata.name"]
    assert not name.visibleRegion().isEmpty(), "the Name field is in sight"


def test_http_rule_match_gateways_is_editable_and_listed_like_the_card(make_editor):
    window = make_editor()
    window.new_file()
    node = window.document.create_node(NodeKind.VIRTUAL_SERVICE, (40.0, 40.0))
    window.document.set_field(node.id, ("virtual_service", "spec", "http"),
                              [{"route": [{"destination": {"host": "api"}}]}])
    window.view.focus_node(node.id)
    rules = window.properties.findChild(QListWidget, "list:rule")
    card = window.scene.items_by_id[node.id].rows[0].text
    assert rules.item(0).text() == f"1. {card}"
    assert "any" not in rules.item(0).text()
    table = window.properties.findChild(QTableWidget, "table:virtual_service.spec.http.0.match")
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert "Gateways" in headers
    window.properties.fields_by_path["spec.http[0].match"]._write([{"gateways": ["mesh"]}])
    rule = window.document.project.node(node.id).virtual_service.spec.http[0]
    assert rule.match[0].gateways == ["mesh"]
    assert window.scene.items_by_id[node.id].rows[0].text == "mesh: /*  →  api"
    rules = window.properties.findChild(QListWidget, "list:rule")  # the list was rebuilt (a match was added)
    assert rules.item(0).text() == "1. mesh: /*  →  api"


@pytest.mark.parametrize("kind", ["tls", "tcp"])
def test_l4_rules_edit_match_gateways(make_editor, kind):
    window = make_editor()
    window.new_file()
    node = window.document.create_node(NodeKind.VIRTUAL_SERVICE, (40.0, 40.0))
    window.document.set_field(node.id, ("virtual_service", "spec", kind),
                              [{"match": [{"port": 443}], "route": [{"destination": {"host": "api"}}]}])
    window.view.focus_node(node.id)
    table = window.properties.findChild(QTableWidget, f"table:virtual_service.spec.{kind}.0.match")
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    column = headers.index("Gateways")
    table.item(0, column).setText("mesh, istio-system/egress")
    match = getattr(window.document.project.node(node.id).virtual_service.spec, kind)[0].match[0]
    assert match.gateways == ["mesh", "istio-system/egress"]


def test_panel_never_wider_than_its_dock_with_a_certificate_shown(make_editor, tmp_path):
    window = make_editor(str(EXAMPLES_DIR / "seed.mesh.yaml"))
    gw_id = next(n.id for n in window.document.project if n.kind == NodeKind.INGRESS_GATEWAY)
    window.view.focus_node(gw_id)
    QApplication.processEvents()
    panel = window.properties
    assert panel.widget().minimumSizeHint().width() <= panel.viewport().width()


@pytest.mark.parametrize("example", ["seed", "bookinfo", "egress", "gateway-functions", "public-private", "tcp"])
def test_no_node_makes_the_panel_wider_than_its_dock(make_editor, example):
    window = make_editor(str(EXAMPLES_DIR / f"{example}.mesh.yaml"))
    panel = window.properties
    too_wide = []
    for node in window.document.project:
        window.view.focus_node(node.id)
        QApplication.processEvents()
        if panel.widget().minimumSizeHint().width() > panel.viewport().width():
            too_wide.append((node.id, panel.widget().minimumSizeHint().width(), panel.viewport().width()))
    assert not too_wide


def test_wheel_guard_covers_editors_added_after_a_rebuild(make_editor):
    from PySide6.QtWidgets import QSpinBox

    window = make_editor(str(EXAMPLES_DIR / "seed.mesh.yaml"))
    gw_id = next(n.id for n in window.document.project if n.kind == NodeKind.INGRESS_GATEWAY)
    window.view.focus_node(gw_id)
    late = QSpinBox(window.properties.widget())  # as a section might add one without a rebuild
    late.setRange(0, 100)
    late.setValue(50)
    late.show()
    window.view.setFocus()
    wheel_over(late, 3)
    assert late.value() == 50
