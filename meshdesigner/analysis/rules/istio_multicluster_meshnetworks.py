"""Istio's mesh networks analyzer (MD1048), ported from istio/istio
``pkg/config/analysis/analyzers/multicluster/meshnetworks.go`` (MeshNetworksAnalyzer.Analyze): each
``fromRegistry`` endpoint of the ``meshNetworks`` key of the istio ConfigMap must name a known service registry:
Mock, Kubernetes, External, or a cluster of a remote-cluster Secret (label ``istio/multiCluster: "true"``; its
data keys are the cluster names). Else IST0126. Only with that ConfigMap and key in the input.
"""

from __future__ import annotations

from ...model.resource import ResourceRef
from ..catalogue import MessageType
from ..diagnostic import ERROR
from ..messages import register
from ..registry import DESIGN, rule

KNOWN_REGISTRIES = ("Mock", "Kubernetes", "External")   # provider.Mock, provider.Kubernetes, provider.External
MULTI_CLUSTER_SECRET_LABEL = "istio/multiCluster"

UNKNOWN_REGISTRY = register(MessageType(
    "MD1048", "UnknownMeshNetworksServiceRegistry", ERROR,
    template="Unknown service registry {registry} in network {network}",
    explain="A meshNetworks endpoint's fromRegistry names neither a built-in registry (Kubernetes) nor a cluster "
            "of a remote-cluster Secret of the input, so istiod assigns no endpoints to that network "
            "(multicluster/meshnetworks.go MeshNetworksAnalyzer, IST0126). Use the cluster name of the remote "
            "secret (its data key) or Kubernetes.",
    istio="IST0126"))


@rule("istio.multicluster_meshnetworks", codes=("MD1048",), kinds=(), scope=DESIGN)
def multicluster_meshnetworks(ctx):
    cluster = ctx.cluster
    mesh = cluster.mesh_config
    if mesh is None or mesh.mesh_networks is None:
        return
    known = set(KNOWN_REGISTRIES)
    for secret in cluster.secrets.values():
        if secret.labels.get(MULTI_CLUSTER_SECRET_LABEL) == "true":
            known |= secret.keys
    ref = ResourceRef("ConfigMap", mesh.namespace, mesh.name)
    for network in sorted(mesh.mesh_networks):
        for endpoint in mesh.mesh_networks[network]:
            registry = endpoint.get("fromRegistry")
            if isinstance(registry, str) and registry not in known:
                yield UNKNOWN_REGISTRY.at(ref, "data.meshNetworks", registry=registry, network=network)
