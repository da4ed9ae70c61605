"""Small caches for values several rules derive from the same immutable model objects."""

from __future__ import annotations

from functools import lru_cache

from ..model.gateway import Gateway
from ..model.hosts import expand_host, split_gateway_host
from ..model.virtualservice import VirtualService

_MAX_ENTRIES = 50_000
_destinations: dict[int, tuple[VirtualService, list]] = {}
_server_hosts: dict[int, tuple[Gateway, ServerHosts]] = {}


class ServerHosts:
    """A Gateway's server hosts, parsed once: ``exact`` lower-cased host -> ``(server index, namespace
    selector)``, ``patterns`` ``(server index, namespace selector, host)`` for hosts with a ``*``."""

    def __init__(self, gateway: Gateway) -> None:
        self.exact: dict[str, list[tuple[int, str]]] = {}
        self.patterns: list[tuple[int, str, str]] = []
        self.entries: list[tuple[int, str, str]] = []      # every (index, selector, host), in written order
        for i, server in enumerate(gateway.spec.servers or []):
            for entry in server.hosts:
                selector, host = split_gateway_host(entry)
                self.entries.append((i, selector, host))
                if "*" in host:
                    self.patterns.append((i, selector, host))
                else:
                    self.exact.setdefault(host.lower(), []).append((i, selector))


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


def server_hosts(gateway: Gateway) -> ServerHosts:
    """A Gateway's parsed server hosts, computed once per (immutable) Gateway object."""
    entry = _server_hosts.get(id(gateway))
    if entry is not None and entry[0] is gateway:
        return entry[1]
    if len(_server_hosts) >= _MAX_ENTRIES:
        _server_hosts.clear()
    result = ServerHosts(gateway)
    _server_hosts[id(gateway)] = (gateway, result)
    return result


def clear() -> None:
    """Forget every cached value (benchmarks measure cold runs with it)."""
    _destinations.clear()
    _server_hosts.clear()
    fqdn_of.cache_clear()
