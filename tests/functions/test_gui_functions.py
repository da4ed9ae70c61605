"""Function tags on gateway cards, from the real resources applying to the gateway (offscreen Qt); the
simulator in the window on a migrated old file. (The Functions section of the properties panel is
built on :mod:`meshdesigner.model.functions_view` and tested with it.)"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtGui import QImage, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication, QStyleOptionGraphicsItem  # noqa: E402

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


def test_card_shows_a_tag_per_function(window):
    from meshdesigner.gui.scene.items import card_tags

    item = window.scene.items_by_id[GATEWAY_ID]
    project = window.document.project
    assert [t[0] for t in card_tags(item.node, project) if t[0] in ("FW", "JWT")] == ["FW", "JWT"]
    assert "Deny rules: 2 rule(s) (AuthorizationPolicy edge-gw-deny)" in item.toolTip()
    with_tags = _render(item)
    for policy in project.policies:
        project.remove_policy(policy.ref)
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
    assert function_tags(project, node) == [("mTLS", "#009E73", "client certificates (MUTUAL TLS) on port 443")]


def test_a_hand_written_rate_limit_gets_the_same_tag_as_a_migrated_one():
    import pathlib

    import yaml

    from meshdesigner.gui.functions.tags import function_tags
    from meshdesigner.model.security import policy_from_manifest

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
