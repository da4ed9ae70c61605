"""Checks run as the user types: each returns ``None`` when fine, else the reason shown under the field."""

from __future__ import annotations

import re
from collections.abc import Callable

Validator = Callable[[str], str | None]

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DURATION = re.compile(r"^\d+(\.\d+)?(ms|s|m|h)$")
_LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


def required(text: str) -> str | None:
    return "required" if not text.strip() else None


def port(text: str) -> str | None:
    if not text.strip():
        return None
    if not text.strip().isdigit():
        return "a port is a whole number from 1 to 65535"
    return None if 1 <= int(text) <= 65535 else "a port must be from 1 to 65535"


def resource_name(text: str) -> str | None:
    if not text:
        return "a name is required"
    if len(text) > 63:
        return "at most 63 characters"
    if not _DNS_LABEL.match(text):
        return "lower-case letters, digits and '-', starting and ending with a letter or digit"
    return None


def dns_name(text: str, wildcard: bool = True) -> str | None:
    """A DNS name (``*.example.com`` and ``*`` allowed when ``wildcard``); ``ns/host`` for gateway servers."""
    if not text:
        return "a host is required"
    host = text.split("/", 1)[1] if "/" in text else text
    if host == "*" and wildcard:
        return None
    if host.startswith("*."):
        if not wildcard:
            return "wildcards are not allowed here"
        host = host[2:]
    if len(host) > 253:
        return "a DNS name has at most 253 characters"
    for label in host.split("."):
        if not _DNS_LABEL.match(label.lower()):
            return f"'{label}' is not a valid DNS label (letters, digits, '-')"
    return None


def duration(text: str) -> str | None:
    if not text:
        return None
    return None if _DURATION.match(text) else "a duration like 500ms, 2s or 1m"


def percentage(text: str) -> str | None:
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        return "a number from 0 to 100"
    return None if 0 <= value <= 100 else "a percentage from 0 to 100"


def integer(low: int, high: int, what: str = "a number") -> Validator:
    def check(text: str) -> str | None:
        if not text.strip():
            return None
        try:
            value = int(text)
        except ValueError:
            return f"{what} from {low} to {high}"
        return None if low <= value <= high else f"{what} from {low} to {high}"
    return check


http_status = integer(100, 599, "an HTTP status")
weight = integer(0, 100, "a weight")


def label_key(text: str) -> str | None:
    return None if _LABEL_KEY.match(text) else "a label key like app or example.com/tier"


def path(text: str) -> str | None:
    if text and not text.startswith("/"):
        return "a path starts with /"
    return None
