"""The one catalogue of diagnostic codes, ordered by code. Codes are never reused: a retired code stays
here as a comment saying what it was.

Ranges: MD00xx any kind (metadata) · MD01xx Gateway webhook rules · MD02xx VirtualService webhook rules ·
MD03xx ServiceEntry / DestinationRule webhook rules · MD04xx cross-resource analyzers (``istioctl analyze``) ·
MD05xx design checks Istio does not make · MD06xx TLS and certificates (``rules/tls_*.py``) ·
MD07xx gateway functions (``rules/functions_*.py``). See :mod:`meshdesigner.analysis.registry`.

Webhook rules carry Istio's ``istioctl analyze`` code for them: IST0106 (schema validation error) or IST0133
(schema validation warning); rule reachability has its own IST0130/IST0131.
"""

from __future__ import annotations

from .catalogue import MessageType
from .diagnostic import ERROR, INFO, WARNING

E, W, I = ERROR, WARNING, INFO  # noqa: E741 - short names keep the table readable
SCHEMA_ERROR, SCHEMA_WARNING = "IST0106", "IST0133"

CATALOGUE: list[MessageType] = []


def _m(code: str, name: str, severity: str, istio: str | None, template: str, explain: str) -> MessageType:
    msg = MessageType(code, name, severity, template, " ".join(explain.split()), istio)
    CATALOGUE.append(msg)
    return msg


# ----- MD00xx: every kind -----------------------------------------------------------------------------------
RESERVED_ANNOTATION = _m(
    "MD0001", "ReservedAnnotation", E, SCHEMA_ERROR, "annotation {key!r} may not be set by users",
    """Istio reserves the annotations internal.istio.io/parent-namespace and internal.istio.io/parent-names
    for objects it generates itself, and its admission webhook rejects any object a user writes with them.
    Remove the annotation.""")
DRY_RUN_ANNOTATION = _m(
    "MD0002", "UnsupportedDryRunAnnotation", E, SCHEMA_ERROR,
    "annotation istio.io/dry-run is only supported on AuthorizationPolicy",
    """The istio.io/dry-run annotation only has a meaning on AuthorizationPolicy; on a networking resource
    the webhook rejects the object. Remove the annotation.""")

# ----- MD01xx: Gateway (istiod validating webhook) -----------------------------------------------------------
GATEWAY_NAME_INVALID = _m(
    "MD0101", "GatewayNameInvalid", E, SCHEMA_ERROR, "invalid gateway name {name!r}: {reason}",
    """A Gateway's name must be a DNS-1123 label (lower-case letters, digits and '-', at most 63 characters,
    no dots): stricter than other Kubernetes names, because the name becomes part of Envoy route names.
    Rename the gateway and update the virtual services that bind to it.""")
GATEWAY_NO_SERVERS = _m(
    "MD0102", "GatewayWithoutServers", E, SCHEMA_ERROR, "gateway must have at least one server",
    """A Gateway without servers opens no port, and the webhook rejects it. Add a server (a port, a
    protocol and the hosts it serves).""")
GATEWAY_DUPLICATE_PORT_NAME = _m(
    "MD0103", "GatewayDuplicatePortName", E, SCHEMA_ERROR,
    "port names in servers must be unique: duplicate name {port_name!r}",
    """Server port names must be unique within one Gateway: Istio names each HTTPS route table after the
    port name, so two servers with one name would collide. Give each server's port its own name.""")
HTTPS_REDIRECT_NOT_HTTP = _m(
    "MD0104", "HttpsRedirectOnNonHttpServer", W, SCHEMA_WARNING,
    "tls.httpsRedirect should only be used with HTTP servers (this server is {protocol})",
    """httpsRedirect makes Envoy answer plain-text HTTP requests with a 301 to https://. On an HTTPS or TCP
    server it has no effect. Move it to the HTTP server of the same host, or remove it.""")
SERVER_NO_HOSTS = _m(
    "MD0105", "ServerWithoutHosts", E, SCHEMA_ERROR, "server config must contain at least one host",
    """Every Gateway server must list the hosts it serves ('*' for any). Add the host names clients use.""")
GATEWAY_HOST_FORM = _m(
    "MD0106", "GatewayHostForm", E, SCHEMA_ERROR, "host {host!r} is not of the form [namespace/]dnsName: {reason}",
    """A Gateway server host is 'dnsName' or 'namespace/dnsName', where namespace is '*', '.' (the
    Gateway's own namespace) or a namespace name, and neither part is empty. Fix the host entry.""")
GATEWAY_SHORT_HOST = _m(
    "MD0107", "GatewayShortHost", E, SCHEMA_ERROR, "host {host!r}: short names (non FQDN) are not allowed",
    """Gateway hosts must be fully qualified domain names (containing a dot) or '*'. Istio rejects a short
    name such as 'ext-host'; and even where it passed, Envoy compares it literally with the Host header,
    while virtual services expand short names to '<name>.<namespace>.svc.cluster.local', so they would never
    match. Use the full name clients send, e.g. 'ext-host.example.com', in the Gateway and the virtual
    service.""")
GATEWAY_HOST_INVALID = _m(
    "MD0108", "GatewayHostInvalid", E, SCHEMA_ERROR, "host {host!r}: {reason}",
    """A Gateway host must be a valid DNS name (labels of letters, digits and '-', at most 63 characters each,
    255 in all, a top-level label that is not all digits), an IP address, or start with a whole '*' label.
    Fix the spelling of the host.""")
GATEWAY_PARTIAL_WILDCARD = _m(
    "MD0109", "GatewayPartialWildcard", E, SCHEMA_ERROR, "host {host!r}: partial wildcard not allowed",
    """A wildcard is only allowed as the whole first label ('*' or '*.example.com'); 'foo*.example.com' and
    '*foo.example.com' are rejected. Use '*.example.com' or list the hosts.""")
