"""Ports of Istio's gateway-binding analyzers that MD04xx did not cover (MD10xx).

MD1001 (IST0132): ``virtualservice/gateways.go``, ``GatewayAnalyzer.analyzeVirtualService`` reports, for a
gateway entry naming a Gateway absent from the input, both IST0101 (MD0401) and IST0132: with no gateway
there are no gateway hosts, so ``vsHostInGateway`` is false.
"""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import WARNING
from ..messages import register
from ..registry import rule
from .binding import INTERNAL_GATEWAY_MARK

VS_HOSTS_NOT_IN_MISSING_GATEWAY = register(MessageType(
    "MD1001", "VirtualServiceHostNotFoundInMissingGateway", WARNING,
    template="one or more host {hosts} defined in VirtualService {vs} not found in Gateway {gateway}.",
    explain="The virtual service binds to a gateway that is not in the input, so none of its hosts is served "
            "by a server of that gateway (Istio reports IST0132 next to IST0101 for this entry, "
            "virtualservice/gateways.go GatewayAnalyzer). Add the gateway, fix the name, or declare the "
            "gateway as external (project setting external_resources, validate --external).",
    istio="IST0132"))


@rule("istio.vs_hosts_in_missing_gateway", codes=("MD1001",), kinds=("virtual-service",))
def vs_hosts_in_missing_gateway(ctx, node):
    vs = node.virtual_service
    for i, entry, gw in ctx.gateways_named_in(node):
        if gw is None and INTERNAL_GATEWAY_MARK not in entry and not ctx.is_external("Gateway", entry,
                                                                                    vs.namespace):
            hosts = "[" + " ".join(vs.spec.hosts or []) + "]"
            yield VS_HOSTS_NOT_IN_MISSING_GATEWAY.at(vs.ref, f"spec.gateways[{i}]", hosts=hosts,
                                                     vs=vs.metadata.qualified,
                                                     gateway=_full_name(entry, vs.namespace))


def _full_name(entry: str, namespace: str) -> str:
    """resource.NewShortOrFullName: 'ns/name' stays, a bare name gets the virtual service's namespace."""
    return entry if "/" in entry else f"{namespace}/{entry}"
