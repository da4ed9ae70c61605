"""MD07xx: the messages of the gateway-function checks (firewall, JWT, cache, rate limits, access log,
address translation and addresses). The rules are in the other ``functions_*.py`` modules."""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import ERROR, INFO, WARNING
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

# ----- firewall (functions_firewall.py) -------------------------------------------------------------------
FIREWALL_ACTION = _m(
    "MD0710", "FirewallActionInvalid", ERROR, "action {action!r} is not ALLOW or DENY",
    """A firewall rule either denies (DENY) or allows (ALLOW) the requests it matches. Fix the action.""")
FIREWALL_MATCHES_ALL = _m(
    "MD0711", "FirewallRuleMatchesEverything", WARNING, "this {action} rule has no condition and matches every "
    "request{effect}",
    """A rule without conditions matches all traffic: as DENY it shuts the gateway, as ALLOW it makes every
    other ALLOW rule pointless. Add the conditions (addresses, hosts, paths, methods, ports, headers) it was
    meant to have.""")
FIREWALL_HTTP_ON_TCP = _m(
    "MD0712", "FirewallHttpConditionsOnTcp", WARNING,
    "{fields} cannot be checked on the gateway's {servers} traffic: {effect}",
    """TCP, TLS-passthrough and TLS-terminated (non-HTTP) servers carry no HTTP request, so host, path,
    method and header conditions cannot be evaluated there. Istio then ignores an ALLOW rule that has them
    (it never matches, so the traffic is denied) and checks a DENY rule without them (it matches more).
    Split the rule, or scope it with ports.""")
FIREWALL_PORT = _m(
    "MD0713", "FirewallPortNotOnGateway", WARNING, "port {port} is not a port of any server of this gateway",
    """Firewall ports are the ports the gateway listens on (its servers' port numbers). A rule on another
    port never matches. Use a server's port.""")
FIREWALL_VALUE = _m(
    "MD0714", "FirewallValueInvalid", WARNING, "{what} {value!r}: {reason}",
    """Methods are upper case (GET, POST), header names are HTTP tokens, paths start with '/', and '*' may
    only begin or end a pattern (prefix, suffix or presence match). Fix the value, or it will never
    match.""")
FUNCTIONS_NO_SELECTOR = _m(
    "MD0715", "GatewayFunctionsWithoutSelector", ERROR,
    "the gateway has {functions} but no selector: its policies could not select its pods and are not exported",
    """Authorization policies, request authentication, EnvoyFilters and Telemetry select the gateway's pods
    by the Gateway's selector labels. Without a selector they would apply to every workload of the namespace,
    so MeshDesigner exports none of them. Add the selector (for example istio: ingressgateway).""")
FUNCTION_NAME_CLASH = _m(
    "MD0716", "GatewayFunctionNameClash", ERROR, "{kind} {namespace}/{name} is generated for both {first} and "
    "{second}",
    """Each gateway's function resources are named after the gateway and written to its workload namespace.
    Two gateways with one name and one workload namespace would overwrite each other's policies. Rename a
    gateway or set a different workload namespace.""")
FUNCTION_UNKNOWN_FIELD = _m(
    "MD0717", "GatewayFunctionUnknownField", WARNING, "unknown field {field!r} (kept, but not used)",
    """The project file has a field in the gateway's functions that MeshDesigner does not know, often a
    misspelling. It is kept as written but has no effect. Check the spelling.""")

# ----- JWT (functions_jwt.py) -----------------------------------------------------------------------------
JWT_KEYS = _m(
    "MD0720", "JwtKeysMissingOrAmbiguous", ERROR, "issuer {issuer!r}: {reason}",
    """Each JWT rule needs exactly one source of keys: jwks (the JWKS document inline), jwksFile (a local
    file) or jwksUri (Istio fetches it). Istio rejects a rule with both jwks and jwksUri; without keys no
    token can be verified.""")
JWKS_INVALID = _m(
    "MD0721", "JwksInvalid", ERROR, "issuer {issuer!r}: the JWKS {where} is not usable: {reason}",
    """A JWKS is a JSON document {"keys": [...]} with at least one public key (kty RSA with n and e, or EC
    with crv, x and y). Envoy refuses the listener otherwise. Paste the issuer's published JWKS.""")
