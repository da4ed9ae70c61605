"""The Functions property section and the function tags on gateway cards (offscreen Qt)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication, QCheckBox, QLineEdit, QStyleOptionGraphicsItem  # noqa: E402

from meshdesigner.io.project_file import save_project  # noqa: E402

from .designs import FULL_FUNCTIONS, GATEWAY_ID, edge_design  # noqa: E402

pytestmark = [pytest.mark.gui]


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "settings"))
    monkeypatch.setenv("MESHDESIGNER_RECOVERY_DIR", str(tmp_path / "recovery"))
    from meshdesigner.gui.main_window import MainWindow
    from meshdesigner.gui.style import apply_theme

    project = edge_design({"firewall": FULL_FUNCTIONS["firewall"], "jwt": FULL_FUNCTIONS["jwt"]})
    path = tmp_path / "functions.mesh.yaml"
    save_project(project, str(path))
    apply_theme(QApplication.instance(), "light")
    win = MainWindow("light")
    assert win.open_path(str(path))
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.document.undo_stack.setClean()
    win.close()
    win.deleteLater()
    qtbot.wait(1)


def type_into(win, path: tuple, text: str) -> None:
    line = win.properties.findChild(QLineEdit, "field:" + ".".join(map(str, path)))
    assert line is not None, f"no field {path}"
    line.setFocus()
    line.setText(text)
    line.textEdited.emit(text)


def gateway(win):
    return win.document.project.node(GATEWAY_ID)


def test_card_shows_a_tag_per_function(window):
    from meshdesigner.gui.scene.items import card_tags

    item = window.scene.items_by_id[GATEWAY_ID]
    assert [t[0] for t in card_tags(item.node)] == ["FW", "JWT"]
    assert "firewall: 2 deny, 1 allow" in item.toolTip()
    with_tags = _render(item)
    item.set_node(item.node.model_copy(update={"functions": None}))
    without = _render(item)
    # the tags are drawn right-aligned on the namespace line; nothing else differs there
    assert any(with_tags.pixelColor(x, 32) != without.pixelColor(x, 32) for x in range(180, 252))


def _render(item) -> QImage:
    image = QImage(300, 200, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    try:
        item.paint(painter, QStyleOptionGraphicsItem())
    finally:
        painter.end()
    return image


def test_mutual_tls_servers_join_the_picture():
    from meshdesigner.gui.functions.tags import function_tags
    from meshdesigner.model import Gateway

    project = edge_design()
    node = project.node(GATEWAY_ID)
    wire = node.gateway.to_wire()
    wire["spec"]["servers"][0].update({"port": {"number": 443, "protocol": "HTTPS", "name": "https"},
                                       "tls": {"mode": "MUTUAL", "credentialName": "edge"}})
    node = node.model_copy(update={"gateway": Gateway.from_wire(wire)})
    assert function_tags(node) == [("mTLS", "#009E73", "client certificates (MUTUAL TLS) on port 443")]


def test_functions_section_edits_with_undo(window, qtbot):
    window.view.focus_node(GATEWAY_ID)
    assert window.properties.node_id == GATEWAY_ID
    # a field of the first firewall rule and of the first JWT rule
    type_into(window, ("functions", "firewall", "rules", 0, "name"), "partner block")
    assert gateway(window).functions.firewall.rules[0].name == "partner block"
    type_into(window, ("functions", "jwt", "rules", 0, "issuer"), "https://login.example.com")
    assert gateway(window).functions.jwt.rules[0].issuer == "https://login.example.com"
    type_into(window, ("functions", "workloadNamespace"), "edge")
    assert gateway(window).functions.workload_namespace == "edge"
    # switch the cache on, then set a body limit in the fields that appear
    box = window.properties.findChild(QCheckBox, "enable:functions.cache")
    assert box is not None and not box.isChecked()
    box.setChecked(True)
    assert gateway(window).functions.cache is not None
    qtbot.waitUntil(lambda: window.properties.findChild(QLineEdit, "field:functions.cache.maxBodyBytes") is not None)
    type_into(window, ("functions", "cache", "maxBodyBytes"), "lots")
    assert gateway(window).functions.cache.max_body_bytes is None  # refused, with the reason shown
    type_into(window, ("functions", "cache", "maxBodyBytes"), "65536")
    assert gateway(window).functions.cache.max_body_bytes == 65536
    # every edit is undoable, back to the saved design
    stack = window.document.undo_stack
    while stack.canUndo():
        stack.undo()
    functions = gateway(window).functions
    assert functions.cache is None and functions.workload_namespace is None
    assert functions.firewall.rules[0].name == "block-partner"
    assert functions.jwt.rules[0].issuer == "https://issuer.example.com"


def test_try_a_request_with_a_client_address(window, qtbot):
    panel = window.flow_panels.try_request

    def send():  # the simulator answers off the GUI thread
        with qtbot.waitSignal(panel.sig_result, timeout=10000):
            panel.send()
        return panel.result

    panel.gateway.setCurrentText("default/edge-gw")
    panel.url.setText("http://shop.example.com/")
    panel.client.setText("203.0.113.4")
    result = send()
    assert result is not None and result.outcome == "denied" and result.status == 403
    assert "Firewall" in panel.explanation.toPlainText() and "203.0.113.4" in panel.explanation.toPlainText()
    assert result.functions["firewall"]["rule"].startswith("DENY from 203.0.113.0/24")
    panel.client.setText("192.0.2.1")  # not in the blocked range: now the missing token is what stops it
    assert send().functions["firewall"]["rule"] == "require a JWT principal"
    panel.client.setText("not-an-ip")
    assert panel.send() is None and "not an IP address" in panel.outcome.text()


def test_a_function_diagnostic_focuses_its_field(window, qtbot):
    from meshdesigner.analysis import Diagnostic
    from meshdesigner.model import ResourceRef

    diagnostic = Diagnostic("MD0725", None, "error", ResourceRef("Gateway", "default", "edge-gw"), GATEWAY_ID,
                            "functions.jwt.rules[0].issuer", "JWT rule 1: the issuer is empty")
    window.go_to_diagnostic(diagnostic)
    line = window.properties.findChild(QLineEdit, "field:functions.jwt.rules.0.issuer")
    assert line is not None
    qtbot.waitUntil(line.hasFocus, timeout=2000)