SERVER_PROTOCOL_INVALID = _m(
    "MD0110", "ServerProtocolInvalid", E, SCHEMA_ERROR,
    "invalid protocol {protocol!r}, supported protocols are HTTP, HTTPS, HTTP2, GRPC, GRPC-WEB, HTTP_PROXY, "
    "TCP, TLS, MONGO, REDIS, MYSQL",
    """A Gateway server's port protocol decides how Envoy treats the traffic (HTTP routing, TLS termination
    or passthrough, plain TCP). Choose one of the supported protocols.""")
SERVER_PORT_RANGE = _m(
    "MD0111", "ServerPortOutOfRange", E, SCHEMA_ERROR, "port number {number} must be in the range 1..65535",
    """A server port must be between 1 and 65535 (0 only with a unix:// bind). Fix the port number.""")
SERVER_TARGET_PORT = _m(
    "MD0112", "ServerTargetPort", E, SCHEMA_ERROR, "targetPort has no impact on Gateways",
    """A Gateway server's port.targetPort is refused: the port the gateway pod listens on comes from the
    gateway's Kubernetes Service (its targetPort). Remove targetPort here and set it on the Service.""")
SERVER_PORT_NAME_EMPTY = _m(
    "MD0113", "ServerPortNameEmpty", E, SCHEMA_ERROR, "port name must be set",
    """Every server port needs a name (for example 'https'); Istio builds route names from it. Set a name.""")
SERVER_BIND_INVALID = _m(
    "MD0114", "ServerBindInvalid", E, SCHEMA_ERROR, "bind {bind!r}: {reason}",
    """A server's bind is an IP address, or 'unix:///absolute/path' / 'unix://@abstract' together with
    port number 0. Fix the bind address or remove it to listen on all addresses.""")
SERVER_TLS_MISSING = _m(
    "MD0115", "ServerTlsMissing", E, SCHEMA_ERROR, "server must have TLS settings for HTTPS/TLS protocols",
    """An HTTPS or TLS server needs a tls block saying whether the gateway terminates TLS (SIMPLE, MUTUAL
    with a credential) or passes it through (PASSTHROUGH). Add tls with an explicit mode.""")
SERVER_TLS_ON_HTTP = _m(
    "MD0116", "ServerTlsOnPlainHttp", E, SCHEMA_ERROR, "server cannot have TLS settings for plain text HTTP ports",
    """A plain-text HTTP server may only carry tls.httpsRedirect. To serve HTTPS, add a separate server
    with protocol HTTPS on its own port (usually 443) and put the TLS settings there.""")
SERVER_TLS_ON_TCP = _m(
    "MD0117", "ServerTlsOnTcp", E, SCHEMA_ERROR, "server cannot have TLS settings for non HTTPS/TLS ports",
    """TCP, MONGO, REDIS and MYSQL servers cannot have tls settings. To terminate TLS in front of a TCP
    service use protocol TLS with mode SIMPLE; otherwise remove the tls block.""")
TLS_OLD_VERSION_NO_CIPHERS = _m(
    "MD0118", "TlsOldVersionWithoutCiphers", W, SCHEMA_WARNING,
    "TLS version below TLSV1_2 requires setting compatible ciphers, as the default ones no longer include them",
    """Envoy's default cipher list has no cipher usable with TLS 1.0/1.1, so clients that old cannot
    connect unless cipherSuites lists compatible ones. Raise minProtocolVersion to TLSV1_2 or set
    cipherSuites.""")
TLS_CIPHERS_INVALID = _m(
    "MD0119", "TlsCipherSuitesInvalid", W, SCHEMA_WARNING, "ignoring {what} cipher suites: {ciphers}",
    """Istio drops cipher suite names Envoy does not know, and duplicates. Use names from Envoy's list
    (e.g. ECDHE-RSA-AES128-GCM-SHA256) once each.""")
ISTIO_MUTUAL_WITH_CERTS = _m(
    "MD0120", "IstioMutualWithCertificates", E, SCHEMA_ERROR,
    "ISTIO_MUTUAL TLS cannot have associated {field}",
    """With ISTIO_MUTUAL the gateway uses the mesh's own workload certificates; certificate fields are
    refused. Remove them, or use SIMPLE/MUTUAL to serve your own certificate.""")
PASSTHROUGH_IGNORES_CERTS = _m(
    "MD0121", "PassthroughIgnoresCertificates", W, SCHEMA_WARNING,
    "{mode} mode does not use certificates, they will be ignored",
    """In PASSTHROUGH and AUTO_PASSTHROUGH modes the gateway forwards the encrypted stream by SNI and never
    uses a certificate. Remove the certificate settings, or set mode SIMPLE to terminate TLS.""")
TLS_MULTIPLE_CERT_SOURCES = _m(
    "MD0122", "TlsMultipleCertificateSources", E, SCHEMA_ERROR,
    "only one of credentialName, credentialNames, serverCertificate/privateKey, tlsCertificates should be "
    "specified",
    """A TLS server takes its certificate from exactly one place: a Kubernetes Secret (credentialName or
    credentialNames), files in the gateway pod (serverCertificate + privateKey), or tlsCertificates.
    Keep one.""")
MUTUAL_WITHOUT_CA = _m(
    "MD0123", "MutualTlsWithoutCa", E, SCHEMA_ERROR, "{mode} TLS requires a client CA bundle (caCertificates)",
    """To verify client certificates the gateway needs the CA that signed them. With file certificates set
    caCertificates; with credentialName the CA comes from the Secret (ca.crt) instead.""")
