"""EnvoyFilter patches applied to a gateway's finished bootstrap, as istiod applies them.

Follows ``pilot/pkg/networking/core/envoyfilter/``: ``listener_patch.go`` (``patchListeners``,
``patchFilterChains``, ``patchNetworkFilters``, ``patchHTTPFilters``, ``listenerMatch``,
``filterChainMatch``, ``networkFilterMatch``, ``httpFilterMatch``), ``rc_patch.go``
(``ApplyRouteConfigurationPatches``, ``patchVirtualHosts``, ``patchHTTPRoutes``,
``routeConfigurationMatch``, ``virtualHostMatch``, ``routeMatch``) and ``cluster_patch.go``. A patch
applies at a gateway when its context is ``GATEWAY`` or ``ANY`` (``patchContextMatch``); the
EnvoyFilters are applied one after another in the order of :func:`security_plan` (root namespace
first, then priority, then name).

MERGE is protobuf merge on the JSON form: mappings merge key by key, lists are appended, other values
replaced; a ``typed_config`` of another ``@type`` is left alone (istiod's ``MergeAnyWithAny`` fails).
Route configurations are inline in a standalone config (no RDS): their name and port are those istiod
gives them (``http.<port>``, ``https.<port>.<portName>.<gw>.<ns>``). Listener ``portNumber`` is the
Gateway server port (the local port with ``--port-map`` is accepted too).

:func:`apply_patches` returns what each patch did, so a patch that applied nowhere is reported
(MD0905) rather than silently skipped.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Collection
from dataclasses import dataclass, field

HCM_NAME = "envoy.filters.network.http_connection_manager"
GATEWAY_CONTEXTS = ("GATEWAY", "ANY")
_CAMEL = re.compile(r"^[a-z][a-z0-9]*([A-Z][a-z0-9]*)+$")


@dataclass
class PatchOutcome:
    """How often each patch (``(EnvoyFilter ref, index)``) applied to this gateway's config."""

    applied: dict[tuple, int] = field(default_factory=dict)

    def hit(self, key: tuple) -> None:
        self.applied[key] = self.applied.get(key, 0) + 1


