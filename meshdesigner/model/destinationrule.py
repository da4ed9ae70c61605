"""Istio DestinationRule: subsets and traffic policy (TLS origination lives here)."""

from __future__ import annotations

from pydantic import StrictStr

from .base import Json, WireModel
from .common import ClientTLSSettings, PortSelector, WorkloadSelector
from .resource import Resource


class PortTrafficPolicy(WireModel):
    port: PortSelector | None = None
    load_balancer: Json | None = None
    connection_pool: Json | None = None
    outlier_detection: Json | None = None
    tls: ClientTLSSettings | None = None


class TrafficPolicy(WireModel):
    load_balancer: Json | None = None
    connection_pool: Json | None = None
    outlier_detection: Json | None = None
    tls: ClientTLSSettings | None = None
    port_level_settings: list[PortTrafficPolicy] | None = None
    tunnel: Json | None = None
    proxy_protocol: Json | None = None

    def tls_for_port(self, port: int | None) -> ClientTLSSettings | None:
        """Port-level TLS wins over the policy-wide TLS, as in Istio."""
        for setting in self.port_level_settings or []:
            if setting.port and setting.port.number == port and setting.tls:
                return setting.tls
        return self.tls


class Subset(WireModel):
    name: StrictStr
    labels: dict[str, StrictStr] | None = None
    traffic_policy: TrafficPolicy | None = None


class DestinationRuleSpec(WireModel):
    host: StrictStr = ""
    traffic_policy: TrafficPolicy | None = None
    subsets: list[Subset] | None = None
    export_to: list[StrictStr] | None = None
    workload_selector: WorkloadSelector | None = None

    def subset(self, name: str) -> Subset | None:
        return next((s for s in self.subsets or [] if s.name == name), None)

    def tls_for(self, port: int | None, subset: str | None = None) -> ClientTLSSettings | None:
        """The upstream TLS a client uses for this host, port and subset."""
        if subset:
            sub = self.subset(subset)
            if sub and sub.traffic_policy:
                tls = sub.traffic_policy.tls_for_port(port)
                if tls:
                    return tls
        return self.traffic_policy.tls_for_port(port) if self.traffic_policy else None


class DestinationRule(Resource):
    KIND = "DestinationRule"
    API_GROUP = "networking.istio.io"

    spec: DestinationRuleSpec = DestinationRuleSpec()
