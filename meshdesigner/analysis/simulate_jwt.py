"""JWT checks as Envoy's jwt_authn filter makes them, for the request simulator.

Given the JWT rules in force at the gateway (``jwt.rules``: RequestAuthentication ``JWTRule`` s) and a request's
headers and query, :func:`check_token` finds the token where the providers look for it, verifies
it against the provider's JWKS (RS256/384/512, PS256/384/512, ES256/384, with ``cryptography``)
and returns Envoy's verdict: no token, a verified principal ``<iss>/<sub>``, or a failure with
the status and the message Envoy answers (401, or 403 for a disallowed audience).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from ..model.security import JWTRule

# Where jwt_authn reads a token when a rule names no header or parameter (Istio's default).
DEFAULT_JWT_HEADER = "Authorization"
DEFAULT_JWT_PREFIX = "Bearer "

# jwt_authn's default ``clock_skew_seconds``: exp/nbf are checked with this much slack.
CLOCK_SKEW_SECONDS = 60
HASHES = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}
CURVES = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1, "P-521": ec.SECP521R1}


@dataclass(frozen=True)
class TokenVerdict:
    """``state``: ``missing`` | ``verified`` | ``failed``."""

    state: str
    principal: str | None = None
    claims: dict | None = None
    status: int | None = None
    message: str = ""
    source: str = ""


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _b64int(part: str) -> int:
    return int.from_bytes(_b64decode(part), "big")


def token_locations(rule: JWTRule) -> tuple[list[tuple[str, str]], list[str]]:
    """(headers as (lower-case name, prefix), query parameters) where this provider reads a token."""
    if rule.from_headers or rule.from_params:
        headers = [(h.name.lower(), h.prefix or "") for h in rule.from_headers or []]
        return headers, list(rule.from_params or [])
    return [(DEFAULT_JWT_HEADER.lower(), DEFAULT_JWT_PREFIX)], ["access_token"]


def find_token(jwt: Any, headers: dict[str, str], query: dict[str, str]) -> tuple[str, str] | None:
    """(token, where) from the first location any provider reads, or None."""
    for rule in jwt.rules:
        header_places, params = token_locations(rule)
        for name, prefix in header_places:
            value = headers.get(name)
            if value is not None and value.startswith(prefix):
                return value[len(prefix):].strip(), f"header {name}"
        for param in params:
            if param in query:
                return query[param], f"query parameter {param}"
    return None


def _public_keys(jwks_text: str | None) -> list[dict]:
    try:
        data = json.loads(jwks_text or "")
    except ValueError:
        return []
    keys = data.get("keys") if isinstance(data, dict) else None
    return [k for k in keys or [] if isinstance(k, dict)]


def _verify(key: dict, alg: str, signing_input: bytes, signature: bytes) -> bool:
    try:
        if alg[:2] in ("RS", "PS") and key.get("kty") == "RSA":
            public = rsa.RSAPublicNumbers(_b64int(key["e"]), _b64int(key["n"])).public_key()
            digest = HASHES[alg[2:]]()
            pad = padding.PKCS1v15() if alg.startswith("RS") else padding.PSS(
                mgf=padding.MGF1(HASHES[alg[2:]]()), salt_length=digest.digest_size)
            public.verify(signature, signing_input, pad, HASHES[alg[2:]]())
            return True
        if alg.startswith("ES") and key.get("kty") == "EC":
            curve = CURVES[key["crv"]]()
            public = ec.EllipticCurvePublicNumbers(_b64int(key["x"]), _b64int(key["y"]), curve).public_key()
            half = len(signature) // 2
            der = encode_dss_signature(int.from_bytes(signature[:half], "big"),
                                       int.from_bytes(signature[half:], "big"))
            public.verify(der, signing_input, ec.ECDSA(HASHES[alg[2:]]()))
            return True
    except (InvalidSignature, KeyError, ValueError, TypeError, binascii.Error):
        return False
    return False


def check_token(jwt: Any, jwks_for, headers: dict[str, str], query: dict[str, str],
                now: float | None = None) -> TokenVerdict:
    """Envoy's verdict on the request's token. ``jwks_for(rule) -> str | None`` gives a rule's JWKS."""
    found = find_token(jwt, headers, query)
    if found is None:
        return TokenVerdict("missing")
    token, where = found
    parts = token.split(".")
    if len(parts) != 3:
        return TokenVerdict("failed", status=401, source=where,
                            message="Jwt is not in the form of Header.Payload.Signature with two dots and 3 sections")
    try:
        header = json.loads(_b64decode(parts[0]))
        claims = json.loads(_b64decode(parts[1]))
        signature = _b64decode(parts[2])
    except (ValueError, binascii.Error):
        return TokenVerdict("failed", status=401, source=where, message="Jwt header or payload is an invalid JSON")
    if not isinstance(header, dict) or not isinstance(claims, dict):
        return TokenVerdict("failed", status=401, source=where, message="Jwt header or payload is an invalid JSON")
    now = time.time() if now is None else now
    exp, nbf = claims.get("exp"), claims.get("nbf")
    if isinstance(exp, (int, float)) and exp + CLOCK_SKEW_SECONDS < now:
        return TokenVerdict("failed", status=401, source=where, message="Jwt is expired")
    if isinstance(nbf, (int, float)) and nbf > now + CLOCK_SKEW_SECONDS:
        return TokenVerdict("failed", status=401, source=where, message="Jwt not yet valid")
    # Envoy's order: time constraints, then the issuer, the audience, the signature.
    issuer = claims.get("iss")
    rule = next((r for r in jwt.rules if r.issuer == issuer), None)
    if rule is None:
        return TokenVerdict("failed", status=401, source=where, message="Jwt issuer is not configured")
    if rule.audiences:
        aud = claims.get("aud")
        auds = aud if isinstance(aud, list) else [aud]
        if not any(a in rule.audiences for a in auds):
            return TokenVerdict("failed", status=403, source=where, message="Audiences in Jwt are not allowed")
    alg = str(header.get("alg", ""))
    kid = header.get("kid")
    jwks = jwks_for(rule)
    if jwks is None and rule.jwks_uri:
        return TokenVerdict("verified", principal=f"{issuer}/{claims.get('sub', '')}", claims=claims, source=where,
                            message=f"signature not checked: the keys are fetched from {rule.jwks_uri}")
    keys = [k for k in _public_keys(jwks) if kid is None or k.get("kid") in (None, kid)]
    if not keys:
        return TokenVerdict("failed", status=401, source=where,
                            message="Jwks doesn't have key to match kid or alg from Jwt")
    signing_input = f"{parts[0]}.{parts[1]}".encode()
    if not any(_verify(k, alg, signing_input, signature) for k in keys):
        return TokenVerdict("failed", status=401, source=where, message="Jwt verification fails")
    return TokenVerdict("verified", principal=f"{issuer}/{claims.get('sub', '')}", claims=claims, source=where)