TLS_WITHOUT_CREDENTIALS = _m(
    "MD0124", "TlsServerWithoutCredentials", E, SCHEMA_ERROR, "{mode} TLS requires a {what}",
    """A server that terminates TLS (SIMPLE, MUTUAL, OPTIONAL_MUTUAL) needs its certificate and key: set
    credentialName to a Kubernetes TLS Secret (recommended), or serverCertificate and privateKey to files
    mounted in the gateway pod.""")
TLS_TOO_MANY_CERTIFICATES = _m(
    "MD0125", "TlsTooManyCertificates", W, SCHEMA_WARNING, "a server can support up to 2 server certificates",
    """Envoy serves at most two certificates per server (one RSA, one ECDSA). Keep two or fewer.""")
TLS_CRL_NOT_ALLOWED = _m(
    "MD0126", "TlsCrlNotAllowed", E, SCHEMA_ERROR, "{reason}",
    """caCrl only applies when client certificates are verified from files: with credentialName the CRL
    comes from the Secret (ca.crl), and SIMPLE TLS verifies no client at all. Remove caCrl.""")
TLS_SETTINGS_SCHEMA = _m(
    "MD0127", "TlsSettingsSchema", E, SCHEMA_ERROR, "{reason}",
    """The CRD schema of ServerTLSSettings allows only one of credentialName and credentialNames, one or two
    entries in credentialNames and tlsCertificates, and the listed values for mode and the TLS protocol
    versions (TLS_AUTO, TLSV1_0 ... TLSV1_3). Fix the field.""")

# ----- MD02xx: VirtualService (istiod validating webhook) ----------------------------------------------------
DELEGATE_INVALID = _m(
    "MD0201", "DelegateVirtualServiceInvalid", E, SCHEMA_ERROR,
    "delegate virtual service (no hosts) must have no {what}",
    """A virtual service without hosts is a delegate: it only receives HTTP routes delegated from a root
    virtual service, so it cannot name gateways or have tls/tcp routes. Add hosts to make it a root, or
    remove those fields.""")
VS_GATEWAY_NAME_INVALID = _m(
    "MD0202", "VirtualServiceGatewayNameInvalid", E, SCHEMA_ERROR, "gateway {entry!r}: {reason}",
    """A gateways entry is 'mesh', '<name>' (same namespace) or '<namespace>/<name>', both DNS-1123 labels.
    Fix the entry.""")
VS_GATEWAY_LEGACY_FORMAT = _m(
    "MD0203", "VirtualServiceGatewayLegacyFormat", W, SCHEMA_WARNING,
    "using legacy gatewayName format {entry!r}; prefer the <namespace>/<name> format: {suggested!r}",
    """The 'name.namespace[.svc.cluster.local]' form still works but is deprecated. Write
    '<namespace>/<name>'.""")
JWT_CLAIM_WITHOUT_GATEWAY = _m(
    "MD0204", "JwtClaimRoutingWithoutGateway", E, SCHEMA_ERROR,
    "JWT claim based routing (key: {key}) is only supported for gateway, found no gateways",
    """Matching on @request.auth.claims.* headers only works on gateways, where a RequestAuthentication
    validates the token. Bind the virtual service to a gateway or match on something else.""")
VS_HOST_INVALID = _m(
    "MD0205", "VirtualServiceHostInvalid", E, SCHEMA_ERROR, "host {host!r}: {reason}",
    """Virtual service hosts are DNS names (short names such as 'reviews' are allowed and expanded in the
    virtual service's namespace), IP addresses, or names starting with a whole '*' label. Fix the host.""")
VS_WILDCARD_MESH = _m(
    "MD0206", "VirtualServiceWildcardHostOnMesh", E, SCHEMA_ERROR,
    "wildcard host * is not allowed for virtual services bound to the mesh gateway",
    """A virtual service applied to every sidecar ('mesh', or no gateways) cannot claim all hosts. Name the
    hosts, or bind it to a gateway only.""")
VS_DUPLICATE_HOSTS = _m(
    "MD0207", "VirtualServiceDuplicateHosts", E, SCHEMA_ERROR, "duplicate hosts in virtual service: {a} & {b}",
    """Two hosts of one virtual service overlap (equal, or one wildcard covers the other). Remove the
    narrower one.""")
VS_NO_ROUTES = _m(
    "MD0208", "VirtualServiceWithoutRoutes", E, SCHEMA_ERROR, "http, tcp or tls must be provided in virtual service",
    """A virtual service needs at least one http, tcp or tls route, otherwise it routes nothing and the
    webhook rejects it (the Istio docs' 'virtual-svc' example omits them for brevity). Add a route, e.g.
    http: [{route: [{destination: {host: my-svc}}]}].""")
EXPORT_TO_INVALID = _m(
    "MD0209", "ExportToInvalid", E, SCHEMA_ERROR, "exportTo: {reason}",
    """exportTo lists '.', '*' or namespace names, without duplicates, and '*' cannot be combined with
    other values. Fix the list.""")
UNREACHABLE_RULE = _m(
    "MD0210", "VirtualServiceUnreachableRule", W, "IST0130", "rule {rule} not used ({reason})",
    """Routes are tried in order and the first match wins; this rule can never be reached because an
    earlier rule matches everything it matches (or has no match at all). Move it before that rule, make
    its match narrower, or delete it.""")
INEFFECTIVE_MATCH = _m(
    "MD0211", "VirtualServiceIneffectiveMatch", I, "IST0131",
    "rule {rule} match {match} is not used (duplicate/overlapping match in rule {earlier})",
    """One match of this rule is already caught by an earlier rule, so only that earlier rule applies to
    those requests. Remove the duplicate match or reorder the rules.""")
ROOT_DELEGATE_CONFLICT = _m(
    "MD0212", "RootDelegateRouteConflict", E, SCHEMA_ERROR, "root HTTP route {rule} must not specify {what}",
    """A route that delegates to another virtual service hands the whole decision over; it cannot also
    route or redirect. Keep delegate alone, or remove it.""")
