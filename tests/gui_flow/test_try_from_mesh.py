"""Try a request from a mesh workload (issue 14): "from a sidecar in namespace N" is a start; the simulator
follows the mesh-bound virtual service to the egress gateway and on to the external service, the panel
explains every hop, and the canvas lights the whole path. Expected hops written by hand from the egress
example (Istio's "Egress gateway" TLS passthrough task)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.gui

VS = "virtual-service:default/payments-via-egress"
EGRESS = "egress-gateway:istio-system/istio-egressgateway"
EXTERNAL = "external-service:default/payments-api"
FRONT = "mesh-service:istio-system/istio-egressgateway"


def _panel(window):
    window.flow_panels.show("try_request")
    return window.flow_panels.try_request


def test_sidecar_starts_are_offered_per_namespace(make_window):
    window = make_window("egress.mesh.yaml")
    panel = _panel(window)
    starts = [panel.gateway.itemText(i) for i in range(panel.gateway.count())]
    assert "istio-system/istio-egressgateway" in starts
    assert "From a sidecar in namespace default" in starts
    assert "From a sidecar in namespace istio-system" in starts


def test_request_from_a_sidecar_goes_through_the_egress_gateway(make_window, qtbot, tmp_path, send):
    window = make_window("egress.mesh.yaml")
    panel = _panel(window)
    panel.set_entry("mesh:default")
    panel.url.setText("https://api.payments.example.com/")
    result = send(panel)
    assert result is not None and result.outcome == "routed", panel.outcome.text()
    assert [h["gateway"] for h in result.hops] == ["mesh:default", "istio-system/istio-egressgateway"]
    assert result.destinations[0]["host"] == "api.payments.example.com"
    text = panel.explanation.toPlainText()
    assert "In the sidecar (default)" in text and "In gateway istio-system/istio-egressgateway" in text
    qtbot.waitUntil(lambda: EXTERNAL in window.scene.highlight_nodes, timeout=5000)
    assert {VS, EGRESS, EXTERNAL} <= window.scene.highlight_nodes
    assert not panel.save_test_button.isEnabled()  # route tests start at a gateway
    window.resize(1600, 1000)
    qtbot.wait(50)
    assert window.grab().save(str(tmp_path / "try-from-mesh.png"))  # docs/try-from-mesh.png was made so
