"""VirtualService webhook rules on hosts, gateways and exportTo (MD0201–MD0209)."""

from __future__ import annotations

from ...model.hosts import hosts_intersect
from .. import messages as m
from ..checks import JWT_CLAIM_PREFIX, dns1123_label, is_ip, wildcard_domain
from ..index import is_mesh_bound
from ..registry import rule

VS = ("virtual-service",)


@rule("virtualservice.delegate_shape", codes=("MD0201",), kinds=VS)
def delegate_shape(ctx, node):
    vs = node.virtual_service
    spec = vs.spec
    if spec.hosts:
        return
    for field, value in (("gateways", spec.gateways), ("tls", spec.tls), ("tcp", spec.tcp)):
        if value:
            what = "gateways specified" if field == "gateways" else f"{field} route specified"
            yield m.DELEGATE_INVALID.at(vs.ref, f"spec.{field}", what=what)


def gateway_entry_problem(entry: str) -> tuple[str | None, str | None]:
    """(error reason, legacy-format suggestion) for a ``gateways`` entry."""
    if entry == "mesh":
        return None, None
    if "/" in entry:
        ns, _, name = entry.partition("/")
        if not ns or not name:
            return "config namespace and gateway name cannot be empty", None
        if dns1123_label(ns):
            return f"invalid value for namespace: {ns!r}", None
        if dns1123_label(name):
            return f"invalid value for gateway name: {name!r}", None
        return None, None
    if "." in entry:
        name, _, rest = entry.partition(".")
        ns = rest.split(".")[0]
        if dns1123_label(name) or dns1123_label(ns):
            return f"invalid value for gateway name: {entry!r}", None
        return None, f"{ns}/{name}"
    if dns1123_label(entry):
        return f"invalid value for gateway name: {entry!r}", None
    return None, None


@rule("virtualservice.gateway_names", codes=("MD0202", "MD0203"), kinds=VS)
def gateway_names(ctx, node):
    vs = node.virtual_service
    for i, entry in enumerate(vs.spec.gateways or []):
        reason, suggested = gateway_entry_problem(entry)
        if reason:
            yield m.VS_GATEWAY_NAME_INVALID.at(vs.ref, f"spec.gateways[{i}]", entry=entry, reason=reason)
        elif suggested:
            yield m.VS_GATEWAY_LEGACY_FORMAT.at(vs.ref, f"spec.gateways[{i}]", entry=entry, suggested=suggested)


@rule("virtualservice.jwt_claims_need_gateway", codes=("MD0204",), kinds=VS)
def jwt_claims_need_gateway(ctx, node):
    vs = node.virtual_service
    if any(g != "mesh" for g in vs.spec.gateways or []):
        return
    for i, route in enumerate(vs.spec.http or []):
        for j, match in enumerate(route.match or []):
            for field in ("headers", "without_headers"):
                for name in getattr(match, field) or {}:
                    if name.startswith(JWT_CLAIM_PREFIX):
                        wire = "withoutHeaders" if field == "without_headers" else "headers"
                        yield m.JWT_CLAIM_WITHOUT_GATEWAY.at(
                            vs.ref, f"spec.http[{i}].match[{j}].{wire}[{name}]", key=name)


@rule("virtualservice.hosts", codes=("MD0205", "MD0206", "MD0207", "MD0208"), kinds=VS)
def hosts(ctx, node):
    vs = node.virtual_service
    spec = vs.spec
    mesh = is_mesh_bound(spec.gateways)
    valid: list[tuple[int, str]] = []
    for i, host in enumerate(spec.hosts or []):
        if host == "*":
            if mesh:
                yield m.VS_WILDCARD_MESH.at(vs.ref, f"spec.hosts[{i}]")
            valid.append((i, host))
            continue
        if is_ip(host):
            valid.append((i, host))
            continue
        reason = wildcard_domain(host)
        if reason or "*" in host[1:]:
            yield m.VS_HOST_INVALID.at(vs.ref, f"spec.hosts[{i}]", host=host,
                                       reason=reason or "partial wildcard not allowed")
        else:
            valid.append((i, host))
    for a in range(len(valid)):
        for b in range(a + 1, len(valid)):
            (_, ha), (j, hb) = valid[a], valid[b]
            if hosts_intersect(ha, hb):
                yield m.VS_DUPLICATE_HOSTS.at(vs.ref, f"spec.hosts[{j}]", a=ha, b=hb)
    if not (spec.http or spec.tcp or spec.tls):
        yield m.VS_NO_ROUTES.at(vs.ref, "spec")


def export_to_problem(values: list[str]) -> str | None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return f"duplicate entries in exportTo: {value}"
        seen.add(value)
        if value not in (".", "*") and dns1123_label(value):
            return f"invalid namespace {value!r}"
    if "*" in seen and len(seen) > 1:
        return "cannot have both public (*) and non-public exportTo values for a resource"
    return None


@rule("resource.export_to", codes=("MD0209",), kinds=("virtual-service", "mesh-service", "external-service"))
def export_to(ctx, node):
    for res in node.held_resources():
        # (read from the instance's fields: a missing attribute costs a raised AttributeError in pydantic)
        values = res.spec.__dict__.get("export_to")
        if values:
            reason = export_to_problem(values)
            if reason:
                yield m.EXPORT_TO_INVALID.at(res.ref, "spec.exportTo", reason=reason)
