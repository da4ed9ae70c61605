"""Istio's Lightstep analyzer (MD1022), ported from istio/istio
``pkg/config/analysis/analyzers/telemetry/lightstep.go`` (LightstepAnalyzer.Analyze): a Telemetry whose
``tracing[].providers[]`` names an extension provider of the mesh config that is a ``lightstep`` provider:
IST0002 Deprecated. Only with a mesh config in the input (Istio's default one has no Lightstep provider).
"""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import WARNING
from ..messages import register
from ..registry import DESIGN, rule
from ..wire import items, mapping, ref_of

LIGHTSTEP_DEPRECATED = register(MessageType(
    "MD1022", "LightstepProviderDeprecated", WARNING,
    template="Deprecated: The Lightstep provider {provider} is deprecated, please migrate to OpenTelemetry "
             "provider.",
    explain="The tracing provider this Telemetry names is a lightstep extension provider in the mesh config of "
            "the input; Istio deprecated it (telemetry/lightstep.go LightstepAnalyzer, IST0002). Define an "
            "opentelemetry provider and use it instead.",
    istio="IST0002"))


@rule("istio.telemetry_lightstep", codes=("MD1022",), kinds=(), scope=DESIGN)
def telemetry_lightstep(ctx):
    mesh = ctx.cluster.mesh_config
    lightstep = mesh.providers_of_type("lightstep") if mesh is not None else set()
    if not lightstep:
        return
    for telemetry in ctx.istio_objects("Telemetry"):
        for i, tracing in enumerate(items(mapping(telemetry.get("spec")).get("tracing"))):
            for j, provider in enumerate(items(mapping(tracing).get("providers"))):
                name = mapping(provider).get("name")
                if isinstance(name, str) and name in lightstep:
                    yield LIGHTSTEP_DEPRECATED.at(ref_of(telemetry), f"spec.tracing[{i}].providers[{j}]",
                                                  provider=name)
