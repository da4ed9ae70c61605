"""Small caches for values several rules derive from the same immutable model objects."""

from __future__ import annotations

from functools import lru_cache

from ..model.hosts import expand_host
from ..model.virtualservice import VirtualService

_MAX_ENTRIES = 50_000
_destinations: dict[int, tuple[VirtualService, list]] = {}


@lru_cache(maxsize=_MAX_ENTRIES)
def fqdn_of(host: str, namespace: str) -> str:
    """``expand_host`` lower-cased (cached)."""
    return expand_host(host, namespace).lower()


def destinations_of(vs: VirtualService) -> list:
    """``vs.all_destinations()``, computed once per (immutable) VirtualService object.

    The cache holds the object itself, so its ``id`` cannot be reused while the entry lives."""
    entry = _destinations.get(id(vs))
    if entry is not None and entry[0] is vs:
        return entry[1]
    if len(_destinations) >= _MAX_ENTRIES:
        _destinations.clear()
    result = vs.all_destinations()
    _destinations[id(vs)] = (vs, result)
    return result


def clear() -> None:
    """Forget every cached value (benchmarks measure cold runs with it)."""
    _destinations.clear()
    fqdn_of.cache_clear()
