"""MD0710-MD0717: firewall rules (and what every gateway function needs: a selector, unique generated
names, known fields)."""

from __future__ import annotations

import re

from ...model.function_targets import TargetIndex, workload_namespace
from ...model.functions import ADDRESS_FIELDS, FIREWALL_ACTIONS
from ...model.nodes import GatewayNode
from ..registry import DESIGN, GATEWAY_KINDS, rule
from . import functions_messages as fm
from .functions_addresses import http_servers, overlapping_pairs, parse_network

HEADER_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
FIELD_NAMES = {"remote_ip_blocks": "remoteIpBlocks", "not_remote_ip_blocks": "notRemoteIpBlocks",
               "ip_blocks": "ipBlocks", "not_ip_blocks": "notIpBlocks", "hosts": "hosts", "not_hosts": "notHosts",
               "paths": "paths", "not_paths": "notPaths", "methods": "methods", "not_methods": "notMethods",
               "headers": "headers"}


def _pattern_problem(value: str) -> str | None:
    inner = value[1:] if value.startswith("*") else value
    inner = inner[:-1] if inner.endswith("*") else inner
    if "*" in inner:
        return "'*' may only begin or end a pattern"
    return None


@rule("functions.firewall_rules", codes=("MD0702", "MD0705", "MD0710", "MD0711", "MD0713", "MD0714"),
      kinds=GATEWAY_KINDS)
def firewall_rules(ctx, node):
    firewall = node.functions.firewall if node.functions is not None else None
    if firewall is None:
        return
    ref = node.gateway.ref
    ports = {s.port.number for s in node.gateway.spec.servers or []}
    has_allow = bool(firewall.rules_for("ALLOW"))
    for i, rule_ in enumerate(firewall.rules):
        base = f"functions.firewall.rules[{i}]"
        if rule_.action not in FIREWALL_ACTIONS:
            yield fm.FIREWALL_ACTION.at(ref, f"{base}.action", action=rule_.action)
            continue
        conditions = [f for f in (*FIELD_NAMES, "ports", "not_ports") if getattr(rule_, f)]
        if not conditions:
            effect = (": the gateway answers every request with 403" if rule_.action == "DENY"
                      else ": the other ALLOW rules have no effect" if len(firewall.rules_for("ALLOW")) > 1 else "")
            yield fm.FIREWALL_MATCHES_ALL.at(ref, base, action=rule_.action, effect=effect)
        for field in ADDRESS_FIELDS:
            values = getattr(rule_, field) or []
            for j, value in enumerate(values):
                if parse_network(value) is None:
                    yield fm.ADDRESS_INVALID.at(ref, f"{base}.{FIELD_NAMES[field]}[{j}]", what=FIELD_NAMES[field],
                                                value=value)
            for first, second in overlapping_pairs(values):
                yield fm.OVERLAPPING_RANGES.at(ref, f"{base}.{FIELD_NAMES[field]}", what=FIELD_NAMES[field],
                                               first=first, second=second)
        for field, key in (("ports", "ports"), ("not_ports", "notPorts")):
            for j, port in enumerate(getattr(rule_, field) or []):
                if port not in ports:
                    yield fm.FIREWALL_PORT.at(ref, f"{base}.{key}[{j}]", port=port)
        for field in ("methods", "not_methods"):
            for j, method in enumerate(getattr(rule_, field) or []):
                if method != method.upper() or not HEADER_TOKEN.match(method.strip("*") or "X"):
                    yield fm.FIREWALL_VALUE.at(ref, f"{base}.{FIELD_NAMES[field]}[{j}]", what="method", value=method,
                                               reason="methods are upper-case tokens (GET, POST)")
        for field in ("paths", "not_paths"):
            for j, path in enumerate(getattr(rule_, field) or []):
                problem = _pattern_problem(path)
                if problem is None and not (path.startswith("/") or path.startswith("*")):
                    problem = "a path starts with '/'"
                if problem:
                    yield fm.FIREWALL_VALUE.at(ref, f"{base}.{FIELD_NAMES[field]}[{j}]", what="path", value=path,
                                               reason=problem)
        for field in ("hosts", "not_hosts"):
            for j, host in enumerate(getattr(rule_, field) or []):
                problem = _pattern_problem(host)
                if problem:
                    yield fm.FIREWALL_VALUE.at(ref, f"{base}.{FIELD_NAMES[field]}[{j}]", what="host", value=host,
                                               reason=problem)
        for j, header in enumerate(rule_.headers or []):
            if not HEADER_TOKEN.match(header.name):
                yield fm.FIREWALL_VALUE.at(ref, f"{base}.headers[{j}].name", what="header name", value=header.name,
                                           reason="not an HTTP header name")
    # An ALLOW rule on client ranges that a DENY rule without other conditions covers entirely never allows.
    deny_ranges = [(i, r) for i, r in enumerate(firewall.rules) if r.action == "DENY" and r.remote_ip_blocks
                   and not [f for f in (*FIELD_NAMES, "ports", "not_ports") if f != "remote_ip_blocks" and getattr(r, f)]]
    if has_allow and deny_ranges:
        for i, allow in enumerate(firewall.rules):
            if allow.action != "ALLOW" or not allow.remote_ip_blocks:
                continue
            for _k, deny in deny_ranges:
                pairs = overlapping_pairs([*deny.remote_ip_blocks, *allow.remote_ip_blocks])
                shadowed = [(a, b) for a, b in pairs if a in deny.remote_ip_blocks and b in allow.remote_ip_blocks]
                for first, second in shadowed:
                    yield fm.OVERLAPPING_RANGES.at(ref, f"functions.firewall.rules[{i}].remoteIpBlocks",
                                                   what="DENY and ALLOW client ranges (DENY wins)", first=first,
                                                   second=second)


