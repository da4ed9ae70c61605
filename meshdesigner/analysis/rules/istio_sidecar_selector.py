"""Istio's Sidecar analyzer (MD1013-MD1016), ported from istio/istio
``pkg/config/analysis/analyzers/sidecar/selector.go`` (SelectorAnalyzer.Analyze).

Sidecars are kept verbatim with the design and read in wire form. Per Istio:

* a Sidecar without ``workloadSelector`` (or with no labels) is namespace-wide; more than one in a namespace
  is IST0111 on each (MD1015), unless the Namespace of the input is in ambient mode, then IST0167 (MD1016);
* a Sidecar with a selector must select a Pod of its own namespace, else IST0101 (MD1013);
* a Pod selected by two or more Sidecars: IST0110 on each of them (MD1014); a selected Pod in ambient mode:
  IST0167 on each Sidecar selecting it (once per Sidecar).

The Pod checks run only when the input holds Pods (Istio would call every selector unmatched; a design
without Pods knows nothing about them). The namespace-wide check needs no Pod and always runs.
"""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import ERROR, WARNING
from ..messages import register
from ..registry import DESIGN, rule
from ..wire import mapping, names_list, ref_of, selector_string, text_map

SIDECAR_SELECTOR_NOT_FOUND = register(MessageType(
    "MD1013", "SidecarSelectorMatchesNoPod", ERROR,
    template="Referenced selector not found: {selector!r}",
    explain="The input holds Pods, and none in the Sidecar's namespace carries every label of its "
            "workloadSelector, so the Sidecar configures no proxy (sidecar/selector.go SelectorAnalyzer, "
            "IST0101). Fix the labels or the namespace; leave the Pods out of the input when they are not part "
            "of it (then nothing is guessed).",
    istio="IST0101"))
CONFLICTING_SIDECAR_SELECTORS = register(MessageType(
    "MD1014", "ConflictingSidecarWorkloadSelectors", ERROR,
    template="The Sidecars {sidecars} in namespace {namespace!r} select the same workload pod {pod!r}, which can "
             "lead to undefined behavior.",
    explain="Two or more Sidecars with a workloadSelector select the same Pod of the input; istiod applies only "
            "one of them and which one is not defined (sidecar/selector.go SelectorAnalyzer, IST0110). Make the "
            "selectors disjoint or merge the Sidecars.",
    istio="IST0110"))
MULTIPLE_NAMESPACE_SIDECARS = register(MessageType(
    "MD1015", "MultipleSidecarsWithoutWorkloadSelectors", ERROR,
    template="The Sidecars {sidecars} in namespace {namespace!r} have no workload selector, which can lead to "
             "undefined behavior.",
    explain="A namespace may have one Sidecar without workloadSelector (its default); with several, istiod "
            "picks one and which one is not defined (sidecar/selector.go SelectorAnalyzer, IST0111). Keep one, "
            "or give the others a workloadSelector.",
    istio="IST0111"))
SIDECAR_INEFFECTIVE = register(MessageType(
    "MD1016", "SidecarIneffectivePolicy", WARNING,
    template="The policy has no impact: {reason}.",
    explain="The Sidecar applies to workloads in ambient mode (a selected Pod annotated "
            "ambient.istio.io/redirection: enabled, or a namespace labelled istio.io/dataplane-mode: ambient), "
            "which run no sidecar proxy, so it changes nothing (sidecar/selector.go SelectorAnalyzer, IST0167).",
    istio="IST0167"))


@rule("istio.sidecar_selector", codes=("MD1013", "MD1014", "MD1015", "MD1016"), kinds=(), scope=DESIGN)
def sidecar_selector(ctx):
    cluster = ctx.cluster
    sidecars = ctx.istio_objects("Sidecar")
    if not sidecars:
        return
    by_pod: dict[tuple[str, str], list[dict]] = {}
    pods = {}
    namespace_wide: dict[str, list[dict]] = {}
    for sidecar in sidecars:
        ref = ref_of(sidecar)
        labels = text_map(mapping(mapping(sidecar.get("spec")).get("workloadSelector")).get("labels"))
        if not labels:
            namespace_wide.setdefault(ref.namespace, []).append(sidecar)
            continue
        if not cluster.has_pods:
            continue
        selected = [p for p in cluster.pods if p.namespace == ref.namespace
                    and all(p.labels.get(k) == v for k, v in labels.items())]
        for pod in selected:
            by_pod.setdefault((pod.namespace, pod.name), []).append(sidecar)
            pods[(pod.namespace, pod.name)] = pod
        if not selected:
            key = sorted(labels)[0]
            yield SIDECAR_SELECTOR_NOT_FOUND.at(ref, f"spec.workloadSelector.labels[{key}]",
                                                selector=selector_string(labels))

    reported: set = set()
    for key in sorted(by_pod):
        selecting, pod = by_pod[key], pods[key]
        ambient = cluster.pod_in_ambient_mode(pod)
        if len(selecting) == 1 and not ambient:
            continue
        names = names_list(ref_of(s).name for s in selecting)
        for sidecar in selecting:
            ref = ref_of(sidecar)
            if ambient:
                if ref not in reported:
                    reported.add(ref)
                    yield SIDECAR_INEFFECTIVE.at(ref, "", reason="selected workload is in ambient mode, the "
                                                                 "policy has no impact")
                continue
            yield CONFLICTING_SIDECAR_SELECTORS.at(ref, "metadata.name", sidecars=names, namespace=pod.namespace,
                                                   pod=pod.name)

    for namespace in sorted(namespace_wide):
        listed = namespace_wide[namespace]
        if cluster.namespace_in_ambient_mode(namespace):
            for sidecar in listed:
                ref = ref_of(sidecar)
                if ref not in reported:
                    reported.add(ref)
                    yield SIDECAR_INEFFECTIVE.at(ref, "", reason="namespace is in ambient mode, the policy has "
                                                                 "no impact")
            continue
        if len(listed) > 1:
            names = names_list(ref_of(s).name for s in listed)
            for sidecar in listed:
                yield MULTIPLE_NAMESPACE_SIDECARS.at(ref_of(sidecar), "", sidecars=names, namespace=namespace)
