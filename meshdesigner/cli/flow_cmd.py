"""``meshdesigner flow PROJECT [--gateway NS/NAME] [--format json|dot|png|svg] [-o FILE]``.

The request-flow diagram, headless: JSON or Graphviz text for tools, PNG or SVG for documents (drawn
by the desktop app's own flow view on Qt's offscreen platform, so no display is needed).
"""

from __future__ import annotations

import os
import sys

from ..analysis.flow import compute_flow
from ..analysis.simulate import resolve_gateway
from ..io.atomic import write_atomic
from .common import open_design

FORMATS = ("json", "dot", "png", "svg")


def add_parser(sub) -> None:
    p = sub.add_parser("flow", help="the request-flow diagram (JSON, Graphviz, PNG or SVG)",
                       description="How traffic enters, crosses and leaves the mesh: clients, ingress gateway "
                                   "servers (port, protocol, TLS mode, SNI hosts), virtual service rules in "
                                   "order, weighted destinations, egress gateways and external services.")
    p.add_argument("project", metavar="PROJECT", help="a .mesh.yaml project, or manifest files/folders")
    p.add_argument("--gateway", metavar="[NS/]NAME", help="only the flow through this gateway (NAME alone when "
                                                          "it is unique, as for simulate and run-gateway)")
    p.add_argument("--format", choices=FORMATS, help="default: from the -o suffix (.json, .dot, .png, .svg), "
                                                     "else json on standard output")
    p.add_argument("-o", "--output", metavar="FILE", help="write here (default: standard output; "
                                                          "png and svg need a file)")
    p.add_argument("--theme", choices=("light", "dark"), default="light", help="colours for png/svg")
    p.set_defaults(run=run)


def _format_of(args) -> str:
    from . import UsageError

    if args.format:
        return args.format
    if not args.output:
        return "json"
    suffix = os.path.splitext(args.output)[1].lstrip(".").lower()
    if suffix not in FORMATS:
        raise UsageError(f"cannot tell the format of -o {args.output} from its suffix; name it "
                         f"{', '.join('.' + f for f in FORMATS)} or pass --format")
    return suffix


def run(args) -> int:
    from . import UsageError

    fmt = _format_of(args)
    if fmt in ("png", "svg") and not args.output:
        raise UsageError(f"--format {fmt} needs an output file (-o FILE.{fmt})")
    project, _ = open_design(args.project)
    gateway = None
    if args.gateway is not None:
        try:
            gateway = resolve_gateway(project, args.gateway)  # the resolver simulate and run-gateway use
        except LookupError as exc:
            raise UsageError(str(exc)) from None
    graph = compute_flow(project, gateway.id if gateway else None)
    if fmt in ("json", "dot"):
        text = graph.to_json_text() if fmt == "json" else graph.to_dot()
        if not args.output:
            sys.stdout.write(text)
            return 0
        write_atomic(args.output, text)
    else:
        try:
            os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)  # as write_atomic does
            _render_image(graph, args.output, fmt, args.theme)
        except OSError as exc:
            raise UsageError(f"cannot write {args.output}: {exc.strerror or 'the image could not be saved'}") from None
    scope = f"gateway {graph.scope}" if gateway else "the project"
    print(f"wrote the request flow of {scope} ({len(graph.nodes)} nodes, {len(graph.edges)} edges) "
          f"to {args.output}", file=sys.stderr)
    return 0


def _render_image(graph, path: str, fmt: str, theme: str) -> None:
    # The drawing lives in the GUI package; without a display Qt's offscreen platform does the work.
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from ..gui.flow.render import render_headless

    render_headless(graph, path, fmt, theme)
