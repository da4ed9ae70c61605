"""Istio's string patterns and the constants the policy simulation shares."""

from __future__ import annotations

LOCAL_CLIENT = "127.0.0.1"   # the client address of a request that names none: a local trial
RBAC_DENIED = "RBAC: access denied"


def value_matches(pattern: str, value: str | None, ignore_case: bool = False) -> bool:
    """Istio's string pattern: ``*`` present, ``abc*`` prefix, ``*abc`` suffix, else exact."""
    if value is None:
        return False
    if pattern == "*":
        return True
    if ignore_case:
        pattern, value = pattern.lower(), value.lower()
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    if pattern.startswith("*"):
        return value.endswith(pattern[1:])
    return value == pattern
