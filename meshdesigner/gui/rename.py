"""References follow renames (Qt-free): when a gateway or a mesh service is renamed (or moved to another
namespace), the virtual services that named it by its old name name it by the new one, in the same undo step.

* a gateway: ``spec.gateways`` entries and ``match.gateways`` of http/tls/tcp rules that resolved to it
  (``gateway_ref``: ``name`` in the virtual service's namespace, or ``namespace/name``);
* a mesh service: route, mirror and delegate-free destination hosts that resolved to its FQDN (short in
  the virtual service's own namespace, the FQDN elsewhere).
"""

from __future__ import annotations

from ..model import (
    GatewayNode,
    MeshServiceNode,
    NodeBase,
    Project,
    VirtualServiceNode,
    expand_host,
    gateway_ref,
)
from .edits import node_data, rebuild


def references_following(project: Project, old: NodeBase, new: NodeBase) -> list[tuple[NodeBase, NodeBase]]:
    """``(old, new)`` virtual services rewritten to follow ``old`` renamed to ``new`` (empty when no name moved)."""
    if (old.name, old.namespace) == (new.name, new.namespace):
        return []
    out: list[tuple[NodeBase, NodeBase]] = []
    for vs in sorted(project.virtual_services(), key=lambda n: n.id):
        if vs.id in (old.id, new.id):
            continue
        if isinstance(old, GatewayNode):
            data = _follow_gateway(vs, old, new)
        elif isinstance(old, MeshServiceNode) and isinstance(new, MeshServiceNode):
            data = _follow_service(vs, old, new)
        else:
            data = None
        if data is not None:
            out.append((vs, rebuild(data)))
    return out


def _entry(namespace: str, name: str, vs_namespace: str) -> str:
    return name if namespace == vs_namespace else f"{namespace}/{name}"


def _follow_gateway(vs: VirtualServiceNode, old: GatewayNode, new: NodeBase) -> dict | None:
    ns = vs.namespace
    before = old.gateway.metadata.qualified
    replacement = _entry(new.namespace, new.name, ns)
    data = node_data(vs)
    spec = data["virtual_service"].get("spec", {})
    changed = False

    def follow(entries: list[str]) -> list[str]:
        nonlocal changed
        out = []
        for entry in entries:
            if entry != "mesh" and gateway_ref(entry, ns) == before:
                entry, changed = replacement, True
            out.append(entry)
        return out

    if spec.get("gateways"):
        spec["gateways"] = follow(spec["gateways"])
    for section in ("http", "tls", "tcp"):
        for rule in spec.get(section) or []:
            for match in rule.get("match") or []:
                if match.get("gateways"):
                    match["gateways"] = follow(match["gateways"])
    return data if changed else None


def _follow_service(vs: VirtualServiceNode, old: MeshServiceNode, new: MeshServiceNode) -> dict | None:
    ns = vs.namespace
    data = node_data(vs)
    spec = data["virtual_service"].get("spec", {})
    replacement = new.name if new.namespace == ns else new.fqdn
    changed = False

    def follow(destination: dict | None) -> None:
        nonlocal changed
        if destination and destination.get("host") and expand_host(destination["host"], ns) == old.fqdn:
            destination["host"], changed = replacement, True

    for section in ("http", "tls", "tcp"):
        for rule in spec.get(section) or []:
            for route in rule.get("route") or []:
                follow(route.get("destination"))
            follow(rule.get("mirror"))
            for mirror in rule.get("mirrors") or []:
                follow(mirror.get("destination"))
    return data if changed else None
