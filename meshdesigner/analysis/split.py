"""Traffic splits: the configured weights of a rule, and what N simulated requests actually do.

``send_requests`` runs the request simulator N times and picks one of the destinations it reports
for each request with a seeded random generator, weighted as Envoy's weighted clusters are; the
same seed gives the same counts. Qt-free (the chart lives in ``meshdesigner.gui.flow``).
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from ..model import GatewayNode, NodeKind, Project, VirtualServiceNode
from ..model.hosts import gateway_ref
from .flow import route_shares
from .simulate import Request, simulate


@dataclass(frozen=True)
class WeightedRule:
    """A rule with several destinations: ``shares`` maps a destination label to its configured percent."""

    vs_node_id: str
    virtual_service: str      # namespace/name
    section: str
    index: int
    name: str | None
    shares: dict[str, float]

    @property
    def title(self) -> str:
        return f"{self.virtual_service} rule {self.index + 1}" + (f" \"{self.name}\"" if self.name else "")


def destination_label(host: str, subset: str | None) -> str:
    """``productpage v1``: the short host and the subset, as the chart's axis shows them."""
    short = host.split(".")[0] if host.endswith(".svc.cluster.local") or "." not in host else host
    return f"{short} {subset}" if subset else short


def weighted_rules(project: Project) -> list[WeightedRule]:
    """Every rule that splits traffic over several destinations, in a stable order."""
    out = []
    for node in sorted(project.virtual_services(), key=lambda n: n.id):
        vs = node.virtual_service
        for section in ("http", "tls", "tcp"):
            for i, rule in enumerate(getattr(vs.spec, section) or []):
                routes = rule.route or []
                if len(routes) < 2:
                    continue
                shares: dict[str, float] = {}
                for dest, share in zip(routes, route_shares([d.weight for d in routes]), strict=True):
                    label = destination_label(dest.destination.host, dest.destination.subset)
                    shares[label] = shares.get(label, 0.0) + share
                out.append(WeightedRule(node.id, vs.metadata.qualified, section, i, getattr(rule, "name", None),
                                        shares))
    return out


def sample_request(project: Project, rule: WeightedRule) -> tuple[str, Request] | None:
    """A gateway and a request that reaches ``rule`` (built from its first match), or None when the rule
    only serves the mesh's own workloads (the simulator follows gateway traffic)."""
    node = project.node(rule.vs_node_id)
    assert isinstance(node, VirtualServiceNode)
    vs = node.virtual_service
    gateways = [g for g in project.gateways()
                if g.gateway.metadata.qualified in {gateway_ref(e, vs.namespace) for e in vs.spec.gateways or []}]
    rule_obj = (getattr(vs.spec, rule.section) or [])[rule.index]
    match = (rule_obj.match or [None])[0]
    if match is not None and getattr(match, "gateways", None):
        named = {gateway_ref(g, vs.namespace) for g in match.gateways}
        gateways = [g for g in gateways if g.gateway.metadata.qualified in named]
    gateways.sort(key=lambda g: (g.kind != NodeKind.INGRESS_GATEWAY, g.id))
    if not gateways:
        return None
    gw = gateways[0]
    host = next((h for h in vs.spec.hosts or [] if "*" not in h), None) or "example.com"
    host = host.replace("*", "www")
    if rule.section == "http":
        return gw.gateway.metadata.qualified, _http_request(gw, host, match)
    port = (getattr(match, "port", None) if match is not None else None) or _first_port(gw, rule.section)
    if rule.section == "tls":
        sni = next((h for h in (match.sni_hosts or []) if "*" not in h), host) if match is not None else host
        return gw.gateway.metadata.qualified, Request(f"tls://{sni}:{port}", sni=sni)
    return gw.gateway.metadata.qualified, Request(f"tcp://{host}:{port}")


def _first_port(gw: GatewayNode, section: str) -> int:
    wanted = {"tls": ("TLS", "HTTPS"), "tcp": ("TCP", "TLS", "MONGO", "REDIS", "MYSQL")}[section]
    return next((s.port.number for s in gw.gateway.spec.servers or [] if s.protocol in wanted), 443)


def _http_request(gw: GatewayNode, host: str, match) -> Request:
    servers = gw.gateway.spec.servers or []
    https = next((s for s in servers if s.protocol == "HTTPS" and s.terminates_tls), None)
    plain = next((s for s in servers if s.protocol in ("HTTP", "HTTP2", "GRPC")
                  and not (s.tls and s.tls.https_redirect)), None)
    server = plain or https or (servers[0] if servers else None)
    scheme = "https" if server is https and https is not None else "http"
    port = server.port.number if server is not None else 80
    path, headers, method = "/", {}, "GET"
    if match is not None:
        if match.uri is not None and match.uri.kind in ("exact", "prefix"):
            path = match.uri.value or "/"
        for name, m in (match.headers or {}).items():
            if m.kind in ("exact", "prefix"):
                headers[name] = m.value
            elif m.kind is None:
                headers[name] = "1"
        if match.method is not None and match.method.kind == "exact":
            method = match.method.exact
    default = {"http": 80, "https": 443}[scheme]
    netloc = host if port == default else f"{host}:{port}"
    return Request(f"{scheme}://{netloc}{path}", method, headers, host if scheme == "https" else None)


@dataclass
class SplitRun:
    """The observed outcome of N requests: counts per destination label (or per non-routed outcome)."""

    total: int
    counts: Counter
    virtual_service: str | None
    rule_index: int | None
    section: str | None
    explanation: list[str]

    def percentages(self) -> dict[str, float]:
        return {k: 100.0 * v / self.total for k, v in self.counts.items()} if self.total else {}


def send_requests(project: Project, gateway: str, request: Request, count: int, seed: int = 1) -> SplitRun:
    """Simulate ``request`` ``count`` times; each routed one picks a destination by weight (seeded)."""
    rng = random.Random(seed)
    counts: Counter = Counter()
    first = None
    for _ in range(count):
        result = simulate(project, gateway, request)
        first = first or result
        if result.outcome != "routed" or not result.destinations:
            counts[f"({result.outcome.replace('_', ' ')})"] += 1
            continue
        dests = result.destinations
        weights = [d.get("weight") or 0 for d in dests]
        chosen = rng.choices(dests, weights=weights if sum(weights) else None)[0]
        counts[destination_label(chosen["host"], chosen.get("subset"))] += 1
    return SplitRun(count, counts, first.virtual_service if first else None, first.rule_index if first else None,
                    first.section if first else None, list(first.explanation) if first else [])


def sample_weights(rule: WeightedRule, count: int, seed: int = 1) -> SplitRun:
    """N picks from the configured weights alone (for mesh-internal rules the simulator does not follow)."""
    rng = random.Random(seed)
    labels = list(rule.shares)
    weights = [rule.shares[label] for label in labels]
    counts: Counter = Counter(rng.choices(labels, weights=weights, k=count)) if count else Counter()
    return SplitRun(count, counts, rule.virtual_service, rule.index, rule.section,
                    ["Sampled from the configured weights (this rule serves the mesh's own workloads, which the "
                     "gateway simulator does not follow)."])
