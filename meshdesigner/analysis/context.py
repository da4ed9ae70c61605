"""What a rule sees: the project, its settings, the index and tracked look-ups across nodes."""

from __future__ import annotations

from collections.abc import Iterable

from ..compile.cache import CompileCache, NodeChanges
from ..model.hosts import gateway_ref, host_matches
from ..model.nodes import ExternalServiceNode, GatewayNode, MeshServiceNode, NodeBase, VirtualServiceNode
from ..model.project import Project, ProjectSettings
from ..model.references import ReferenceIndex
from .cluster import ClusterInput, read_cluster
from .index import DesignIndex, Key, selector_key
from .memo import fqdn_of


def object_key(obj: dict) -> tuple[str, str]:
    """(namespace, name) of a wire object, the order istio_objects lists them in."""
    md = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
    return str(md.get("namespace") or "default"), str(md.get("name") or "")


class Context:
    """Look-ups a rule may use. Every look-up through a method here is recorded while a node's rules run,
    so the :class:`~.engine.Analyzer` can re-run exactly the rules an edit can affect.

    ``references`` is the model's :class:`ReferenceIndex` for rules that want it; it is built on first use
    and not tracked, so only ``scope="design"`` rules may use it.
    """

    def __init__(self, project: Project, index: DesignIndex, secrets: Iterable[dict] = ()) -> None:
        self.project = project
        self.index = index
        self.secrets = tuple(secrets)   # Secret references read with the input (never in the project)
        self._cluster: tuple[int, ClusterInput] | None = None
        self._recorded: set[Key] | None = None
        self._references: ReferenceIndex | None = None
        self._istio_objects: dict[str, tuple[tuple, list[dict]]] = {}   # kind -> (policies, extras), objects
        # the compiler's per-workload results, kept across refreshes of one design (design rules only)
        self.compile_cache = CompileCache()
        # the nodes the Analyzer found changed by its last refresh (the compile cache applies them)
        self.node_changes: NodeChanges | None = None

    @property
    def settings(self) -> ProjectSettings:
        return self.project.settings

    @property
    def cluster(self) -> ClusterInput:
        """The context objects of the input (Pods, Namespaces, Secrets): rebuilt when the verbatim resources
        change. Not tracked: only ``scope="design"`` rules may use it."""
        revision = self.project.extras_revision
        if self._cluster is None or self._cluster[0] != revision:
            self._cluster = (revision, read_cluster([*self.project.extra_resources, *self.secrets]))
        return self._cluster[1]

    def istio_objects(self, kind: str) -> list[dict]:
        """Every Istio object of ``kind`` in wire form, sorted by namespace and name: the design's policies
        (Telemetry, EnvoyFilter, AuthorizationPolicy ...) and those kept verbatim (Sidecar, WasmPlugin, any
        the model did not take). Not tracked: only ``scope="design"`` rules may use it."""
        policies = tuple(getattr(self.project, "policies", ()) or ())
        key = (policies, self.project.extras_revision)
        cached = self._istio_objects.get(kind)
        if cached is not None and cached[0] == key:
            return cached[1]
        found = [p.manifest() for p in policies if getattr(p, "KIND", None) == kind]
        found += self.cluster.objects(kind)
        found.sort(key=object_key)
        self._istio_objects[kind] = (key, found)
        return found

    @property
    def root_namespace(self) -> str:
        """meshConfig.rootNamespace: the input's mesh config when it holds one, else the project's setting
        (istio-system by default, as istioctl's default mesh config)."""
        mesh = self.cluster.mesh_config
        return mesh.root_namespace if mesh is not None else self.project.settings.root_namespace

    @property
    def closed_world(self) -> bool:
        """The project declares which resources live elsewhere: every other missing reference is an error."""
        return bool(self.project.settings.external_resources)

    def is_external(self, kind: str, name: str, namespace: str) -> bool:
        """Whether ``name`` (a bare name in ``namespace``, ``ns/name``, or for Services a host such as
        ``name.ns.svc.cluster.local``) is declared as living elsewhere (``settings.external_resources``)."""
        declared = self.project.settings.external_resources
        if not declared:
            return False
        if kind == "Service" and "." in name and "/" not in name:
            parts = name.split(".")
            name = f"{parts[1]}/{parts[0]}" if len(parts) > 1 else name
        ns, _, bare = name.rpartition("/")
        ns = ns or namespace
        wanted = f"{ns}/{kind}/{bare}".lower()
        return any(entry.lower() == wanted or entry.lower() == f"*/{kind}/{bare}".lower() for entry in declared)

    @property
    def references(self) -> ReferenceIndex:
        if self._references is None:
            self._references = ReferenceIndex(self.index.nodes.values())
        return self._references

    # ----- recording -------------------------------------------------------------------------------------
    def _begin(self) -> None:
        self._recorded = set()

    def _end(self) -> set[Key]:
        recorded, self._recorded = self._recorded or set(), None
        return recorded

    def _lookup(self, key: Key) -> list[NodeBase]:
        if self._recorded is not None:
            self._recorded.add(key)
        return self.index.get(key)

    def _exists(self, key: Key) -> bool:
        if self._recorded is not None:
            self._recorded.add(key)
        return self.index.has(key)

    def derived(self, key: tuple, compute):
        """``compute()``, once until the index changes, for values several rules (or nodes) derive from the
        same look-ups: ``compute`` must read other nodes only through this context's look-ups and depend on
        nothing but ``key``. A later call records the index keys the first one read, so the Analyzer's
        dependencies are the same as if every call had computed it. The value is shared: do not change it."""
        derived = self.index.derived   # (emptied by every change of the index)
        entry = derived.get(key)
        if entry is None:
            outer, self._recorded = self._recorded, set()
            try:
                value = compute()
            finally:
                read, self._recorded = self._recorded, outer
            entry = derived[key] = (value, frozenset(read))
        if self._recorded is not None:
            self._recorded |= entry[1]
        return entry[0]

    # ----- look-ups --------------------------------------------------------------------------------------
    def nodes(self) -> list[NodeBase]:
        """Every node (only for ``scope="design"`` rules: not tracked)."""
        return [self.index.nodes[i] for i in sorted(self.index.nodes)]

    def nodes_of_kind(self, *kinds: str) -> list[NodeBase]:
        """Every node of these kinds, by kind then id (only for ``scope="design"`` rules: not tracked);
        cheaper than :meth:`nodes` when a rule reads a few kinds of a large design."""
        return [node for kind in kinds for node in self.index.get(("kind", kind))]

    def kubernetes_gateway(self, entry: str, vs_namespace: str) -> list[str | None] | None:
        """The listener hostnames of the Gateway API Gateway a virtual service's ``gateways`` entry names
        (GatewayAnalyzer looks for one when no Istio Gateway has the name), or None when the input has none.
        Verbatim resources are not tracked: an edit of them re-runs every rule (see Analyzer.refresh)."""
        ns, _, name = entry.rpartition("/")
        return self.cluster.kubernetes_gateways.get((ns or vs_namespace, name))

    def gateway(self, entry: str, vs_namespace: str) -> GatewayNode | None:
        """The gateway a virtual service's ``gateways`` entry names, if the design holds it."""
        ref = gateway_ref(entry, vs_namespace)
        if ref == "mesh":
            return None
        found = self._lookup(("gateway", ref))
        return found[0] if found else None  # type: ignore[return-value]

    def gateway_exists(self, entry: str, vs_namespace: str) -> bool:
        """Whether the design holds the gateway a ``gateways`` entry names (tracked as existence only: editing
        that Gateway does not re-run a rule that asked only this)."""
        ref = gateway_ref(entry, vs_namespace)
        return ref != "mesh" and bool(self._lookup(("gateway-name", ref)))

    def gateway_entries_in(self, vs: VirtualServiceNode) -> list[tuple[int, str, bool]]:
        """``(index, entry, whether the design holds it)`` for each non-mesh entry of a virtual service's
        gateways (:meth:`gateway_exists`)."""
        ns = vs.virtual_service.namespace
        return [(i, entry, self.gateway_exists(entry, ns))
                for i, entry in enumerate(vs.virtual_service.spec.gateways or []) if entry != "mesh"]

    def gateways_with_certificate(self, what: str) -> list[GatewayNode]:
        """Gateways with a server naming this certificate (:func:`~.index.certificate_identities`)."""
        return self._lookup(("certificate", what))  # type: ignore[return-value]

    def binders(self, gateway: GatewayNode) -> list[VirtualServiceNode]:
        """Virtual services listing this gateway in ``gateways``."""
        return self._lookup(("binders", gateway.gateway.metadata.qualified))  # type: ignore[return-value]

    def destination(self, host: str, namespace: str) -> NodeBase | None:
        """The node a destination host (written in ``namespace``) resolves to: a mesh service, a gateway's
        own Service, or a service entry (exact host first, then wildcard hosts)."""
        return self.derived(("destination", host, namespace), lambda: self._destination(host, namespace))

    def _destination(self, host: str, namespace: str) -> NodeBase | None:
        fqdn = fqdn_of(host, namespace)
        found = self._lookup(("host", fqdn))
        if found:
            return found[0]
        for node in self._lookup(("wildcard", "*")):
            if isinstance(node, ExternalServiceNode) and any(
                    h.startswith("*") and host_matches(h, fqdn) for h in node.service_entry.spec.hosts or []):
                return node
        return None

    def destination_candidates(self, host: str, namespace: str) -> tuple[list[NodeBase], list[NodeBase]]:
        """Every node a destination host could resolve to: (nodes with the exact host, service entries whose
        wildcard host covers it). util/service_lookup.go GetDestinationHost tries them all, so a host is found
        when any one of them is visible."""
        fqdn = fqdn_of(host, namespace)
        exact = list(self._lookup(("host", fqdn)))
        wildcard = [node for node in self._lookup(("wildcard", "*")) if isinstance(node, ExternalServiceNode) and any(
            h.startswith("*") and host_matches(h, fqdn) for h in node.service_entry.spec.hosts or [])]
        return exact, wildcard

    def nodes_for_host(self, fqdn: str) -> list[NodeBase]:
        """Every node providing exactly this host (more than one means duplicates)."""
        return self._lookup(("host", fqdn.lower()))

    def destination_rules(self, fqdn: str) -> list[NodeBase]:
        """Nodes holding a destination rule for this host."""
        return self._lookup(("dr", fqdn.lower()))

    def routers(self, fqdn: str) -> list[VirtualServiceNode]:
        """Virtual services with a route (or mirror) to this host."""
        return self._lookup(("routes-to", fqdn.lower()))  # type: ignore[return-value]

    def virtual_services_named(self, qualified: str) -> list[VirtualServiceNode]:
        return self._lookup(("vs", qualified))  # type: ignore[return-value]

    def delegators(self, qualified: str) -> list[VirtualServiceNode]:
        """Virtual services with an http route delegating to ``namespace/name``."""
        return self._lookup(("delegates-to", qualified))  # type: ignore[return-value]

    def mesh_virtual_services(self, fqdn: str) -> list[VirtualServiceNode]:
        """Virtual services bound to the mesh (sidecars) that claim this host."""
        return self._lookup(("mesh-host", fqdn))  # type: ignore[return-value]

    def virtual_services_for_host(self, fqdn: str) -> list[VirtualServiceNode]:
        return self._lookup(("vs-host", fqdn))  # type: ignore[return-value]

    def any_restricted_export(self) -> bool:
        """Whether some service or service entry limits where it is visible (exportTo), tracked as existence."""
        return self._exists(("restricted-export", "any"))

    def any_of_kind(self, kind: str) -> bool:
        """Whether the design has a node of this kind (tracked as existence only)."""
        return self._exists(("kind", kind))

    def gateways_selecting_like(self, selector: dict[str, str] | None) -> list[GatewayNode]:
        """Gateways whose selector includes every label of ``selector`` (a Service fronting them)."""
        found: dict[str, GatewayNode] = {}
        for pair in (selector or {}).items():
            for node in self._lookup(("gateway-label", pair)):
                found[node.id] = node  # type: ignore[assignment]
        if not found:     # (the usual answer for a Service's selector)
            return []
        want = selector or {}
        return [g for _, g in sorted(found.items())
                if want and all((g.gateway.spec.selector or {}).get(k) == v for k, v in want.items())]

    def gateways_on_port(self, selector, port: int, bind: str, category: str) -> list[GatewayNode]:
        """Gateways with this exact selector and a server of this protocol category on port+bind."""
        return self._lookup(("gw-port", (selector_key(selector), port, bind, category)))  # type: ignore

    def gateways_serving(self, selector, port: int, bind: str, host: str) -> list[GatewayNode]:
        """Gateways with this exact selector listing ``host`` (as written) on port+bind, any protocol."""
        return self._lookup(("gw-host", (selector_key(selector), port, bind, host)))  # type: ignore

    def gateways_with_selector(self, selector: dict[str, str] | None) -> list[GatewayNode]:
        """Gateways with exactly this workload selector (so certainly the same pods)."""
        return self._lookup(("selector", selector_key(selector)))  # type: ignore[return-value]

    def services_selecting(self, labels: dict[str, str] | None) -> list[MeshServiceNode]:
        """Mesh services whose non-empty selector picks pods carrying ``labels``."""
        candidates: dict[str, MeshServiceNode] = {}
        for pair in (labels or {}).items():
            for node in self._lookup(("label", pair)):
                if isinstance(node, MeshServiceNode):
                    candidates[node.id] = node
        return [n for _, n in sorted(candidates.items())
                if n.service.spec.selector and all((labels or {}).get(k) == v
                                                   for k, v in n.service.spec.selector.items())]

    def gateways_named_in(self, vs: VirtualServiceNode) -> list[tuple[int, str, GatewayNode | None]]:
        """``(index, entry, gateway or None)`` for each non-mesh entry of a virtual service's gateways."""
        # keyed by the node object's id, which the value holds so it cannot be reused while the entry lives
        return self.derived(("gateways-named-in", id(vs)), lambda: (vs, self._gateways_named_in(vs)))[1]

    def _gateways_named_in(self, vs: VirtualServiceNode) -> list[tuple[int, str, GatewayNode | None]]:
        ns = vs.virtual_service.namespace
        return [(i, entry, self.gateway(entry, ns))
                for i, entry in enumerate(vs.virtual_service.spec.gateways or []) if entry != "mesh"]