NESTED_DELEGATE = _m(
    "MD0213", "NestedDelegate", E, SCHEMA_ERROR, "delegate HTTP route cannot contain delegate",
    """Delegation is one level deep: a delegate virtual service (one without hosts) cannot delegate again.
    Route directly from the delegate.""")
REDIRECT_CONFLICT = _m(
    "MD0214", "RedirectConflict", E, SCHEMA_ERROR, "HTTP route cannot contain both {what} and redirect",
    """A redirect answers the request itself, so it cannot be combined with route, fault, rewrite or
    directResponse. Split them into two rules with different matches.""")
DIRECT_RESPONSE_CONFLICT = _m(
    "MD0215", "DirectResponseConflict", E, SCHEMA_ERROR,
    "HTTP route cannot contain both {what} and direct_response",
    """A direct response answers the request itself, so it cannot be combined with route, fault or
    rewrite. Split them into two rules.""")
HTTP_ROUTE_NO_ACTION = _m(
    "MD0216", "HttpRouteWithoutAction", E, SCHEMA_ERROR, "HTTP route, redirect or direct_response is required",
    """Each http rule must do something: route to destinations, redirect, respond directly or delegate.
    Add one of them.""")
MIRROR_AND_MIRRORS = _m(
    "MD0217", "MirrorAndMirrors", E, SCHEMA_ERROR, "HTTP route cannot contain both mirror and mirrors",
    """Use either the single mirror (with mirrorPercentage) or the mirrors list, not both.""")
HEADER_NAME_INVALID = _m(
    "MD0218", "HeaderNameInvalid", E, SCHEMA_ERROR, "header name {header!r} is not a valid header name",
    """Header names in matches are RFC 7230 tokens (letters, digits and !#$%&'*+-.^_`|~), a pseudo-header
    (:method, :scheme, :authority, :path, :status) or @request.auth.claims.<claim>. Fix the name.""")
STRING_MATCH_EMPTY = _m(
    "MD0219", "StringMatchEmpty", E, SCHEMA_ERROR, "{field}: {kind} string match should not be empty",
    """An empty prefix is only allowed for the uri (it matches everything); an empty regex never is. Give
    the match a value, or remove it.""")
REGEX_INVALID = _m(
    "MD0220", "RegexInvalid", E, SCHEMA_ERROR, "{field}: {reason}; Istio uses RE2 style regex-based match",
    """Istio and Envoy use RE2 regular expressions (no look-around, no back-references), at most 1024
    characters. Rewrite the expression.""")
MATCH_PORT_RANGE = _m(
    "MD0221", "MatchPortOutOfRange", E, SCHEMA_ERROR, "port number {port} must be in the range 1..65535",
    """A match's port must be a valid port number. Fix it.""")
MATCH_SOURCE_INVALID = _m(
    "MD0222", "MatchSourceInvalid", E, SCHEMA_ERROR, "{reason}",
    """sourceLabels must be valid Kubernetes labels, sourceNamespace a namespace name (DNS-1123 label), and
    match gateways the same forms as the virtual service's gateways. Fix the value.""")
HEADER_OPERATION_INVALID = _m(
    "MD0223", "HeaderOperationInvalid", E, SCHEMA_ERROR, "invalid header {header!r}: {reason}",
    """Header operations cannot touch pseudo-headers (':'-prefixed, except setting :authority) or remove
    the Host header, header names cannot be empty and values cannot contain control characters. Fix the
    header operation.""")
AUTHORITY_SET_TWICE = _m(
    "MD0224", "AuthoritySetTwice", E, SCHEMA_ERROR, "authority header cannot be set multiple times",
    """rewrite.authority and a headers operation on host/:authority both set the authority. Keep one.""")
CORS_INVALID = _m(
    "MD0225", "CorsPolicyInvalid", E, SCHEMA_ERROR, "corsPolicy: {reason}",
    """CORS allowOrigins entries need a non-empty exact, prefix or regex; allowMethods are HTTP method
    names; header names must be valid; maxAge is whole seconds. Fix the policy.""")
FAULT_INVALID = _m(
    "MD0226", "FaultInjectionInvalid", E, SCHEMA_ERROR, "fault: {reason}",
    """Fault injection needs an abort and/or a delay; percentages are 0 or 0.0001..100; an abort's HTTP
    status is 200..599 (or a gRPC status name); delays are at least 1ms with millisecond precision. Fix
    the fault.""")
FAULT_ABORT_NO_TYPE = _m(
    "MD0227", "FaultAbortWithoutErrorType", W, SCHEMA_WARNING, "abort configured, but error type not set",
    """A fault abort needs httpStatus, grpcStatus or http2Error, otherwise it aborts nothing. Set one.""")
MIRROR_PERCENT_INVALID = _m(
    "MD0228", "MirrorPercentInvalid", E, SCHEMA_ERROR, "{reason}",
    """Mirror percentages are between 0 and 100, and each entry of mirrors needs a destination. Fix the
    value.""")
DEPRECATED_FIELD = _m(
    "MD0229", "DeprecatedField", W, "IST0002", "using deprecated setting {old!r}, use {new!r} instead",
    """The field still works but is deprecated and will be removed from Istio's API. Move the value to the
    replacement field.""")
REDIRECT_INVALID = _m(
    "MD0230", "RedirectInvalid", E, SCHEMA_ERROR, "redirect: {reason}",
    """A redirect sets uri or prefix rewrite (not both), authority, scheme ('http'/'https') or port; its code
    is 3xx (Envoy supports 301, 302, 303, 307 and 308). A prefix rewrite needs every uri match to be a
    prefix match. Fix the redirect.""")
