"""Istio's Telemetry provider analyzer (MD1020, MD1021), ported from istio/istio
``pkg/config/analysis/analyzers/telemetry/providers.go`` (ProviderAnalyzer.Analyze): when the mesh config has
no ``defaultProviders.accessLogging``, an ``accessLogging`` entry of a Telemetry that is not ``disabled`` and
names no provider is ignored by istiod: IST0157 (MD1020, once per Telemetry, as Istio's deduplicated
messages).

The mesh config comes from the input (:mod:`meshdesigner.analysis.meshconfig`). Without one, ``istioctl
analyze`` would use Istio's default mesh config, which has no default providers; whether the cluster's has is
not known, so the same condition is only info (MD1021).
"""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import INFO, WARNING
from ..messages import register
from ..registry import DESIGN, rule
from ..wire import items, mapping, ref_of

INVALID_TELEMETRY_PROVIDER = register(MessageType(
    "MD1020", "InvalidTelemetryProvider", WARNING,
    template="The Telemetry {name} in namespace {namespace!r} with empty providers will be ignored.",
    explain="This accessLogging entry names no provider, and the mesh config of the input sets no "
            "defaultProviders.accessLogging, so istiod has no provider to log with and ignores it "
            "(telemetry/providers.go ProviderAnalyzer, IST0157). Name a provider (e.g. envoy) or set "
            "defaultProviders.accessLogging in the mesh config.",
    istio="IST0157"))
TELEMETRY_PROVIDER_UNKNOWN_DEFAULT = register(MessageType(
    "MD1021", "TelemetryDefaultProviderUnknown", INFO,
    template="The Telemetry {name} in namespace {namespace!r} names no access log provider; the input holds no "
             "mesh config, so whether defaultProviders.accessLogging supplies one is not known",
    explain="An accessLogging entry without providers uses the mesh config's defaultProviders.accessLogging. "
            "Istio's default mesh config has none, so istioctl analyze without the cluster reports IST0157 "
            "(the entry is ignored); the cluster's mesh config may set one. Add the istio ConfigMap of "
            "istio-system to the input to have this checked, or name a provider.",
    istio=None))


@rule("istio.telemetry_providers", codes=("MD1020", "MD1021"), kinds=(), scope=DESIGN)
def telemetry_providers(ctx):
    mesh = ctx.cluster.mesh_config
    if mesh is not None and mesh.default_access_logging:
        return
    message = INVALID_TELEMETRY_PROVIDER if mesh is not None else TELEMETRY_PROVIDER_UNKNOWN_DEFAULT
    for telemetry in ctx.istio_objects("Telemetry"):
        for i, entry in enumerate(items(mapping(telemetry.get("spec")).get("accessLogging"))):
            entry = mapping(entry)
            if entry.get("disabled") is True:
                continue
            if not items(entry.get("providers")):
                ref = ref_of(telemetry)
                yield message.at(ref, f"spec.accessLogging[{i}]", name=ref.name, namespace=ref.namespace)
                break
