"""``meshdesigner simulate PROJECT (--gateway [NS/]NAME | --from-mesh NS) --url URL``: which route a request
takes, and why (:func:`meshdesigner.analysis.simulate_mesh.simulate_request`)."""

from __future__ import annotations

import json
import sys

from ..analysis.simulate import OUTCOMES, Request, SimulateOptions, parse_url, resolve_gateway
from ..analysis.simulate_mesh import FromMesh, simulate_request
from .common import open_design


def add_parser(sub) -> None:
    p = sub.add_parser("simulate", help="follow a request through a gateway without running anything",
                       description="Say which server accepts the connection, which VirtualService rule matches "
                                   "(and why earlier ones did not), and where the request goes.")
    p.add_argument("project", metavar="PROJECT", help="a .mesh.yaml project, or manifest files/folder")
    entry = p.add_mutually_exclusive_group(required=True)
    entry.add_argument("--gateway", metavar="[NAMESPACE/]NAME",
                       help="the request arrives at this gateway (its workload: every Gateway on the same pods)")
    entry.add_argument("--from-mesh", metavar="NAMESPACE",
                       help="the request leaves a sidecar in this namespace (mesh VirtualServices, then an egress "
                            "gateway and the external service)")
    p.add_argument("--url", required=True, metavar="URL",
                   help="http://host[:port]/path?query, https://..., tcp://host:port or tls://host:port")
    p.add_argument("--method", default="GET", metavar="M")
    p.add_argument("--header", action="append", default=[], metavar="'K: V'", help="a request header (repeatable)")
    p.add_argument("--sni", metavar="NAME", help="the TLS SNI name (default: the URL's host)")
    p.add_argument("--client", metavar="IP", help="the client's IP address, for firewall rules (default 127.0.0.1)")
    p.add_argument("--client-cert", metavar="PEM", help="the certificate the client presents (mutual TLS)")
    p.add_argument("--client-key", metavar="PEM", help="the key of --client-cert")
    p.add_argument("--tls-version", metavar="V", help="the highest TLS version the client offers (1.0-1.3)")
    p.add_argument("--upstream-cert", action="append", default=[], metavar="HOST=PEM",
                   help="the certificate an upstream presents, to check TLS origination (repeatable)")
    p.add_argument("--files-root", metavar="DIR",
                   help="read certificate files named by absolute paths in the design under DIR")
    p.add_argument("--credentials", metavar="DIR", help="DIR/<credentialName>/ca.crt: the CAs of credentials")
    p.add_argument("--istio-version", metavar="X.Y",
                   help="follow this Istio release's behaviour (default: the project's setting, else the newest)")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--expect", metavar="OUTCOME", choices=EXPECTABLE,
                   help="exit 1 unless the outcome is this one (" + ", ".join(EXPECTABLE) + ")")
    p.set_defaults(run=run)


# The simulator's outcomes, and the names route tests use for two of them (tls_refused, no_route).
EXPECTABLE = tuple(dict.fromkeys((*OUTCOMES, "tls_refused")))
_TEST_NAMES = {"tls_no_match": "tls_refused", "no_virtual_host": "no_route"}


def outcome_differs(expected: str, outcome: str) -> bool:
    """``--expect no_route`` also accepts no_virtual_host (both are Envoy's 404 NR); tls_refused = tls_no_match."""
    return expected not in (outcome, _TEST_NAMES.get(outcome))


def parse_headers(values: list[str]) -> dict[str, str]:
    from . import UsageError

    headers: dict[str, str] = {}
    for value in values:
        name, sep, rest = value.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header {value!r} is not 'Name: value'")
        headers[name.strip()] = rest.strip()
    return headers


def format_text(result) -> str:
    lines = [f"outcome: {result.outcome}" + (f" (status {result.status})" if result.status else ""),
             f"istio: {result.istio_version} behaviour"]
    if result.workload and result.workload.get("gateways") and len(result.workload["gateways"]) > 1:
        lines.append(f"workload: {', '.join(result.workload['gateways'])} (one Envoy)")
    if result.virtual_service:
        lines.append(f"virtual service: {result.virtual_service} rule {result.section}[{result.rule_index}]")
    for dest in result.destinations:
        lines.append(f"  -> {dest['host']}" + (f" subset {dest['subset']}" if dest["subset"] else "")
                     + f" port {dest['port']} weight {dest['weight']}")
    if result.upstream:
        up = result.upstream
        lines.append(f"backend sees: {up['path']} on {up['authority']}")
        for name, value in sorted(up["headers"].items()):
            lines.append(f"  {name}: {value}")
    if result.hops and len(result.hops) > 1:
        lines.append("hops: " + " -> ".join(h["gateway"] for h in result.hops))
    lines.append("why:")
    lines += [f"  - {line}" for line in result.explanation]
    return "\n".join(lines)


def run(args) -> int:
    from . import UsageError

    try:
        parse_url(args.url)  # before the design is read: a usage error, said at once
    except ValueError as exc:
        raise UsageError(f"--url: {exc}") from None
    project, _ = open_design(args.project)
    if args.from_mesh:
        entry = FromMesh(args.from_mesh)
    else:
        try:
            entry = resolve_gateway(project, args.gateway)
        except LookupError as exc:
            raise UsageError(str(exc)) from None
    upstream: dict[str, str] = {}
    for item in args.upstream_cert:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise UsageError(f"--upstream-cert {item!r} is not HOST=PEM")
        upstream[name.lower()] = path
    if args.client is not None:
        import ipaddress

        try:
            ipaddress.ip_address(args.client)
        except ValueError:
            raise UsageError(f"--client {args.client!r} is not an IP address") from None
    request = Request(args.url, args.method, parse_headers(args.header), args.sni, args.client,
                      client_cert=args.client_cert, client_key=args.client_key, tls_version=args.tls_version,
                      upstream_certificates=upstream, files_root=args.files_root, credentials_dir=args.credentials)
    options = SimulateOptions(istio_version=args.istio_version)
    try:
        result = simulate_request(project, entry, request, options)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=1, sort_keys=True))
    else:
        print(format_text(result))
    if args.expect and outcome_differs(args.expect, result.outcome):
        print(f"meshdesigner simulate: expected outcome {args.expect}, got {result.outcome}", file=sys.stderr)
        return 1
    return 0
