"""Gateway functions in the window (offscreen Qt): tags on gateway cards and the Functions property section,
both over the real resources applying to the gateway (migrated from an old file, or hand-written), and the
simulator's answer in Try a request."""

from __future__ import annotations

import os
import pathlib

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
import yaml  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QPushButton, QStyleOptionGraphicsItem  # noqa: E402

from meshdesigner.io.project_file import save_project  # noqa: E402
from meshdesigner.model.functions_view import rate_limit_buckets  # noqa: E402
from meshdesigner.model.security import policy_from_manifest  # noqa: E402

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
    # Empty the stack while the window's undo/redo actions still exist (as tests/gui_flow's make_window does):
    # QUndoStack's destructor would emit undoTextChanged into the deleted actions' slots.
    win.document.undo_stack.clear()
    win.close()
    win.deleteLater()
    qtbot.wait(1)


def test_card_shows_a_tag_per_function(window):
    from meshdesigner.gui.scene.items import PROJECT_CARD_TAGS, card_tags

    item = window.scene.items_by_id[GATEWAY_ID]
    project = window.document.project
    assert [t[0] for t in card_tags(item.node, project) if t[0] in ("FW", "JWT")] == ["FW", "JWT"]
    assert "Deny rules: 2 rule(s) (AuthorizationPolicy edge-gw-deny)" in item.toolTip()
    with_tags = _render(item)
    saved = list(PROJECT_CARD_TAGS)
    PROJECT_CARD_TAGS.clear()  # the same card without any design-derived tag (the design is not touched)
    try:
        without = _render(item)
    finally:
        PROJECT_CARD_TAGS[:] = saved
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
    assert function_tags(project, node) == [("mTLS", "#009E73", "client certificates (MUTUAL TLS) on port 443")]


def test_a_hand_written_rate_limit_gets_the_same_tag_as_a_migrated_one():
    from meshdesigner.gui.functions.tags import function_tags

    migrated = edge_design({"rateLimits": [{"tokensPerFill": 4, "fillInterval": "60s"}]})
    hand_written = edge_design()
    manifest = yaml.safe_load((pathlib.Path(__file__).parents[1] / "security/data/ratelimit.yaml").read_text())
    hand_written.add_policy(policy_from_manifest(manifest))
    for project, name in ((migrated, "edge-gw-ratelimit"), (hand_written, "filter-local-ratelimit-svc")):
        ((text, _colour, description),) = function_tags(project, project.node(GATEWAY_ID))
        assert text == "RL"
        assert description == f"Rate limit: 4 requests per 60s (burst 4), then 429 (EnvoyFilter {name})"


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
    text = panel.explanation.toPlainText()
    assert "AuthorizationPolicy istio-system/edge-gw-deny" in text and "203.0.113.4" in text
    assert result.functions["authorization"]["policy"] == "istio-system/edge-gw-deny"
    panel.client.setText("192.0.2.1")  # not in the blocked range: now the missing token is what stops it
    assert send().functions["authorization"]["policy"] == "istio-system/edge-gw-require-jwt"
    panel.client.setText("not-an-ip")
    assert panel.send() is None and "not an IP address" in panel.outcome.text()



def _type(win, name: str, text: str) -> None:
    line = win.properties.findChild(QLineEdit, name)
    assert line is not None, f"no field {name}"
    line.setText(text)
    line.editingFinished.emit()


def _buckets(project, ref):
    return [(b.tokens_per_fill, b.max_tokens) for b in rate_limit_buckets(project.policy(ref))]


def test_functions_section_edits_the_resources_with_undo(window, qtbot):
    project = window.document.project
    saved = [p.manifest() for p in project.policies]
    window.view.focus_node(GATEWAY_ID)
    assert window.properties.node_id == GATEWAY_ID
    require = project.policy(("AuthorizationPolicy", "istio-system", "edge-gw-require-jwt"))
    # "require a token": only on /api* now; the same resource, one undo step
    _type(window, "function:edge-gw-require-jwt:paths", "/api*")
    edited = project.policy(require.ref)
    assert edited.spec.rules[0].to[0].operation.paths == ["/api*"] and edited.spec.selector == require.spec.selector
    _type(window, "function:edge-gw-jwt:0.audiences", "shop, admin")
    jwt = project.policy(("RequestAuthentication", "istio-system", "edge-gw-jwt"))
    assert jwt.spec.jwt_rules[0].audiences == ["shop", "admin"]
    # add a rate limit for this gateway's pods, then edit its bucket
    kinds = window.properties.findChild(QComboBox, "AddFunctionKind")
    kinds.setCurrentIndex(kinds.findData("rate-limit"))
    window.properties.findChild(QPushButton, "AddFunction").click()
    ref = ("EnvoyFilter", "istio-system", "edge-gw-ratelimit")
    qtbot.waitUntil(lambda: project.policy(ref) is not None)
    assert project.policy(ref).spec.workload_selector.labels == {"istio": "ingressgateway"}
    assert _buckets(project, ref) == [(100, 100)]
    qtbot.waitUntil(lambda: window.properties.findChild(QLineEdit, "function:edge-gw-ratelimit:0.tokens") is not None)
    _type(window, "function:edge-gw-ratelimit:0.tokens", "many")  # refused: nothing changes
    assert _buckets(project, ref) == [(100, 100)]
    _type(window, "function:edge-gw-ratelimit:0.tokens", "5")
    assert _buckets(project, ref) == [(5, 100)]
    # every edit is undoable, back to the saved design
    stack = window.document.undo_stack
    while stack.canUndo():
        stack.undo()
    assert [p.manifest() for p in project.policies] == saved


def test_a_hand_written_rate_limit_edited_in_the_section_stays_the_same_resource(window, qtbot):
    manifest = yaml.safe_load((pathlib.Path(__file__).parents[1] / "security/data/ratelimit.yaml").read_text())
    original = policy_from_manifest(manifest)
    window.document.set_policy(None, original, "Add")
    window.view.focus_node(GATEWAY_ID)
    name = "function:filter-local-ratelimit-svc:0.burst"
    qtbot.waitUntil(lambda: window.properties.findChild(QLineEdit, name) is not None)
    _type(window, name, "8")
    value = manifest["spec"]["configPatches"][0]["patch"]["value"]["typed_config"]["value"]
    value["token_bucket"]["max_tokens"] = 8
    # same name, namespace, TypedStruct wrapping and response headers: only the burst moved
    assert window.document.project.policy(original.ref).manifest() == manifest