DIRECT_RESPONSE_INVALID = _m(
    "MD0231", "DirectResponseInvalid", E, SCHEMA_ERROR, "directResponse: {reason}",
    """A direct response's status must be in 200..599 and its body at most 1 MB. Fix it.""")
DIRECT_RESPONSE_LARGE = _m(
    "MD0232", "DirectResponseLarge", W, SCHEMA_WARNING,
    "large direct_responses may impact control plane performance (body of {size} bytes)",
    """Every proxy receives the body with its configuration; bodies above 100 KB slow the control plane.
    Serve large content from a service.""")
RETRIES_INVALID = _m(
    "MD0233", "RetryPolicyInvalid", E, SCHEMA_ERROR, "retries: {reason}",
    """attempts cannot be negative, a policy with attempts 0 cannot set other fields, retryOn is a comma
    list of Envoy retry conditions or HTTP status codes, and durations are at least 1ms with millisecond
    precision. Fix the retry policy.""")
REWRITE_INVALID = _m(
    "MD0234", "RewriteInvalid", E, SCHEMA_ERROR, "rewrite: {reason}",
    """A rewrite sets uri or uriRegexRewrite (with both match and rewrite), and/or authority. Fix it.""")
WEIGHTS_INVALID = _m(
    "MD0235", "RouteWeightsInvalid", E, SCHEMA_ERROR, "{reason}",
    """Weights are at least 0 and, with several destinations, must not all be 0. They do not have to add
    up to 100 (since Istio 1.15 Envoy uses their sum as the total). Fix the weights.""")
DESTINATION_INVALID = _m(
    "MD0236", "DestinationInvalid", E, SCHEMA_ERROR, "destination: {reason}",
    """A destination host is a service name or DNS name (not '*'), a subset name is a DNS-1123 label and a
    port is 1..65535. Fix the destination.""")
DURATION_INVALID = _m(
    "MD0237", "DurationInvalid", E, SCHEMA_ERROR, "{field} {value!r}: {reason}",
    """Durations are written like '1.5s' or '250ms', must be at least 1ms, and Envoy keeps millisecond
    precision. Fix the value.""")
TLS_ROUTE_INVALID = _m(
    "MD0238", "TlsRouteInvalid", E, SCHEMA_ERROR, "tls route: {reason}",
    """Each tls route needs at least one match with at least one sniHost, and a route. Add them.""")
SNI_HOST_NOT_IN_HOSTS = _m(
    "MD0239", "SniHostNotInHosts", E, SCHEMA_ERROR,
    "SNI host {sni!r} is not a compatible subset of any of the virtual service hosts: [{hosts}]",
    """A tls route's sniHosts must each fall within one of the virtual service's hosts. Add the host to
    hosts, or fix the SNI name.""")
SNI_HOST_IP = _m(
    "MD0240", "SniHostIsIp", W, SCHEMA_WARNING, "using an IP address ({sni!r}) goes against SNI spec",
    """Clients never send an IP address as SNI, so this match never applies. Use the DNS name.""")
SUBNET_INVALID = _m(
    "MD0241", "DestinationSubnetInvalid", E, SCHEMA_ERROR, "destinationSubnets entry {subnet!r} is not an IP or CIDR",
    """destinationSubnets holds IPv4/IPv6 addresses or CIDR blocks. Fix the entry.""")
TCP_ROUTE_INVALID = _m(
    "MD0242", "TcpRouteInvalid", E, SCHEMA_ERROR, "tcp route: {reason}",
    """Each tcp route needs a route (destinations), and its matches cannot be empty objects. Fix it.""")

# ----- MD03xx: ServiceEntry and DestinationRule (istiod validating webhook) -----------------------------------
SE_HOSTS_INVALID = _m(
    "MD0301", "ServiceEntryHostsInvalid", E, SCHEMA_ERROR, "{reason}",
    """A service entry needs at least one host, and '*' is not allowed; hosts are DNS names with an
    optional leading '*' label. Fix the hosts.""")
SE_PARTIAL_WILDCARD = _m(
    "MD0302", "ServiceEntryPartialWildcard", W, SCHEMA_WARNING, "host {host!r}: partial wildcard not allowed",
    """A wildcard must be the whole first label ('*.example.com'). Fix the host.""")
SE_CIDR_RESOLUTION = _m(
    "MD0303", "ServiceEntryCidrWithResolution", E, SCHEMA_ERROR,
    "CIDR addresses are allowed only for NONE/STATIC resolution types",
    """A CIDR block cannot be resolved through DNS. Use resolution NONE or STATIC, or list single
    addresses.""")
SE_PORTS_INVALID = _m(
    "MD0304", "ServiceEntryPortsInvalid", E, SCHEMA_ERROR, "{reason}",
    """Service entry ports need unique numbers and unique names (DNS-1123 labels), and a protocol from
    Istio's list (HTTP, HTTPS, HTTP2, GRPC, TLS, TCP, MONGO, REDIS, MYSQL, UDP). Fix the port.""")
SE_ADDRESSES_REQUIRED = _m(
    "MD0305", "ServiceEntryAddressesRequired", W, "IST0134",
    "addresses are required for ports serving TCP (or unset) protocol when IP autoallocation is not enabled",
    """For TCP traffic the sidecar can only tell destinations apart by IP address, so a TCP (or
    protocol-less) port without addresses captures all traffic on that port unless DNS auto-allocation is
    on. Add addresses, give the port a protocol such as HTTP or TLS, or enable IP auto-allocation.""")
SE_ENDPOINTS_INVALID = _m(
    "MD0306", "ServiceEntryEndpointsInvalid", E, SCHEMA_ERROR, "{reason}",
    """Endpoints must fit the resolution: none with NONE; with DNS hosts must be FQDNs when no endpoints
    are given; DNS_ROUND_ROBIN takes at most one endpoint; endpoint addresses are IPs or FQDNs and their
    ports name ports of the entry. Fix the endpoints or the resolution.""")
