"""Istio's service association analyzer (MD1034, MD1035), ported from istio/istio
``pkg/config/analysis/analyzers/deployment/services.go`` (ServiceAssociationAnalyzer). For each Deployment of
the input that is in the mesh (util.DeploymentInMesh) and not a waypoint (label
``gateway.istio.io/managed: istio.io-mesh-controller``), the Services of the design in its namespace whose
non-empty selector matches its pod template labels:

* one port number with two protocols (Kubernetes ``protocol``, TCP when unset): IST0116 (MD1034,
  analyzeDeploymentPortProtocol);
* one targetPort (the port number when unset or 0) reached from two different port numbers: IST0137 (MD1035,
  analyzeDeploymentTargetPorts).
"""

from __future__ import annotations

from ...model.nodes import GatewayNode, MeshServiceNode
from ..catalogue import MessageType
from ..diagnostic import WARNING
from ..messages import register
from ..registry import DESIGN, GATEWAY_KINDS, rule
from ..wire import items, mapping, ref_of, text_map

WAYPOINT_LABEL = ("gateway.istio.io/managed", "istio.io-mesh-controller")

MULTIPLE_SERVICE_PROTOCOLS = register(MessageType(
    "MD1034", "DeploymentAssociatedToMultipleServices", WARNING,
    template="This deployment {deployment} is associated with multiple services using port {port} but different "
             "protocols: {services}",
    explain="Services selecting this Deployment's pods use one port number with different protocols (TCP, UDP, "
            "SCTP); the sidecar keys its listeners by port and cannot serve both "
            "(deployment/services.go ServiceAssociationAnalyzer, IST0116). Use distinct port numbers.",
    istio="IST0116"))
CONFLICTING_TARGET_PORTS = register(MessageType(
    "MD1035", "DeploymentConflictingPorts", WARNING,
    template="This deployment {deployment} is associated with multiple services {services} using targetPort "
             "{target_port!r} but different ports: {ports}.",
    explain="Two Services selecting this Deployment's pods send different service ports to one targetPort; "
            "Istio requires services selecting the same workload with the same targetPort to use the same port "
            "(deployment/services.go ServiceAssociationAnalyzer, IST0137). Use the same port number.",
    istio="IST0137"))


def _services(ctx) -> list:
    """(namespace/name, KubeService) of every Service the design holds: mesh services and gateways' own."""
    found = []
    for node in ctx.nodes_of_kind("mesh-service", *GATEWAY_KINDS):
        service = node.service if isinstance(node, (MeshServiceNode, GatewayNode)) else None
        if service is not None:
            found.append(service)
    return sorted(found, key=lambda s: (s.metadata.namespace or "default", s.metadata.name))


def _go_list(values) -> str:
    return "[" + " ".join(str(v) for v in values) + "]"


@rule("istio.deployment_services", codes=("MD1034", "MD1035"), kinds=("mesh-service", *GATEWAY_KINDS),
      scope=DESIGN)
def deployment_services(ctx):
    cluster = ctx.cluster
    if not cluster.deployments:
        return
    services = _services(ctx)
    for deployment in cluster.deployments:
        ref = ref_of(deployment)
        labels = text_map(mapping(deployment.get("metadata")).get("labels"))
        if labels.get(WAYPOINT_LABEL[0]) == WAYPOINT_LABEL[1]:
            continue
        template = mapping(mapping(deployment.get("spec")).get("template"))
        pod_labels = text_map(mapping(template.get("metadata")).get("labels"))
        pod_annotations = text_map(mapping(template.get("metadata")).get("annotations"))
        if not cluster.workload_in_mesh(ref.namespace, pod_labels, pod_annotations,
                                        items(mapping(template.get("spec")).get("containers"))):
            continue
        matching = [s for s in services if (s.metadata.namespace or "default") == ref.namespace
                    and s.spec.selector and all(pod_labels.get(k) == v for k, v in s.spec.selector.items())]
        protocols: dict[int, dict[str, list[str]]] = {}
        target_ports: dict[str, dict[int, str]] = {}
        for service in matching:
            name = f"{service.metadata.namespace or 'default'}/{service.metadata.name}"
            for port in service.spec.ports or []:
                protocols.setdefault(port.port, {}).setdefault(port.protocol or "TCP", []).append(name)
                target = str(port.target_port) if port.target_port not in (None, 0, "", "0") else str(port.port)
                target_ports.setdefault(target, {})[port.port] = name
        for port, by_protocol in sorted(protocols.items()):
            if len(by_protocol) > 1:
                names = sorted(n for listed in by_protocol.values() for n in listed)
                yield MULTIPLE_SERVICE_PROTOCOLS.at(ref, "metadata.name", deployment=ref.name, port=port,
                                                    services=_go_list(names))
        for target, by_port in sorted(target_ports.items()):
            if len(by_port) > 1:
                yield CONFLICTING_TARGET_PORTS.at(ref, "metadata.name", deployment=ref.name, target_port=target,
                                                  services=_go_list(sorted(by_port.values())),
                                                  ports=_go_list(sorted(by_port)))
