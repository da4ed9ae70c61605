"""Quick fixes for diagnostics where one change is safe and obvious (Qt-free; the Diagnostics panel offers
them and the document applies each as one undo step).

| code   | fix |
| ------ | --- |
| MD0404 | add the missing subset to the host's destination rule (labels ``version: <subset>``) |
| MD0405 | give the mesh service a destination rule with that subset |
| MD0410 | add the virtual service's host to the gateway's first server |
| MD0512 | the same, for a host served by none of the virtual service's gateways |
| MD0701 | set the gateway Service's targetPort to the server port (or add the port) |
| MD1102 | add the mesh hop: ``mesh`` in the virtual service's gateways and the rule's ``match.gateways`` |
| MD1103 | add the mesh hop: a rule for sidecars sending the host to the egress gateway's Service |
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field

from ..analysis.diagnostic import Diagnostic, parse_path
from ..model import GatewayNode, MeshServiceNode, NodeBase, NodeKind, Project, VirtualServiceNode
from ..model.hosts import expand_host, gateway_ref, host_matches, split_gateway_host
from .edits import EditError, get_in, node_data, rebuild


@dataclass
class QuickFix:
    """One safe change: a title for the menu and the nodes it replaces."""

    title: str
    replaced: list[NodeBase] = field(default_factory=list)


Fixer = Callable[[Project, Diagnostic], "QuickFix | None"]
FIXERS: dict[str, Fixer] = {}


def fixer(*codes: str):
    def register(fn: Fixer) -> Fixer:
        for code in codes:
            FIXERS[code] = fn
        return fn
    return register


def quick_fix(project: Project, diagnostic: Diagnostic) -> QuickFix | None:
    """The quick fix for ``diagnostic``, or None when there is no safe one (or it no longer applies)."""
    fn = FIXERS.get(diagnostic.code)
    if fn is None or not diagnostic.node_id or diagnostic.node_id not in project:
        return None
    try:
        return fn(project, diagnostic)
    except (EditError, KeyError, IndexError, TypeError, ValueError):
        return None  # the design changed under the diagnostic: no fix rather than a wrong one


def _vs(project: Project, diagnostic: Diagnostic) -> VirtualServiceNode | None:
    node = project.node(diagnostic.node_id)  # type: ignore[arg-type]
    return node if isinstance(node, VirtualServiceNode) else None


def _destination(vs: VirtualServiceNode, path: str) -> dict:
    parts = parse_path(path)
    index = parts.index("destination")
    return get_in(node_data(vs)["virtual_service"], parts[:index + 1])


def _mesh_service_for(project: Project, host: str, namespace: str) -> MeshServiceNode | None:
    fqdn = expand_host(host, namespace)
    return next((n for n in project.mesh_services() if n.fqdn == fqdn), None)


# ----- subsets -----------------------------------------------------------------------------------------------
@fixer("MD0404", "MD0405")
def add_subset(project: Project, diagnostic: Diagnostic) -> QuickFix | None:
    vs = _vs(project, diagnostic)
    if vs is None:
        return None
    dest = _destination(vs, diagnostic.path)
    subset, host = dest.get("subset"), dest.get("host", "")
    service = _mesh_service_for(project, host, vs.namespace)
    if not subset or service is None:
        return None
    data = node_data(service)
    if "destination_rule" not in data:
        data["destination_rule"] = {"metadata": {"name": service.name, "namespace": service.namespace},
                                    "spec": {"host": service.name}}
        title = f"Create a destination rule for {service.name} with subset {subset} (version: {subset})"
    else:
        title = f"Add subset {subset} (version: {subset}) to {service.destination_rule.name}"  # type: ignore
    subsets = data["destination_rule"].setdefault("spec", {}).setdefault("subsets", [])
    if any(s.get("name") == subset for s in subsets):
        return None
    subsets.append({"name": subset, "labels": {"version": subset}})
    return QuickFix(title, [rebuild(data)])


# ----- gateway hosts -----------------------------------------------------------------------------------------
@fixer("MD0410", "MD0512")
def add_host_to_gateway(project: Project, diagnostic: Diagnostic) -> QuickFix | None:
    vs = _vs(project, diagnostic)
    if vs is None:
        return None
    host = get_in(node_data(vs)["virtual_service"], parse_path(diagnostic.path))
    if not isinstance(host, str) or "." not in host or "*" in host:
        return None  # a short name is MD0505's business: the gateway would need the full name anyway
    for entry in vs.virtual_service.spec.gateways or []:
        ref = gateway_ref(entry, vs.namespace)
        if ref == "mesh":
            continue
        namespace, name = ref.split("/", 1)
        gw = next((g for g in project.gateways() if (g.namespace, g.name) == (namespace, name)), None)
        if gw is None or not gw.gateway.spec.servers:
            continue
        if any(host_matches(split_gateway_host(h)[1], host) for s in gw.gateway.spec.servers for h in s.hosts):
            continue
        data = node_data(gw)
        server = data["gateway"]["spec"]["servers"][0]
        server.setdefault("hosts", []).append(host)
        return QuickFix(f"Add {host} to gateway {gw.name}'s server on port {server['port']['number']}",
                        [rebuild(data)])
    return None


# ----- gateway Service ports ---------------------------------------------------------------------------------
@fixer("MD0701")
def set_target_port(project: Project, diagnostic: Diagnostic) -> QuickFix | None:
    gw = project.node(diagnostic.node_id)  # type: ignore[arg-type]
    if not isinstance(gw, GatewayNode):
        return None
    number = get_in(node_data(gw)["gateway"], parse_path(diagnostic.path))
    if not isinstance(number, int):
        return None
    holder: NodeBase | None = gw if gw.service is not None else None
    if holder is None:
        labels = gw.gateway.spec.selector or {}
        holder = next((s for s in sorted(project.mesh_services(), key=lambda n: n.id) if s.service.spec.selector
                       and all(labels.get(k) == v for k, v in s.service.spec.selector.items())), None)
    if holder is None:
        return None
    data = node_data(holder)
    ports = data["service"].setdefault("spec", {}).setdefault("ports", [])
    open_ports = [p for p in ports if "targetPort" not in p]
    name = data["service"]["metadata"]["name"]
    if len(open_ports) == 1:
        open_ports[0]["targetPort"] = number
        title = f"Set targetPort {number} on port {open_ports[0]['port']} of Service {name}"
    else:
        ports.append({"port": number, "name": f"port-{number}", "targetPort": number})
        title = f"Add port {number} (targetPort {number}) to Service {name}"
    return QuickFix(title, [rebuild(data)])


# ----- egress mesh hops --------------------------------------------------------------------------------------
def _with_mesh(gateways: list[str]) -> list[str]:
    return gateways if "mesh" in gateways else [*gateways, "mesh"]


@fixer("MD1102")
def route_on_mesh(project: Project, diagnostic: Diagnostic) -> QuickFix | None:
    vs = _vs(project, diagnostic)
    if vs is None:
        return None
    data = node_data(vs)
    spec = data["virtual_service"]["spec"]
    rule = get_in(spec, parse_path(diagnostic.path)[1:])
    if spec.get("gateways"):
        spec["gateways"] = _with_mesh(spec["gateways"])
    for match in rule.get("match") or []:
        if match.get("gateways"):
            match["gateways"] = ["mesh"]
    return QuickFix(f"Add the mesh hop: {vs.name} applies this rule to sidecars (gateways: mesh)",
                    [rebuild(data)])


def _gateway_service_host(project: Project, gw: GatewayNode) -> str | None:
    if gw.service is not None:
        return gw.service.fqdn
    labels = gw.gateway.spec.selector or {}
    for service in sorted(project.mesh_services(), key=lambda n: n.id):
        selector = service.service.spec.selector or {}
        if selector and all(labels.get(k) == v for k, v in selector.items()):
            return service.fqdn
    return None


@fixer("MD1103")
def add_mesh_hop(project: Project, diagnostic: Diagnostic) -> QuickFix | None:
    vs = _vs(project, diagnostic)
    if vs is None:
        return None
    data = node_data(vs)
    spec = data["virtual_service"]["spec"]
    parts = parse_path(diagnostic.path)
    section, index = str(parts[1]), int(parts[2])
    rule = spec[section][index]
    matches = rule.get("match") or [{}]
    egress = None
    for entry in [g for m in matches for g in m.get("gateways") or []] + list(spec.get("gateways") or []):
        ref = gateway_ref(entry, vs.namespace)
        egress = next((g for g in project.gateways() if g.kind == NodeKind.EGRESS_GATEWAY
                       and g.gateway.metadata.qualified == ref), None)
        if egress is not None:
            break
    host = _gateway_service_host(project, egress) if egress is not None else None
    if egress is None or host is None:
        return None
    port = matches[0].get("port") or next((s.port.number for s in egress.gateway.spec.servers or []), None)
    mesh_match: dict = {"gateways": ["mesh"]}
    if port:
        mesh_match["port"] = port
    if section == "tls":
        mesh_match["sniHosts"] = copy.deepcopy(matches[0].get("sniHosts") or spec.get("hosts") or [])
    destination: dict = {"host": host}
    if port:
        destination["port"] = {"number": port}
    spec[section].insert(index, {"match": [mesh_match], "route": [{"destination": destination}]})
    spec["gateways"] = _with_mesh(list(spec.get("gateways") or []))
    return QuickFix(f"Add the mesh hop: sidecars send {', '.join(spec.get('hosts') or [])} to {egress.name}",
                    [rebuild(data)])