SE_MULTIPLE_HOSTS_TCP = _m(
    "MD0307", "ServiceEntryMultipleHostsTcp", E, SCHEMA_ERROR, "multiple hosts provided with non-HTTP, non-TLS ports",
    """With DNS resolution a TCP port cannot tell several hosts apart. Split the entry per host, or use
    resolution NONE.""")
SE_SELECTOR_AND_ENDPOINTS = _m(
    "MD0308", "ServiceEntrySelectorAndEndpoints", E, SCHEMA_ERROR,
    "only one of WorkloadSelector or Endpoints is allowed in Service Entry",
    """A service entry's instances come either from a workload selector or from endpoints. Keep one.""")
SE_ENUM_INVALID = _m(
    "MD0309", "ServiceEntryFieldValueInvalid", E, SCHEMA_ERROR, "{field} {value!r} is not one of {allowed}",
    """location is MESH_EXTERNAL or MESH_INTERNAL; resolution is NONE, STATIC, DNS, DNS_ROUND_ROBIN or
    DYNAMIC_DNS. Fix the value.""")
DR_HOST_INVALID = _m(
    "MD0320", "DestinationRuleHostInvalid", E, SCHEMA_ERROR, "host {host!r}: {reason}",
    """A destination rule's host is a service name or DNS name with an optional leading '*' label. Fix
    it.""")
DR_SUBSETS_INVALID = _m(
    "MD0321", "DestinationRuleSubsetsInvalid", E, SCHEMA_ERROR, "{reason}",
    """Subset names are unique DNS-1123 labels and their labels valid Kubernetes labels. Fix the subset.""")
DR_TLS_INVALID = _m(
    "MD0322", "DestinationRuleTlsInvalid", E, SCHEMA_ERROR, "{reason}",
    """Upstream MUTUAL TLS needs clientCertificate and privateKey unless credentialName is set; with
    credentialName the certificate fields cannot be set; insecureSkipVerify cannot be combined with
    caCertificates, credentialName or subjectAltNames; mode is DISABLE, SIMPLE, MUTUAL or ISTIO_MUTUAL.
    Fix the tls settings.""")
DR_PORT_POLICY_INVALID = _m(
    "MD0323", "DestinationRulePortPolicyInvalid", E, SCHEMA_ERROR, "{reason}",
    """Each portLevelSettings entry needs a valid port and at least one policy field. Fix it.""")
DR_EXPORT_WITH_SELECTOR = _m(
    "MD0324", "DestinationRuleExportWithSelector", E, SCHEMA_ERROR,
    "destination rule with workload selector cannot have exportTo beyond current namespace",
    """A destination rule scoped to some workloads can only apply in its own namespace: set exportTo to
    ['.'] or remove the workloadSelector.""")

# ----- MD04xx: cross-resource analyzers ----------------------------------------------------------------------
GATEWAY_NOT_FOUND = _m(
    "MD0401", "ReferencedGatewayNotFound", E, "IST0101", "Referenced gateway not found: {gateway!r}",
    """The virtual service binds to a gateway this design does not hold (virtualservice/gateways.go,
    GatewayAnalyzer: an error in Istio, with IST0132 for its hosts, MD1001). If the gateway is managed
    elsewhere (a shared ingress gateway owned by another team) declare it as external (project setting
    external_resources, or validate --external NAMESPACE/Gateway/NAME); otherwise add the gateway or fix the
    name ('<namespace>/<name>'; a bare name means the virtual service's namespace).""")
DESTINATION_HOST_UNKNOWN = _m(
    "MD0402", "DestinationHostNotInDesign", I, "IST0101",
    "destination host {host!r} is not in this design; it could not be checked",
    """The route's destination is neither a service nor an external service of this design. That is
    normal when the service exists only in the cluster; the name, port and subsets could not be checked
    offline. Add the service to the design to have them checked.""")
DESTINATION_PORT_NOT_FOUND = _m(
    "MD0403", "DestinationPortNotFound", E, "IST0101",
    "referenced host:port not found: {host}:{port} (the service has ports {ports})",
    """The destination names a port its service does not expose, so Envoy has no cluster for it and
    requests fail with 503. Use one of the service's ports.""")
SUBSET_NOT_FOUND = _m(
    "MD0404", "DestinationSubsetNotFound", E, "IST0101",
    "referenced host+subset in destinationrule not found: {host}+{subset} (defined: {subsets})",
    """The destination names a subset that the destination rule of its host does not define, so Envoy has
    no cluster for it and requests fail with 503 (NR). Add the subset to the destination rule or fix the
    name.""")
SUBSET_UNCHECKED = _m(
    "MD0405", "DestinationSubsetUnchecked", I, None,
    "subset {subset!r} of {host!r} could not be checked: the design has no destination rule for the host",
    """Subsets are defined by a DestinationRule for the host; none is in this design, so the subset could
    not be checked. Add the destination rule to the design to have it checked.""")
MESH_HOST_CONFLICT = _m(
    "MD0406", "ConflictingMeshGatewayVirtualServiceHosts", E, "IST0109",
    "the virtual services {virtual_services} associated with mesh gateway define the same host {host}",
    """Several virtual services bound to the mesh (sidecars) claim the same host; which one wins is
    undefined. Merge them into one virtual service.""")
PORT_SELECTOR_REQUIRED = _m(
    "MD0407", "DestinationPortSelectorRequired", E, "IST0112",
    "this virtual service routes to {host!r}, which exposes multiple ports {ports}; specifying a port in the "
    "destination is required to disambiguate",
    """When the destination service has several ports, Envoy needs to know which one to use. Set
    destination.port.number.""")
