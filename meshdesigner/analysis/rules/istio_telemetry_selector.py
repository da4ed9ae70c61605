"""Istio's Telemetry selector analyzer (MD1018, MD1019), ported from istio/istio
``pkg/config/analysis/analyzers/telemetry/selector.go`` (SelectorAnalyzer.Analyze). A Telemetry whose
``selector.matchLabels`` is not empty:

* must select a Pod of its own namespace, else IST0101 (MD1018);
* a Pod selected by two or more such Telemetries: IST0159 on each of them (MD1019).

Only when the input holds Pods (Istio would call every selector unmatched; a design without Pods knows
nothing about them).
"""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import ERROR
from ..messages import register
from ..registry import DESIGN, rule
from ..wire import mapping, names_list, ref_of, selector_string, text_map

TELEMETRY_SELECTOR_NOT_FOUND = register(MessageType(
    "MD1018", "TelemetrySelectorMatchesNoPod", ERROR,
    template="Referenced selector not found: {selector!r}",
    explain="The input holds Pods, and none in the Telemetry's namespace carries every label of its "
            "selector.matchLabels, so it configures no proxy (telemetry/selector.go SelectorAnalyzer, IST0101). "
            "Fix the labels or the namespace; leave the Pods out of the input when they are not part of it "
            "(then nothing is guessed).",
    istio="IST0101"))
CONFLICTING_TELEMETRY_SELECTORS = register(MessageType(
    "MD1019", "ConflictingTelemetryWorkloadSelectors", ERROR,
    template="The Telemetries {telemetries} in namespace {namespace!r} select the same workload pod {pod!r}, which "
             "can lead to undefined behavior.",
    explain="Two or more Telemetries with a selector select the same Pod of the input; istiod applies only one "
            "of them and which one is not defined (telemetry/selector.go SelectorAnalyzer, IST0159). Make the "
            "selectors disjoint or merge the Telemetries.",
    istio="IST0159"))


@rule("istio.telemetry_selector", codes=("MD1018", "MD1019"), kinds=(), scope=DESIGN)
def telemetry_selector(ctx):
    cluster = ctx.cluster
    if not cluster.has_pods:
        return
    by_pod: dict[tuple[str, str], list] = {}
    for telemetry in ctx.istio_objects("Telemetry"):
        labels = text_map(mapping(mapping(telemetry.get("spec")).get("selector")).get("matchLabels"))
        if not labels:
            continue
        ref = ref_of(telemetry)
        selected = [p for p in cluster.pods if p.namespace == ref.namespace
                    and all(p.labels.get(k) == v for k, v in labels.items())]
        for pod in selected:
            by_pod.setdefault((pod.namespace, pod.name), []).append(ref)
        if not selected:
            yield TELEMETRY_SELECTOR_NOT_FOUND.at(ref, f"spec.selector.matchLabels[{sorted(labels)[0]}]",
                                                  selector=selector_string(labels))
    for (namespace, pod), refs in sorted(by_pod.items()):
        if len(refs) > 1:
            names = names_list(r.name for r in refs)
            for ref in refs:
                yield CONFLICTING_TELEMETRY_SELECTORS.at(ref, "metadata.name", telemetries=names,
                                                         namespace=namespace, pod=pod)
