"""Small conversions every Envoy renderer shares: type URLs, durations, percentages."""

from __future__ import annotations

import re

TYPE = "type.googleapis.com/"
HCM_TYPE = TYPE + "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager"
TCP_PROXY_TYPE = TYPE + "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy"
ROUTER_TYPE = TYPE + "envoy.extensions.filters.http.router.v3.Router"
FAULT_TYPE = TYPE + "envoy.extensions.filters.http.fault.v3.HTTPFault"
CORS_TYPE = TYPE + "envoy.extensions.filters.http.cors.v3.Cors"
CORS_POLICY_TYPE = TYPE + "envoy.extensions.filters.http.cors.v3.CorsPolicy"
TLS_INSPECTOR_TYPE = TYPE + "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector"
DOWNSTREAM_TLS_TYPE = TYPE + "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext"
UPSTREAM_TLS_TYPE = TYPE + "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext"
PREVIOUS_HOSTS_TYPE = TYPE + "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate"
HTTP_PROTOCOL_OPTIONS_TYPE = TYPE + "envoy.extensions.upstreams.http.v3.HttpProtocolOptions"

FAULT_FILTER = "envoy.filters.http.fault"
CORS_FILTER = "envoy.filters.http.cors"
ROUTER_FILTER = "envoy.filters.http.router"

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


def duration_seconds(text: str | None) -> float | None:
    """A Go/protobuf duration (``1h30m``, ``0.5s``, ``250ms``) in seconds; None when unreadable."""
    if not text:
        return None
    text = text.strip()
    pos, total = 0, 0.0
    for m in _DURATION_PART.finditer(text):
        if m.start() != pos:
            return None
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    return total if pos == len(text) and pos > 0 else None


def envoy_duration(text: str | None) -> str | None:
    """The protobuf JSON form Envoy reads (``90s``, ``0.250s``)."""
    seconds = duration_seconds(text)
    if seconds is None:
        return None
    return format_seconds(seconds)


def format_seconds(seconds: float) -> str:
    nanos = round(seconds * 1e9)
    whole, frac = divmod(nanos, 1_000_000_000)
    if not frac:
        return f"{whole}s"
    return f"{whole}.{frac:09d}".rstrip("0") + "s"


def fraction_million(percent: float) -> dict:
    """An Istio ``Percent`` (0-100, fractional) as Envoy's FractionalPercent over a million."""
    return {"numerator": int(round(float(percent) * 10000)), "denominator": "MILLION"}


def fraction_hundred(percent: int) -> dict:
    return {"numerator": int(percent), "denominator": "HUNDRED"}


GRPC_STATUS = {
    "OK": 0, "CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4, "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "FAILED_PRECONDITION": 9,
    "ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12, "INTERNAL": 13, "UNAVAILABLE": 14,
    "DATA_LOSS": 15, "UNAUTHENTICATED": 16,
}
