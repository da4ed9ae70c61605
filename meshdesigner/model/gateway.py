"""Istio Gateway (networking.istio.io)."""

from __future__ import annotations

from pydantic import StrictBool, StrictInt, StrictStr

from .base import WireModel
from .resource import Resource

HTTP_PROTOCOLS = frozenset({"HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY"})
TLS_PROTOCOLS = frozenset({"HTTPS", "TLS"})
TCP_PROTOCOLS = frozenset({"TCP", "MONGO", "REDIS", "MYSQL"})
GATEWAY_PROTOCOLS = HTTP_PROTOCOLS | TLS_PROTOCOLS | TCP_PROTOCOLS | {"UDP"}
TLS_MODES = ("PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL")
TERMINATING_TLS_MODES = frozenset({"SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL", "ISTIO_MUTUAL"})


class Port(WireModel):
    number: StrictInt
    protocol: StrictStr
    name: StrictStr
    target_port: StrictInt | None = None


class TLSCertificate(WireModel):
    server_certificate: StrictStr | None = None
    private_key: StrictStr | None = None
    ca_certificates: StrictStr | None = None


class ServerTLSSettings(WireModel):
    https_redirect: StrictBool | None = None
    mode: StrictStr | None = None
    server_certificate: StrictStr | None = None
    private_key: StrictStr | None = None
    ca_certificates: StrictStr | None = None
    ca_crl: StrictStr | None = None
    credential_name: StrictStr | None = None
    credential_names: list[StrictStr] | None = None
    tls_certificates: list[TLSCertificate] | None = None
    subject_alt_names: list[StrictStr] | None = None
    verify_certificate_spki: list[StrictStr] | None = None
    verify_certificate_hash: list[StrictStr] | None = None
    min_protocol_version: StrictStr | None = None
    max_protocol_version: StrictStr | None = None
    cipher_suites: list[StrictStr] | None = None

    @property
    def effective_mode(self) -> str:
        """Istio's default when ``mode`` is unset is PASSTHROUGH (enum value 0)."""
        return self.mode or "PASSTHROUGH"


class Server(WireModel):
    port: Port
    hosts: list[StrictStr]
    bind: StrictStr | None = None
    tls: ServerTLSSettings | None = None
    default_endpoint: StrictStr | None = None
    name: StrictStr | None = None

    @property
    def protocol(self) -> str:
        return self.port.protocol.upper()

    @property
    def terminates_tls(self) -> bool:
        return (self.protocol in TLS_PROTOCOLS and self.tls is not None
                and self.tls.effective_mode in TERMINATING_TLS_MODES)

    @property
    def is_passthrough(self) -> bool:
        return (self.protocol in TLS_PROTOCOLS and self.tls is not None
                and self.tls.effective_mode in ("PASSTHROUGH", "AUTO_PASSTHROUGH"))


class GatewaySpec(WireModel):
    selector: dict[str, StrictStr] | None = None
    servers: list[Server] | None = None


class Gateway(Resource):
    KIND = "Gateway"
    API_GROUP = "networking.istio.io"

    spec: GatewaySpec = GatewaySpec()
