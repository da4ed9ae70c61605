"""MD07xx: the messages of the address checks (address translation and addresses, ``functions_addresses.py``).
MD0730 checks local rate limit EnvoyFilters (``functions_ratelimit.py``); the other gateway-function checks
of project format 2 are retired (see the end of this module)."""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import ERROR, WARNING
from ..messages import register


def _m(code: str, name: str, severity: str, template: str, explain: str, istio: str | None = None) -> MessageType:
    return register(MessageType(code, name, severity, template, " ".join(explain.split()), istio))


# ----- addresses and address translation (functions_addresses.py) ----------------------------------------
PORT_NOT_ON_SERVICE = _m(
    "MD0701", "GatewayPortNotDefinedOnService", WARNING,
    "the gateway listens on port {port}, which its Service {service} does not expose (neither a port nor a "
    "targetPort)",
    """Clients reach a gateway through its Kubernetes Service, which maps each Service port to a targetPort on
    the gateway pods. A Gateway server port that is neither a targetPort nor a port of that Service cannot be
    reached through it. Add the port to the Service (port and targetPort) or change the server's port.""",
    istio="IST0162")
ADDRESS_INVALID = _m(
    "MD0702", "AddressInvalid", ERROR, "{what} {value!r} is not a valid IP address or CIDR range",
    """This field takes an IP address (10.0.0.1, 2001:db8::1) or a CIDR range (10.0.0.0/8). Kubernetes or
    Istio rejects the resource otherwise; the standalone Envoy export would match nobody. Fix the entry.""")
ADDRESS_OUTSIDE_RANGES = _m(
    "MD0703", "AddressOutsideProjectRanges", WARNING,
    "{what} {value} is outside the address ranges this project declares ({ranges})",
    """The project settings list the address ranges this design may use (IP address management). An address
    outside them is usually a typo or an address that belongs to another network. Use an address from the
    declared ranges, or add its range to the project settings.""")
DUPLICATE_ADDRESS = _m(
    "MD0704", "DuplicateAddress", ERROR, "{what} {value} is also used by {other}",
    """Two resources of the design claim the same address: two load balancers with one loadBalancerIP, two
    servers binding the same address and port, or two service entries with overlapping addresses. Only one
    of them can receive the traffic. Give each its own address.""")
OVERLAPPING_RANGES = _m(
    "MD0705", "OverlappingRanges", WARNING, "{what}: {first} and {second} overlap",
    """Two ranges in one list overlap, so one of them is redundant (or, across allow and deny lists, one
    shadows the other). Merge or remove one of them.""")
CLIENT_ADDRESS_LOST = _m(
    "MD0706", "ClientAddressNotPreserved", WARNING,
    "the firewall filters by client address, but Service {service} (type {type}) has externalTrafficPolicy "
    "{policy}: nodes translate the client address, so the gateway sees node addresses",
    """With externalTrafficPolicy Cluster (the default) a load balancer or node port forwards traffic through
    any node, which replaces the client's source address with its own (SNAT). Rules on remoteIpBlocks or
    ipBlocks then see node addresses, not clients. Set externalTrafficPolicy: Local on the gateway's Service,
    or have the load balancer send the client address (PROXY protocol or X-Forwarded-For with trusted
    hops).""")
LB_FIELD_IGNORED = _m(
    "MD0707", "LoadBalancerFieldIgnored", WARNING, "{field} has no effect on a Service of type {type}",
    """loadBalancerIP and loadBalancerSourceRanges only apply to Services of type LoadBalancer;
    externalTrafficPolicy only to LoadBalancer and NodePort. Change the Service type or remove the field.""")
NODE_PORT_INVALID = _m(
    "MD0708", "NodePortInvalid", ERROR, "nodePort {node_port}: {reason}",
    """A nodePort is only allowed on Services of type NodePort or LoadBalancer and must lie in the cluster's
    node port range (by default 30000-32767). Fix the number, or leave it out to let Kubernetes choose.""")

# ----- local rate limit EnvoyFilters (functions_ratelimit.py) -------------------------------------------
RATE_LIMIT_INVALID = _m(
    "MD0730", "RateLimitInvalid", ERROR, "{field}: {reason}",
    """A local rate limit is a token bucket: tokens_per_fill (at least 1) requests every fill_interval (a
    duration of at least 50ms, e.g. 1s or 1m), bursts up to max_tokens (at least 1), and the status answered
    over the limit (an HTTP error status Envoy names). istiod passes the EnvoyFilter's patch through as
    written and Envoy rejects the whole listener update with other values.""")

# MD0710-MD0717 (firewall), MD0720-MD0727 (JWT) and MD0731-MD0735 (cache, rate limits, access log) are
# retired: they checked the gateway ``functions:`` block of project format 2. Those functions are Istio
# resources since format 3 (AuthorizationPolicy, RequestAuthentication, EnvoyFilter, Telemetry) and are
# checked as such (MD09xx: Istio's webhook rules, what the local config cannot apply, patches that place
# nowhere). The codes are not reused.