def _snake(value):
    """Patch values may use protobuf JSON's camelCase; the generated config uses snake_case."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            key = re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), k) if _CAMEL.match(k) else k
            out[key] = v if key == "value" and "type_url" in value else _snake(v)
        return out
    if isinstance(value, list):
        return [_snake(v) for v in value]
    return value


def proto_merge(target: dict, patch: dict) -> None:
    """Merge ``patch`` into ``target`` in place like ``proto.Merge`` on the JSON form."""
    for key, value in patch.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            if "@type" in current and "@type" in value and current["@type"] != value["@type"]:
                continue
            proto_merge(current, value)
        elif isinstance(current, list) and isinstance(value, list):
            current.extend(copy.deepcopy(value))
        else:
            target[key] = copy.deepcopy(value)


class _Patch:
    def __init__(self, ef, index: int, patch) -> None:
        self.key = (ef.ref, index)
        self.apply_to = patch.apply_to or ""
        match = patch.match
        self.context = (match.context if match else None) or "ANY"
        self.listener = (match.listener if match else None) or None
        self.route = (match.route_configuration if match else None) or None
        self.cluster = (match.cluster if match else None) or None
        self.operation = (patch.patch.operation if patch.patch else None) or ""
        self.value = copy.deepcopy(patch.patch.value) if patch.patch else None
        self._shared_value = None

    @property
    def applies_here(self) -> bool:
        return self.context in GATEWAY_CONTEXTS

    def fresh(self):
        return copy.deepcopy(self.value)

    def shared_value(self, shared: dict[int, str] | None):
        """The value this patch inserts into every filter chain it matches: one object for all of them
        (istiod inserts the same filter into each), registered in ``shared`` so the config writes it once
        (a YAML anchor) and a later MERGE on one chain copies it first (:func:`_own_copy`)."""
        if shared is None:
            return self.fresh()
        if self._shared_value is None:
            self._shared_value = self.fresh()
            if isinstance(self._shared_value, dict):
                ref, index = self.key
                base = re.sub(r"[^A-Za-z0-9-]+", "-", f"envoyfilter-{ref.namespace}-{ref.name}-{index}")
                name, n = base, 1
                while name in shared.values():
                    n += 1
                    name = f"{base}-{n}"
                shared[id(self._shared_value)] = name
        return self._shared_value

    # --- listener side matches ---
    def listener_match(self, listener: dict, ports: set[int]) -> bool:
        m = self.listener
        if not m:
            return True
        if m.get("name") and m["name"] != listener.get("name"):
            return False
        port = m.get("portNumber")
        return not port or int(port) in ports

    def chain_match(self, chain: dict) -> bool:
        m = (self.listener or {}).get("filterChain")
        if not m:
            return True
        fcm = chain.get("filter_chain_match") or {}
        if m.get("name") and m["name"] != chain.get("name"):
            return False
        if m.get("sni") and m["sni"] not in (fcm.get("server_names") or []):
            return False
        if m.get("transportProtocol") and fcm.get("transport_protocol") != m["transportProtocol"]:
            return False
        if m.get("applicationProtocols"):
            wanted = str(m["applicationProtocols"]).split(",")
            if not all(p in (fcm.get("application_protocols") or []) for p in wanted):
                return False
        return not m.get("destinationPort") or fcm.get("destination_port") == int(m["destinationPort"])

    @property
    def filter_name(self) -> str | None:
        f = ((self.listener or {}).get("filterChain") or {}).get("filter")
        return f.get("name") if isinstance(f, dict) else None

    @property
    def has_filter_match(self) -> bool:
        return isinstance(((self.listener or {}).get("filterChain") or {}).get("filter"), dict)

    @property
    def sub_filter_name(self) -> str | None:
        f = ((self.listener or {}).get("filterChain") or {}).get("filter") or {}
        sub = f.get("subFilter") if isinstance(f, dict) else None
        return sub.get("name") if isinstance(sub, dict) else None

    @property
    def has_sub_filter_match(self) -> bool:
        f = ((self.listener or {}).get("filterChain") or {}).get("filter") or {}
        return isinstance(f, dict) and isinstance(f.get("subFilter"), dict)

    def network_filter_match(self, flt: dict) -> bool:
        return not self.has_filter_match or self.filter_name == flt.get("name")

    def http_filter_match(self, flt: dict) -> bool:
        return not self.has_sub_filter_match or self.sub_filter_name == flt.get("name")

    # --- route side matches ---
    def route_config_match(self, rc: dict, port: int) -> bool:
        m = self.route
        if not m:
            return True
        name = rc.get("name", "")
        if m.get("name") and m["name"] != name:
            return False
        parts = name.split(".")
        port_name = parts[2] if len(parts) >= 5 else ""
        gateway = ".".join(parts[3:]) if len(parts) >= 5 else ""
        if m.get("portName") and m["portName"] != port_name:
            return False
        if m.get("gateway") and m["gateway"] != _gateway_of(gateway):
            return False
        return not m.get("portNumber") or int(m["portNumber"]) == port

    def vhost_match(self, vh: dict) -> bool:
        m = (self.route or {}).get("vhost")
        if not m:
            return True
        return (not m.get("name") or m["name"] == vh.get("name")) and \
            (not m.get("domainName") or m["domainName"] in (vh.get("domains") or []))

    @property
    def has_route_match(self) -> bool:
        return isinstance(((self.route or {}).get("vhost") or {}).get("route"), dict)

    def route_match(self, route: dict) -> bool:
        m = ((self.route or {}).get("vhost") or {}).get("route")
        if not m:
            return True
        if m.get("name") and m["name"] != route.get("name"):
            return False
        action = m.get("action") or "ANY"
        if action != "ANY":
            kind = "ROUTE" if "route" in route else "REDIRECT" if "redirect" in route else \
                "DIRECT_RESPONSE" if "direct_response" in route else None
            return kind == action
        return True

    def cluster_match(self, cluster: dict) -> bool:
        m = self.cluster
        if not m:
            return True
        name = cluster.get("name", "")
        if m.get("name") and m["name"] != name:
            return False
        parts = name.split("|")
        if len(parts) != 4:
            return not (m.get("portNumber") or m.get("service") or m.get("subset"))
        _direction, port, subset, host = parts
        if m.get("subset") and m["subset"] != subset:
            return False
        if m.get("service") and m["service"] != host:
            return False
        return not m.get("portNumber") or str(m["portNumber"]) == port


def _gateway_of(rds_gateway: str) -> str:
    """``<gw>.<ns>`` from an RDS name -> istiod's ``ns/gw``."""
    name, _, ns = rds_gateway.partition(".")
    return f"{ns}/{name}" if ns else name


