"""The one mutable object of the model: a design project and its change events.

Nodes are frozen; every edit replaces a node through this class's methods, which announce the
change through :class:`~meshdesigner.model.events.Signal` objects. The GUI's undo commands call
these methods and nothing else.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from .events import Signal
from .nodes import (
    LANE_ORDER,
    ExternalServiceNode,
    GatewayNode,
    MeshServiceNode,
    Node,
    NodeBase,
    NodeKind,
    VirtualServiceNode,
)
from .resource import ResourceRef
from .security import PolicyResource

if TYPE_CHECKING:  # (a pydantic schema of its own, ~15 ms to build: loaded by what reads or runs tests)
    from .route_tests import RouteTestCase

NODE_ADAPTER: TypeAdapter[Node] = TypeAdapter(Node)

_ID_CLEAN = re.compile(r"[^a-z0-9.-]+")


class ProjectSettings(BaseModel):
    """Project-wide options saved in the project file."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ignore: tuple[str, ...] = Field(default=(), description="Diagnostic codes suppressed in this project")
    cert_expiry_warning_days: int = Field(default=30, ge=0)
    address_ranges: tuple[str, ...] = Field(default=(), description="CIDR ranges the design may use")
    root_namespace: str = Field(default="istio-system", description="Istio's root namespace (meshConfig.rootNamespace): "
                                "policies there without a selector apply mesh-wide")
    num_trusted_proxies: int = Field(default=0, ge=0, description="meshConfig gatewayTopology.numTrustedProxies: "
                                     "proxies in front of the gateways whose X-Forwarded-For is trusted")
    istio_version: str | None = Field(
        default=None, pattern=r"^1\.\d{1,3}(\.\d{1,3})?$",
        description="MAJOR.MINOR of the Istio release whose behaviour the design follows "
                    "(None: the newest MeshDesigner knows, see meshdesigner.compile.options)")
    external_resources: tuple[str, ...] = Field(
        default=(), description="Resources that live elsewhere, as NAMESPACE/KIND/NAME (e.g. istio-system/Gateway/"
                                "shared): references to them are fine; once any is declared, the design is "
                                "taken as complete and every other missing reference is an error, as in Istio")

    @field_validator("external_resources")
    @classmethod
    def _namespace_kind_name(cls, entries: tuple[str, ...]) -> tuple[str, ...]:
        """Each entry is NAMESPACE/KIND/NAME (a namespace of '*' for any): a bare name would declare the design
        complete while matching nothing, turning every other missing reference into an error."""
        for entry in entries:
            if entry.count("/") != 2 or not all(entry.split("/")):
                raise ValueError(f"{entry!r}: write NAMESPACE/KIND/NAME, e.g. istio-system/Gateway/shared")
        return entries


class ProjectError(ValueError):
    """An edit the model cannot represent (unknown node id, duplicate id)."""


