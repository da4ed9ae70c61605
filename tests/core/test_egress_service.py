"""An egress gateway's own Service is the one Istio installs: drawn and routed to, not exported unless the
design says it manages it (issue 14: applying the export overwrote istio-system/istio-egressgateway)."""

from __future__ import annotations

from meshdesigner.export.istio.manifests import project_manifests
from meshdesigner.model import NodeKind, Project, node_from_dict

SERVICE = {"metadata": {"name": "istio-egressgateway", "namespace": "istio-system"},
           "spec": {"selector": {"istio": "egressgateway"}, "ports": [{"port": 443, "name": "https",
                                                                       "targetPort": 8443}]}}


def _gateway(kind: NodeKind, **extra):
    return node_from_dict({"id": f"{kind}:istio-system/gw", "kind": str(kind), "gateway": {
        "metadata": {"name": "gw", "namespace": "istio-system"},
        "spec": {"selector": {"istio": "egressgateway"},
                 "servers": [{"port": {"number": 443, "protocol": "TLS", "name": "tls"}, "hosts": ["a.example.com"],
                              "tls": {"mode": "PASSTHROUGH"}}]}}, "service": SERVICE, **extra})


def _exported_kinds(node) -> list[str]:
    return [m["kind"] for m in project_manifests(Project("p", nodes=[node]))]


def test_egress_gateway_service_is_drawn_not_exported():
    node = _gateway(NodeKind.EGRESS_GATEWAY)
    assert node.service in node.held_resources()
    assert _exported_kinds(node) == ["Gateway"]


def test_egress_gateway_service_exported_when_the_design_manages_it():
    assert sorted(_exported_kinds(_gateway(NodeKind.EGRESS_GATEWAY, service_managed=True))) == ["Gateway", "Service"]


def test_ingress_gateway_service_still_exported_by_default():
    assert sorted(_exported_kinds(_gateway(NodeKind.INGRESS_GATEWAY))) == ["Gateway", "Service"]
    assert _exported_kinds(_gateway(NodeKind.INGRESS_GATEWAY, service_managed=False)) == ["Gateway"]
