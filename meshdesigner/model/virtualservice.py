"""Istio VirtualService (networking.istio.io): the whole routing API.

Every field Istio documents is modeled; anything newer is kept verbatim through ``extra="allow"``.
"""

from __future__ import annotations

from pydantic import StrictBool, StrictInt, StrictStr

from .base import Json, WireModel
from .common import Destination, Headers, Number, Percent, StringMatch
from .resource import Resource


class HTTPMatchRequest(WireModel):
    name: StrictStr | None = None
    uri: StringMatch | None = None
    scheme: StringMatch | None = None
    method: StringMatch | None = None
    authority: StringMatch | None = None
    headers: dict[str, StringMatch] | None = None
    port: StrictInt | None = None
    source_labels: dict[str, StrictStr] | None = None
    gateways: list[StrictStr] | None = None
    query_params: dict[str, StringMatch] | None = None
    ignore_uri_case: StrictBool | None = None
    without_headers: dict[str, StringMatch] | None = None
    source_namespace: StrictStr | None = None
    stat_prefix: StrictStr | None = None

    def summary(self) -> str:
        """A short human summary, e.g. ``GET /api/* x-canary=true``."""
        parts = []
        if self.method:
            parts.append(self.method.summary())
        if self.authority:
            parts.append(f"host={self.authority.summary()}")
        parts.append(self.uri.summary() if self.uri else "/*")
        for name, match in sorted((self.headers or {}).items()):
            parts.append(f"{name}={match.summary()}")
        for name, match in sorted((self.query_params or {}).items()):
            parts.append(f"?{name}={match.summary()}")
        for name in sorted(self.without_headers or {}):
            parts.append(f"!{name}")
        if self.port:
            parts.append(f":{self.port}")
        return " ".join(parts)


class HTTPRouteDestination(WireModel):
    destination: Destination
    weight: StrictInt | None = None
    headers: Headers | None = None


class RouteDestination(WireModel):
    destination: Destination
    weight: StrictInt | None = None


class HTTPRedirect(WireModel):
    uri: StrictStr | None = None
    authority: StrictStr | None = None
    port: StrictInt | None = None
    derive_port: StrictStr | None = None
    scheme: StrictStr | None = None
    redirect_code: StrictInt | None = None
    prefix_rewrite: StrictStr | None = None


class HTTPBody(WireModel):
    string: StrictStr | None = None
    bytes: StrictStr | None = None


class HTTPDirectResponse(WireModel):
    status: StrictInt
    body: HTTPBody | None = None


class RegexRewrite(WireModel):
    match: StrictStr | None = None
    rewrite: StrictStr | None = None


class HTTPRewrite(WireModel):
    uri: StrictStr | None = None
    authority: StrictStr | None = None
    uri_regex_rewrite: RegexRewrite | None = None


class HTTPRetry(WireModel):
    attempts: StrictInt | None = None
    per_try_timeout: StrictStr | None = None
    retry_on: StrictStr | None = None
    retry_remote_localities: StrictBool | None = None
    retry_ignore_previous_hosts: StrictBool | None = None
    backoff: StrictStr | None = None


class FaultDelay(WireModel):
    fixed_delay: StrictStr | None = None
    exponential_delay: StrictStr | None = None
    percentage: Percent | None = None
    percent: StrictInt | None = None


class FaultAbort(WireModel):
    http_status: StrictInt | None = None
    grpc_status: StrictStr | None = None
    http2_error: StrictStr | None = None
    percentage: Percent | None = None


class HTTPFaultInjection(WireModel):
    delay: FaultDelay | None = None
    abort: FaultAbort | None = None


class HTTPMirrorPolicy(WireModel):
    destination: Destination
    percentage: Percent | None = None


class CorsPolicy(WireModel):
    allow_origins: list[StringMatch] | None = None
    allow_origin: list[StrictStr] | None = None
    allow_methods: list[StrictStr] | None = None
    allow_headers: list[StrictStr] | None = None
    expose_headers: list[StrictStr] | None = None
    max_age: StrictStr | None = None
    allow_credentials: StrictBool | None = None
    unmatched_preflights: StrictStr | None = None


class Delegate(WireModel):
    name: StrictStr | None = None
    namespace: StrictStr | None = None


