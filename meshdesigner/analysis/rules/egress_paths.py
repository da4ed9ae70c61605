"""Egress and editor checks (MD11xx): what a canvas could let through that Istio accepts and then does wrong.

* MD1101 plain HTTP routed to a TLS-only port of an external service with no TLS origination;
* MD1102 a route to an egress gateway that sidecars never take (the rule does not apply to ``mesh``);
* MD1103 an egress gateway routes a host that no mesh-bound rule sends to it (no mesh hop);
* MD1104 an HTTP route on a gateway whose servers for the host cannot carry HTTP (TCP, terminated TLS);
* MD1105 a Gateway's certificate given as a path on this machine (Istio mounts its own paths).
"""

from __future__ import annotations

from ...model.gateway import HTTP_PROTOCOLS, TLS_PROTOCOLS
from ...model.hosts import gateway_ref
from ...model.nodes import ExternalServiceNode, GatewayNode, MeshServiceNode, NodeKind
from ..catalogue import MessageType
from ..diagnostic import WARNING
from ..index import is_mesh_bound
from ..memo import fqdn_of
from ..messages import register
from ..registry import GATEWAY_KINDS, rule
from .binding import servers_for_host

VS = ("virtual-service",)
ORIGINATING_MODES = frozenset({"SIMPLE", "MUTUAL", "ISTIO_MUTUAL"})
# Where Istio's gateway pods have certificate files: mounted Secrets and the proxy image's own folders.
POD_PATH_PREFIXES = ("/etc/", "/var/run/secrets/", "/var/lib/istio/")

HTTP_TO_TLS_PORT = register(MessageType(
    "MD1101", "HttpToTlsPort", WARNING,
    template="plain HTTP is routed to {host} port {port}, which speaks {protocol}, and no DestinationRule "
             "originates TLS there",
    explain="""An http route makes Envoy send plain-text HTTP to the destination. The ServiceEntry declares this
    port as TLS/HTTPS, so the external server expects a TLS handshake and the request fails (a reset or a
    400). Either originate TLS for that port with a DestinationRule (trafficPolicy.portLevelSettings: port,
    tls.mode SIMPLE), as Istio's "Egress Gateways with TLS Origination" task does, or route TLS instead:
    a TLS server in PASSTHROUGH mode on the gateway and tls routes matched on sniHosts. Connecting the egress
    gateway to the external service on the canvas offers both.""",
    istio=None))
EGRESS_HOP_NOT_ON_MESH = register(MessageType(
    "MD1102", "EgressHopNotOnMesh", WARNING,
    template="this rule sends traffic to egress gateway {gateway}, but it does not apply to sidecars "
             "({reason})",
    explain="""The hop from the application to an egress gateway is taken by the sidecars, which only apply
    virtual services bound to 'mesh' (listed in gateways, or gateways left empty) and rules whose
    match.gateways is empty or lists 'mesh'. This rule routes to the egress gateway's Service but applies only
    to other gateways, so sidecars keep calling the external host directly. Add 'mesh' to the virtual
    service's gateways and restrict the rule with match.gateways: [mesh] (the quick fix "Add the mesh hop"
    does both).""",
    istio=None))
EGRESS_WITHOUT_MESH_HOP = register(MessageType(
    "MD1103", "EgressWithoutMeshHop", WARNING,
    template="egress gateway {gateway} routes {host}, but no mesh-bound virtual service sends {host} to it",
    explain="""An egress gateway only sees the traffic that sidecars send to it. No virtual service bound to
    'mesh' routes this host to the gateway's Service, so applications reach the host directly (or not at all
    under REGISTRY_ONLY) and this route is never used. Add a rule bound to 'mesh' (match.gateways: [mesh])
    that sends the host to the egress gateway's Service, as in Istio's egress gateway task.""",
    istio=None))
HTTP_ROUTE_ON_NON_HTTP_SERVER = register(MessageType(
    "MD1104", "HttpRouteOnNonHttpServer", WARNING,
    template="http rules for {host} on gateway {gateway}, whose server on port {port} is {protocol} and "
             "cannot carry HTTP routes",
    explain="""Istio applies http routes only on HTTP, HTTP2, GRPC servers and on HTTPS servers that
    terminate TLS. A TCP server, or a TLS server (even one terminating TLS), gets a TCP proxy filter chain
    from tcp/tls routes; the http rules are ignored there and connections are closed. Use an HTTP or HTTPS
    server for HTTP routing, or write tcp/tls routes for this server.""",
    istio=None))