def _insert(items: list, patch: _Patch, matches, outcome: PatchOutcome, has_match: bool, shared=None) -> list:
    """INSERT_FIRST/BEFORE/AFTER, REPLACE, REMOVE, ADD on an ordered list (filters or routes). With
    ``shared`` (filters), every chain gets the patch's one value object (:meth:`_Patch.shared_value`)."""
    op = patch.operation
    value = patch.fresh if shared is None else (lambda: patch.shared_value(shared))
    if op == "ADD":
        outcome.hit(patch.key)
        return [*items, value()]
    if op == "INSERT_FIRST":
        outcome.hit(patch.key)
        return [value(), *items]
    if op in ("INSERT_BEFORE", "INSERT_AFTER") and not has_match:
        outcome.hit(patch.key)
        return [value(), *items] if op == "INSERT_BEFORE" else [*items, value()]
    if op in ("INSERT_BEFORE", "INSERT_AFTER", "REPLACE"):
        for i, item in enumerate(items):
            if matches(item):
                outcome.hit(patch.key)
                if op == "INSERT_BEFORE":
                    return [*items[:i], value(), *items[i:]]
                if op == "INSERT_AFTER":
                    return [*items[:i + 1], value(), *items[i + 1:]]
                return [*items[:i], value(), *items[i + 1:]]
        return items
    if op == "REMOVE" and has_match:
        kept = [item for item in items if not matches(item)]
        if len(kept) != len(items):
            outcome.hit(patch.key)
        return kept
    return items


def _own_copy(flt: dict, shared: Collection[int] | None) -> dict:
    """A filter this chain alone holds, before a MERGE changes it: the workload's policy filters are one
    object shared by every chain (``shared``: their ids, :class:`.security.WorkloadSecurity`), and a patch
    matching one chain must not change the others."""
    return copy.deepcopy(flt) if shared and id(flt) in shared else flt


def _merge_filter(flt: dict, patch: _Patch, outcome: PatchOutcome) -> None:
    """MERGE into a network or HTTP filter: ``name`` may be renamed; typed configs merge when the types agree."""
    value = _snake(patch.fresh() or {})
    if "typed_config" not in flt:
        return
    if value.get("name"):
        flt["name"] = value["name"]
    if isinstance(value.get("typed_config"), dict):
        proto_merge(flt["typed_config"], value["typed_config"])
    outcome.hit(patch.key)


def _patch_http_filters(hcm: dict, patches: list[_Patch], listener, chain, flt, ports, outcome, shared) -> None:
    for p in patches:
        if p.apply_to != "HTTP_FILTER" or p.operation == "MERGE":
            continue
        if not (p.listener_match(listener, ports) and p.chain_match(chain) and p.network_filter_match(flt)):
            continue
        hcm["http_filters"] = _insert(hcm.get("http_filters", []), p, p.http_filter_match, outcome,
                                      p.has_sub_filter_match, shared)
    filters = hcm.get("http_filters", [])
    for i, http_filter in enumerate(filters):
        merges = [p for p in patches
                  if p.apply_to == "HTTP_FILTER" and p.operation == "MERGE" and p.listener_match(listener, ports)
                  and p.chain_match(chain) and p.network_filter_match(flt) and p.http_filter_match(http_filter)]
        if merges:
            filters[i] = http_filter = _own_copy(http_filter, shared)
        for p in merges:
            _merge_filter(http_filter, p, outcome)