class HTTPRoute(WireModel):
    name: StrictStr | None = None
    match: list[HTTPMatchRequest] | None = None
    route: list[HTTPRouteDestination] | None = None
    redirect: HTTPRedirect | None = None
    direct_response: HTTPDirectResponse | None = None
    delegate: Delegate | None = None
    rewrite: HTTPRewrite | None = None
    timeout: StrictStr | None = None
    retries: HTTPRetry | None = None
    fault: HTTPFaultInjection | None = None
    mirror: Destination | None = None
    mirrors: list[HTTPMirrorPolicy] | None = None
    mirror_percent: StrictInt | None = None
    mirror_percentage: Percent | None = None
    cors_policy: CorsPolicy | None = None
    headers: Headers | None = None

    def action_summary(self) -> str:
        if self.redirect:
            return "redirect"
        if self.direct_response:
            return f"respond {self.direct_response.status}"
        if self.delegate:
            return f"delegate {self.delegate.name}"
        return ", ".join(_dest_summary(d.destination, d.weight, len(self.route or [])) for d in self.route or [])


class L4MatchAttributes(WireModel):
    destination_subnets: list[StrictStr] | None = None
    port: StrictInt | None = None
    source_labels: dict[str, StrictStr] | None = None
    gateways: list[StrictStr] | None = None
    source_namespace: StrictStr | None = None


class TLSMatchAttributes(WireModel):
    sni_hosts: list[StrictStr] | None = None
    destination_subnets: list[StrictStr] | None = None
    port: StrictInt | None = None
    source_labels: dict[str, StrictStr] | None = None
    gateways: list[StrictStr] | None = None
    source_namespace: StrictStr | None = None


class TCPRoute(WireModel):
    match: list[L4MatchAttributes] | None = None
    route: list[RouteDestination] | None = None


class TLSRoute(WireModel):
    match: list[TLSMatchAttributes] | None = None
    route: list[RouteDestination] | None = None


class VirtualServiceSpec(WireModel):
    hosts: list[StrictStr] | None = None
    gateways: list[StrictStr] | None = None
    http: list[HTTPRoute] | None = None
    tls: list[TLSRoute] | None = None
    tcp: list[TCPRoute] | None = None
    export_to: list[StrictStr] | None = None


class VirtualService(Resource):
    KIND = "VirtualService"
    API_GROUP = "networking.istio.io"

    spec: VirtualServiceSpec = VirtualServiceSpec()

    def all_destinations(self) -> list[tuple[str, Destination, int | None]]:
        """Every route destination with its field path and weight (http, tcp, tls; mirrors too)."""
        out: list[tuple[str, Destination, int | None]] = []
        spec = self.spec
        for i, rule in enumerate(spec.http or []):
            for j, dest in enumerate(rule.route or []):
                out.append((f"spec.http[{i}].route[{j}].destination", dest.destination, dest.weight))
            if rule.mirror:
                out.append((f"spec.http[{i}].mirror", rule.mirror, None))
            for j, mirror in enumerate(rule.mirrors or []):
                out.append((f"spec.http[{i}].mirrors[{j}].destination", mirror.destination, None))
        for section, rules in (("tcp", spec.tcp), ("tls", spec.tls)):
            for i, rule in enumerate(rules or []):
                for j, dest in enumerate(rule.route or []):
                    out.append((f"spec.{section}[{i}].route[{j}].destination", dest.destination, dest.weight))
        return out


def _dest_summary(dest: Destination, weight: int | None, count: int) -> str:
    text = dest.host.split(".")[0]
    if dest.subset:
        text += f" {dest.subset}"
    if count > 1 and weight is not None:
        text += f" {weight}%"
    return text


# Re-exported for modules that only need the value types.
__all__ = [
    "CorsPolicy", "Delegate", "FaultAbort", "FaultDelay", "HTTPBody", "HTTPDirectResponse",
    "HTTPFaultInjection", "HTTPMatchRequest", "HTTPMirrorPolicy", "HTTPRedirect", "HTTPRetry",
    "HTTPRewrite", "HTTPRoute", "HTTPRouteDestination", "Json", "L4MatchAttributes", "Number",
    "RegexRewrite", "RouteDestination", "TCPRoute", "TLSMatchAttributes", "TLSRoute",
    "VirtualService", "VirtualServiceSpec",
]
