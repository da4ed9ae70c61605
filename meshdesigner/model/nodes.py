"""The nodes of a design: what the canvas draws and the project file stores.

Edges are not stored: they are the references inside the resources (a VirtualService's
``gateways`` and route destinations), derived by :mod:`meshdesigner.model.references`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .destinationrule import DestinationRule
from .gateway import Gateway
from .kube import KubeService
from .resource import Resource
from .serviceentry import ServiceEntry
from .virtualservice import VirtualService


class NodeKind(StrEnum):
    INGRESS_GATEWAY = "ingress-gateway"
    EGRESS_GATEWAY = "egress-gateway"
    VIRTUAL_SERVICE = "virtual-service"
    MESH_SERVICE = "mesh-service"
    EXTERNAL_SERVICE = "external-service"


# Left-to-right order of the request flow; layout lanes and canonical ordering use it.
LANE_ORDER: tuple[NodeKind, ...] = (
    NodeKind.INGRESS_GATEWAY, NodeKind.VIRTUAL_SERVICE, NodeKind.MESH_SERVICE,
    NodeKind.EGRESS_GATEWAY, NodeKind.EXTERNAL_SERVICE,
)

Position = tuple[float, float]


def canonical_position(value: Position) -> Position:
    """Positions to a tenth of a pixel, so drags do not produce noisy diffs in project files."""
    return (round(float(value[0]), 1), round(float(value[1]), 1))


class NodeBase(BaseModel):
    """Common part of every node: a stable id (never changes, even on rename) and a canvas position."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    position: Position = (0.0, 0.0)

    @field_validator("position")
    @classmethod
    def _round_position(cls, value: Position) -> Position:
        return canonical_position(value)

    @property
    def primary(self) -> Resource:  # pragma: no cover - every subclass overrides
        raise NotImplementedError

    @property
    def name(self) -> str:
        return self.primary.metadata.name

    @property
    def namespace(self) -> str:
        return self.primary.metadata.namespace

    def resources(self) -> list[Resource]:
        """The Kubernetes resources this node stands for, in export order."""
        return [self.primary]

    def held_resources(self) -> list[Resource]:
        """Every resource the node holds, exported or not."""
        return self.resources()

    def moved(self, position: Position) -> NodeBase:
        """The same node at ``position`` (rounded like a loaded one; model_copy skips validators)."""
        return self.model_copy(update={"position": canonical_position(position)})


class GatewayNode(NodeBase):
    """An ingress or egress gateway: an Istio Gateway, optionally with its own Kubernetes Service.

    ``service_managed`` says whether this design writes the gateway's Service. Unset, an egress gateway's
    Service is taken as the one Istio's installation created (``istio-system/istio-egressgateway``): it is
    drawn and routed to, never exported, since applying it would overwrite the installed one. An ingress
    gateway's Service is exported unless ``service_managed`` is false.
    """

    kind: Literal[NodeKind.INGRESS_GATEWAY, NodeKind.EGRESS_GATEWAY]
    gateway: Gateway
    service: KubeService | None = None
    service_managed: bool | None = None
    # Where the gateway's pods run when neither its Service nor a fronting mesh service says so (its
    # policies attach there); None: derived (see function_targets.workload_namespace).
    workload_namespace: str | None = None

    @property
    def primary(self) -> Gateway:
        return self.gateway

    @property
    def exports_service(self) -> bool:
        """Whether the gateway's Service (if any) is part of the export (see the class docstring)."""
        if self.service is None:
            return False
        if self.service_managed is not None:
            return self.service_managed
        return self.kind != NodeKind.EGRESS_GATEWAY

    def resources(self) -> list[Resource]:
        return [r for r in self.held_resources() if r is not self.service or self.exports_service]

    def held_resources(self) -> list[Resource]:
        return [r for r in (self.gateway, self.service) if r is not None]


class VirtualServiceNode(NodeBase):
    kind: Literal[NodeKind.VIRTUAL_SERVICE] = NodeKind.VIRTUAL_SERVICE
    virtual_service: VirtualService

    @property
    def primary(self) -> VirtualService:
        return self.virtual_service


class MeshServiceNode(NodeBase):
    """A service in the mesh: a Kubernetes Service and its DestinationRule.

    ``managed: false`` marks a Service that exists in the cluster but is not written by this design
    (for example one only a DestinationRule refers to); it is drawn, never exported.
    """

    kind: Literal[NodeKind.MESH_SERVICE] = NodeKind.MESH_SERVICE
    service: KubeService
    managed: bool = True
    destination_rule: DestinationRule | None = None

    @property
    def primary(self) -> KubeService:
        return self.service

    @property
    def fqdn(self) -> str:
        return self.service.fqdn

    def resources(self) -> list[Resource]:
        return [r for r in self.held_resources() if r is not self.service or self.managed]

    def held_resources(self) -> list[Resource]:
        return [r for r in (self.service, self.destination_rule) if r is not None]


class ExternalServiceNode(NodeBase):
    """A service outside the mesh: an Istio ServiceEntry (and its DestinationRule, e.g. TLS origination)."""

    kind: Literal[NodeKind.EXTERNAL_SERVICE] = NodeKind.EXTERNAL_SERVICE
    service_entry: ServiceEntry
    destination_rule: DestinationRule | None = None

    @property
    def primary(self) -> ServiceEntry:
        return self.service_entry

    def resources(self) -> list[Resource]:
        out: list[Resource] = [self.service_entry]
        if self.destination_rule is not None:
            out.append(self.destination_rule)
        return out


Node = Annotated[
    GatewayNode | VirtualServiceNode | MeshServiceNode | ExternalServiceNode,
    Field(discriminator="kind"),
]