DR_NO_CA = _m(
    "MD0408", "NoServerCertificateVerificationDestinationLevel", W, "IST0128",
    "destination rule has TLS mode {mode} but no caCertificates to validate the server identity of {host}",
    """Without caCertificates (or a credentialName Secret holding a CA) the client does not verify the
    upstream server's certificate, so a man in the middle goes unnoticed. Set caCertificates to the CA
    bundle (e.g. /etc/ssl/certs/ca-certificates.crt for public servers).""")
DR_PORT_NO_CA = _m(
    "MD0409", "NoServerCertificateVerificationPortLevel", W, "IST0129",
    "destination rule has TLS mode {mode} but no caCertificates to validate the server identity of {host} at "
    "port {port}",
    """Same as MD0408 for a portLevelSettings entry: the upstream certificate is not verified. Set
    caCertificates in that port's tls settings.""")
VS_HOST_NOT_IN_GATEWAY = _m(
    "MD0410", "VirtualServiceHostNotFoundInGateway", W, "IST0132",
    "host {host!r} (as {expanded!r}) matches no server host of gateway {gateway}",
    """A virtual service bound to a gateway only receives requests for hosts that gateway serves. Short
    names are expanded in the virtual service's namespace ('ext-svc' -> 'ext-svc.default.svc.cluster.local')
    before they are compared. Add the host to a server of the gateway, or use a host the gateway
    serves.""")
# MD0411 not used: IST0138 (duplicate certificate) is MD0618 in the TLS area (rules/tls_certificates.py).
SUBSET_NO_EFFECT_ON_GATEWAY = _m(
    "MD0412", "IngressRouteRulesNotAffected", W, "IST0140",
    "subset routing of {host} in virtual service {other} has no effect on requests from gateway {gateway}",
    """Another virtual service splits traffic for this host by subsets for sidecars, but this gateway's
    virtual service routes to the host without subsets, so gateway traffic ignores that split. Route to
    the subsets here too, or bind the other virtual service to the gateway.""")
CONFLICTING_GATEWAYS = _m(
    "MD0413", "ConflictingGateways", E, "IST0145",
    "Conflict with gateways {other} (workload selector {selector}, port {port}, hosts {hosts}).",
    """Two gateways selecting the same gateway pods list the same host (written the same way, with the same
    bind) on the same port, whatever the servers' protocols; istiod keeps only one of the servers. Istio
    compares the host strings as written: 'foo.example.com', './foo.example.com' and '*/foo.example.com' are
    not compared with each other. Gateways with different selectors are compared when the input holds a pod
    both select. Merge the servers into one gateway or use different hosts.""")
# MD0414 retired before release: IST0162 (gateway port not on its Service) is MD0701 in the gateway-functions
# area (rules/functions_addresses.py), which models the gateway's Service.
DR_HOST_UNKNOWN = _m(
    "MD0415", "DestinationRuleHostNotInDesign", W, "IST0174",
    "The host {host} defined in the DestinationRule does not match any services in the mesh.",
    """The destination rule configures a host this design has no service or service entry for
    (destinationrule/subset.go, PodNotSelectedAnalyzer: a warning in Istio). If the service lives elsewhere,
    declare it as external (project setting external_resources or validate --external
    NAMESPACE/Service/NAME); otherwise add it to the design or fix the host.""")
SE_PROTOCOL_CONFLICT = _m(
    "MD0416", "ConflictingServiceEntryProtocol", W, "IST0177",
    "service entries {entries} define host {host!r} port {port} with conflicting protocols ({protocols})",
    """Two service entries describe the same host and port differently; which protocol Envoy uses is
    undefined. Keep one definition.""")
PORT_NAME_CONVENTION = _m(
    "MD0417", "PortNameIsNotUnderNamingConvention", I, "IST0118",
    "port name {port_name!r} (port {port}) does not follow Istio's protocol naming convention",
    """Istio learns a service port's protocol from its name prefix (http-, http2-, grpc-, tcp-, tls-, ...)
    or appProtocol; otherwise it detects the protocol, which cannot work for server-first protocols. Name
    the port '<protocol>[-suffix]' or set appProtocol.""")
GATEWAY_PORT_PROTOCOL_CONFLICT = _m(
    "MD0418", "GatewayPortProtocolConflict", E, None,
    "port {port} ({protocol}) is also served by gateway {other} on the same workload with protocol "
    "{other_protocol}; {category} and {other_category} servers cannot share a port",
    """All gateways selecting the same pods are merged per port. A plain-text server (HTTP) and a TLS
    server on one port cannot be merged, so Istio drops one of them without an error. Use different
    ports.""")
INTERNAL_GATEWAY_REFERENCE = _m(
    "MD0419", "ReferencedInternalGateway", W, "IST0165",
    "gateway reference {gateway!r} is to an implementation-generated internal gateway",
    """Gateways named '<gateway>~istio-autogenerated-k8s-gateway~<listener>' are generated by istiod from
    Kubernetes Gateway API objects and may change at any time (kube.IsInternalGatewayReference). Attach routes with an HTTPRoute instead, or define your own
    Gateway.""")
DUPLICATE_SNI_ROUTE = _m(
    "MD0420", "DuplicateSniRoute", W, None,
    "SNI host {sni!r} on gateway {gateway} port {port} is already routed by {other}; this route is skipped",
    """Istio builds one filter chain per SNI host on a gateway port; a second tls route for the same SNI
    host is skipped. Keep one route per SNI host.""")

# ----- MD05xx: design checks Istio does not make --------------------------------------------------------------
UNKNOWN_FIELD = _m(
    "MD0501", "UnknownField", W, None, "unknown field {field!r}: Kubernetes will silently drop it",
    """The field is not part of the resource's schema. The API server prunes unknown fields without an
    error, so the setting would be lost (often a typo or wrong indentation). Fix the field name or its
    place.""")
