"""Hypothesis strategies for designs: valid-looking projects made through the model's own API."""

from __future__ import annotations

from hypothesis import strategies as st

from meshdesigner.model import (
    DestinationRule,
    ExternalServiceNode,
    Gateway,
    GatewayNode,
    KubeService,
    MeshServiceNode,
    NodeKind,
    Project,
    ServiceEntry,
    VirtualService,
    VirtualServiceNode,
)
from meshdesigner.model.layout import apply_layout

label = st.from_regex(r"[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4})?", fullmatch=True)
namespace = st.sampled_from(["default", "shop", "edge", "istio-system"])
host = st.builds(lambda a, b: f"{a}.{b}.example.com", label, label)
port = st.integers(1, 65535)
# Free text that must survive files untouched: quotes, colons, unicode, YAML look-alikes.
tricky_text = st.one_of(
    st.sampled_from(["yes", "no", "on", "null", "~", "1e3", "0x1F", "012", "a: b", "- x", "#c", "*.x.com",
                     "true", "1_000", "ünïcødé", "", " lead", "trail ", "multi\nline", "tab\there", "'q'", '"q"']),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
)


@st.composite
def gateways(draw, ns: str, name: str) -> Gateway:
    servers = []
    for i in range(draw(st.integers(1, 3))):
        protocol = draw(st.sampled_from(["HTTP", "HTTPS", "TLS", "TCP"]))
        server = {"port": {"number": draw(port), "name": f"p{i}", "protocol": protocol},
                  "hosts": draw(st.lists(host, min_size=1, max_size=3, unique=True))}
        if protocol in ("HTTPS", "TLS"):
            mode = draw(st.sampled_from(["SIMPLE", "MUTUAL", "PASSTHROUGH"]))
            server["tls"] = {"mode": mode, "credentialName": draw(label)} if mode != "PASSTHROUGH" else {"mode": mode}
        servers.append(server)
    return Gateway.model_validate({"metadata": {"name": name, "namespace": ns,
                                                "annotations": {"note": draw(tricky_text)}},
                                   "spec": {"selector": {"istio": draw(label)}, "servers": servers}})


@st.composite
def virtual_services(draw, ns: str, name: str, gateway_names: list[str], hosts: list[str]) -> VirtualService:
    rules = []
    for i in range(draw(st.integers(1, 4))):
        rule: dict = {"name": f"r{i}"}
        if draw(st.booleans()):
            rule["match"] = [{"uri": {draw(st.sampled_from(["exact", "prefix", "regex"])): "/" + draw(label)}}]
        kind = draw(st.sampled_from(["route", "route", "redirect", "direct"]))
        if kind == "route":
            dests = draw(st.lists(host, min_size=1, max_size=3))
            rule["route"] = [{"destination": {"host": h, "port": {"number": draw(port)}},
                              **({"weight": draw(st.integers(0, 100))} if len(dests) > 1 else {})} for h in dests]
            if draw(st.booleans()):
                rule["timeout"] = f"{draw(st.integers(1, 60))}s"
        elif kind == "redirect":
            rule["redirect"] = {"uri": "/" + draw(label), "redirectCode": 301}
        else:
            rule["directResponse"] = {"status": 200, "body": {"string": draw(tricky_text)}}
        rules.append(rule)
    spec = {"hosts": hosts, "http": rules}
    if gateway_names:
        spec["gateways"] = gateway_names
    return VirtualService.model_validate({"metadata": {"name": name, "namespace": ns}, "spec": spec})


@st.composite
def projects(draw, laid_out: bool = True) -> Project:
    """A project of 0-3 gateways, 0-4 virtual services, 0-4 services, 0-2 external services."""
    project = Project(name=draw(label))
    gw_names = []
    for i in range(draw(st.integers(0, 3))):
        ns = draw(namespace)
        gw = draw(gateways(ns, f"gw{i}"))
        kind = draw(st.sampled_from([NodeKind.INGRESS_GATEWAY, NodeKind.EGRESS_GATEWAY]))
        if kind == NodeKind.EGRESS_GATEWAY:
            gw = gw.model_copy(update={"spec": gw.spec.model_copy(update={"selector": {"istio": "egressgateway"}})})
        else:
            gw = gw.model_copy(update={"spec": gw.spec.model_copy(update={"selector": {"istio": "ingress"}})})
        gw_names.append(f"{ns}/gw{i}")
        project.add_node(GatewayNode(id=project.new_id(kind, ns, gw.name), kind=kind, gateway=gw))
    for i in range(draw(st.integers(0, 4))):
        ns = draw(namespace)
        bound = draw(st.lists(st.sampled_from(gw_names), unique=True, max_size=2)) if gw_names else []
        vs = draw(virtual_services(ns, f"vs{i}", bound, draw(st.lists(host, min_size=1, max_size=2, unique=True))))
        project.add_node(VirtualServiceNode(id=project.new_id(NodeKind.VIRTUAL_SERVICE, ns, vs.name),
                                            virtual_service=vs))
    for i in range(draw(st.integers(0, 4))):
        ns = draw(namespace)
        managed = draw(st.booleans())
        svc = KubeService.model_validate({"metadata": {"name": f"svc{i}", "namespace": ns},
                                          "spec": {"ports": [{"port": draw(port), "name": "http"}]} if managed else {}})
        rule = None
        if not managed or draw(st.booleans()):
            rule = DestinationRule.model_validate({
                "metadata": {"name": f"svc{i}", "namespace": ns},
                "spec": {"host": f"svc{i}.{ns}.svc.cluster.local",
                         "subsets": [{"name": "v1", "labels": {"version": "v1"}}]}})
        project.add_node(MeshServiceNode(id=project.new_id(NodeKind.MESH_SERVICE, ns, svc.name), service=svc,
                                         managed=managed, destination_rule=rule))
    for i in range(draw(st.integers(0, 2))):
        se = ServiceEntry.model_validate({"metadata": {"name": f"ext{i}", "namespace": "default"},
                                          "spec": {"hosts": [f"api{i}.partner.io"], "resolution": "DNS",
                                                   "location": "MESH_EXTERNAL",
                                                   "ports": [{"number": 443, "name": "tls", "protocol": "TLS"}]}})
        project.add_node(ExternalServiceNode(id=project.new_id(NodeKind.EXTERNAL_SERVICE, "default", se.name),
                                             service_entry=se))
    if draw(st.booleans()):
        project.set_extra_resources([{"apiVersion": "v1", "kind": "ConfigMap",
                                      "metadata": {"name": "cfg", "namespace": "default"},
                                      "data": {"k": draw(tricky_text)}}])
    if laid_out:
        apply_layout(project)
    else:
        for node in list(project):
            project.move_node(node.id, (draw(st.floats(-1e5, 1e5)), draw(st.floats(-1e5, 1e5))))
    return project