class Project:
    """A design: named nodes with positions, settings, and resources kept verbatim."""

    def __init__(self, name: str = "untitled", settings: ProjectSettings | None = None,
                 nodes: Iterable[NodeBase] = (), extra_resources: Iterable[dict] = (),
                 tests: Iterable[RouteTestCase] = (), policies: Iterable[PolicyResource] = ()) -> None:
        self.name = name
        self.settings = settings or ProjectSettings()
        self._nodes: dict[str, NodeBase] = {}
        self._extra: list[dict] = [copy.deepcopy(r) for r in extra_resources]
        self._tests: tuple[RouteTestCase, ...] = tuple(tests)
        self.node_added = Signal()      # (node)
        self.node_removed = Signal()    # (node)
        self.node_changed = Signal()    # (old, new)
        self.node_renamed = Signal()    # (old, new): the node now lives under new.id (its name changed)
        self.settings_changed = Signal()  # (old, new)
        self.extras_changed = Signal()  # ()
        self.tests_changed = Signal()   # (old tuple, new tuple)
        self.policy_changed = Signal()  # (old or None, new or None): added, replaced or removed
        self._policies: dict[ResourceRef, PolicyResource] = {}
        self._sorted_policies: list[PolicyResource] | None = None  # ``policies``, rebuilt after a change
        self.revision = 0               # bumped by every announced change of nodes or settings (for caches)
        for signal in (self.node_added, self.node_removed, self.node_changed, self.node_renamed,
                       self.settings_changed, self.policy_changed):
            signal.connect(self._bump_revision)
        for node in nodes:
            self._insert(node)
        for policy in policies:
            self._insert_policy(policy)

    def _bump_revision(self, *_args) -> None:
        self.revision += 1

    # ----- reading -------------------------------------------------------------------------
    @property
    def nodes(self) -> dict[str, NodeBase]:
        """A read-only view by id (a copy of the mapping; nodes themselves are immutable)."""
        return dict(self._nodes)

    def __iter__(self) -> Iterator[NodeBase]:
        return iter(self._nodes.values())

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def node(self, node_id: str) -> NodeBase:
        try:
            return self._nodes[node_id]
        except KeyError:
            raise ProjectError(f"no node with id {node_id!r}") from None

    def of_kind(self, *kinds: NodeKind) -> list[NodeBase]:
        return [n for n in self._nodes.values() if n.kind in kinds]

    def gateways(self) -> list[GatewayNode]:
        return [n for n in self._nodes.values() if isinstance(n, GatewayNode)]

    def virtual_services(self) -> list[VirtualServiceNode]:
        return [n for n in self._nodes.values() if isinstance(n, VirtualServiceNode)]

    def mesh_services(self) -> list[MeshServiceNode]:
        return [n for n in self._nodes.values() if isinstance(n, MeshServiceNode)]

    def external_services(self) -> list[ExternalServiceNode]:
        return [n for n in self._nodes.values() if isinstance(n, ExternalServiceNode)]

    @property
    def extras_revision(self) -> int:
        """Changes whenever :meth:`set_extra_resources` replaces the verbatim resources (a cheap cache key)."""
        return id(self._extra)

    @property
    def extra_resources(self) -> list[dict]:
        """Resources of kinds the model does not draw, kept verbatim (deep copies)."""
        return copy.deepcopy(self._extra)

    @property
    def tests(self) -> tuple[RouteTestCase, ...]:
        """The design's route tests (immutable cases, in the order written)."""
        return self._tests

    @property
    def policies(self) -> list[PolicyResource]:
        """Security, telemetry and EnvoyFilter resources (see :mod:`.security`), by kind, namespace and name."""
        if self._sorted_policies is None:
            self._sorted_policies = [self._policies[k] for k in sorted(self._policies)]
        return list(self._sorted_policies)

    def policy(self, ref: ResourceRef | tuple[str, str, str]) -> PolicyResource | None:
        return self._policies.get(ResourceRef(*ref))

    def find(self, ref: ResourceRef) -> NodeBase | None:
        """The node holding the resource ``(kind, namespace, name)``, if any."""
        for node in self._nodes.values():
            for resource in node.held_resources():
                if resource.ref == ref:
                    return node
        return None

    def sorted_nodes(self) -> list[NodeBase]:
        """Nodes in canonical order: lane, namespace, name, id."""
        lane = {kind: i for i, kind in enumerate(LANE_ORDER)}
        return sorted(self._nodes.values(), key=lambda n: (lane[n.kind], n.namespace, n.name, n.id))

    def new_id(self, kind: NodeKind | str, namespace: str, name: str) -> str:
        """A readable id not yet used: ``ingress-gateway:default/ext-host-gwy`` (``~2`` appended on clashes)."""
        base = self._base_id(kind, namespace, name)
        candidate, n = base, 2
        while candidate in self._nodes:
            candidate, n = f"{base}~{n}", n + 1
        return candidate

    # ----- editing -------------------------------------------------------------------------
    def add_node(self, node: NodeBase) -> None:
        self._insert(node)
        self.node_added.emit(node)

    def remove_node(self, node_id: str) -> NodeBase:
        node = self.node(node_id)
        del self._nodes[node_id]
        self.node_removed.emit(node)
        return node

    def replace_node(self, node: NodeBase) -> NodeBase:
        """Put ``node`` in place of the node with the same id; returns the old one."""
        old = self.node(node.id)
        if old == node:
            return old
        if old.kind != node.kind and {old.kind, node.kind} != {NodeKind.INGRESS_GATEWAY, NodeKind.EGRESS_GATEWAY}:
            raise ProjectError(f"node {node.id!r} cannot change kind from {old.kind} to {node.kind}")
        self._nodes[node.id] = node
        self.node_changed.emit(old, node)
        return old

    def rename_node(self, old_id: str, node: NodeBase) -> NodeBase:
        """Put ``node`` in place of the node ``old_id`` under its own (new) id, keeping the node's place in
        the design; announced by ``node_renamed(old, new)``. Returns the old node."""
        if node.id == old_id:
            return self.replace_node(node)
        old = self.node(old_id)
        if node.id in self._nodes:
            raise ProjectError(f"a node with id {node.id!r} already exists")
        if old.kind != node.kind and {old.kind, node.kind} != {NodeKind.INGRESS_GATEWAY, NodeKind.EGRESS_GATEWAY}:
            raise ProjectError(f"node {old_id!r} cannot change kind from {old.kind} to {node.kind}")
        self._nodes = {(node.id if key == old_id else key): (node if key == old_id else value)
                       for key, value in self._nodes.items()}
        self.node_renamed.emit(old, node)
        return old

    def id_after_rename(self, old: NodeBase, new: NodeBase) -> str:
        """The id ``new`` (``old`` renamed) should have: ids derived from the old name follow the new name, so
        a saved file reads as the design does; ids a user or an older file chose stay as they are."""
        if (old.name, old.namespace) == (new.name, new.namespace):
            return old.id
        derived = self._base_id(old.kind, old.namespace, old.name)
        if old.id != derived and not old.id.startswith(derived + "~"):
            return old.id
        wanted = self._base_id(new.kind, new.namespace, new.name)
        return old.id if old.id.startswith(wanted) and old.id[len(wanted):][:1] in ("", "~") else self.new_id(
            new.kind, new.namespace, new.name)

    @staticmethod
    def _base_id(kind: NodeKind | str, namespace: str, name: str) -> str:
        return f"{NodeKind(kind).value}:{_ID_CLEAN.sub('-', namespace.lower())}/{_ID_CLEAN.sub('-', name.lower())}"

    def move_node(self, node_id: str, position: tuple[float, float]) -> None:
        self.replace_node(self.node(node_id).moved(position))

    def set_settings(self, settings: ProjectSettings) -> None:
        old, self.settings = self.settings, settings
        if old != settings:
            self.settings_changed.emit(old, settings)

    def set_extra_resources(self, resources: Iterable[dict]) -> None:
        self._extra = [copy.deepcopy(r) for r in resources]
        self.extras_changed.emit()

    def set_tests(self, tests: Iterable[RouteTestCase]) -> None:
        """Replace the route tests (the GUI's add/remove/edit commands call this with the whole list)."""
        old, new = self._tests, tuple(tests)
        if old != new:
            self._tests = new
            self.tests_changed.emit(old, new)

    def add_policy(self, policy: PolicyResource) -> None:
        self._insert_policy(policy)
        self.policy_changed.emit(None, policy)

    def remove_policy(self, ref: ResourceRef | tuple[str, str, str]) -> PolicyResource:
        ref = ResourceRef(*ref)
        if ref not in self._policies:
            raise ProjectError(f"no resource {ref}")
        old = self._policies.pop(ref)
        self._sorted_policies = None
        self.policy_changed.emit(old, None)
        return old

    def replace_policy(self, old_ref: ResourceRef | tuple[str, str, str], policy: PolicyResource) -> PolicyResource:
        """Put ``policy`` in place of the resource ``old_ref`` (which may have another name); returns the old one."""
        old_ref = ResourceRef(*old_ref)
        if old_ref not in self._policies:
            raise ProjectError(f"no resource {old_ref}")
        if policy.ref != old_ref and policy.ref in self._policies:
            raise ProjectError(f"a resource {policy.ref} already exists")
        old = self._policies.pop(old_ref)
        self._policies[policy.ref] = policy
        self._sorted_policies = None
        self.policy_changed.emit(old, policy)
        return old

    def _insert_policy(self, policy: PolicyResource) -> None:
        if policy.ref in self._policies:
            raise ProjectError(f"a resource {policy.ref} already exists")
        self._policies[policy.ref] = policy
        self._sorted_policies = None

    def _insert(self, node: NodeBase) -> None:
        if node.id in self._nodes:
            raise ProjectError(f"a node with id {node.id!r} already exists")
        self._nodes[node.id] = node

    # ----- comparing and copying -----------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Project):
            return NotImplemented
        return (self.name == other.name and self.settings == other.settings
                and self._nodes == other._nodes and self._extra == other._extra and self._tests == other._tests
                and self._policies == other._policies)

    def __repr__(self) -> str:
        return f"Project({self.name!r}, {len(self._nodes)} nodes, {len(self._extra)} extra resources)"

    def copy(self) -> Project:
        """An independent project with the same content and no subscribers.

        The verbatim resources are shared, not copied: ``_extra`` is never changed in place (only replaced by
        :meth:`set_extra_resources`; readers get deep copies), and sharing keeps ``extras_revision``, so an
        incremental Analyzer given the GUI's snapshot of an edited design does not start again from scratch."""
        clone = Project(self.name, self.settings, self._nodes.values(), (), self._tests, self._policies.values())
        clone._extra = self._extra
        return clone

    def to_networkx(self):
        """The design as a networkx MultiDiGraph (see :func:`meshdesigner.model.references.build_graph`)."""
        from .references import build_graph

        return build_graph(self)


def node_from_dict(data: Any) -> NodeBase:
    """Validate one node mapping (as stored in project files)."""
    return NODE_ADAPTER.validate_python(data)
