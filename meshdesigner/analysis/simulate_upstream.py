"""The request as the backend sees it, and the response header changes, from the plan's route.

Envoy's order (``RouteEntryImplBase::finalizeRequestHeaders``, ``HeaderParser::evaluateHeaders``): each
header parser removes its headers, then adds or overwrites; a weighted destination's parser runs before
the route's. Istio puts a single destination's header operations into the route's own lists, after the
route-level ones (``TranslateRoute`` then ``processDestination``), so they run last.
Paths: ``normalize_path`` (Istio's default pathNormalization BASE) removes dot segments before routing;
``prefix_rewrite`` replaces the matched prefix (or the whole path of an exact match); ``regex_rewrite``
substitutes every match; the query string is kept.
"""

from __future__ import annotations

import re

from ..compile.http import split_header_changes


def normalize_path(path: str) -> str:
    """RFC 3986 section 5.2.4 remove_dot_segments, as Envoy's ``normalize_path`` (slashes kept)."""
    if not path.startswith("/"):
        path = "/" + path
    out: list[str] = []
    segments = path.split("/")[1:]
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == ".":
            if last:
                out.append("")
            continue
        if segment == "..":
            if out:
                out.pop()
            if last:
                out.append("")
            continue
        out.append(segment)
    return "/" + "/".join(out)


def rewritten_path(route_match: dict, rewrite: dict | None, path: str) -> str:
    """The path after the route's rewrite (query not included)."""
    if not rewrite:
        return path
    if "prefix_rewrite" in rewrite:
        if "path" in route_match:
            return rewrite["prefix_rewrite"]
        prefix = route_match.get("prefix", "")
        return rewrite["prefix_rewrite"] + path[len(prefix):]
    if "regex_rewrite" in rewrite:
        spec = rewrite["regex_rewrite"]
        try:
            return re.sub(spec["pattern"]["regex"], spec.get("substitution", ""), path)
        except re.error:
            return path
    return path


def _apply(headers: dict[str, str], changes: dict, part: str) -> None:
    for name in changes.get(f"{part}_headers_to_remove", ()):
        headers.pop(name.lower(), None)
    for entry in changes.get(f"{part}_headers_to_add", ()):
        key, value = entry["header"]["key"].lower(), entry["header"]["value"]
        if entry.get("append_action") == "APPEND_IF_EXISTS_OR_ADD" and key in headers:
            headers[key] = f"{headers[key]},{value}"
        else:
            headers[key] = value


def header_steps(route, destination) -> list[tuple[dict, dict]]:
    """(request changes, response changes) in the order Envoy applies them."""
    dest_request, dest_response = split_header_changes(destination.rule_headers if destination else None)
    if len(route.destinations) == 1:
        merged_request = _merge(route.request_headers, dest_request)
        merged_response = _merge(route.response_headers, dest_response)
        return [(merged_request, merged_response)]
    return [(dest_request, dest_response), (route.request_headers, route.response_headers)]


def _merge(first: dict, second: dict) -> dict:
    out: dict = {}
    for changes in (first, second):
        for key, value in changes.items():
            out.setdefault(key, []).extend(value)
    return out


def upstream_request(route, destination, path: str, query: str, authority: str,
                     client_headers: dict[str, str], scheme: str) -> dict:
    """{"path", "authority", "headers"}: what the backend receives (headers: the client's that survive, the
    ones the configuration sets, and ``x-forwarded-proto``, which the edge connection manager sets from the
    downstream connection before the route's header operations; Envoy's x-request-id, x-forwarded-for and
    x-envoy-* are not listed)."""
    headers = {k: v for k, v in client_headers.items() if not k.startswith(":") and k != "host"}
    headers["x-forwarded-proto"] = scheme
    for request_changes, _response in header_steps(route, destination):
        _apply(headers, request_changes, "request")
    new_path = rewritten_path(route.envoy_match, route.rewrite, path)
    host = (route.rewrite or {}).get("host_rewrite_literal") or authority
    return {"path": new_path + (f"?{query}" if query else ""), "authority": host, "headers": headers}


def response_changes(route, destination) -> dict:
    """{"set": {...}, "add": {...}, "remove": [...]} the gateway applies to the response (route and destination)."""
    out: dict = {"set": {}, "add": {}, "remove": []}
    for _request, changes in header_steps(route, destination):
        for name in changes.get("response_headers_to_remove", ()):
            if name not in out["remove"]:
                out["remove"].append(name)
        for entry in changes.get("response_headers_to_add", ()):
            key, value = entry["header"]["key"], entry["header"]["value"]
            kind = "add" if entry.get("append_action") == "APPEND_IF_EXISTS_OR_ADD" else "set"
            out[kind][key] = value
    return out
