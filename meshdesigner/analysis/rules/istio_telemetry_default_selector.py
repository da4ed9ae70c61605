"""Istio's Telemetry default-selector analyzer (MD1017), ported from istio/istio
``pkg/config/analysis/analyzers/telemetry/default_selector.go`` (DefaultSelectorAnalyzer.Analyze): more than one
Telemetry without ``selector`` in a namespace is IST0160 on each of them. Istio tests only that ``selector`` is
absent (a ``selector`` with no labels, or a ``targetRefs``, does not make a Telemetry selector-less or not).
No Pod is needed, so it always runs.
"""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import ERROR
from ..messages import register
from ..registry import DESIGN, rule
from ..wire import mapping, names_list, ref_of

MULTIPLE_NAMESPACE_TELEMETRIES = register(MessageType(
    "MD1017", "MultipleTelemetriesWithoutWorkloadSelectors", ERROR,
    template="The Telemetries {telemetries} in namespace {namespace!r} have no workload selector, which can lead "
             "to undefined behavior.",
    explain="A namespace may have one Telemetry without selector (the namespace's default); with several, "
            "istiod picks one and which one is not defined (telemetry/default_selector.go "
            "DefaultSelectorAnalyzer, IST0160). Keep one, or give the others a selector.",
    istio="IST0160"))


@rule("istio.telemetry_default_selector", codes=("MD1017",), kinds=(), scope=DESIGN)
def telemetry_default_selector(ctx):
    by_namespace: dict[str, list] = {}
    for telemetry in ctx.istio_objects("Telemetry"):
        if mapping(telemetry.get("spec")).get("selector") is None:
            ref = ref_of(telemetry)
            by_namespace.setdefault(ref.namespace, []).append(ref)
    for namespace in sorted(by_namespace):
        refs = by_namespace[namespace]
        if len(refs) > 1:
            names = names_list(r.name for r in refs)
            for ref in refs:
                yield MULTIPLE_NAMESPACE_TELEMETRIES.at(ref, "", telemetries=names, namespace=namespace)
