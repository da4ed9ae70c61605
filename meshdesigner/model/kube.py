"""Kubernetes core Service: what a mesh service (and a gateway's own Service) is."""

from __future__ import annotations

from pydantic import Field, StrictInt, StrictStr

from .base import WireModel
from .resource import Resource


class ServicePort(WireModel):
    port: StrictInt
    name: StrictStr | None = None
    protocol: StrictStr | None = None
    target_port: StrictInt | StrictStr | None = None
    app_protocol: StrictStr | None = None
    node_port: StrictInt | None = None


class ServiceSpec(WireModel):
    type: StrictStr | None = None
    selector: dict[str, StrictStr] | None = None
    ports: list[ServicePort] | None = None
    cluster_ip: StrictStr | None = Field(default=None, alias="clusterIP")
    load_balancer_ip: StrictStr | None = Field(default=None, alias="loadBalancerIP")
    load_balancer_source_ranges: list[StrictStr] | None = None
    external_traffic_policy: StrictStr | None = None


class KubeService(Resource):
    KIND = "Service"
    API_GROUP = ""

    spec: ServiceSpec = ServiceSpec()

    @property
    def fqdn(self) -> str:
        return f"{self.name}.{self.namespace}.svc.cluster.local"
