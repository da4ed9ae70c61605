"""New nodes as the palette creates them: sensible, valid defaults with a unique name."""

from __future__ import annotations

from ..model import NodeBase, NodeKind, Project, node_from_dict

BASE_NAMES = {
    NodeKind.INGRESS_GATEWAY: "ingress-gateway",
    NodeKind.EGRESS_GATEWAY: "egress-gateway",
    NodeKind.VIRTUAL_SERVICE: "virtual-service",
    NodeKind.MESH_SERVICE: "service",
    NodeKind.EXTERNAL_SERVICE: "external",
}


def unique_name(project: Project, kind: NodeKind, namespace: str, base: str) -> str:
    taken = {(n.namespace, n.name) for n in project if n.kind == kind}
    if (namespace, base) not in taken:
        return base
    i = 2
    while (namespace, f"{base}-{i}") in taken:
        i += 1
    return f"{base}-{i}"


def _body(kind: NodeKind, name: str, ns: str) -> dict:
    meta = {"name": name, "namespace": ns}
    if kind == NodeKind.INGRESS_GATEWAY:
        return {"gateway": {"metadata": meta, "spec": {
            "selector": {"istio": "ingressgateway"},
            "servers": [{"port": {"number": 80, "protocol": "HTTP", "name": "http"}, "hosts": ["*"]}]}}}
    if kind == NodeKind.EGRESS_GATEWAY:
        return {"gateway": {"metadata": meta, "spec": {
            "selector": {"istio": "egressgateway"},
            "servers": [{"port": {"number": 80, "protocol": "HTTP", "name": "http"}, "hosts": ["*"]}]}},
            "service": {"metadata": {"name": "istio-egressgateway", "namespace": "istio-system"},
                        "spec": {"selector": {"istio": "egressgateway"},
                                 "ports": [{"port": 80, "name": "http2", "targetPort": 8080},
                                           {"port": 443, "name": "https", "targetPort": 8443}]}}}
    if kind == NodeKind.VIRTUAL_SERVICE:
        return {"virtual_service": {"metadata": meta, "spec": {"hosts": [f"{name}.example.com"]}}}
    if kind == NodeKind.MESH_SERVICE:
        return {"service": {"metadata": meta, "spec": {
            "selector": {"app": name}, "ports": [{"port": 80, "name": "http", "targetPort": 8080}]}},
            "managed": True}
    return {"service_entry": {"metadata": meta, "spec": {
        "hosts": [f"{name}.example.org"], "location": "MESH_EXTERNAL", "resolution": "DNS",
        "ports": [{"number": 443, "name": "https", "protocol": "TLS"}]}}}


def new_node(project: Project, kind: NodeKind | str, position: tuple[float, float],
             namespace: str = "default") -> NodeBase:
    """A fresh node of ``kind`` at ``position`` whose name is free in ``namespace``."""
    kind = NodeKind(kind)
    name = unique_name(project, kind, namespace, BASE_NAMES[kind])
    data = {"id": project.new_id(kind, namespace, name), "kind": str(kind), "position": list(position),
            **_body(kind, name, namespace)}
    return node_from_dict(data)


def copy_of(project: Project, node: NodeBase, offset: tuple[float, float] = (40.0, 40.0),
            taken: set[tuple[str, str, str]] | None = None) -> NodeBase:
    """A duplicate of ``node`` with a free name (``-copy``) and id, offset on the canvas."""
    from .edits import node_data

    taken = set(taken or ())
    taken |= {(str(n.kind), n.namespace, n.name) for n in project}
    base = f"{node.name}-copy"
    name, i = base, 2
    while (str(node.kind), node.namespace, name) in taken:
        name, i = f"{base}-{i}", i + 1
    data = node_data(node)
    attr = {NodeKind.INGRESS_GATEWAY: "gateway", NodeKind.EGRESS_GATEWAY: "gateway",
            NodeKind.VIRTUAL_SERVICE: "virtual_service", NodeKind.MESH_SERVICE: "service",
            NodeKind.EXTERNAL_SERVICE: "service_entry"}[node.kind]
    data[attr]["metadata"]["name"] = name
    if data.get("destination_rule") and node.kind == NodeKind.MESH_SERVICE:
        data["destination_rule"]["metadata"]["name"] = name
        data["destination_rule"]["spec"]["host"] = name
    data["id"] = project.new_id(node.kind, node.namespace, name)
    data["position"] = [node.position[0] + offset[0], node.position[1] + offset[1]]
    return node_from_dict(data)
