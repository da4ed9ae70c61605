"""ExternalName Service port names (MD1011, IST0150), ported from istio/istio
``pkg/config/analysis/analyzers/service/portname.go`` (PortNameAnalyzer.analyzeService): on a Service of type
ExternalName, a port whose protocol cannot be told from its name, or a port named exactly ``tcp``, is
IST0150 (a warning) instead of IST0118.
"""

from __future__ import annotations

from ..catalogue import MessageType
from ..diagnostic import WARNING
from ..messages import register
from ..registry import rule
from .services import port_name_unsupported, skipped_by_port_name_analyzer

EXTERNAL_NAME_PORT = register(MessageType(
    "MD1011", "ExternalNameServiceTypeInvalidPortName", WARNING,
    template="Port name for ExternalName service is invalid. Proxy may prevent tcp named ports and unmatched "
             "traffic for ports serving TCP protocol from being forwarded correctly",
    explain="For an ExternalName Service Istio creates a DNS cluster whose protocol comes from the port "
            "name; a port named 'tcp' or one without a protocol prefix is not forwarded correctly "
            "(service/portname.go, IST0150). Name the port '<protocol>-<suffix>' (e.g. 'https-api') or set "
            "appProtocol.",
    istio="IST0150"))


@rule("istio.external_name_port_names", codes=("MD1011",), kinds=("mesh-service",))
def external_name_port_names(ctx, node):
    svc = node.service
    if svc is None or svc.spec.type != "ExternalName" or skipped_by_port_name_analyzer(svc):
        return
    for i, port in enumerate(svc.spec.ports or []):
        if port_name_unsupported(port) or port.name == "tcp":
            yield EXTERNAL_NAME_PORT.at(svc.ref, f"spec.ports[{i}].name")
