"""Istio's application UID analyzer (MD1033), ported from istio/istio
``pkg/config/analysis/analyzers/deployment/pod.go`` (ApplicationUIDAnalyzer.analyzeAppUIDForPod and
analyzeAppUIDForDeployment): a Pod, or a Deployment's pod template, that runs as UID 1337 (the pod's
``securityContext.runAsUser``, or that of a container other than istio-proxy and istio-operator) is IST0144,
unless the object is Istio's control plane (util.IsIstioControlPlane: an ``istio`` label, or ``release: istio``).
Only for Pods and Deployments of the input.
"""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import WARNING
from ..messages import register
from ..registry import DESIGN, rule
from ..wire import items, mapping, ref_of

PROXY_UID = 1337
EXEMPT_CONTAINERS = ("istio-proxy", "istio-operator")

INVALID_APPLICATION_UID = register(MessageType(
    "MD1033", "InvalidApplicationUID", WARNING,
    template="User ID (UID) 1337 is reserved for the sidecar proxy.",
    explain="The sidecar's traffic capture lets traffic of UID 1337 out unredirected (it is the proxy's own "
            "user), so an application running as 1337 bypasses the proxy and its policies "
            "(deployment/pod.go ApplicationUIDAnalyzer, IST0144). Run the application as another user.",
    istio="IST0144"))


def _control_plane(obj: dict) -> bool:
    """util.IsIstioControlPlane, on the object's own labels."""
    labels = mapping(mapping(obj.get("metadata")).get("labels"))
    return "istio" in labels or labels.get("release") == "istio"


def _uid_paths(pod_spec: dict, base: str) -> list[str]:
    """The fields that set UID 1337 in a pod spec (one finding each, as Istio reports each)."""
    found = []
    if mapping(pod_spec.get("securityContext")).get("runAsUser") == PROXY_UID:
        found.append(f"{base}.securityContext.runAsUser")
    for i, container in enumerate(items(pod_spec.get("containers"))):
        container = mapping(container)
        if container.get("name") not in EXEMPT_CONTAINERS \
                and mapping(container.get("securityContext")).get("runAsUser") == PROXY_UID:
            found.append(f"{base}.containers[{i}].securityContext.runAsUser")
    return found


@rule("istio.deployment_uid", codes=("MD1033",), kinds=(), scope=DESIGN)
def deployment_uid(ctx):
    cluster = ctx.cluster
    for pod in cluster.pod_objects:
        if not _control_plane(pod):
            for path in _uid_paths(mapping(pod.get("spec")), "spec"):
                yield INVALID_APPLICATION_UID.at(ref_of(pod), path)
    for deployment in cluster.deployments:
        if not _control_plane(deployment):
            template = mapping(mapping(deployment.get("spec")).get("template"))
            for path in _uid_paths(mapping(template.get("spec")), "spec.template.spec"):
                yield INVALID_APPLICATION_UID.at(ref_of(deployment), path)