@rule("functions.firewall_http_on_tcp", codes=("MD0712",), kinds=GATEWAY_KINDS)
def firewall_http_on_tcp(ctx, node):
    firewall = node.functions.firewall if node.functions is not None else None
    servers = node.gateway.spec.servers or []
    http = set(http_servers(node))
    tcp = [s for i, s in enumerate(servers) if i not in http]
    if firewall is None or not tcp:
        return
    names = ", ".join(sorted({f"{s.port.number} {s.protocol}" for s in tcp}))
    for i, rule_ in enumerate(firewall.rules):
        fields = rule_.http_only_fields
        if fields and rule_.action in FIREWALL_ACTIONS:
            effect = ("the ALLOW rule never matches there" if rule_.action == "ALLOW"
                      else "the DENY rule is checked without them and matches more")
            yield fm.FIREWALL_HTTP_ON_TCP.at(node.gateway.ref, f"functions.firewall.rules[{i}]",
                                             fields=", ".join(FIELD_NAMES[f] for f in fields), servers=names,
                                             effect=effect)


@rule("functions.selector", codes=("MD0715",), kinds=GATEWAY_KINDS)
def functions_selector(ctx, node):
    functions = node.functions
    if functions is None or functions.is_empty() or node.gateway.spec.selector:
        return
    yield fm.FUNCTIONS_NO_SELECTOR.at(node.gateway.ref, "spec.selector", functions=", ".join(functions.badges()))


def _unknown(model, path: str):
    """(path, field) of unknown fields in a functions model, depth first."""
    for name in sorted(model.unknown_fields()):
        yield path, name
    for name, value in model:
        alias = type(model).model_fields[name].alias or name if name in type(model).model_fields else name
        items = value if isinstance(value, list) else [value]
        for k, item in enumerate(items):
            if hasattr(item, "unknown_fields"):
                sub = f"{path}.{alias}" + (f"[{k}]" if isinstance(value, list) else "")
                yield from _unknown(item, sub)


@rule("functions.unknown_fields", codes=("MD0717",), kinds=GATEWAY_KINDS)
def functions_unknown_fields(ctx, node):
    if node.functions is None:
        return
    for path, name in _unknown(node.functions, "functions"):
        yield fm.FUNCTION_UNKNOWN_FIELD.at(node.gateway.ref, f"{path}.{name}", field=name)


@rule("functions.name_clash", codes=("MD0716",), scope=DESIGN)
def function_name_clash(ctx):
    """Two gateways whose generated resources share a name and namespace."""
    from ...compile.gateway_functions import generated_names

    nodes = ctx.nodes()
    gateways = [n for n in nodes if isinstance(n, GatewayNode) and n.functions is not None
                and not n.functions.is_empty()]
    if len(gateways) < 2:
        return
    index = TargetIndex(nodes)
    owners: dict[tuple[str, str, str], GatewayNode] = {}
    for gw in sorted(gateways, key=lambda g: (g.gateway.namespace, g.gateway.name, g.id)):
        namespace = workload_namespace(gw, index)
        for kind, name in generated_names(gw):
            key = (kind, namespace, name)
            first = owners.setdefault(key, gw)
            if first is not gw:
                yield fm.FUNCTION_NAME_CLASH.at(gw.gateway.ref, "functions", kind=kind, namespace=namespace,
                                                name=name, first=first.gateway.metadata.qualified,
                                                second=gw.gateway.metadata.qualified)
