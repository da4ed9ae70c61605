"""Istio's deprecation analyzer, the parts about kinds kept verbatim (MD1029, MD1030), ported from istio/istio
``pkg/config/analysis/analyzers/deprecation/deprecation.go`` (FieldAnalyzer):

* analyzeSidecar: a Sidecar with ``outboundTrafficPolicy.egressProxy``: IST0002 (MD1029);
* analyzeCRD: a CustomResourceDefinition of a removed Istio kind (rbac.istio.io ClusterRbacConfig, RbacConfig,
  ServiceRole, ServiceRoleBinding): IST0002 (MD1030).

(analyzeVirtualService, ``fault.delay.percent``, is MD0229 on the modelled VirtualService.)
"""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import WARNING
from ..messages import register
from ..registry import DESIGN, rule
from ..wire import mapping, ref_of

REMOVED_CRDS = (("rbac.istio.io", "ClusterRbacConfig"), ("rbac.istio.io", "RbacConfig"),
                ("rbac.istio.io", "ServiceRole"), ("rbac.istio.io", "ServiceRoleBinding"))

SIDECAR_EGRESS_PROXY_IGNORED = register(MessageType(
    "MD1029", "SidecarEgressProxyDeprecated", WARNING,
    template="Deprecated: OutboundTrafficPolicy.EgressProxy ignored",
    explain="Sidecar outboundTrafficPolicy.egressProxy is deprecated and istiod ignores it "
            "(deprecation/deprecation.go analyzeSidecar, IST0002). Route unknown destinations through an egress "
            "gateway with a ServiceEntry and VirtualService instead.",
    istio="IST0002"))
REMOVED_CRD = register(MessageType(
    "MD1030", "RemovedIstioCustomResourceType", WARNING,
    template="Deprecated: Custom resource type {group} {kind} is removed",
    explain="This CustomResourceDefinition defines an Istio kind that Istio removed (the rbac.istio.io RBAC "
            "API, replaced by AuthorizationPolicy); nothing reads its objects any more "
            "(deprecation/deprecation.go analyzeCRD, IST0002). Delete it and migrate to AuthorizationPolicy.",
    istio="IST0002"))


@rule("istio.deprecation_kept_kinds", codes=("MD1029", "MD1030"), kinds=(), scope=DESIGN)
def deprecation_kept_kinds(ctx):
    for sidecar in ctx.istio_objects("Sidecar"):
        policy = mapping(sidecar.get("spec")).get("outboundTrafficPolicy")
        if isinstance(policy, dict) and policy.get("egressProxy") is not None:
            yield SIDECAR_EGRESS_PROXY_IGNORED.at(ref_of(sidecar), "spec.outboundTrafficPolicy.egressProxy")
    for crd in ctx.cluster.crds:
        spec = mapping(crd.get("spec"))
        group, kind = spec.get("group"), mapping(spec.get("names")).get("kind")
        if (group, kind) in REMOVED_CRDS:
            yield REMOVED_CRD.at(ref_of(crd), "spec.names.kind", group=group, kind=kind)
