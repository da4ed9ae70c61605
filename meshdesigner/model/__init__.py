"""The Qt-free model of a mesh design: pydantic resources, nodes, and the mutable Project."""

from .common import Destination, PortSelector, StringMatch
from .destinationrule import DestinationRule, DestinationRuleSpec, Subset, TrafficPolicy
from .gateway import Gateway, GatewaySpec, Port, Server, ServerTLSSettings
from .hosts import expand_host, gateway_ref, host_matches
from .kube import KubeService, ServicePort, ServiceSpec
from .meta import DEFAULT_NAMESPACE, ObjectMeta
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
from .project import Project, ProjectError, ProjectSettings, node_from_dict
from .references import Reference, ReferenceIndex, build_graph, derive_references
from .resource import Resource, ResourceRef
from .serviceentry import ServiceEntry, ServiceEntryPort, ServiceEntrySpec
from .virtualservice import (
    HTTPMatchRequest,
    HTTPRoute,
    HTTPRouteDestination,
    VirtualService,
    VirtualServiceSpec,
)

__all__ = [
    "DEFAULT_NAMESPACE", "LANE_ORDER", "Destination", "DestinationRule", "DestinationRuleSpec",
    "ExternalServiceNode", "Gateway", "GatewayNode", "GatewaySpec", "HTTPMatchRequest", "HTTPRoute",
    "HTTPRouteDestination", "KubeService", "MeshServiceNode", "Node", "NodeBase", "NodeKind", "ObjectMeta",
    "Port", "PortSelector", "Project", "ProjectError", "ProjectSettings", "Reference", "ReferenceIndex",
    "Resource", "ResourceRef", "Server", "ServerTLSSettings", "ServiceEntry", "ServiceEntryPort",
    "ServiceEntrySpec", "ServicePort", "ServiceSpec", "StringMatch", "Subset", "TrafficPolicy",
    "VirtualService", "VirtualServiceNode", "VirtualServiceSpec", "build_graph", "derive_references", "expand_host",
    "gateway_ref", "host_matches", "node_from_dict",
]