TLS_MODE_DEFAULTS_PASSTHROUGH = _m(
    "MD0502", "TlsModeDefaultsToPassthrough", W, None,
    "tls.mode is not set, so it defaults to PASSTHROUGH and the {what} is ignored",
    """Istio's default TLS mode is PASSTHROUGH: the gateway does not terminate TLS and never uses the
    certificate. Set mode: SIMPLE (or MUTUAL) to terminate TLS, or remove the certificate settings.""")
PASSTHROUGH_WITH_HTTP_ROUTES = _m(
    "MD0503", "PassthroughServerWithHttpRoutes", W, None,
    "http routes for {host!r} do not apply on gateway {gateway}: its matching server is TLS passthrough "
    "(port {port})",
    """A PASSTHROUGH server forwards the encrypted stream by SNI; the gateway never sees HTTP, so only tls
    routes (with sniHosts) apply. Add a tls route, or terminate TLS on the server (mode SIMPLE) to use
    http routes.""")
TERMINATED_WITH_TLS_ROUTES = _m(
    "MD0504", "TerminatedServerWithTlsRoutes", W, None,
    "tls routes for {host!r} do not apply on gateway {gateway}: its matching HTTPS server terminates TLS "
    "(port {port})",
    """After the gateway terminates TLS on an HTTPS server it routes HTTP, so only http routes apply.
    Use http routes, or set the server's mode to PASSTHROUGH.""")
SHORT_HOST_ON_GATEWAY = _m(
    "MD0505", "ShortHostOnGateway", W, None,
    "short host {host!r} is expanded to {expanded!r}, a cluster-local name external clients do not send",
    """Istio expands a short virtual service host in the virtual service's namespace. On a gateway the
    Host header comes from outside clients, who use the public name, so the route would not match. Write
    the full host name clients use.""")
EGRESS_BYPASS = _m(
    "MD0506", "EgressGatewayBypassed", W, None,
    "sidecar traffic to {host!r} goes straight to the external service, bypassing egress gateway {gateway}",
    """The design sends this external host through an egress gateway, but this mesh route sends sidecar
    traffic directly to the external service, so it leaves the mesh without passing the gateway (and its
    policies). Route mesh traffic for the host to the egress gateway's service instead.""")
SERVICE_UNREACHABLE = _m(
    "MD0507", "ServiceNotReachableFromGateway", I, None,
    "no gateway of this design routes to {host!r}",
    """No virtual service bound to a gateway of this design sends traffic to this service (directly or by
    delegation). That is fine for services only other services call; otherwise bind a virtual service
    routing to it to a gateway.""")
DELEGATE_UNUSED = _m(
    "MD0508", "DelegateVirtualServiceUnused", W, None,
    "delegate virtual service (no hosts) is not delegated to by any virtual service of this design",
    """A virtual service without hosts is only used through a root virtual service's delegate; none refers
    to this one, so it is bound to nothing. Delegate to it from a root, or give it hosts and gateways.""")
GATEWAY_UNBOUND = _m(
    "MD0509", "GatewayNotBound", W, None, "no virtual service of this design binds to this gateway",
    """A gateway without virtual services accepts connections but routes nothing (HTTP clients get 404).
    Bind a virtual service to it (list the gateway in its gateways), or remove the gateway.""")
DELEGATE_CYCLE = _m(
    "MD0510", "DelegateCycle", E, None, "delegate chain loops: {cycle}",
    """Virtual services delegate to each other in a circle, so no route is ever reached. Break the
    cycle.""")
DELEGATE_NOT_FOUND = _m(
    "MD0511", "DelegateNotFound", W, None, "delegate virtual service {target!r} is not in this design",
    """The route delegates to a virtual service this design does not hold; if it does not exist in the
    cluster either, requests get 404. Add it or fix the name (namespace defaults to this one).""")
RULE_SHADOWED = _m(
    "MD0513", "VirtualServiceRuleShadowed", W, None, "rule {rule} never matches ({reason})",
    """Routes are tried in order and the first match wins; every match of this rule is covered by a match of
    an earlier rule (for example prefix /api before prefix /api/v1, or a match of every request), so it never
    receives traffic. Istio's webhook reports only rules after a rule without match and exact duplicates
    (IST0130, MD0210); this wider check is ours, a warning because nothing is rejected. Move the rule before
    the one that covers it, or narrow that one.""")
VS_HOST_SERVED_BY_NO_GATEWAY = _m(
    "MD0512", "VirtualServiceHostServedByNoGateway", W, None,
    "host {host!r} (as {expanded!r}) is served by none of this virtual service's gateways",
    """The virtual service is bound to gateways that serve some of its hosts but not this one, and not to
    mesh, so no request for this host ever reaches it. Istio does not report it: its analyzer
    (IST0132, MD0410) only flags a gateway that serves none of the hosts. A warning, not an error: nothing is
    rejected and nothing fails, the host is just dead. Add the host to a gateway's server, or remove it.""")

# ----- MD06xx: TLS and certificates — rules/tls_*.py (the TLS engineer) -----------------------------------------
# ----- MD07xx: gateway functions (firewall, JWT, rate limits) — rules/functions_*.py ------------------------------

BY_CODE: dict[str, MessageType] = {m.code: m for m in CATALOGUE}


def register(message: MessageType) -> MessageType:
    """Add a message from a rule module outside this file (the MD06xx/MD07xx ranges); returns it."""
    existing = BY_CODE.get(message.code)
    if existing is not None:
        if existing == message:
            return existing
        raise ValueError(f"code {message.code} is already used by {existing.name}")
    CATALOGUE.append(message)
    CATALOGUE.sort(key=lambda m: m.code)
    BY_CODE[message.code] = message
    return message


def lookup(code: str) -> MessageType | None:
    return BY_CODE.get(code)
