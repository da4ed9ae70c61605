"""Host names as Istio treats them: short-name expansion, ``ns/host`` entries and wildcard matching."""

from __future__ import annotations

CLUSTER_SUFFIX = "svc.cluster.local"


def expand_host(host: str, namespace: str) -> str:
    """Expand a short name as pilot does: ``reviews`` -> ``reviews.<ns>.svc.cluster.local``.

    Names with a dot, wildcards and IP-like names are left as written.
    """
    if host == "*" or host.startswith("*") or "." in host:
        return host
    return f"{host}.{namespace}.{CLUSTER_SUFFIX}"


def split_gateway_host(entry: str) -> tuple[str, str]:
    """Split a Gateway server host ``[ns/]dnsName`` into (namespace selector, dnsName); ``*`` when absent."""
    if "/" in entry:
        ns, _, host = entry.partition("/")
        return ns, host
    return "*", entry


def host_matches(pattern: str, host: str) -> bool:
    """Whether ``pattern`` (possibly ``*`` or ``*.suffix``) covers ``host`` (which may itself be a wildcard)."""
    if not pattern.startswith("*"):
        return pattern.lower() == host.lower()   # no wildcard: the names compare case-blind
    if pattern == "*":
        return True
    suffix, host = pattern[1:].lower(), host.lower()  # ".example.com"
    if host.startswith("*"):
        return host[1:].endswith(suffix)
    return host.endswith(suffix) and len(host) > len(suffix)


def hosts_intersect(a: str, b: str) -> bool:
    """Whether two host patterns share at least one concrete host (Istio's host.Name.Matches both ways)."""
    if a == b:
        return True
    return host_matches(a, b) or host_matches(b, a)


def namespace_selector_allows(selector: str, gateway_namespace: str, vs_namespace: str) -> bool:
    """A gateway host's ``ns/`` part: ``*`` any namespace, ``.`` the gateway's own, else that namespace."""
    if selector == "*":
        return True
    if selector == ".":
        return vs_namespace == gateway_namespace
    return selector == vs_namespace


def gateway_ref(entry: str, vs_namespace: str) -> str:
    """Normalise a VirtualService ``gateways`` entry to ``namespace/name`` (``mesh`` stays ``mesh``).

    The legacy ``name.namespace[.svc.cluster.local]`` form is understood too.
    """
    if entry == "mesh":
        return entry
    if "/" in entry:
        return entry
    if "." in entry:
        name, _, rest = entry.partition(".")
        return f"{rest.split('.')[0]}/{name}"
    return f"{vs_namespace}/{entry}"
