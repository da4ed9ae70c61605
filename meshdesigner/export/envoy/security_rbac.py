"""AuthorizationPolicy rules (:mod:`meshdesigner.compile.security_rules`) as Envoy RBAC, as istiod writes them.

Each rule becomes one named RBAC policy ``ns[<ns>]-policy[<name>]-rule[<i>]`` with one permission
(the ORed operations ANDed with the permission-side ``when`` conditions) and one principal (the ORed
sources ANDed with the principal-side conditions), following ``Model.Generate`` and the generators of
``pilot/pkg/security/authz/model/generator.go``:

* ``source.ip``/``ipBlocks`` -> ``direct_remote_ip`` (the peer), ``remote.ip``/``remoteIpBlocks`` ->
  ``remote_ip`` (the client Envoy derives from X-Forwarded-For with ``xff_num_trusted_hops``);
* hosts -> ``:authority`` (case-insensitive), methods -> ``:method``, paths -> ``url_path``, ports /
  ``destination.port`` -> ``destination_port``, ``destination.ip``, ``connection.sni``;
* ``request.headers[h]`` -> header ``h``; request principals, audiences, presenter and
  ``request.auth.claims[a][b]`` -> the JWT payload the jwt_authn filter writes to its dynamic metadata
  under ``payload`` (istiod reads the same claims through its ``istio_authn`` filter, which a standalone
  Envoy does not have);
* ``source.principal``/``namespace``/``serviceAccount`` -> the peer certificate's URI SAN (mTLS only:
  a client outside the mesh never has one).
"""

from __future__ import annotations

import ipaddress
import re

from ...compile.security_rules import (
    DEST_IP,
    DEST_PORT,
    ENVOY_FILTER_ATTR,
    HOST,
    METHOD,
    PATH,
    REMOTE_IP,
    REQUEST_AUDIENCES,
    REQUEST_CLAIMS,
    REQUEST_HEADERS,
    REQUEST_PRESENTER,
    REQUEST_PRINCIPAL,
    SNI,
    SOURCE_IP,
    SOURCE_NAMESPACE,
    SOURCE_PRINCIPAL,
    SOURCE_SA,
    Clause,
    RulePlan,
    bracket_names,
    request_principal_parts,
)
from .common import istio_string_match

JWT_FILTER = "envoy.filters.http.jwt_authn"
JWT_PAYLOAD_KEY = "payload"   # istiod's filters.EnvoyJwtFilterPayload
PERMISSION_KEYS = (HOST, METHOD, PATH, DEST_PORT, DEST_IP, SNI)
NEVER = {"permissions": [{"not_rule": {"any": True}}], "principals": [{"not_id": {"any": True}}]}


def _combine(items: list[dict], op: str, kind: str) -> dict:
    if not items:
        return {"any": True}
    if len(items) == 1:
        return items[0]
    if kind == "permission":
        return {f"{op}_rules": {"rules": items}}
    return {f"{op}_ids": {"ids": items}}


def _not(item: dict, kind: str) -> dict:
    return {"not_rule": item} if kind == "permission" else {"not_id": item}


def _cidr(value: str) -> dict:
    try:
        net = ipaddress.ip_network(value, strict=False)
    except ValueError:
        net = ipaddress.ip_network("255.255.255.255/32")  # unparseable: MD0901 reports it; matches nobody
    return {"address_prefix": str(net.network_address), "prefix_len": net.prefixlen}


def _header(name: str, value: str, ignore_case: bool = False) -> dict:
    if value == "*":
        return {"name": name, "present_match": True}
    return {"name": name, "string_match": istio_string_match(value, ignore_case)}


def _string(kind_text: tuple[str, str]) -> dict:
    kind, text = kind_text
    if kind == "any":
        return {"safe_regex": {"regex": ".+"}}
    return {kind: text}


def _metadata(path: list[str], value: dict) -> dict:
    # istiod writes Principal.metadata; Envoy 1.40 warns it is deprecated ("removed from Envoy soon").
    # sourced_metadata reads the same dynamic metadata (its default source), without the warning.
    return {"sourced_metadata": {"metadata_matcher": {
        "filter": JWT_FILTER, "path": [{"key": k} for k in [JWT_PAYLOAD_KEY, *path]], "value": value}}}