JWT_REQUIRE_WITHOUT_RULES = _m(
    "MD0722", "JwtRequiredWithoutIssuer", ERROR,
    "a valid token is required but no issuer is configured: every request is denied",
    """Requiring a principal denies requests without a verified token, and tokens are only verified for the
    issuers listed in the JWT rules. Add the issuer (with its keys), or stop requiring a principal.""")
JWT_REMOTE_KEYS = _m(
    "MD0723", "JwtRemoteKeysNotInStandaloneEnvoy", INFO,
    "issuer {issuer!r}: keys at jwksUri are fetched by Istio but not by the standalone Envoy config",
    """The standalone Envoy export only uses local keys (jwks or jwksFile); a rule with only jwksUri is left
    out there, so its tokens are rejected (issuer not configured). Istio fetches the URI itself. To try the
    gateway locally, save the JWKS to a file and set jwksFile.""")
JWT_ON_TCP = _m(
    "MD0724", "JwtRequiredOnTcpServers", WARNING,
    "a valid token is required, and the {servers} server(s) carry none: Istio denies every connection there",
    """Request principals are HTTP-only. On TCP, TLS-passthrough or TLS-terminated servers Istio checks the
    DENY policy that requires a principal without its condition, so it denies every connection. Move those
    servers to another gateway, or do not require a principal here.""")
JWT_ISSUER = _m(
    "MD0725", "JwtIssuerInvalid", ERROR, "JWT rule {index}: {reason}",
    """Every JWT rule names the issuer (the token's iss claim) it accepts, and each issuer appears once.
    Fix the issuer.""")
JWT_PRINCIPAL_PATTERN = _m(
    "MD0726", "JwtPrincipalPatternUnsupported", WARNING, "principal {pattern!r}: {reason}",
    """Required principals are '*' (any verified token), '<issuer>/*', '<issuer>/<subject>' or '*/<subject>'
    (subject patterns may start or end with '*'). Other forms are not supported by the standalone Envoy
    export and the simulator. Use one of these forms.""")
JWT_HEADER = _m(
    "MD0727", "JwtHeaderNameInvalid", ERROR, "{what} {name!r} is not a valid HTTP header name",
    """Header names are HTTP tokens: letters, digits and !#$%&'*+-.^_`|~, no spaces or colons. Fix the
    name.""")

# ----- cache, rate limits, access log (functions_traffic.py) ------------------------------------------------
RATE_LIMIT_INVALID = _m(
    "MD0730", "RateLimitInvalid", ERROR, "{field}: {reason}",
    """A local rate limit is a token bucket: tokensPerFill (at least 1) requests every fillInterval (a
    duration of at least 50ms, e.g. 1s or 1m), bursts up to maxTokens (at least 1), and the status answered
    over the limit (an HTTP error status, 400-599). Envoy rejects other values.""")
FUNCTION_ROUTE_UNKNOWN = _m(
    "MD0731", "FunctionRouteNotFound", ERROR, "{function}: {route} is not a named HTTP route of a virtual "
    "service bound to this gateway",
    """Route-scoped caching and rate limits name a route as <namespace>/<virtual service>#<route name>; the
    virtual service must be bound to this gateway and the HTTP route must carry that name (Istio finds routes
    by name). Fix the reference or name the route.""")
RATE_LIMIT_DUPLICATE = _m(
    "MD0732", "RateLimitDuplicate", ERROR, "more than one rate limit for {scope}",
    """A gateway has at most one gateway-wide rate limit and one per route; Envoy would use only one of
    them. Merge the limits.""")
CACHE_UNNAMED_ROUTES = _m(
    "MD0733", "CacheUnnamedRoutes", WARNING,
    "{count} unnamed route(s) on this gateway ({routes}) will be cached too under Istio",
    """A cache for chosen routes is switched off on the gateway's other routes, which Istio's EnvoyFilter
    can only find by name. Unnamed routes keep the cache under Istio (the standalone Envoy export switches
    it off everywhere else). Name those routes.""")
CACHE_INVALID = _m(
    "MD0734", "CacheSettingInvalid", ERROR, "{field}: {reason}",
    """maxBodyBytes is a positive number of bytes (responses above it are not cached); allowedVaryHeaders
    are HTTP header names. Fix the value.""")
HTTP_FUNCTION_ON_TCP_ONLY = _m(
    "MD0735", "HttpFunctionWithoutHttpServer", WARNING, "{function} has no effect: the gateway has no HTTP server",
    """Caching and local rate limits are HTTP filters; on a gateway with only TCP or TLS servers they never
    run. Remove them or add an HTTP server.""")
