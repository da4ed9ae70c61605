"""ServiceEntry webhook rules (MD0301–MD0309) and IST0134 (MD0305).

MD0305 is both serviceentry/protocoladdresses.go ProtocolAddressesAnalyzer (IST0134) and the webhook's warning
(ValidateServiceEntry, SE-5). The analyzer stays silent when the mesh config's defaultConfig.proxyMetadata sets
ISTIO_META_DNS_CAPTURE=true with ISTIO_META_DNS_AUTO_ALLOCATE or PILOT_ENABLE_IP_AUTOALLOCATE =true; with such a
mesh config in the input only the webhook's condition remains: IP auto-allocation (on by default,
PILOT_ENABLE_IP_AUTOALLOCATE) does not apply to resolution NONE or to an entry labelled
networking.istio.io/enable-autoallocate-ip=false (serviceentry.shouldV2AutoAllocateIPFromPieces).
"""

from __future__ import annotations

from .. import messages as m
from ..checks import dns1123_label, is_ip, partial_wildcard, wildcard_domain
from ..registry import rule

SE = ("external-service",)
LOCATIONS = ("MESH_EXTERNAL", "MESH_INTERNAL")
RESOLUTIONS = ("NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS")
SE_PROTOCOLS = frozenset({"HTTP", "HTTPS", "HTTP2", "GRPC", "GRPC-WEB", "TLS", "TCP", "MONGO", "REDIS", "MYSQL",
                          "UDP", "HTTP_PROXY"})
HTTP_OR_TLS = frozenset({"HTTP", "HTTPS", "HTTP2", "GRPC", "GRPC-WEB", "TLS", "HTTP_PROXY"})


def _resolution(se) -> str:
    return se.spec.resolution or "NONE"


@rule("serviceentry.enums", codes=("MD0309",), kinds=SE)
def enums(ctx, node):
    se = node.service_entry
    if se.spec.location is not None and se.spec.location not in LOCATIONS:
        yield m.SE_ENUM_INVALID.at(se.ref, "spec.location", field="location", value=se.spec.location,
                                   allowed=", ".join(LOCATIONS))
    if se.spec.resolution is not None and se.spec.resolution not in RESOLUTIONS:
        yield m.SE_ENUM_INVALID.at(se.ref, "spec.resolution", field="resolution", value=se.spec.resolution,
                                   allowed=", ".join(RESOLUTIONS))


@rule("serviceentry.hosts", codes=("MD0301", "MD0302"), kinds=SE)
def hosts(ctx, node):
    se = node.service_entry
    if not se.spec.hosts:
        yield m.SE_HOSTS_INVALID.at(se.ref, "spec.hosts", reason="service entry must have at least one host")
        return
    for i, host in enumerate(se.spec.hosts):
        path = f"spec.hosts[{i}]"
        if host == "*":
            yield m.SE_HOSTS_INVALID.at(se.ref, path, reason="invalid host *")
        elif partial_wildcard(host):
            if _resolution(se) != "DYNAMIC_DNS":
                yield m.SE_PARTIAL_WILDCARD.at(se.ref, path, host=host)
        else:
            reason = wildcard_domain(host)
            if reason:
                yield m.SE_HOSTS_INVALID.at(se.ref, path, reason=f"host {host!r}: {reason}")


def _dns_auto_allocated(ctx) -> bool:
    """ProtocolAddressesAnalyzer.Analyze: the mesh config of the input asks the proxies to capture DNS and
    auto-allocate addresses (the cluster's mesh config is not known without it: istioctl's default has neither)."""
    mesh = ctx.cluster.mesh_config
    metadata = mesh.proxy_metadata if mesh is not None else {}
    return metadata.get("ISTIO_META_DNS_CAPTURE") == "true" and (
        metadata.get("ISTIO_META_DNS_AUTO_ALLOCATE") == "true"
        or metadata.get("PILOT_ENABLE_IP_AUTOALLOCATE") == "true")


def _v2_auto_allocated(se) -> bool:
    """serviceentry.shouldV2AutoAllocateIPFromPieces with istiod's default PILOT_ENABLE_IP_AUTOALLOCATE=true."""
    opt_out = (se.metadata.labels or {}).get("networking.istio.io/enable-autoallocate-ip", "")
    return _resolution(se) != "NONE" and opt_out.lower() != "false"


