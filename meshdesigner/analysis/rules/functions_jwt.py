"""MD0720-MD0727: JWT authentication on a gateway (keys, issuers, principals, header names)."""

from __future__ import annotations

import json
import pathlib

from ..registry import GATEWAY_KINDS, rule
from . import functions_messages as fm
from .functions_addresses import http_servers
from .functions_firewall import HEADER_TOKEN

KEY_FIELDS = {"RSA": ("n", "e"), "EC": ("crv", "x", "y")}


def jwks_problem(text: str) -> str | None:
    """Why a JWKS document cannot be used, or None."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        return f"not JSON ({exc.msg})"
    keys = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(keys, list) or not keys:
        return 'no "keys" list'
    usable = [k for k in keys if isinstance(k, dict) and k.get("kty") in KEY_FIELDS
              and all(k.get(f) for f in KEY_FIELDS[k["kty"]])]
    if not usable:
        return "no RSA or EC public key with all its fields"
    return None


def _principal_problem(pattern: str) -> str | None:
    if pattern == "*":
        return None
    issuer, slash, subject = pattern.rpartition("/")
    if not slash:
        return "write '<issuer>/<subject>' or '*'"
    if "*" in issuer and issuer != "*":
        return "the issuer part is a whole issuer or '*'"
    inner = subject.strip("*") if subject not in ("", "*") else ""
    if "*" in inner:
        return "'*' may only begin or end the subject"
    return None


@rule("functions.jwt", codes=("MD0720", "MD0721", "MD0722", "MD0723", "MD0725", "MD0726", "MD0727"),
      kinds=GATEWAY_KINDS)
def jwt_rules(ctx, node):
    jwt = node.functions.jwt if node.functions is not None else None
    if jwt is None:
        return
    ref = node.gateway.ref
    if jwt.require_principal and not jwt.rules:
        yield fm.JWT_REQUIRE_WITHOUT_RULES.at(ref, "functions.jwt.requirePrincipal")
    seen: set[str] = set()
    for i, jwt_rule in enumerate(jwt.rules):
        base = f"functions.jwt.rules[{i}]"
        if not jwt_rule.issuer.strip():
            yield fm.JWT_ISSUER.at(ref, f"{base}.issuer", index=i + 1, reason="the issuer is empty")
        elif jwt_rule.issuer in seen:
            yield fm.JWT_ISSUER.at(ref, f"{base}.issuer", index=i + 1,
                                   reason=f"issuer {jwt_rule.issuer!r} is listed twice")
        seen.add(jwt_rule.issuer)
        sources = [f for f, v in (("jwks", jwt_rule.jwks), ("jwksFile", jwt_rule.jwks_file),
                                  ("jwksUri", jwt_rule.jwks_uri)) if v is not None]
        if not sources:
            yield fm.JWT_KEYS.at(ref, base, issuer=jwt_rule.issuer, reason="no keys: set jwks, jwksFile or jwksUri")
        elif len(sources) > 1:
            yield fm.JWT_KEYS.at(ref, f"{base}.{sources[1]}", issuer=jwt_rule.issuer,
                                 reason=f"set only one of {', '.join(sources)}")
        if jwt_rule.jwks is not None:
            problem = jwks_problem(jwt_rule.jwks)
            if problem:
                yield fm.JWKS_INVALID.at(ref, f"{base}.jwks", issuer=jwt_rule.issuer, where="given inline",
                                         reason=problem)
        elif jwt_rule.jwks_file:
            try:
                text = pathlib.Path(jwt_rule.jwks_file).read_text(encoding="utf-8")
                problem = jwks_problem(text)
            except OSError as exc:
                problem = f"cannot read the file ({exc.strerror or exc})"
            if problem:
                yield fm.JWKS_INVALID.at(ref, f"{base}.jwksFile", issuer=jwt_rule.issuer,
                                         where=f"file {jwt_rule.jwks_file}", reason=problem)
        elif jwt_rule.jwks_uri:
            yield fm.JWT_REMOTE_KEYS.at(ref, f"{base}.jwksUri", issuer=jwt_rule.issuer)
        for j, header in enumerate(jwt_rule.from_headers or []):
            if not HEADER_TOKEN.match(header.name):
                yield fm.JWT_HEADER.at(ref, f"{base}.fromHeaders[{j}].name", what="token header", name=header.name)
        if jwt_rule.output_payload_to_header and not HEADER_TOKEN.match(jwt_rule.output_payload_to_header):
            yield fm.JWT_HEADER.at(ref, f"{base}.outputPayloadToHeader", what="payload header",
                                   name=jwt_rule.output_payload_to_header)
    for j, pattern in enumerate(jwt.principals or []):
        problem = _principal_problem(pattern)
        if problem:
            yield fm.JWT_PRINCIPAL_PATTERN.at(ref, f"functions.jwt.principals[{j}]", pattern=pattern, reason=problem)


@rule("functions.jwt_on_tcp", codes=("MD0724",), kinds=GATEWAY_KINDS)
def jwt_on_tcp(ctx, node):
    jwt = node.functions.jwt if node.functions is not None else None
    if jwt is None or not jwt.require_principal:
        return
    servers = node.gateway.spec.servers or []
    http = set(http_servers(node))
    tcp = sorted({f"{s.port.number} {s.protocol}" for i, s in enumerate(servers) if i not in http})
    if tcp:
        yield fm.JWT_ON_TCP.at(node.gateway.ref, "functions.jwt.requirePrincipal", servers=", ".join(tcp))
