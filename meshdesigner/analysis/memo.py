"""Small caches for values several rules derive from the same immutable model objects."""

from __future__ import annotations

from functools import lru_cache

from pydantic import BaseModel

from ..model.gateway import Gateway
from ..model.hosts import expand_host, split_gateway_host
from ..model.virtualservice import VirtualService

_MAX_ENTRIES = 50_000
_destinations: dict[int, tuple[VirtualService, list]] = {}
_server_hosts: dict[int, tuple[Gateway, ServerHosts]] = {}
_match_identities: dict[int, tuple[object, object]] = {}


class ServerHosts:
    """A Gateway's server hosts, parsed once: ``exact`` lower-cased host -> ``(server index, namespace
    selector)``, ``patterns`` ``(server index, namespace selector, host)`` for hosts with a ``*``."""

    def __init__(self, gateway: Gateway) -> None:
        self.exact: dict[str, list[tuple[int, str]]] = {}
        self.patterns: list[tuple[int, str, str]] = []
        self.entries: list[tuple[int, str, str]] = []      # every (index, selector, host), in written order
        # (virtual service host, its namespace) -> [(index, server)] admitting it (rules.binding.servers_for_host)
        self.admitting: dict[tuple[str, str], list] = {}
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


def _frozen(value):
    """A hashable value equal to another's exactly when their ``model_dump(exclude_none=True)`` forms are
    equal (dicts compare as sets of items, lists as tuples), built without dumping the model."""
    if isinstance(value, BaseModel):
        return _model_identity(value, ())
    if isinstance(value, dict):
        return frozenset((key, _frozen(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(item) for item in value)
    return value


def _model_identity(model: BaseModel, skip: tuple[str, ...]) -> frozenset:
    """``model.model_dump(exclude=skip, exclude_none=True)`` frozen: fields and kept unknown fields that are
    not None (pydantic drops those at every model level, not inside plain dicts and lists)."""
    items = [(key, _frozen(item)) for key, item in model.__dict__.items() if item is not None and key not in skip]
    extra = model.__pydantic_extra__
    if extra:
        items += [(key, _frozen(item)) for key, item in extra.items() if item is not None and key not in skip]
    return frozenset(items)


def match_identity(match) -> object:
    """A route match as validation.go's asJSON compares matches (``model_dump`` without the HTTP match's
    ``name``), frozen into a hashable value: two matches are duplicates exactly when their identities are
    equal. Computed once per (immutable) match object; the reachability rules compare every match of a
    VirtualService with every earlier one."""
    entry = _match_identities.get(id(match))
    if entry is not None and entry[0] is match:
        return entry[1]
    if len(_match_identities) >= _MAX_ENTRIES:
        _match_identities.clear()
    result = _model_identity(match, ("name",))
    _match_identities[id(match)] = (match, result)
    return result


def clear() -> None:
    """Forget every cached value (benchmarks measure cold runs with it), the name checks' too."""
    from . import checks

    _destinations.clear()
    _server_hosts.clear()
    _match_identities.clear()
    fqdn_of.cache_clear()
    for cached in checks.CACHED:
        cached.cache_clear()