def _claim_value(pattern: str) -> dict:
    """A claim is a string or a list of strings: match either (istiod's list value matcher)."""
    string = istio_string_match(pattern) if pattern != "*" else {"safe_regex": {"regex": ".*"}}
    return {"or_match": {"value_matchers": [{"string_match": string},
                                            {"list_match": {"one_of": {"string_match": string}}}]}}


def _principal_value(key: str, value: str) -> dict | None:
    if key in (SOURCE_IP, REMOTE_IP):
        return {"direct_remote_ip" if key == SOURCE_IP else "remote_ip": _cidr(value)}
    if key == REQUEST_PRINCIPAL:
        iss, sub = request_principal_parts(value)
        return _combine([_metadata(["iss"], {"string_match": _string(iss)}),
                         _metadata(["sub"], {"string_match": _string(sub)})], "and", "principal")
    if key == REQUEST_AUDIENCES:
        return _metadata(["aud"], _claim_value(value))
    if key == REQUEST_PRESENTER:
        return _metadata(["azp"], _claim_value(value))
    if key.startswith(REQUEST_CLAIMS):
        names = bracket_names(key, REQUEST_CLAIMS)
        return None if names is None else _metadata(names, _claim_value(value))
    if key.startswith(REQUEST_HEADERS):
        names = bracket_names(key, REQUEST_HEADERS)
        return None if not names else {"header": _header(names[0], value)}
    if key in (SOURCE_PRINCIPAL, SOURCE_NAMESPACE, SOURCE_SA):
        if key == SOURCE_NAMESPACE:
            regex = f".*/ns/{re.escape(value)}/.*" if value != "*" else ".+"
        elif key == SOURCE_SA:
            ns, _, sa = value.partition("/")
            regex = f".*/ns/{re.escape(ns)}/sa/{re.escape(sa)}"
        else:
            match = istio_string_match(value)
            return {"authenticated": {"principal_name": {k: ("spiffe://" + v if k in ("exact", "prefix") else v)
                                                         for k, v in match.items()}}}
        return {"authenticated": {"principal_name": {"safe_regex": {"regex": regex}}}}
    return None


def _permission_value(key: str, value: str, local_port) -> dict | None:
    if key == HOST:
        return {"header": _header(":authority", value, ignore_case=True)}
    if key == METHOD:
        return {"header": _header(":method", value)}
    if key == PATH:
        return {"any": True} if value == "*" else {"url_path": {"path": istio_string_match(value)}}
    if key == DEST_PORT:
        try:
            return {"destination_port": local_port(int(value))}
        except ValueError:
            return None
    if key == DEST_IP:
        return {"destination_ip": _cidr(value)}
    if key == SNI:
        return {"requested_server_name": istio_string_match(value)}
    if key.startswith(ENVOY_FILTER_ATTR):
        return None
    return None


def _clause(clause: Clause, kind: str, local_port) -> list[dict]:
    def one(value: str) -> dict | None:
        if kind == "permission":
            return _permission_value(clause.key, value, local_port)
        return _principal_value(clause.key, value)

    out = []
    values = [m for m in (one(v) for v in clause.values) if m is not None]
    if values:
        out.append(_combine(values, "or", kind))
    not_values = [m for m in (one(v) for v in clause.not_values) if m is not None]
    if not_values:
        out.append(_not(_combine(not_values, "or", kind), kind))
    return out


def rbac_policy(rule: RulePlan, local_port) -> dict:
    """One Envoy RBAC policy for a rule."""
    if rule.never:
        return NEVER
    operations = [_combine([m for c in op for m in _clause(c, "permission", local_port)], "and", "permission")
                  for op in rule.operations]
    sources = [_combine([m for c in src for m in _clause(c, "principal", local_port)], "and", "principal")
               for src in rule.sources]
    permission_parts = ([_combine(operations, "or", "permission")] if operations else []) + [
        m for c in rule.conditions if c.key in PERMISSION_KEYS or c.key.startswith(ENVOY_FILTER_ATTR)
        for m in _clause(c, "permission", local_port)]
    principal_parts = ([_combine(sources, "or", "principal")] if sources else []) + [
        m for c in rule.conditions if not (c.key in PERMISSION_KEYS or c.key.startswith(ENVOY_FILTER_ATTR))
        for m in _clause(c, "principal", local_port)]
    return {"permissions": [_combine(permission_parts, "and", "permission")],
            "principals": [_combine(principal_parts, "and", "principal")]}
