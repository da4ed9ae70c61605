"""Ports of Istio's gateway-binding analyzers that MD04xx did not cover (MD10xx).

MD1001 (IST0132): ``virtualservice/gateways.go``, ``GatewayAnalyzer.analyzeVirtualService`` reports, for a
gateway entry naming a Gateway absent from the input, both IST0101 (MD0401) and IST0132: with no gateway
there are no gateway hosts, so ``vsHostInGateway`` is false.
"""

from __future__ import annotations

from ...model.hosts import hosts_intersect
from ..catalogue import MessageType
from ..diagnostic import ERROR, WARNING
from ..messages import register
from ..registry import DESIGN, rule
from .binding import is_internal_gateway_reference

VS_HOSTS_NOT_IN_MISSING_GATEWAY = register(MessageType(
    "MD1001", "VirtualServiceHostNotFoundInMissingGateway", WARNING,
    template="one or more host {hosts} defined in VirtualService {vs} not found in Gateway {gateway}.",
    explain="The virtual service binds to a gateway that is not in the input, so none of its hosts is served "
            "by a server of that gateway (Istio reports IST0132 next to IST0101 for this entry, "
            "virtualservice/gateways.go GatewayAnalyzer). Add the gateway, fix the name, or declare the "
            "gateway as external (project setting external_resources, validate --external).",
    istio="IST0132"))


@rule("istio.vs_hosts_in_missing_gateway", codes=("MD1001",), kinds=("virtual-service",))
def vs_hosts_in_missing_gateway(ctx, node):
    vs = node.virtual_service
    for i, entry, exists in ctx.gateway_entries_in(node):
        if exists or is_internal_gateway_reference(entry) or ctx.is_external("Gateway", entry, vs.namespace):
            continue
        listeners = ctx.kubernetes_gateway(entry, vs.namespace)
        if listeners is None or not _in_kubernetes_gateway(listeners, vs.spec.hosts or []):
            hosts = "[" + " ".join(vs.spec.hosts or []) + "]"
            yield VS_HOSTS_NOT_IN_MISSING_GATEWAY.at(vs.ref, f"spec.gateways[{i}]", hosts=hosts,
                                                     vs=vs.metadata.qualified,
                                                     gateway=_full_name(entry, vs.namespace))


def _in_kubernetes_gateway(listener_hosts: list[str | None], vs_hosts: list[str]) -> bool:
    """vsHostInKubernetesGateway: a listener without hostname takes every host; else a hostname must match."""
    if any(not h for h in listener_hosts):
        return True
    return any(hosts_intersect(h, v) for h in listener_hosts for v in vs_hosts if h)


def _full_name(entry: str, namespace: str) -> str:
    """resource.NewShortOrFullName: 'ns/name' stays, a bare name gets the virtual service's namespace."""
    return entry if "/" in entry else f"{namespace}/{entry}"


JWT_CLAIM_ROUTE_WITHOUT_AUTHN = register(MessageType(
    "MD1012", "JwtClaimBasedRoutingWithoutRequestAuthN", ERROR,
    template="The virtual service uses the JWT claim based routing (key: {key}) but found no request "
             "authentication for the gateway ({gateway}) pod ({pod}). The request authentication must first be "
             "applied for the gateway pods to validate the JWT token and make the claims available for routing.",
    explain="Routing on '@request.auth.claims.*' needs a RequestAuthentication that applies to the gateway's "
            "pods (in istio-system or the pod's namespace, its selector matching the pod): without it the claims "
            "are never available and the match never holds (virtualservice/jwtclaimroute.go, IST0149). Checked "
            "only when the input holds the gateway's Pods.",
    istio="IST0149"))
CLAIM_PREFIX = "@request.auth.claims."


def _claim_key(vs) -> str | None:
    """routeBasedOnJWTClaimKey: the first headers / withoutHeaders key that is a JWT claim (jwt.ToRoutingClaim)."""
    for route in vs.spec.http or []:
        for match in route.match or []:
            for key in [*(match.headers or {}), *(match.without_headers or {})]:
                if key.startswith(CLAIM_PREFIX) and len(key) > len(CLAIM_PREFIX):
                    return key
    return None


def _request_authn_selectors(ctx) -> dict[str, list[dict[str, str]]]:
    """Namespace -> the matchLabels of its RequestAuthentications ({} selects every pod)."""
    out: dict[str, list[dict[str, str]]] = {}
    for policy in getattr(ctx.project, "policies", []) or []:
        if getattr(policy, "KIND", None) == "RequestAuthentication":
            selector = policy.spec.selector
            labels = dict(selector.match_labels or {}) if selector is not None else {}
            out.setdefault(policy.namespace, []).append(labels)
    return out


@rule("istio.jwt_claim_route_authn", codes=("MD1012",), scope=DESIGN)
def jwt_claim_route_authn(ctx):
    """JWTClaimRouteAnalyzer: each pod of each gateway a claim-routing virtual service binds to needs a
    RequestAuthentication (istio-system or the pod's namespace) whose selector matches it."""
    cluster = ctx.cluster
    if not cluster.has_pods:
        return
    authn = None
    for node in ctx.nodes_of_kind("virtual-service"):
        vs = node.virtual_service
        key = _claim_key(vs)
        if key is None:
            continue
        authn = authn if authn is not None else _request_authn_selectors(ctx)
        for entry in vs.spec.gateways or []:
            if entry == "mesh":
                continue
            gw = ctx.gateway(entry, vs.namespace)
            if gw is None:
                continue  # the gateway analyzer reports it
            for pod in cluster.pods_selected_by(gw.gateway.spec.selector or {}):
                selectors = authn.get("istio-system", []) + (authn.get(pod.namespace, [])
                                                             if pod.namespace != "istio-system" else [])
                if not any(all(pod.labels.get(k) == v for k, v in s.items()) for s in selectors):
                    yield JWT_CLAIM_ROUTE_WITHOUT_AUTHN.at(vs.ref, "spec.http", key=key,
                                                           gateway=_full_name(entry, vs.namespace), pod=pod.name)
