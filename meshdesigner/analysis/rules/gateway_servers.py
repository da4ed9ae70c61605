"""Gateway webhook rules for the gateway itself and its servers (MD0101–MD0117)."""

from __future__ import annotations

from ...model.gateway import GATEWAY_PROTOCOLS, HTTP_PROTOCOLS, TLS_PROTOCOLS
from ...model.hosts import split_gateway_host
from .. import messages as m
from ..catalogue import MessageType
from ..checks import dns1123_label, is_ip, partial_wildcard, wildcard_domain
from ..registry import GATEWAY_KINDS, rule


@rule("gateway.name", codes=("MD0101",), kinds=GATEWAY_KINDS)
def gateway_name(ctx, node):
    gw = node.gateway
    reason = dns1123_label(gw.name)
    if reason:
        yield m.GATEWAY_NAME_INVALID.at(gw.ref, "metadata.name", name=gw.name, reason=reason)


@rule("gateway.servers", codes=("MD0102", "MD0103"), kinds=GATEWAY_KINDS)
def gateway_servers(ctx, node):
    gw = node.gateway
    servers = gw.spec.servers or []
    if not servers:
        yield m.GATEWAY_NO_SERVERS.at(gw.ref, "spec.servers")
        return
    seen: set[str] = set()
    for i, server in enumerate(servers):
        name = server.port.name
        if name and name in seen:
            yield m.GATEWAY_DUPLICATE_PORT_NAME.at(gw.ref, f"spec.servers[{i}].port.name", port_name=name)
        seen.add(name)


@rule("gateway.server_hosts", codes=("MD0105", "MD0106", "MD0107", "MD0108", "MD0109"), kinds=GATEWAY_KINDS)
def server_hosts(ctx, node):
    gw = node.gateway
    for i, server in enumerate(gw.spec.servers or []):
        if not server.hosts:
            yield m.SERVER_NO_HOSTS.at(gw.ref, f"spec.servers[{i}].hosts")
        for j, entry in enumerate(server.hosts):
            found = _gateway_host_problem(entry)
            if found is not None:
                message, args = found
                yield message.at(gw.ref, f"spec.servers[{i}].hosts[{j}]", **args)


def _gateway_host_problem(entry: str) -> tuple[MessageType, dict] | None:
    """(message, template arguments) of what is wrong with a server's host entry, or None (most are fine:
    paths and references are built only for findings)."""
    if entry.count("/") > 1:
        return m.GATEWAY_HOST_FORM, {"host": entry, "reason": "host must be of form namespace/dnsName"}
    ns, host = split_gateway_host(entry)
    if "/" in entry and (not ns or not host):
        return m.GATEWAY_HOST_FORM, {"host": entry,
                                     "reason": "config namespace and dnsName in host entry cannot be empty"}
    if ns not in ("*", ".") and dns1123_label(ns):
        return m.GATEWAY_HOST_FORM, {"host": entry, "reason": f"invalid namespace value {ns!r} in gateway"}
    if host == "*" or is_ip(host):
        return None
    if partial_wildcard(host):
        return m.GATEWAY_PARTIAL_WILDCARD, {"host": host}
    if "." not in host:
        return m.GATEWAY_SHORT_HOST, {"host": host}
    reason = wildcard_domain(host)
    if reason:
        return m.GATEWAY_HOST_INVALID, {"host": host, "reason": reason}
    return None


@rule("gateway.server_port", codes=("MD0110", "MD0111", "MD0112", "MD0113", "MD0114"), kinds=GATEWAY_KINDS)
def server_port(ctx, node):
    gw = node.gateway
    for i, server in enumerate(gw.spec.servers or []):
        port = server.port
        base = f"spec.servers[{i}].port"
        if server.protocol not in GATEWAY_PROTOCOLS:
            yield m.SERVER_PROTOCOL_INVALID.at(gw.ref, f"{base}.protocol", protocol=port.protocol)
        unix = (server.bind or "").startswith("unix://")
        if not (1 <= port.number <= 65535) and not (unix and port.number == 0):
            yield m.SERVER_PORT_RANGE.at(gw.ref, f"{base}.number", number=port.number)
        if port.target_port:
            yield m.SERVER_TARGET_PORT.at(gw.ref, f"{base}.targetPort")
        if not port.name:
            yield m.SERVER_PORT_NAME_EMPTY.at(gw.ref, f"{base}.name")
        if server.bind:
            reason = _bind_problem(server.bind, port.number)
            if reason:
                yield m.SERVER_BIND_INVALID.at(gw.ref, f"spec.servers[{i}].bind", bind=server.bind, reason=reason)


def _bind_problem(bind: str, number: int) -> str | None:
    if bind.startswith("unix://"):
        if number != 0:
            return "port number must be 0 for unix domain socket"
        path = bind[len("unix://"):]
        if not (path.startswith("@") and len(path) > 1) and not path.startswith("/"):
            return "not an absolute path to a file"
        return None
    if not is_ip(bind):
        return "not a valid IP"
    return None


@rule("gateway.server_tls_presence", codes=("MD0104", "MD0115", "MD0116", "MD0117"), kinds=GATEWAY_KINDS)
def server_tls_presence(ctx, node):
    gw = node.gateway
    for i, server in enumerate(gw.spec.servers or []):
        protocol, tls = server.protocol, server.tls
        path = f"spec.servers[{i}].tls"
        if protocol in TLS_PROTOCOLS:
            if tls is None:
                yield m.SERVER_TLS_MISSING.at(gw.ref, path)
            elif tls.https_redirect:
                yield m.HTTPS_REDIRECT_NOT_HTTP.at(gw.ref, f"{path}.httpsRedirect", protocol=protocol)
            continue
        if tls is None:
            continue
        if tls.https_redirect and protocol not in HTTP_PROTOCOLS:
            yield m.HTTPS_REDIRECT_NOT_HTTP.at(gw.ref, f"{path}.httpsRedirect", protocol=protocol)
        if protocol in HTTP_PROTOCOLS:
            passthrough = tls.effective_mode in ("PASSTHROUGH", "AUTO_PASSTHROUGH")
            if not passthrough or tls.server_certificate or tls.private_key or tls.ca_certificates:
                yield m.SERVER_TLS_ON_HTTP.at(gw.ref, path)
        elif protocol in GATEWAY_PROTOCOLS:
            yield m.SERVER_TLS_ON_TCP.at(gw.ref, path)