def _patch_route_config(rc: dict, port: int, patches: list[_Patch], outcome: PatchOutcome) -> None:
    for p in patches:
        if p.apply_to == "ROUTE_CONFIGURATION" and p.operation == "MERGE" and p.route_config_match(rc, port):
            proto_merge(rc, _snake(p.fresh() or {}))
            outcome.hit(p.key)
    vhosts = rc.get("virtual_hosts", [])
    kept = []
    for vh in vhosts:
        removed = False
        for p in patches:
            if p.apply_to != "VIRTUAL_HOST" or not (p.route_config_match(rc, port) and p.vhost_match(vh)):
                continue
            if p.operation == "REMOVE":
                removed = True
                outcome.hit(p.key)
                break
            if p.operation == "MERGE":
                proto_merge(vh, _snake(p.fresh() or {}))
                outcome.hit(p.key)
            elif p.operation == "REPLACE":
                vh.clear()
                vh.update(p.fresh() or {})
                outcome.hit(p.key)
        if removed:
            continue
        _patch_routes(rc, vh, port, patches, outcome)
        kept.append(vh)
    for p in patches:
        if p.apply_to == "VIRTUAL_HOST" and p.operation == "ADD" and p.route_config_match(rc, port):
            kept.append(p.fresh())
            outcome.hit(p.key)
    rc["virtual_hosts"] = kept


def _patch_routes(rc: dict, vh: dict, port: int, patches: list[_Patch], outcome: PatchOutcome) -> None:
    routes = vh.get("routes", [])
    kept = []
    for route in routes:
        removed = False
        for p in patches:
            if p.apply_to != "HTTP_ROUTE" or not (p.route_config_match(rc, port) and p.vhost_match(vh)
                                                   and p.route_match(route)):
                continue
            if p.operation == "REMOVE":
                removed = True
                outcome.hit(p.key)
                break
            if p.operation == "MERGE":
                proto_merge(route, _snake(p.fresh() or {}))
                outcome.hit(p.key)
        if not removed:
            kept.append(route)
    for p in patches:
        if p.apply_to != "HTTP_ROUTE" or p.operation not in ("ADD", "INSERT_BEFORE", "INSERT_AFTER", "INSERT_FIRST"):
            continue
        if not (p.route_config_match(rc, port) and p.vhost_match(vh)):
            continue
        if p.operation == "INSERT_FIRST" and p.has_route_match:
            if any(p.route_match(r) for r in kept):
                kept = [p.fresh(), *kept]
                outcome.hit(p.key)
            continue
        kept = _insert(kept, p, p.route_match, outcome, p.has_route_match)
    vh["routes"] = kept


def apply_patches(plan, bootstrap: dict, options, shared: dict[int, str] | None = None) -> PatchOutcome:
    """Apply every EnvoyFilter of ``plan`` to ``bootstrap`` in place; returns what applied. ``shared`` maps the
    ids of filters several chains hold to their YAML anchor names (copied before a MERGE changes one); the
    filters the patches insert into several chains are added to it."""
    outcome = PatchOutcome()
    static = bootstrap.setdefault("static_resources", {})
    reverse = {options.local_port(p): p for p in options.port_map}
    for ef in plan.envoy_filters:
        patches = [_Patch(ef, i, cp) for i, cp in enumerate(ef.spec.config_patches or [])]
        patches = [p for p in patches if p.applies_here]
        for p in patches:
            outcome.applied.setdefault(p.key, 0)
        _patch_listeners(static, patches, reverse, outcome, shared)
        _patch_clusters(static, patches, outcome)
    return outcome


def _listener_ports(listener: dict, reverse: dict[int, int]) -> set[int]:
    port = ((listener.get("address") or {}).get("socket_address") or {}).get("port_value")
    if port is None:
        return set()
    return {int(port), reverse.get(int(port), int(port))}