@rule("serviceentry.addresses", codes=("MD0303", "MD0305"), kinds=SE)
def addresses(ctx, node):
    se = node.service_entry
    for i, address in enumerate(se.spec.addresses or []):
        if "/" in address and _resolution(se) not in ("NONE", "STATIC"):
            yield m.SE_CIDR_RESOLUTION.at(se.ref, f"spec.addresses[{i}]")
    if not se.spec.addresses and not (_dns_auto_allocated(ctx) and _v2_auto_allocated(se)):
        for i, port in enumerate(se.spec.ports or []):
            if (port.protocol or "").upper() in ("", "TCP"):
                yield m.SE_ADDRESSES_REQUIRED.at(se.ref, f"spec.ports[{i}]")
                break


@rule("serviceentry.ports", codes=("MD0304", "MD0307"), kinds=SE)
def ports(ctx, node):
    se = node.service_entry
    names: set[str] = set()
    numbers: set[int] = set()
    for i, port in enumerate(se.spec.ports or []):
        path = f"spec.ports[{i}]"
        if port.name is not None:
            if port.name in names:
                yield m.SE_PORTS_INVALID.at(se.ref, f"{path}.name",
                                            reason=f"service entry port name {port.name!r} already defined")
            elif dns1123_label(port.name):
                yield m.SE_PORTS_INVALID.at(se.ref, f"{path}.name", reason=f"invalid port name: {port.name}")
            names.add(port.name)
        if port.number in numbers:
            yield m.SE_PORTS_INVALID.at(se.ref, f"{path}.number",
                                        reason=f"service entry port {port.number} already defined")
        elif not 1 <= port.number <= 65535:
            yield m.SE_PORTS_INVALID.at(se.ref, f"{path}.number",
                                        reason=f"port number {port.number} must be in the range 1..65535")
        numbers.add(port.number)
        if port.protocol and port.protocol.upper() not in SE_PROTOCOLS:
            yield m.SE_PORTS_INVALID.at(se.ref, f"{path}.protocol", reason=f"unsupported protocol: {port.protocol}")
    if _resolution(se) != "NONE" and len(se.spec.hosts or []) > 1 and any(
            (p.protocol or "").upper() not in HTTP_OR_TLS for p in se.spec.ports or []):
        yield m.SE_MULTIPLE_HOSTS_TCP.at(se.ref, "spec.hosts")


@rule("serviceentry.endpoints", codes=("MD0306", "MD0308"), kinds=SE)
def endpoints(ctx, node):
    se = node.service_entry
    spec = se.spec
    resolution = _resolution(se)
    eps = spec.endpoints or []
    if spec.workload_selector is not None and eps:
        yield m.SE_SELECTOR_AND_ENDPOINTS.at(se.ref, "spec.workloadSelector")
    if resolution == "NONE" and eps:
        yield m.SE_ENDPOINTS_INVALID.at(se.ref, "spec.endpoints",
                                        reason="no endpoints should be provided for resolution type none")
    if resolution in ("DNS", "DNS_ROUND_ROBIN") and not eps:
        for i, host in enumerate(spec.hosts or []):
            if "*" in host or "." not in host and not is_ip(host):
                yield m.SE_ENDPOINTS_INVALID.at(
                    se.ref, f"spec.hosts[{i}]", reason="hosts must be FQDN or contain only prefix wildcards if no "
                                                       f"endpoints are provided for resolution mode {resolution}")
                break
    if resolution == "DNS_ROUND_ROBIN" and len(eps) > 1:
        yield m.SE_ENDPOINTS_INVALID.at(se.ref, "spec.endpoints",
                                        reason=f"there must only be 0 or 1 endpoint for resolution mode {resolution}")
    port_names = {p.name for p in spec.ports or [] if p.name}
    for i, ep in enumerate(eps):
        address = ep.address or ""
        if address and not address.startswith("unix://"):
            ok = is_ip(address) if resolution == "STATIC" else (is_ip(address) or wildcard_domain(address) is None)
            if not ok:
                yield m.SE_ENDPOINTS_INVALID.at(se.ref, f"spec.endpoints[{i}].address",
                                                reason=f"endpoint address {address!r} is not a valid "
                                                       + ("IP address" if resolution == "STATIC"
                                                          else "FQDN or an IP address"))
        for name in ep.ports or {}:
            if name not in port_names:
                yield m.SE_ENDPOINTS_INVALID.at(se.ref, f"spec.endpoints[{i}].ports[{name}]",
                                                reason=f"endpoint port {name} is not defined by the service entry")