LOCAL_CERTIFICATE_PATH = register(MessageType(
    "MD1105", "LocalCertificatePath", WARNING,
    template="{field} {file!r} is a path on this machine; the gateway pod reads files only from what is "
             "mounted in it",
    explain="""serverCertificate, privateKey and caCertificates name files inside the gateway's pod. A path on
    the machine where the design was made (a home folder, a project folder, a relative path) is exported
    unchanged and does not exist in the pod, so the listener is refused and the port stays closed. Put the
    certificate in a Kubernetes Secret and name it with tls.credentialName (`meshdesigner export
    --with-secrets` writes the Secret from a local folder, and `run-gateway --credentials DIR` reads
    DIR/<credentialName>/ for local trials), or mount it and use the pod's path (/etc/...).""",
    istio=None))


# ----- MD1101 ----------------------------------------------------------------------------------------------
def _originates_tls(ctx, ext: ExternalServiceNode, host_fqdn: str, port: int, subset: str | None) -> bool:
    rules = [ext.destination_rule] if ext.destination_rule is not None else []
    for node in ctx.destination_rules(host_fqdn):
        dr = getattr(node, "destination_rule", None)
        if dr is not None and dr not in rules:
            rules.append(dr)
    for dr in rules:
        tls = dr.spec.tls_for(port, subset)
        if tls is not None and (tls.mode or "").upper() in ORIGINATING_MODES:
            return True
    return False


@rule("egress.http_to_tls_port", codes=("MD1101",), kinds=VS)
def http_to_tls_port(ctx, node):
    vs = node.virtual_service
    ns = vs.namespace
    for i, route in enumerate(vs.spec.http or []):
        for j, dest in enumerate(route.route or []):
            target = ctx.destination(dest.destination.host, ns)
            if not isinstance(target, ExternalServiceNode):
                continue
            ports = target.service_entry.spec.ports or []
            number = dest.destination.port.number if dest.destination.port else None
            if number is None and len(ports) == 1:
                number = ports[0].number
            port = next((p for p in ports if p.number == number), None)
            if port is None or (port.protocol or "").upper() not in TLS_PROTOCOLS:
                continue
            fqdn = fqdn_of(dest.destination.host, ns)
            if _originates_tls(ctx, target, fqdn, port.number, dest.destination.subset):
                continue
            yield HTTP_TO_TLS_PORT.at(vs.ref, f"spec.http[{i}].route[{j}].destination", host=dest.destination.host,
                                      port=port.number, protocol=port.protocol)


# ----- MD1102 / MD1103 -------------------------------------------------------------------------------------
def _egress_gateway_behind(ctx, host: str, namespace: str) -> GatewayNode | None:
    """The egress gateway a destination host reaches: its own Service, or a mesh Service fronting it."""
    return ctx.derived(("egress-gateway-behind", host, namespace),
                       lambda: _find_egress_gateway_behind(ctx, host, namespace))


def _find_egress_gateway_behind(ctx, host: str, namespace: str) -> GatewayNode | None:
    target = ctx.destination(host, namespace)
    if isinstance(target, GatewayNode):
        return target if target.kind == NodeKind.EGRESS_GATEWAY else None
    if isinstance(target, MeshServiceNode) and target.service.spec.selector:
        for gw in ctx.gateways_selecting_like(target.service.spec.selector):
            if gw.kind == NodeKind.EGRESS_GATEWAY:
                return gw
    return None


def _mesh_reason(route_matches, vs_gateways) -> str | None:
    """Why a rule does not apply to sidecars, or None when it does."""
    if not is_mesh_bound(vs_gateways):
        return "the virtual service's gateways do not include mesh"
    if route_matches and all(m.gateways and "mesh" not in m.gateways for m in route_matches):
        return "its match.gateways do not include mesh"
    return None


@rule("egress.hop_not_on_mesh", codes=("MD1102",), kinds=VS)
def hop_not_on_mesh(ctx, node):
    vs = node.virtual_service
    spec = vs.spec
    for section in ("http", "tls", "tcp"):
        for i, route in enumerate(getattr(spec, section) or []):
            reason = _mesh_reason(route.match, spec.gateways)
            if reason is None:
                continue
            for dest in route.route or []:
                gw = _egress_gateway_behind(ctx, dest.destination.host, vs.namespace)
                if gw is not None:
                    yield EGRESS_HOP_NOT_ON_MESH.at(vs.ref, f"spec.{section}[{i}]",
                                                    gateway=gw.gateway.metadata.qualified, reason=reason)
                    break


