"""Small conversions every Envoy renderer shares: type URLs, durations, percentages, Istio patterns."""

from __future__ import annotations

from ...compile.units import (  # noqa: F401  (re-exported for the renderers)
    duration_seconds,
    envoy_duration,
    format_seconds,
    fraction_hundred,
    fraction_million,
)
from ...model.gateway import HTTP_PROTOCOLS, Server

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
FILE_LOG_TYPE = TYPE + "envoy.extensions.access_loggers.file.v3.FileAccessLog"
CEL_FILTER_TYPE = TYPE + "envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter"

# Istio's default text access log format (meshConfig accessLogFormat unset).
ISTIO_LOG_FORMAT = (
    '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% '
    "%RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% "
    '"%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% '
    '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" '
    '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER_RAW% '
    "%UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% "
    "%REQUESTED_SERVER_NAME% %ROUTE_NAME%\n"
)

FAULT_FILTER = "envoy.filters.http.fault"
CORS_FILTER = "envoy.filters.http.cors"
ROUTER_FILTER = "envoy.filters.http.router"


GRPC_STATUS = {
    "OK": 0, "CANCELLED": 1, "UNKNOWN": 2, "INVALID_ARGUMENT": 3, "DEADLINE_EXCEEDED": 4, "NOT_FOUND": 5,
    "ALREADY_EXISTS": 6, "PERMISSION_DENIED": 7, "RESOURCE_EXHAUSTED": 8, "FAILED_PRECONDITION": 9,
    "ABORTED": 10, "OUT_OF_RANGE": 11, "UNIMPLEMENTED": 12, "INTERNAL": 13, "UNAVAILABLE": 14,
    "DATA_LOSS": 15, "UNAUTHENTICATED": 16,
}


def is_http_server(server: Server) -> bool:
    """Whether the gateway answers this server with an HTTP connection manager."""
    return server.protocol in HTTP_PROTOCOLS or (server.protocol == "HTTPS" and server.terminates_tls)


def istio_string_match(value: str, ignore_case: bool = False) -> dict:
    """Istio's pattern as an Envoy StringMatcher: ``*`` any, ``abc*`` prefix, ``*abc`` suffix, else exact."""
    if value == "*":
        return {"safe_regex": {"regex": ".*"}}
    out: dict
    if value.endswith("*"):
        out = {"prefix": value[:-1]}
    elif value.startswith("*"):
        out = {"suffix": value[1:]}
    else:
        out = {"exact": value}
    if ignore_case:
        out["ignore_case"] = True
    return out
