"""What a standalone Envoy export may be told about the machine it runs on.

:class:`EnvoyOptions` is the one input besides the project. Its defaults give what istiod would
push to the gateway (listeners on ``0.0.0.0`` and the Gateway ports, STRICT_DNS clusters to the
cluster-local names, credentials where a gateway pod mounts them); the fields adapt that to a
trial on one machine.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from ...io.errors import InputError
from ...io.yamlio import load_documents, read_text

DEFAULT_CREDENTIALS_DIR = "/etc/istio/credentials"
DEFAULT_ADMIN_PORT = 15000
DEFAULT_SYSTEM_CA_FILE = "/etc/ssl/certs/ca-certificates.crt"


@dataclass(frozen=True)
class Address:
    """A ``host:port`` endpoint; ``host`` is an IP address (STATIC) or a DNS name (STRICT_DNS)."""

    host: str
    port: int

    @property
    def is_ip(self) -> bool:
        try:
            ipaddress.ip_address(self.host)
        except ValueError:
            return False
        return True

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class EnvoyOptions:
    """How to adapt the gateway's configuration to where Envoy runs.

    * ``endpoints``: keys are a service ``host:port`` (every subset of that port) or a cluster name
      ``outbound|port|subset|host`` (that cluster only); the clusters get these addresses
      (STATIC for IP addresses). Unlisted clusters keep DNS to the cluster-local name.
    * ``listen_address``: the address every listener binds (default ``0.0.0.0`` or the server's bind).
    * ``port_map``: Gateway server port -> local port, e.g. ``{443: 18443}``.
    * ``credentials_dir``: ``<dir>/<credentialName>/tls.crt|tls.key|ca.crt`` hold what a cluster keeps
      in Secrets (ISTIO_MUTUAL uses ``<dir>/default``).
    * ``files_root``: read certificate files named by absolute paths (``serverCertificate``...) under
      this folder instead of ``/`` (tests and trials without root); None uses the paths as written.
    * ``admin_port``: the admin listener, always on 127.0.0.1.
    * ``system_ca_file``: the system root certificates Envoy trusts where Istio verifies an upstream
      against the system roots (DestinationRule TLS without ``caCertificates``).
    """

    endpoints: Mapping[str, Address] = field(default_factory=dict)
    listen_address: str | None = None
    port_map: Mapping[int, int] = field(default_factory=dict)
    credentials_dir: str = DEFAULT_CREDENTIALS_DIR
    files_root: str | None = None
    admin_port: int = DEFAULT_ADMIN_PORT
    system_ca_file: str = DEFAULT_SYSTEM_CA_FILE

    def local_port(self, gateway_port: int) -> int:
        return int(self.port_map.get(gateway_port, gateway_port))

    def file_path(self, path: str) -> str:
        """Where Envoy reads a certificate file written as ``path`` in the design."""
        if self.files_root and path.startswith("/"):
            return self.files_root.rstrip("/") + path
        return path

    def credential_path(self, credential: str, filename: str) -> str:
        return f"{self.credentials_dir.rstrip('/')}/{credential}/{filename}"


def parse_address(text: str, what: str = "address") -> Address:
    """``ADDRESS:PORT`` (IPv6 as ``[::1]:8080``) -> :class:`Address`; ValueError with a clear message."""
    text = str(text).strip()
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"{what} {text!r} is not ADDRESS:PORT")
    host = host.strip("[]")
    number = int(port)
    if not 0 < number < 65536:
        raise ValueError(f"{what} {text!r}: port {number} is out of range 1-65535")
    return Address(host, number)


def parse_port_map(text: str) -> dict[int, int]:
    """``443:18443,80:18080`` -> ``{443: 18443, 80: 18080}``; ValueError names the bad entry."""
    out: dict[int, int] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        left, sep, right = entry.partition(":")
        if not sep or not left.isdigit() or not right.isdigit():
            raise ValueError(f"port map entry {entry!r} is not GATEWAY_PORT:LOCAL_PORT")
        for number in (int(left), int(right)):
            if not 0 < number < 65536:
                raise ValueError(f"port map entry {entry!r}: port {number} is out of range 1-65535")
        if int(left) in out:
            raise ValueError(f"port map entry {entry!r}: gateway port {left} is mapped twice")
        if int(right) in out.values():
            raise ValueError(f"port map entry {entry!r}: local port {right} is already used by another entry")
        out[int(left)] = int(right)
    return out


def load_endpoints(path: str) -> dict[str, Address]:
    """Read an endpoints file: a YAML mapping ``host:port`` or cluster name -> ``ADDRESS:PORT``."""
    docs = list(load_documents(read_text(path), path))
    if not docs:
        return {}
    doc = docs[0]
    if not isinstance(doc.data, dict):
        raise InputError("the endpoints file must be a mapping of host:port or cluster name to ADDRESS:PORT",
                         file=path, line=doc.line)
    out: dict[str, Address] = {}
    for key, value in doc.data.items():
        line = doc.line_of((key,))
        key_text = str(key)
        if "|" not in key_text and (":" not in key_text or not key_text.rpartition(":")[2].isdigit()):
            raise InputError(f"key {key_text!r} is neither host:port nor outbound|port|subset|host",
                             file=path, line=line, field=key_text)
        try:
            out[key_text] = parse_address(value, f"endpoint for {key_text}")
        except ValueError as exc:
            raise InputError(str(exc), file=path, line=line, field=key_text) from None
    return out
