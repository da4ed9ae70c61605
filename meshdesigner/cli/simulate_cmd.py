"""``meshdesigner simulate PROJECT --gateway [NS/]NAME --url URL``: which route a request takes, and why."""

from __future__ import annotations

import json
import sys

from ..analysis.simulate import OUTCOMES, Request, parse_url, resolve_gateway, simulate
from .common import open_design


def add_parser(sub) -> None:
    p = sub.add_parser("simulate", help="follow a request through a gateway without running anything",
                       description="Say which server accepts the connection, which VirtualService rule matches "
                                   "(and why earlier ones did not), and where the request goes.")
    p.add_argument("project", metavar="PROJECT", help="a .mesh.yaml project, or manifest files/folder")
    p.add_argument("--gateway", required=True, metavar="[NAMESPACE/]NAME")
    p.add_argument("--url", required=True, metavar="URL",
                   help="http://host[:port]/path?query, https://..., tcp://host:port or tls://host:port")
    p.add_argument("--method", default="GET", metavar="M")
    p.add_argument("--header", action="append", default=[], metavar="'K: V'", help="a request header (repeatable)")
    p.add_argument("--sni", metavar="NAME", help="the TLS SNI name (default: the URL's host)")
    p.add_argument("--client", metavar="IP", help="the client's IP address, for firewall rules (default 127.0.0.1)")
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
    lines = [f"outcome: {result.outcome}" + (f" (status {result.status})" if result.status else "")]
    if result.virtual_service:
        lines.append(f"virtual service: {result.virtual_service} rule {result.section}[{result.rule_index}]")
    for dest in result.destinations:
        lines.append(f"  -> {dest['host']}" + (f" subset {dest['subset']}" if dest["subset"] else "")
                     + f" port {dest['port']} weight {dest['weight']}")
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
    try:
        gateway = resolve_gateway(project, args.gateway)
    except LookupError as exc:
        raise UsageError(str(exc)) from None
    if args.client is not None:
        import ipaddress

        try:
            ipaddress.ip_address(args.client)
        except ValueError:
            raise UsageError(f"--client {args.client!r} is not an IP address") from None
    request = Request(args.url, args.method, parse_headers(args.header), args.sni, args.client)
    result = simulate(project, gateway, request)
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=1, sort_keys=True))
    else:
        print(format_text(result))
    if args.expect and outcome_differs(args.expect, result.outcome):
        print(f"meshdesigner simulate: expected outcome {args.expect}, got {result.outcome}", file=sys.stderr)
        return 1
    return 0
