"""Shapes shared by several Istio kinds."""

from __future__ import annotations

from pydantic import StrictBool, StrictInt, StrictStr

from .base import WireModel

Number = StrictInt | float


class StringMatch(WireModel):
    """Istio StringMatch: exactly one of exact, prefix, regex (an empty one means "present")."""

    exact: StrictStr | None = None
    prefix: StrictStr | None = None
    regex: StrictStr | None = None

    @property
    def kind(self) -> str | None:
        if self.exact is not None:
            return "exact"
        if self.prefix is not None:
            return "prefix"
        if self.regex is not None:
            return "regex"
        return None

    @property
    def value(self) -> str | None:
        kind = self.kind
        return getattr(self, kind) if kind else None

    def summary(self) -> str:
        kind = self.kind
        if kind is None:
            return "present"
        if kind == "prefix":
            return f"{self.prefix}*"
        if kind == "regex":
            return f"~{self.regex}"
        return str(self.exact)


class PortSelector(WireModel):
    number: StrictInt | None = None


class Percent(WireModel):
    value: Number | None = None


class Destination(WireModel):
    host: StrictStr
    subset: StrictStr | None = None
    port: PortSelector | None = None

    @property
    def port_number(self) -> int | None:
        return self.port.number if self.port else None


class HeaderOperations(WireModel):
    set: dict[str, StrictStr] | None = None
    add: dict[str, StrictStr] | None = None
    remove: list[StrictStr] | None = None


class Headers(WireModel):
    request: HeaderOperations | None = None
    response: HeaderOperations | None = None


class ClientTLSSettings(WireModel):
    """Upstream TLS (DestinationRule trafficPolicy.tls)."""

    mode: StrictStr | None = None
    client_certificate: StrictStr | None = None
    private_key: StrictStr | None = None
    ca_certificates: StrictStr | None = None
    ca_crl: StrictStr | None = None
    credential_name: StrictStr | None = None
    subject_alt_names: list[StrictStr] | None = None
    sni: StrictStr | None = None
    insecure_skip_verify: StrictBool | None = None


class WorkloadSelector(WireModel):
    match_labels: dict[str, StrictStr] | None = None
