"""Egress by construction: what connecting mesh traffic to an external service through an egress gateway
creates, as model edits (Qt-free; the dialog in :mod:`.egress_dialog` shows it, the document applies it as
one undo step).

The shapes are those of Istio's egress tasks (istio.io, "Egress Gateways" and "Egress Gateways with TLS
Origination"; the manifests are in the oracle's ``istio-samples/docs-egress-*.yaml``):

* **passthrough** — the application speaks TLS itself. The gateway gets a ``TLS`` server on the external TLS
  port with ``tls.mode: PASSTHROUGH`` for the host; one virtual service, bound to ``mesh`` and the gateway,
  has two ``tls`` rules matched on ``sniHosts``: ``match.gateways: [mesh]`` sends the connection to the
  gateway's Service, ``match.gateways: [<gateway>]`` sends it on to the external host.
* **origination** — the application sends plain HTTP (the ServiceEntry gets an HTTP port, 80); the gateway
  has an ``HTTP`` server on 80 for the host; the ``http`` rules take the same two hops, the second to the
  external TLS port; a DestinationRule for the external host originates TLS on that port (``SIMPLE``, SNI the
  host).
* **http** — an external service with only plain HTTP ports: the same two ``http`` hops, no TLS.

The egress gateway's own Service is the one Istio's installation created (``istio-system/
istio-egressgateway``, ports 80→8080 and 443→8443); it is drawn and routed to, not exported (see
:attr:`~meshdesigner.model.nodes.GatewayNode.exports_service`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model import (
    ExternalServiceNode,
    GatewayNode,
    NodeBase,
    NodeKind,
    Project,
    VirtualServiceNode,
    host_matches,
)
from ..model.gateway import HTTP_PROTOCOLS, TLS_PROTOCOLS
from .edits import node_data, rebuild

PASSTHROUGH, ORIGINATION, PLAIN_HTTP = "passthrough", "origination", "http"
MODE_TITLES = {
    PASSTHROUGH: "TLS passthrough — the application speaks TLS; the gateway forwards it by SNI",
    ORIGINATION: "TLS origination — the application sends plain HTTP; the gateway opens TLS to the service",
    PLAIN_HTTP: "Plain HTTP — the service has no TLS port; the gateway forwards HTTP",
}
# Istio's installed egress gateway Service (manifests/charts/gateways/istio-egress values): port -> targetPort.
ISTIO_EGRESS_SERVICE = ("istio-egressgateway", "istio-system")
ISTIO_EGRESS_TARGET_PORTS = {80: 8080, 443: 8443}
APP_HTTP_PORT = 80


class EgressError(ValueError):
    """The egress path cannot be built as asked; the message says why."""


@dataclass
class EgressPlan:
    """What applying the egress path changes: readable lines for the dialog, and the nodes."""

    mode: str
    gateway_id: str
    external_id: str
    host: str
    lines: list[str] = field(default_factory=list)
    replaced: list[NodeBase] = field(default_factory=list)
    added: list[NodeBase] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"Send mesh traffic for {self.host} through the egress gateway"


def _ports(ext: ExternalServiceNode) -> tuple[int | None, int | None]:
    """``(first TLS/HTTPS port, first HTTP port)`` of the service entry."""
    tls_port = http_port = None
    for port in ext.service_entry.spec.ports or []:
        protocol = (port.protocol or "").upper()
        if protocol in TLS_PROTOCOLS and tls_port is None:
            tls_port = port.number
        elif protocol in HTTP_PROTOCOLS and http_port is None:
            http_port = port.number
    return tls_port, http_port


def modes_for(ext: ExternalServiceNode) -> list[str]:
    """The egress shapes that fit this external service, the default first (chosen by its ports' protocols)."""
    tls_port, http_port = _ports(ext)
    if tls_port is not None and http_port is not None:
        return [ORIGINATION, PASSTHROUGH]
    if tls_port is not None:
        return [PASSTHROUGH, ORIGINATION]
    return [PLAIN_HTTP]


def is_egress_connection(project: Project, source_id: str, target_id: str) -> tuple[str, str] | None:
    """``(gateway id, external id)`` when dragging ``source`` to ``target`` means "egress through a gateway":
    an egress gateway onto an external service, or a virtual service for an external host onto an egress
    gateway."""
    source, target = project.node(source_id), project.node(target_id)
    if source.kind == NodeKind.EGRESS_GATEWAY and isinstance(target, ExternalServiceNode):
        return source.id, target.id
    if isinstance(source, VirtualServiceNode) and target.kind == NodeKind.EGRESS_GATEWAY:
        ext = _external_for_hosts(project, source.virtual_service.spec.hosts or [])
        if ext is not None:
            return target.id, ext.id
    return None


def _external_for_hosts(project: Project, hosts: list[str]) -> ExternalServiceNode | None:
    for ext in sorted(project.external_services(), key=lambda n: n.id):
        if any(h in (ext.service_entry.spec.hosts or []) for h in hosts):
            return ext
    return None


def _unique_port_name(servers: list[dict], base: str) -> str:
    taken = {s.get("port", {}).get("name") for s in servers}
    name, i = base, 2
    while name in taken:
        name, i = f"{base}-{i}", i + 1
    return name


def _with_server(gw: GatewayNode, host: str, number: int, protocol: str, tls: dict | None,
                 lines: list[str]) -> NodeBase | None:
    """The gateway with a server carrying ``host`` on ``number``/``protocol`` (None when it has one)."""
    data = node_data(gw)
    servers = data["gateway"].setdefault("spec", {}).setdefault("servers", [])
    for server in servers:
        port = server.get("port", {})
        if port.get("number") != number:
            continue
        if str(port.get("protocol", "")).upper() != protocol:
            raise EgressError(f"gateway {gw.name} already has a {port.get('protocol')} server on port {number}; "
                              f"this path needs {protocol} there")
        if (server.get("tls") or {}).get("mode", "PASSTHROUGH" if protocol == "TLS" else None) != (
                (tls or {}).get("mode")):
            raise EgressError(f"gateway {gw.name}'s {protocol} server on port {number} has another TLS mode")
        if any(host_matches(entry.split("/")[-1], host) for entry in server.get("hosts", [])):
            return None
        server.setdefault("hosts", []).append(host)
        lines.append(f"Gateway {gw.name}: add host {host} to the {protocol} server on port {number}")
        return rebuild(data)
    new: dict = {"port": {"number": number, "protocol": protocol,
                          "name": _unique_port_name(servers, protocol.lower())}, "hosts": [host]}
    if tls:
        new["tls"] = dict(tls)
    servers.append(new)
    mode = f" ({tls['mode']})" if tls else ""
    lines.append(f"Gateway {gw.name}: new {protocol} server on port {number}{mode} for {host}")
    return rebuild(data)


def _with_service_port(gw: GatewayNode, number: int, lines: list[str]) -> GatewayNode:
    """The gateway with its Service (Istio's installed one when it has none) exposing ``number``."""
    data = node_data(gw)
    if "service" not in data:
        name, namespace = ISTIO_EGRESS_SERVICE
        data["service"] = {"metadata": {"name": name, "namespace": namespace},
                           "spec": {"selector": dict(gw.gateway.spec.selector or {"istio": "egressgateway"}),
                                    "ports": [{"port": 80, "name": "http2", "targetPort": 8080},
                                              {"port": 443, "name": "https", "targetPort": 8443}]}}
        lines.append(f"Gateway {gw.name}: its Service is Istio's {namespace}/{name} (drawn, not exported)")
    ports = data["service"].setdefault("spec", {}).setdefault("ports", [])
    if not any(p.get("port") == number for p in ports):
        target = ISTIO_EGRESS_TARGET_PORTS.get(number, number)
        ports.append({"port": number, "name": "https" if number == 443 else f"port-{number}", "targetPort": target})
        lines.append(f"Gateway {gw.name}'s Service: add port {number} (targetPort {target})")
    node = rebuild(data)
    assert isinstance(node, GatewayNode)
    return node


def _gateway_entry(gw: GatewayNode, vs_namespace: str) -> str:
    return gw.name if gw.namespace == vs_namespace else f"{gw.namespace}/{gw.name}"


def _hop_rules(mode: str, host: str, gw_entry: str, gw_host: str, app_port: int, gw_port: int,
               ext_port: int) -> tuple[str, list[dict]]:
    """The section (``tls`` or ``http``) and its two rules: sidecars to the gateway, the gateway onwards."""
    mesh_match: dict = {"gateways": ["mesh"], "port": app_port}
    gw_match: dict = {"gateways": [gw_entry], "port": gw_port}
    if mode == PASSTHROUGH:
        mesh_match["sniHosts"] = [host]
        gw_match["sniHosts"] = [host]
    section = "tls" if mode == PASSTHROUGH else "http"
    return section, [
        {"match": [mesh_match], "route": [{"destination": {"host": gw_host, "port": {"number": gw_port}}}]},
        {"match": [gw_match], "route": [{"destination": {"host": host, "port": {"number": ext_port}},
                                         "weight": 100}]},
    ]


def _same_rule(a: dict, b: dict) -> bool:
    return a.get("match") == b.get("match") and [r["destination"] for r in a.get("route", [])] == [
        r["destination"] for r in b.get("route", [])]


def plan_egress(project: Project, gateway_id: str, external_id: str, mode: str | None = None,
                virtual_service_id: str | None = None) -> EgressPlan:
    """The edits that send mesh traffic for the external service's first host through the egress gateway.

    ``mode`` defaults to the first of :func:`modes_for`; ``virtual_service_id`` names the virtual service to
    carry the two hops (default: the one whose hosts hold the external host, else a new one).
    """
    gw, ext = project.node(gateway_id), project.node(external_id)
    if not isinstance(gw, GatewayNode) or gw.kind != NodeKind.EGRESS_GATEWAY:
        raise EgressError(f"{gw.name} is not an egress gateway")
    if not isinstance(ext, ExternalServiceNode):
        raise EgressError(f"{ext.name} is not an external service")
    hosts = ext.service_entry.spec.hosts or []
    if not hosts or hosts[0].startswith("*"):
        raise EgressError(f"{ext.name} needs a host name (not a wildcard) to route through a gateway")
    host = hosts[0]
    mode = mode or modes_for(ext)[0]
    if mode not in modes_for(ext):
        raise EgressError(f"{ext.name} has no port for {mode}")
    plan = EgressPlan(mode, gw.id, ext.id, host)
    lines = plan.lines
    tls_port, http_port = _ports(ext)

    # The external service: origination needs a plain-HTTP port for the application to call.
    ext_data = node_data(ext)
    if mode == ORIGINATION and http_port is None:
        if any(p.number == APP_HTTP_PORT for p in ext.service_entry.spec.ports or []):
            raise EgressError(f"{ext.name} uses port {APP_HTTP_PORT} for another protocol")
        ext_data["service_entry"]["spec"]["ports"].append(
            {"number": APP_HTTP_PORT, "name": "http", "protocol": "HTTP"})
        http_port = APP_HTTP_PORT
        lines.append(f"ServiceEntry {ext.name}: new HTTP port {APP_HTTP_PORT} for the application to call")
    if mode == ORIGINATION:
        assert tls_port is not None
        _originate_tls(ext, ext_data, host, tls_port, lines)
    ext_changed = rebuild(ext_data)

    if mode == PASSTHROUGH:
        assert tls_port is not None
        app_port = gw_port = ext_port = tls_port
        server = ("TLS", {"mode": "PASSTHROUGH"})
    else:
        assert http_port is not None
        app_port, gw_port = http_port, APP_HTTP_PORT
        ext_port = tls_port if mode == ORIGINATION and tls_port is not None else http_port
        server = ("HTTP", None)

    gw_served = _with_server(gw, host, gw_port, server[0], server[1], lines) or gw
    assert isinstance(gw_served, GatewayNode)
    gw_new = _with_service_port(gw_served, gw_port, lines)
    assert gw_new.service is not None

    vs = _virtual_service(project, ext, host, virtual_service_id)
    vs_data = node_data(vs) if vs is not None else None
    if vs_data is None:
        name = f"{ext.name}-via-{gw.name}"
        taken = {(n.namespace, n.name) for n in project.virtual_services()}
        base, i = name, 2
        while (ext.namespace, name) in taken:
            name, i = f"{base}-{i}", i + 1
        x, y = (gw.position[0] + ext.position[0]) / 2, max(gw.position[1], ext.position[1]) + 160
        vs_data = {"id": project.new_id(NodeKind.VIRTUAL_SERVICE, ext.namespace, name),
                   "kind": str(NodeKind.VIRTUAL_SERVICE), "position": [x, y],
                   "virtual_service": {"metadata": {"name": name, "namespace": ext.namespace},
                                       "spec": {"hosts": [host]}}}
        lines.append(f"VirtualService {name} (new): hosts {host}")
    vs_ns = vs_data["virtual_service"]["metadata"].get("namespace", "default")
    vs_name = vs_data["virtual_service"]["metadata"]["name"]
    spec = vs_data["virtual_service"].setdefault("spec", {})
    entry = _gateway_entry(gw, vs_ns)
    gateways = spec.setdefault("gateways", [])
    for wanted in ("mesh", entry):
        if wanted not in gateways:
            gateways.append(wanted)
            lines.append(f"VirtualService {vs_name}: bind to {wanted}"
                         + (" (sidecars take the first hop)" if wanted == "mesh" else ""))
    section, rules = _hop_rules(mode, host, entry, gw_new.service.fqdn, app_port, gw_port, ext_port)
    existing = spec.setdefault(section, [])
    hop_names = ("sidecars → gateway", "gateway → " + host)
    for rule, hop in zip(rules, hop_names, strict=True):
        if not any(_same_rule(rule, r) for r in existing):
            existing.append(rule)
            lines.append(f"VirtualService {vs_name}: {section} rule {hop} on port "
                         f"{rule['match'][0]['port']} (match.gateways {rule['match'][0]['gateways'][0]})")
    vs_new = rebuild(vs_data)

    if not gw_new.exports_service:
        service = gw_new.service
        lines.append(f"Not exported: Service {service.namespace}/{service.name}, the one Istio installed "
                     "(routed to, drawn on the gateway)")
    for old, new in ((gw, gw_new), (ext, ext_changed)):
        if new != old:
            plan.replaced.append(new)
    if vs is None:
        plan.added.append(vs_new)
    elif vs_new != vs:
        plan.replaced.append(vs_new)
    return plan


def _virtual_service(project: Project, ext: ExternalServiceNode, host: str,
                     virtual_service_id: str | None) -> VirtualServiceNode | None:
    if virtual_service_id is not None:
        node = project.node(virtual_service_id)
        if not isinstance(node, VirtualServiceNode):
            raise EgressError(f"{node.name} is not a virtual service")
        return node
    for vs in sorted(project.virtual_services(), key=lambda n: n.id):
        if host in (vs.virtual_service.spec.hosts or []):
            return vs
    return None


def _originate_tls(ext: ExternalServiceNode, data: dict, host: str, port: int, lines: list[str]) -> None:
    """A DestinationRule for the external host that originates TLS (SIMPLE, SNI the host) on ``port``."""
    setting = {"port": {"number": port}, "tls": {"mode": "SIMPLE", "sni": host}}
    if ext.destination_rule is None:
        name = f"originate-tls-for-{ext.name}"
        data["destination_rule"] = {"metadata": {"name": name, "namespace": ext.namespace},
                                    "spec": {"host": host, "trafficPolicy": {"portLevelSettings": [setting]}}}
        lines.append(f"DestinationRule {name} (new): originate TLS (SIMPLE, SNI {host}) on port {port}")
        return
    if ext.destination_rule.spec.tls_for(port) is not None:
        return
    policy = data["destination_rule"].setdefault("spec", {}).setdefault("trafficPolicy", {})
    policy.setdefault("portLevelSettings", []).append(setting)
    lines.append(f"DestinationRule {ext.destination_rule.name}: originate TLS (SIMPLE, SNI {host}) on port {port}")
