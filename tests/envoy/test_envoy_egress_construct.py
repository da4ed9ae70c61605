"""Every egress shape the egress dialog builds (TLS passthrough, TLS origination, plain HTTP) exports an
egress-gateway config real Envoy accepts (``envoy --mode validate``), and the design has no error."""

from __future__ import annotations

import pytest
from envoy_support import ENVOY, validate

from meshdesigner.analysis import analyze
from meshdesigner.export.envoy.bootstrap import export_envoy_files
from meshdesigner.gui import templates
from meshdesigner.gui.edits import with_value
from meshdesigner.gui.egress import ORIGINATION, PASSTHROUGH, PLAIN_HTTP, plan_egress
from meshdesigner.model import NodeKind, Project

pytestmark = [pytest.mark.envoy, pytest.mark.gui,  # the egress planner lives in the gui package (Qt-free itself)
              pytest.mark.skipif(ENVOY is None, reason="envoy is not installed")]


def _design(ports):
    project = Project("egress")
    gw = templates.new_node(project, NodeKind.EGRESS_GATEWAY, (1060.0, 80.0))
    project.add_node(gw)
    ext = templates.new_node(project, NodeKind.EXTERNAL_SERVICE, (1400.0, 80.0))
    ext = with_value(with_value(ext, ("service_entry", "spec", "hosts"), ["api.partner.io"]),
                     ("service_entry", "spec", "ports"), ports)
    project.add_node(ext)
    return project, gw.id, ext.id


@pytest.mark.parametrize(("mode", "ports"), [
    (PASSTHROUGH, [{"number": 443, "name": "tls", "protocol": "TLS"}]),
    (ORIGINATION, [{"number": 443, "name": "tls", "protocol": "TLS"}]),
    (PLAIN_HTTP, [{"number": 80, "name": "http", "protocol": "HTTP"}]),
])
def test_egress_shape_validates_in_envoy(tmp_path, mode, ports):
    project, gw_id, ext_id = _design(ports)
    plan = plan_egress(project, gw_id, ext_id, mode)
    for node in plan.replaced:
        project.replace_node(node)
    for node in plan.added:
        project.add_node(node)
    assert not [d.format() for d in analyze(project) if d.severity == "error"]
    files = export_envoy_files(project)
    text = files["envoy/istio-egressgateway.yaml"]
    config = tmp_path / "egress.yaml"
    config.write_text(text)
    result = validate(str(config), str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    if mode == ORIGINATION:
        assert "UpstreamTlsContext" in text and "api.partner.io" in text  # the gateway originates TLS
    if mode == PASSTHROUGH:
        assert "tcp_proxy" in text.lower() and "server_names" in text
