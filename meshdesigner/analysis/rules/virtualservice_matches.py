"""VirtualService match conditions (MD0218–MD0222) and every regex of a virtual service (MD0220).

One check per concern (header names, string matches, port, source), each called by the one rule
``virtualservice.matches`` for the matches that set what it looks at: one pass over a virtual service's
matches instead of one per check."""

from __future__ import annotations

from .. import messages as m
from ..checks import dns1123_label, header_name_problem, label_problem, regex_problem
from ..registry import rule
from .virtualservice_hosts import gateway_entry_problem

VS = ("virtual-service",)
_FIELDS = (("uri", "uri"), ("scheme", "scheme"), ("method", "method"), ("authority", "authority"))
_MAPS = (("headers", "headers"), ("query_params", "queryParams"), ("without_headers", "withoutHeaders"))


def _string_matches(match):
    """``(StringMatch, field wire name, map key or None)`` of one HTTP match."""
    for field, wire in _FIELDS:
        value = getattr(match, field)
        if value is not None:
            yield value, wire, None
    for field, wire in _MAPS:
        for key, value in (getattr(match, field) or {}).items():
            yield value, wire, key


def _match_path(i: int, j: int, wire: str, key) -> str:
    return f"spec.http[{i}].match[{j}].{wire}" + (f"[{key}]" if key is not None else "")


def _header_names(vs, i: int, j: int, match):
    """MD0218: the header names of an HTTP match."""
    for field in ("headers", "without_headers"):
        wire = "withoutHeaders" if field == "without_headers" else "headers"
        for name in getattr(match, field) or {}:
            if header_name_problem(name):
                yield m.HEADER_NAME_INVALID.at(vs.ref, f"spec.http[{i}].match[{j}].{wire}[{name}]", header=name)


def _string_match_values(vs, i: int, j: int, match):
    """MD0219/MD0220: empty prefixes and regexes, and regexes RE2 refuses, in an HTTP match."""
    for value, wire, key in _string_matches(match):
        if value.prefix == "" and wire != "uri":
            yield m.STRING_MATCH_EMPTY.at(vs.ref, f"{_match_path(i, j, wire, key)}.prefix",
                                          field=f"{wire}[{key}]" if key else wire, kind="prefix")
        if value.regex is not None:
            if value.regex == "":
                yield m.STRING_MATCH_EMPTY.at(vs.ref, f"{_match_path(i, j, wire, key)}.regex",
                                              field=f"{wire}[{key}]" if key else wire, kind="regex")
            elif not (wire == "withoutHeaders" and value.regex == "*"):
                reason = regex_problem(value.regex)
                if reason:
                    yield m.REGEX_INVALID.at(vs.ref, f"{_match_path(i, j, wire, key)}.regex",
                                             field=f"{wire}[{key}]" if key else wire, reason=reason)


def _rule_regexes(vs, i: int, route):
    """MD0220: the regexes of an HTTP rule outside its matches (CORS origins, URI regex rewrite)."""
    cors = route.cors_policy
    for k, origin in enumerate(cors.allow_origins or [] if cors else []):
        if origin.regex:
            reason = regex_problem(origin.regex)
            if reason:
                yield m.REGEX_INVALID.at(vs.ref, f"spec.http[{i}].corsPolicy.allowOrigins[{k}].regex",
                                         field="allowOrigins", reason=reason)
    rewrite = route.rewrite
    if rewrite and rewrite.uri_regex_rewrite and rewrite.uri_regex_rewrite.match:
        reason = regex_problem(rewrite.uri_regex_rewrite.match)
        if reason:
            yield m.REGEX_INVALID.at(vs.ref, f"spec.http[{i}].rewrite.uriRegexRewrite.match",
                                     field="uriRegexRewrite", reason=reason)


def _port_and_source(vs, section: str, i: int, j: int, match):
    """MD0221 (the port's range) and MD0222 (source labels, source namespace, match gateways) of any match."""
    path = f"spec.{section}[{i}].match[{j}]"
    if match.port is not None and not 1 <= match.port <= 65535:
        yield m.MATCH_PORT_RANGE.at(vs.ref, f"{path}.port", port=match.port)
    for key, value in (match.source_labels or {}).items():
        reason = label_problem(key, value)
        if reason:
            yield m.MATCH_SOURCE_INVALID.at(vs.ref, f"{path}.sourceLabels[{key}]", reason=reason)
    if match.source_namespace is not None and dns1123_label(match.source_namespace):
        yield m.MATCH_SOURCE_INVALID.at(vs.ref, f"{path}.sourceNamespace",
                                        reason=f"sourceNamespace match {match.source_namespace} is invalid")
    for k, entry in enumerate(match.gateways or []):
        reason, _ = gateway_entry_problem(entry)
        if reason:
            yield m.MATCH_SOURCE_INVALID.at(vs.ref, f"{path}.gateways[{k}]", reason=f"gateway {entry!r}: {reason}")


def _sets_port_or_source(match) -> bool:
    return match.port is not None or bool(match.source_labels) or match.source_namespace is not None \
        or bool(match.gateways)


@rule("virtualservice.matches", codes=("MD0218", "MD0219", "MD0220", "MD0221", "MD0222"), kinds=VS)
def matches(ctx, node):
    vs = node.virtual_service
    spec = vs.spec
    for i, route in enumerate(spec.http or []):
        for j, match in enumerate(route.match or []):
            if match.headers or match.without_headers:
                yield from _header_names(vs, i, j, match)
            yield from _string_match_values(vs, i, j, match)
            if _sets_port_or_source(match):
                yield from _port_and_source(vs, "http", i, j, match)
        if route.cors_policy is not None or route.rewrite is not None:
            yield from _rule_regexes(vs, i, route)
    for section, routes in (("tcp", spec.tcp), ("tls", spec.tls)):
        for i, route in enumerate(routes or []):
            for j, match in enumerate(route.match or []):
                if _sets_port_or_source(match):
                    yield from _port_and_source(vs, section, i, j, match)