def _patch_listeners(static: dict, patches: list[_Patch], reverse, outcome: PatchOutcome, shared) -> None:
    listeners = []
    for listener in static.get("listeners", []):
        ports = _listener_ports(listener, reverse)
        removed = False
        for p in patches:
            if p.apply_to != "LISTENER" or not p.listener_match(listener, ports):
                continue
            if p.operation == "REMOVE":
                removed = True
                outcome.hit(p.key)
                break
            if p.operation == "MERGE":
                proto_merge(listener, _snake(p.fresh() or {}))
                outcome.hit(p.key)
        if removed:
            continue
        _patch_chains(listener, patches, ports, outcome, shared)
        listeners.append(listener)
    for p in patches:
        if p.apply_to == "LISTENER" and p.operation == "ADD":
            listeners.append(p.fresh())
            outcome.hit(p.key)
    static["listeners"] = listeners


def _patch_chains(listener: dict, patches: list[_Patch], ports: set[int], outcome: PatchOutcome, shared) -> None:
    chains = []
    for chain in listener.get("filter_chains", []):
        removed = False
        for p in patches:
            if p.apply_to != "FILTER_CHAIN" or not (p.listener_match(listener, ports) and p.chain_match(chain)):
                continue
            if p.operation == "REMOVE":
                removed = True
                outcome.hit(p.key)
                break
            if p.operation == "MERGE":
                proto_merge(chain, _snake(p.fresh() or {}))
                outcome.hit(p.key)
        if removed:
            continue
        _patch_network_filters(listener, chain, patches, ports, outcome, shared)
        chains.append(chain)
    for p in patches:
        if p.apply_to == "FILTER_CHAIN" and p.operation == "ADD" and p.listener_match(listener, ports):
            chains.append(p.fresh())
            outcome.hit(p.key)
    listener["filter_chains"] = chains


def _patch_network_filters(listener, chain, patches, ports, outcome, shared) -> None:
    for p in patches:
        if p.apply_to != "NETWORK_FILTER" or p.operation == "MERGE":
            continue
        if p.listener_match(listener, ports) and p.chain_match(chain):
            chain["filters"] = _insert(chain.get("filters", []), p, p.network_filter_match, outcome,
                                       p.has_filter_match, shared)
    port = min(ports) if ports else 0
    gateway_port = max(ports) if ports else 0
    filters = chain.get("filters", [])
    for i, flt in enumerate(filters):
        merges = [p for p in patches
                  if p.apply_to == "NETWORK_FILTER" and p.operation == "MERGE" and p.listener_match(listener, ports)
                  and p.chain_match(chain) and p.network_filter_match(flt)]
        if merges:
            filters[i] = flt = _own_copy(flt, shared)
        for p in merges:
            _merge_filter(flt, p, outcome)
        if flt.get("name") == HCM_NAME and isinstance(flt.get("typed_config"), dict):
            hcm = flt["typed_config"]
            _patch_http_filters(hcm, patches, listener, chain, flt, ports, outcome, shared)
            if isinstance(hcm.get("route_config"), dict):
                rc_port = _rc_port(hcm["route_config"].get("name", ""), gateway_port or port)
                _patch_route_config(hcm["route_config"], rc_port, patches, outcome)


def _rc_port(name: str, default: int) -> int:
    parts = name.split(".")
    if len(parts) >= 2 and parts[1].isdigit():
        return int(parts[1])
    return default


def _patch_clusters(static: dict, patches: list[_Patch], outcome: PatchOutcome) -> None:
    clusters = []
    for cluster in static.get("clusters", []):
        removed = False
        for p in patches:
            if p.apply_to != "CLUSTER" or not p.cluster_match(cluster):
                continue
            if p.operation == "REMOVE":
                removed = True
                outcome.hit(p.key)
                break
            if p.operation == "MERGE":
                proto_merge(cluster, _snake(p.fresh() or {}))
                outcome.hit(p.key)
        if not removed:
            clusters.append(cluster)
    for p in patches:
        if p.apply_to == "CLUSTER" and p.operation == "ADD":
            clusters.append(p.fresh())
            outcome.hit(p.key)
    static["clusters"] = clusters