def _applies_on(route_matches, qualified_gateway: str, namespace: str) -> bool:
    if not route_matches:
        return True
    return any(not m.gateways or any(gateway_ref(g, namespace) == qualified_gateway for g in m.gateways)
               for m in route_matches)


def _has_mesh_hop(ctx, host_fqdn: str, gateway: GatewayNode) -> bool:
    for other in ctx.mesh_virtual_services(host_fqdn):
        o = other.virtual_service
        for section in ("http", "tls", "tcp"):
            for route in getattr(o.spec, section) or []:
                if _mesh_reason(route.match, o.spec.gateways) is not None:
                    continue
                if any(_egress_gateway_behind(ctx, d.destination.host, o.namespace) is gateway
                       for d in route.route or []):
                    return True
    return False


@rule("egress.without_mesh_hop", codes=("MD1103",), kinds=VS)
def without_mesh_hop(ctx, node):
    vs = node.virtual_service
    ns = vs.namespace
    for _i, _entry, gw in ctx.gateways_named_in(node):
        if gw is None or gw.kind != NodeKind.EGRESS_GATEWAY:
            continue
        qualified = gw.gateway.metadata.qualified
        for section in ("http", "tls", "tcp"):
            for i, route in enumerate(getattr(vs.spec, section) or []):
                if not _applies_on(route.match, qualified, ns):
                    continue
                for dest in route.route or []:
                    if not isinstance(ctx.destination(dest.destination.host, ns), ExternalServiceNode):
                        continue
                    fqdn = fqdn_of(dest.destination.host, ns)
                    if not _has_mesh_hop(ctx, fqdn, gw):
                        yield EGRESS_WITHOUT_MESH_HOP.at(vs.ref, f"spec.{section}[{i}]", gateway=qualified,
                                                         host=dest.destination.host)
                        break


# ----- MD1104 ----------------------------------------------------------------------------------------------
def _carries_http(server) -> bool:
    """Istio builds an HTTP connection manager only for HTTP-family ports and for HTTPS servers that terminate
    TLS; everything else gets a TCP proxy chain (pilot/pkg/networking/core/gateway.go,
    buildGatewayTCPBasedFilterChains: ``p.IsHTTP()`` else ``gateway.IsHTTPSServerWithTLSTermination``)."""
    return server.protocol in HTTP_PROTOCOLS or (server.protocol == "HTTPS" and server.terminates_tls)


@rule("egress.http_route_on_non_http_server", codes=("MD1104",), kinds=VS)
def http_route_on_non_http_server(ctx, node):
    vs = node.virtual_service
    ns = vs.namespace
    for _i, _entry, gw in ctx.gateways_named_in(node):
        if gw is None:
            continue
        qualified = gw.gateway.metadata.qualified
        if not any(_applies_on(r.match, qualified, ns) for r in vs.spec.http or []):
            continue
        for j, host in enumerate(vs.spec.hosts or []):
            servers = [s for _, s in servers_for_host(gw, fqdn_of(host, ns), ns)]
            if not servers or any(_carries_http(s) for s in servers):
                continue
            if all(s.is_passthrough for s in servers):
                continue  # MD0503 (IST0132's passthrough case) says it already
            server = next(s for s in servers if not s.is_passthrough)
            yield HTTP_ROUTE_ON_NON_HTTP_SERVER.at(vs.ref, f"spec.hosts[{j}]", host=host, gateway=qualified,
                                                   port=server.port.number, protocol=server.protocol)


# ----- MD1105 ----------------------------------------------------------------------------------------------
CERTIFICATE_FIELDS = (("server_certificate", "serverCertificate"), ("private_key", "privateKey"),
                      ("ca_certificates", "caCertificates"))


def is_local_path(path: str) -> bool:
    """A path that is not inside a gateway pod (relative, a home or project folder, a drive letter)."""
    return not path.startswith(POD_PATH_PREFIXES)


@rule("egress.local_certificate_path", codes=("MD1105",), kinds=GATEWAY_KINDS)
def local_certificate_path(ctx, node):
    gw = node.gateway
    for i, server in enumerate(gw.spec.servers or []):
        if server.tls is None:
            continue
        for attr, name in CERTIFICATE_FIELDS:
            value = getattr(server.tls, attr)
            if value and is_local_path(value):
                yield LOCAL_CERTIFICATE_PATH.at(gw.ref, f"spec.servers[{i}].tls.{name}", field=name, file=value)
