"""Istio's Kubernetes Gateway selector analyzer (MD1028), ported from istio/istio
``pkg/config/analysis/analyzers/k8sgateway/workloadselector.go`` (SelectorAnalyzer.Analyze): an
AuthorizationPolicy, RequestAuthentication, Telemetry or WasmPlugin with a ``selector`` and no (singular)
``targetRef`` whose matchLabels are all carried by a Pod of its namespace that has the
``gateway.networking.k8s.io/gateway-name`` label (a Gateway API gateway's pod): IST0166, once per gateway.
Only Pods of the input are known, so without Pods it says nothing.
"""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import WARNING
from ..messages import register
from ..registry import DESIGN, rule
from ..wire import mapping, ref_of, text_map

GATEWAY_NAME_LABEL = "gateway.networking.k8s.io/gateway-name"
POLICY_KINDS = ("AuthorizationPolicy", "RequestAuthentication", "Telemetry", "WasmPlugin")

INEFFECTIVE_SELECTOR = register(MessageType(
    "MD1028", "IneffectiveSelector", WARNING,
    template="Ineffective selector on Kubernetes Gateway {gateway}. Use the TargetRef field instead.",
    explain="The policy selects the pods of a Kubernetes Gateway API gateway by label; for those gateways Istio "
            "attaches policies through targetRefs, and the selector has no effect there "
            "(k8sgateway/workloadselector.go SelectorAnalyzer, IST0166). Use targetRefs naming the Gateway.",
    istio="IST0166"))


@rule("istio.k8sgateway_selector", codes=("MD1028",), kinds=(), scope=DESIGN)
def k8sgateway_selector(ctx):
    gateway_pods = [p for p in ctx.cluster.pods if GATEWAY_NAME_LABEL in p.labels]
    if not gateway_pods:
        return
    for kind in POLICY_KINDS:
        for policy in ctx.istio_objects(kind):
            spec = mapping(policy.get("spec"))
            if spec.get("targetRef") is not None or spec.get("selector") is None:
                continue
            want = text_map(mapping(spec.get("selector")).get("matchLabels"))
            ref = ref_of(policy)
            gateways = {p.labels[GATEWAY_NAME_LABEL] for p in gateway_pods if p.namespace == ref.namespace
                        and all(p.labels.get(k) == v for k, v in want.items())}
            for gateway in sorted(gateways):
                yield INEFFECTIVE_SELECTOR.at(ref, "spec.selector", gateway=gateway)
