"""Requests that start in the mesh: from a sidecar in a namespace, through mesh-bound VirtualServices, on to
an egress gateway and the external service behind it.

:func:`simulate_request(project, entry, request, options) -> SimulationResult` is the entry point for any
caller: ``entry`` is a gateway (node, ``ns/name`` or unique name) or :class:`FromMesh` (``"mesh:NS"``
works too). A mesh request follows the sidecar's outbound routes (:func:`meshdesigner.compile.compile_sidecar`);
when they send it to a gateway's Service (an egress gateway), the simulation goes on in that gateway's
workload with the request as the sidecar forwards it (host, path and headers after its rewrites; over
mutual TLS when the DestinationRule for the gateway asks for ISTIO_MUTUAL, with the SNI it names). The
result is the last hop's, with every hop in ``hops``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..compile import compile_sidecar
from ..model.nodes import GatewayNode, MeshServiceNode
from ..model.references import ReferenceIndex
from .simulate import (
    STEPS,
    CompiledWorkload,
    Request,
    SimulateOptions,
    SimulationContext,
    SimulationResult,
    parse_url,
    simulate,
)
from .simulate_steps import DEFAULT_PORTS

MAX_HOPS = 4


@dataclass(frozen=True)
class FromMesh:
    """A request sent by a workload's sidecar in ``namespace``."""

    namespace: str = "default"

    @classmethod
    def parse(cls, entry) -> FromMesh | None:
        if isinstance(entry, FromMesh):
            return entry
        if isinstance(entry, str) and entry.startswith("mesh:"):
            return cls(entry.partition(":")[2] or "default")
        return None


def simulate_request(project, entry, request: Request, options: SimulateOptions | None = None) -> SimulationResult:
    """Follow ``request`` from ``entry`` (a gateway, or :class:`FromMesh`) to where it ends."""
    options = options or SimulateOptions()
    mesh = FromMesh.parse(entry)
    if mesh is None:
        return simulate(project, entry, request, options)
    return _from_mesh(project, mesh, request, options)


def _from_mesh(project, mesh: FromMesh, request: Request, options: SimulateOptions) -> SimulationResult:
    parts = parse_url(request.url)
    port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 80)
    tls = parts.scheme.lower() in ("https", "tls")    # the application's own TLS: routed by SNI, passed through
    plan = compile_sidecar(project, mesh.namespace, port, options.compile_options(project), tls)
    ctx = SimulationContext(CompiledWorkload(plan), request, plan.gateway)
    ctx.options = options
    ctx.result.gateway = f"mesh:{mesh.namespace}"
    ctx.result.workload = {"labels": {}, "gateways": [], "sidecar_namespace": mesh.namespace}
    for _name, step in list(STEPS):  # the policy steps read ctx.project: a sidecar hop has none here
        if step(ctx) is not None:
            break
    first = ctx.result
    if first.outcome in ("no_virtual_host", "no_listener", "tls_no_match"):
        first.outcome, first.status = "passthrough", None
        first.explanation.append("Istio's default outboundTrafficPolicy ALLOW_ANY sends a request for a host no "
                                 "virtual host serves to the PassthroughCluster: straight to the address the "
                                 "client resolved, unchanged.")
    hops = [first]
    current = first
    index = ReferenceIndex(project)
    while current.outcome == "routed" and len(current.destinations) == 1 and len(hops) < MAX_HOPS:
        dest = current.destinations[0]
        target = gateway_behind(project, index, dest["host"], mesh.namespace)
        if target is None:
            break
        current = _gateway_hop(project, target, current, dest, request.method, options)
        hops.append(current)
    final = hops[-1]
    final.hops = [h.to_dict() | {"hops": []} for h in hops]
    return final


def gateway_behind(project, index: ReferenceIndex, host: str, namespace: str) -> GatewayNode | None:
    """The gateway whose pods a destination host reaches: the gateway's own Service, a Service whose selector
    picks the gateway's pods, else Istio's installation convention (Service ``istio-egressgateway`` selects
    ``istio: egressgateway``; Gateways select pods in every namespace)."""
    target = index.destination(host, namespace)
    if isinstance(target, GatewayNode):
        return target
    if isinstance(target, MeshServiceNode) and target.service.spec.selector:
        fronted = index.fronted_gateways(target)
        return sorted(fronted, key=lambda g: (g.gateway.name, g.gateway.namespace))[0] if fronted else None
    name, _, rest = host.partition(".")
    if not rest.endswith("svc.cluster.local"):
        return None
    label = name.removeprefix("istio-")
    candidates = [g for g in project.gateways() if label in (g.gateway.spec.selector or {}).values()]
    return sorted(candidates, key=lambda g: (g.gateway.name, g.gateway.namespace))[0] if candidates else None


def _gateway_hop(project, gateway: GatewayNode, previous: SimulationResult, dest: dict, method: str,
                 options: SimulateOptions) -> SimulationResult:
    """The request as the sidecar (or gateway) forwards it, arriving at a gateway's workload."""
    if previous.section in ("tls", "tcp"):
        sni = (previous.tls or {}).get("sni")
        request = Request(f"tls://{sni}:{dest['port']}", sni=sni, mesh_identity=True)
        result = simulate(project, gateway, request, options)
        result.explanation.insert(0, f"The sidecar passes the TLS stream (SNI {sni}) to gateway "
                                     f"{gateway.gateway.metadata.qualified} on port {dest['port']}.")
        return result
    upstream = previous.upstream or {}
    authority = upstream.get("authority", "")
    host = authority.rpartition(":")[0] if authority.count(":") == 1 else authority
    tls = previous.upstream_tls or {}
    scheme = "https" if tls.get("mode") == "ISTIO_MUTUAL" else "http"
    path = upstream.get("path", "/")
    headers = {k: v for k, v in (upstream.get("headers") or {}).items() if k != "x-forwarded-proto"}
    headers["host"] = authority                   # the Host the sidecar sends, not the gateway's port
    request = Request(f"{scheme}://{host}:{dest['port']}{path}", method, headers,
                      sni=tls.get("sni"), mesh_identity=True)
    result = simulate(project, gateway, request, options)
    how = "mutual TLS with its Istio identity" if scheme == "https" else "plain text"
    result.explanation.insert(0, f"The sidecar forwards the request to gateway {gateway.gateway.metadata.qualified} "
                                 f"on port {dest['port']} ({how}).")
    return result


__all__ = ["FromMesh", "simulate_request"]
