"""The Envoy trial options ``export --envoy`` and ``run-gateway`` share (:func:`add_envoy_options`,
:func:`options_from_args`)."""

from __future__ import annotations

import ipaddress
import os

from ..export.envoy import EnvoyOptions, load_endpoints, parse_port_map
from ..export.envoy.options import DEFAULT_ADMIN_PORT, DEFAULT_CREDENTIALS_DIR

TRIAL_OPTIONS = ("endpoints", "listen_address", "port_map", "credentials", "admin_port", "files_root", "system_ca")


def add_envoy_options(parser) -> None:
    """The options that adapt a gateway's Envoy configuration to a trial on one machine."""
    group = parser.add_argument_group("Envoy trial options")
    group.add_argument("--endpoints", metavar="FILE",
                       help="YAML mapping of a service host:port (every subset) or a cluster name "
                            "outbound|port|subset|host to ADDRESS:PORT; those clusters become STATIC")
    group.add_argument("--listen-address", metavar="ADDR", help="address every listener binds (default 0.0.0.0)")
    group.add_argument("--port-map", metavar="MAP", help="Gateway port to local port, e.g. 443:18443,80:18080")
    group.add_argument("--credentials", metavar="DIR",
                       help="DIR/<credentialName>/tls.crt, tls.key (and ca.crt) hold the credentials a cluster "
                            f"keeps in Secrets (default {DEFAULT_CREDENTIALS_DIR}); a relative DIR is made "
                            "absolute from the current folder, so the config works wherever Envoy starts")
    group.add_argument("--files-root", metavar="DIR",
                       help="read certificate files written as absolute paths (serverCertificate, ...) under DIR; "
                            "a relative DIR is made absolute from the current folder")
    group.add_argument("--admin-port", metavar="N", type=int,
                       help=f"Envoy admin port on 127.0.0.1 (default {DEFAULT_ADMIN_PORT})")
    group.add_argument("--system-ca", metavar="FILE",
                       help="the root certificates Envoy trusts where Istio verifies an upstream against the system "
                            "roots (DestinationRule TLS without caCertificates); default "
                            "/etc/ssl/certs/ca-certificates.crt")


def options_from_args(args) -> EnvoyOptions:
    """EnvoyOptions from parsed arguments; bad values raise UsageError or InputError (exit 2)."""
    from . import UsageError

    kwargs: dict = {}
    if args.endpoints:
        kwargs["endpoints"] = load_endpoints(args.endpoints)
    if args.listen_address:
        try:  # Envoy binds an IP address, never a name
            kwargs["listen_address"] = str(ipaddress.ip_address(args.listen_address.strip("[]")))
        except ValueError:
            raise UsageError(f"--listen-address {args.listen_address!r} is not an IP address "
                             "(e.g. 127.0.0.1 or ::1)") from None
    if args.port_map:
        try:
            kwargs["port_map"] = parse_port_map(args.port_map)
        except ValueError as exc:
            raise UsageError(f"--port-map: {exc}") from None
    if args.credentials:
        # Envoy resolves relative file names from its own working folder: pin them to ours.
        kwargs["credentials_dir"] = os.path.abspath(args.credentials)
    if args.files_root:
        kwargs["files_root"] = os.path.abspath(args.files_root)
    if args.admin_port is not None:
        if not 0 < args.admin_port < 65536:
            raise UsageError(f"--admin-port {args.admin_port} is out of range 1-65535")
        kwargs["admin_port"] = args.admin_port
    if getattr(args, "system_ca", None):
        kwargs["system_ca_file"] = os.path.abspath(args.system_ca)
    return EnvoyOptions(**kwargs)
