"""Value checks shared by rules, ported from Istio's ``pkg/config/validation`` helpers.

Each returns ``None`` when the value is fine, else the reason (as Istio words it).
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS_LABEL_ANY_CASE = re.compile(r"^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$")
HEADER_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
PSEUDO_HEADERS = frozenset({":method", ":scheme", ":authority", ":path", ":status"})
JWT_CLAIM_PREFIX = "@request.auth.claims."
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_DURATION_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


@lru_cache(maxsize=16384)
def is_ip(value: str) -> bool:
    if not value or not (value[0].isdigit() or ":" in value):
        return False  # cheap rejection of DNS names, the common case
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def is_cidr_or_ip(value: str) -> bool:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return False
    return True


@lru_cache(maxsize=16384)   # (pure; a design repeats its names many times)
def dns1123_label(value: str) -> str | None:
    if not value:
        return "must not be empty"
    if len(value) > 63:
        return "must be no more than 63 characters"
    if not DNS1123_LABEL.fullmatch(value):  # fullmatch: "$" alone would accept a final newline
        return "must be a DNS-1123 label (lower-case letters, digits and '-', starting and ending with an " \
               "alphanumeric character)"
    return None


@lru_cache(maxsize=8192)
def wildcard_domain(host: str) -> str | None:
    """Istio's ValidateWildcardDomain: a DNS name whose first label may be a whole ``*``."""
    if not host:
        return "empty domain name not allowed"
    if len(host) > 255:
        return f"domain name {host!r} too long (max 255)"
    labels = host.split(".")
    if labels[0] == "*":
        labels = labels[1:]
        if not labels:
            return None  # "*" alone
    for label in labels:
        if not label or len(label) > 63 or not _DNS_LABEL_ANY_CASE.match(label):
            return f"domain name {host!r} invalid (label {label!r} invalid)"
    if len(labels) > 1 and labels[-1].isdigit():
        return f"domain name {host!r} invalid (top level domain {labels[-1]!r} cannot be all-numeric)"
    return None


def partial_wildcard(host: str) -> bool:
    """``foo*.com`` or ``*foo.com``: a ``*`` that is not the whole first label."""
    if "*" not in host:
        return False
    return not (host == "*" or (host.startswith("*.") and "*" not in host[1:]))


def parse_duration(value: str) -> float | None:
    """A protobuf/Go duration (``1.5s``, ``250ms``, ``1m30s``) in seconds, or None when malformed."""
    if not isinstance(value, str) or not value:
        return None
    return _parse_duration_text(value)


@lru_cache(maxsize=4096)
def _parse_duration_text(value: str) -> float | None:
    body = value.lstrip("+-")
    sign = -1 if value.startswith("-") else 1
    if body == "0":
        return 0.0
    pos, total = 0, 0.0
    while pos < len(body):
        m = _DURATION.match(body, pos)
        if not m:
            return None
        total += float(m.group(1)) * _DURATION_UNITS[m.group(2)]
        pos = m.end()
    return sign * total


def duration_problem(value: str, whole_seconds: bool = False) -> str | None:
    """Istio's ValidateDuration: at least 1ms, millisecond precision (or whole seconds)."""
    seconds = parse_duration(value)
    if seconds is None:
        return "not a duration (write e.g. '1.5s' or '250ms')"
    if seconds < 1e-3:
        return "duration must be greater than 1ms"
    unit = 1.0 if whole_seconds else 1e-3
    if abs(seconds / unit - round(seconds / unit)) > 1e-6:
        return "only durations to seconds precision are supported" if whole_seconds \
            else "only durations to ms precision are supported"
    return None


@lru_cache(maxsize=16384)   # (pure; a design repeats its names many times)
def header_name_problem(name: str, allow_claims: bool = True) -> str | None:
    if not name:
        return "header name cannot be empty"
    if name in PSEUDO_HEADERS:
        return None
    if allow_claims and name.startswith(JWT_CLAIM_PREFIX) and len(name) > len(JWT_CLAIM_PREFIX):
        return None
    if not HEADER_TOKEN.match(name):
        return "not a valid header name"
    return None


@lru_cache(maxsize=16384)   # (pure; a design repeats its names many times)
def label_problem(key: str, value: str) -> str | None:
    name = key.rpartition("/")[2]
    prefix = key.rpartition("/")[0]
    if not name or len(name) > 63 or not LABEL_NAME.match(name):
        return f"invalid label key {key!r}"
    if prefix and wildcard_domain(prefix) is not None:
        return f"invalid label key prefix {prefix!r}"
    if len(value) > 63 or not LABEL_VALUE.match(value):
        return f"invalid label value {value!r}"
    return None


# The checks above that keep their answers (pure functions of a few strings a design repeats); memo.clear()
# empties them for cold benchmark runs.
CACHED = (is_ip, wildcard_domain, _parse_duration_text, dns1123_label, header_name_problem, label_problem)


# RE2 refuses what Python's re accepts beyond it: look-around, back-references, possessive forms.
_NOT_RE2 = re.compile(r"\(\?[=!<]|\(\?<[=!]|\\[1-9]|\(\?P=|[*+?}]\+|\(\?>")


def regex_problem(pattern: str) -> str | None:
    if len(pattern) > 1024:
        return "regex is too large, max length allowed is 1024"
    if _NOT_RE2.search(pattern):
        return "look-around, back-references and possessive quantifiers are not supported by RE2"
    try:
        re.compile(pattern)
    except re.error as exc:
        return f"error parsing regexp: {exc}"
    return None
