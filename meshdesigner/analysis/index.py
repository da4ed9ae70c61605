"""An incrementally maintained index of a design, keyed so that rules' look-ups can be tracked.

Design rules, which re-run whole after an edit, read the few nodes they are about through tables of their
own (``("load-balancer-ip", "any")``, ``("se-addresses", "any")``, ``("vs-export-to", "any")``) instead of
scanning every node of a kind.

Every node *contributes* a set of keys ``(table, key)`` — a gateway contributes ``("gateway", "ns/name")``,
a virtual service ``("binders", "ns/gateway")`` for each gateway it binds, and so on — and the index maps
each key to the ids of the nodes contributing it. A rule that looks a key up depends on exactly the nodes
that contribute (or start or stop contributing) that key, which is how :class:`~.engine.Analyzer` knows
what an edit can affect.
"""

from __future__ import annotations

from collections import defaultdict

from ..model.gateway import HTTP_PROTOCOLS, TLS_PROTOCOLS
from ..model.hosts import gateway_ref
from ..model.nodes import ExternalServiceNode, GatewayNode, MeshServiceNode, NodeBase, VirtualServiceNode
from ..model.resource import ResourceRef
from .memo import destinations_of, fqdn_of

Key = tuple


def selector_key(selector: dict[str, str] | None) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((selector or {}).items()))


def protocol_category(protocol: str) -> str:
    """How gateways merge servers on one port: plain-text HTTP, TLS, or other TCP."""
    if protocol in HTTP_PROTOCOLS:
        return "plain-text HTTP"
    if protocol in TLS_PROTOCOLS:
        return "TLS"
    return "TCP"


def server_keys(gw) -> set[Key]:
    """Keys of a gateway's servers: ``gw-port`` (selector, port, bind, category) and ``gw-host`` (selector,
    port, bind, host as written), so conflicting gateways are found without comparing every pair."""
    sel = selector_key(gw.spec.selector)
    out: set[Key] = set()
    for server in gw.spec.servers or []:
        port = (sel, server.port.number, server.bind or "", protocol_category(server.protocol))
        out.add(("gw-port", port))
        for entry in server.hosts:
            # ConflictingGatewayAnalyzer compares hosts as written (model.CheckDuplicates), any protocol
            out.add(("gw-host", (sel, server.port.number, server.bind or "", entry)))
    return out


def certificate_identities(server) -> list[tuple[str, str]]:
    """(field, what) for the certificate a server names, as gateway/certificate.go haveSameCertificate compares
    them: credentialName (when set), else serverCertificate + privateKey (both set). credentialNames is not
    compared by the analyzer. (Gateways contribute ``("certificate", what)``: IST0138 looks them up.)"""
    tls = server.tls
    if tls is None:
        return []
    if tls.credential_name:
        return [("credentialName", f"credentialName {tls.credential_name!r}")]
    if tls.server_certificate and tls.private_key:
        return [("serverCertificate", f"files {tls.server_certificate} + {tls.private_key}")]
    return []


def is_mesh_bound(gateways: list[str] | None) -> bool:
    """A virtual service applies to sidecars when ``gateways`` is empty or lists ``mesh``."""
    return not gateways or "mesh" in gateways


def contributions(node: NodeBase) -> set[Key]:
    """The index keys a node provides (see the module docstring)."""
    if isinstance(node, MeshServiceNode):    # (first: most nodes of a large input are Services)
        return _mesh_service_keys(node)
    out: set[Key] = {("ref", res.ref) for res in node.held_resources()}
    out.add(("kind", node.kind.value))
    if isinstance(node, GatewayNode):
        gw = node.gateway
        out.add(("gateway", gw.metadata.qualified))
        out.add(("gateway-name", gw.metadata.qualified))
        out.add(("selector", selector_key(gw.spec.selector)))
        for pair in (gw.spec.selector or {}).items():
            out.add(("gateway-label", pair))
        if gw.spec.selector:
            out |= server_keys(gw)
        for server in gw.spec.servers or []:
            out.update(("certificate", what) for _field, what in certificate_identities(server))
        if node.service is not None:
            out.add(("host", node.service.fqdn))
            if node.service.spec.load_balancer_ip:
                out.add(("load-balancer-ip", "any"))
    elif isinstance(node, VirtualServiceNode):
        vs = node.virtual_service
        ns = vs.namespace
        spec = vs.spec
        out.add(("vs", vs.metadata.qualified))
        if spec.export_to:
            out.add(("vs-export-to", "any"))
        for entry in spec.gateways or []:
            if entry != "mesh":
                out.add(("binders", gateway_ref(entry, ns)))
        mesh = is_mesh_bound(spec.gateways)
        for host in spec.hosts or []:
            fqdn = fqdn_of(host, ns)
            out.add(("vs-host", fqdn))
            if mesh:
                out.add(("mesh-host", fqdn))
        for _path, dest, _weight in destinations_of(vs):
            out.add(("routes-to", fqdn_of(dest.host, ns)))
        for rule in spec.http or []:
            if rule.delegate is not None and rule.delegate.name:
                out.add(("delegates-to", f"{rule.delegate.namespace or ns}/{rule.delegate.name}"))
    elif isinstance(node, ExternalServiceNode):
        for host in node.service_entry.spec.hosts or []:
            out.add(("wildcard", "*") if host.startswith("*") else ("host", host.lower()))
        if node.service_entry.spec.export_to:
            out.add(("restricted-export", "any"))
        if node.service_entry.spec.addresses:
            out.add(("se-addresses", "any"))
        if node.destination_rule is not None:
            dr = node.destination_rule
            out.add(("dr", fqdn_of(dr.spec.host, dr.namespace)))
    return out


