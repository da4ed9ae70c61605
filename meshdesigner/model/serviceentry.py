"""Istio ServiceEntry: a service outside the mesh (external service)."""

from __future__ import annotations

from pydantic import StrictInt, StrictStr

from .base import WireModel
from .common import WorkloadSelector
from .resource import Resource


class ServiceEntryPort(WireModel):
    number: StrictInt
    protocol: StrictStr | None = None
    name: StrictStr | None = None
    target_port: StrictInt | None = None


class WorkloadEntry(WireModel):
    address: StrictStr | None = None
    ports: dict[str, StrictInt] | None = None
    labels: dict[str, StrictStr] | None = None
    network: StrictStr | None = None
    locality: StrictStr | None = None
    weight: StrictInt | None = None
    service_account: StrictStr | None = None


class ServiceEntrySpec(WireModel):
    hosts: list[StrictStr] | None = None
    addresses: list[StrictStr] | None = None
    ports: list[ServiceEntryPort] | None = None
    location: StrictStr | None = None
    resolution: StrictStr | None = None
    endpoints: list[WorkloadEntry] | None = None
    workload_selector: WorkloadSelector | None = None
    export_to: list[StrictStr] | None = None
    subject_alt_names: list[StrictStr] | None = None


class ServiceEntry(Resource):
    KIND = "ServiceEntry"
    API_GROUP = "networking.istio.io"

    spec: ServiceEntrySpec = ServiceEntrySpec()