def _mesh_service_keys(node: MeshServiceNode) -> set[Key]:
    service = node.service
    out: set[Key] = {("ref", service.ref), ("kind", node.kind.value), ("host", service.fqdn.lower())}
    annotations = service.metadata.annotations
    if annotations and annotations.get("networking.istio.io/exportTo", "").strip():
        out.add(("restricted-export", "any"))
    spec = service.spec
    if spec.selector:
        out.update([("label", pair) for pair in spec.selector.items()])
    if spec.load_balancer_ip:
        out.add(("load-balancer-ip", "any"))
    dr = node.destination_rule
    if dr is not None:    # (the node holds the Service and its DestinationRule: MeshServiceNode.held_resources)
        out.add(("ref", dr.ref))
        out.add(("dr", fqdn_of(dr.spec.host, dr.namespace)))
    return out


# Tables whose look-ups only ask "is there one?": an edit that keeps the key does not affect them.
# (``gateway-name``: whether a Gateway of that name exists; ``gateway`` gives rules its content.)
EXISTENCE_ONLY = frozenset({"kind", "restricted-export", "gateway-name"})


class DesignIndex:
    """Per table, key -> contributing node ids; plus id -> node.

    A key most nodes contribute alone (a resource reference, a host, a label) maps to that node's id itself,
    a key of several nodes to the set of their ids: a set per key of a 100,000-Service file cost a tenth of its
    analysis and ~60 MB. Read the tables only through the methods below.
    """

    def __init__(self, nodes=()) -> None:
        self.nodes: dict[str, NodeBase] = {}
        self.tables: dict[str, dict[object, str | set[str]]] = defaultdict(dict)
        # values derived from look-ups (Context.derived): key -> (value, keys read); emptied by every change
        self.derived: dict[tuple, tuple[object, frozenset]] = {}
        for node in nodes:
            self.add(node)

    def add(self, node: NodeBase) -> set[Key]:
        if self.derived:
            self.derived = {}
        node_id = node.id
        self.nodes[node_id] = node
        keys = contributions(node)
        tables = self.tables
        for table, key in keys:
            ids = (tables.get(table) or tables[table]).get(key)
            if ids is None:
                tables[table][key] = node_id
            elif ids.__class__ is str:
                if ids != node_id:
                    tables[table][key] = {ids, node_id}
            else:
                ids.add(node_id)
        return keys

    def remove(self, node: NodeBase) -> set[Key]:
        if self.derived:
            self.derived = {}
        node_id = node.id
        self.nodes.pop(node_id, None)
        keys = contributions(node)
        for table, key in keys:
            by_key = self.tables[table]
            ids = by_key.get(key)
            if ids is None:
                continue
            if ids.__class__ is str:
                if ids == node_id:
                    del by_key[key]
                continue
            ids.discard(node_id)
            if len(ids) == 1:
                by_key[key] = next(iter(ids))
            elif not ids:
                del by_key[key]
        return keys

    def moved(self, node: NodeBase) -> None:
        """``node`` replaces the node of its id that differs from it only by its canvas position (it
        contributes the same keys)."""
        self.derived = {}
        self.nodes[node.id] = node

    def node_of(self, ref: ResourceRef) -> str | None:
        """The id of the node holding ``ref`` (the first by id if a design holds duplicates)."""
        ids = self.tables["ref"].get(ref)
        if ids is None or ids.__class__ is str:
            return ids
        return min(ids)

    def ids(self, key: Key) -> list[str]:
        table, value = key
        ids = self.tables[table].get(value)
        if ids is None:
            return []
        return [ids] if ids.__class__ is str else sorted(ids)

    def get(self, key: Key) -> list[NodeBase]:
        """The nodes contributing ``key``, by id (most look-ups find none or one: those skip the sort)."""
        table, value = key
        ids = self.tables[table].get(value)
        if ids is None:
            return []
        nodes = self.nodes
        if ids.__class__ is str:
            return [nodes[ids]]
        return [nodes[i] for i in sorted(ids)]

    def has(self, key: Key) -> bool:
        """Whether some node contributes ``key`` (without building the list of them)."""
        table, value = key
        return value in self.tables[table]

    def keys(self, table: str) -> list:
        """Every key of one table (untracked; for ``scope="design"`` rules)."""
        return list(self.tables[table])


def changed_keys(old: set[Key], new: set[Key]) -> set[Key]:
    """The keys whose look-ups an edit from contributions ``old`` to ``new`` can change."""
    both = old & new
    return (old | new) - {k for k in both if k[0] in EXISTENCE_ONLY}
