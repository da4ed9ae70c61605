"""``meshdesigner export PROJECT -o DIR``: Istio manifests (and, with --envoy, Envoy configs; with
--with-secrets, Secrets), through :func:`meshdesigner.export.bundle.write_export` like the editor."""

from __future__ import annotations

import os
import sys

from ..analysis import analyze
from ..export.bundle import ExportOptions, write_export
from ..export.istio import API_VERSIONS
from .common import open_design
from .export_envoy import TRIAL_OPTIONS, add_envoy_options, options_from_args


def add_parser(sub) -> None:
    p = sub.add_parser("export", help="export Istio manifests (and Envoy configs) from a design",
                       description="Write DIR/istio.yaml (all resources; `kubectl apply -f DIR` applies it) and "
                                   "DIR/resources/<namespace>.<kind>.<name>.yaml. Nothing is written unless "
                                   "everything could be produced.")
    p.add_argument("project", metavar="PROJECT", help="a .mesh.yaml project, or manifest files/folder")
    p.add_argument("-o", "--output", required=True, metavar="DIR")
    p.add_argument("--api-version", choices=API_VERSIONS, default="v1",
                   help="networking.istio.io version to write (default: v1)")
    p.add_argument("--force", action="store_true", help="export even when the design has error-level diagnostics")
    p.add_argument("--envoy", action="store_true",
                   help="also write DIR/envoy/<pod labels>.yaml (e.g. istio-ingressgateway.yaml for pods labelled "
                        "istio=ingressgateway): the standalone Envoy bootstrap of each gateway workload, serving "
                        "every Gateway that selects its pods")
    p.add_argument("--with-secrets", metavar="DIR",
                   help="also write kubernetes.io/tls Secrets (they hold PRIVATE KEYS) for servers that "
                        "use credentialName, from DIR/<credentialName>/tls.crt, tls.key, ca.crt; "
                        "written to OUT/secrets/ with mode 0600")
    add_envoy_options(p)
    p.set_defaults(run=run)


def _blocking_errors(project, args) -> list[str]:
    return [d.format() for d in analyze(project) if d.severity == "error"]


def export_options(args) -> ExportOptions:
    """The typed options of the command line (UsageError for Envoy options without --envoy)."""
    from . import UsageError

    if not args.envoy:
        used = [f"--{name.replace('_', '-')}" for name in TRIAL_OPTIONS if getattr(args, name, None) is not None]
        if used:
            raise UsageError(f"{', '.join(used)} only apply to Envoy configs: add --envoy")
    return ExportOptions(api_version=args.api_version, envoy=options_from_args(args) if args.envoy else None,
                         secrets_dir=args.with_secrets)


def run(args) -> int:
    from . import UsageError

    if os.path.exists(args.output) and not os.path.isdir(args.output):
        raise UsageError(f"-o {args.output} is a file; give a folder (it is created when missing)")
    options = export_options(args)
    project, _ = open_design(args.project)
    errors = _blocking_errors(project, args)
    if errors and not args.force:
        print(f"meshdesigner export: the design has {len(errors)} error(s); nothing was written "
              "(fix them, or pass --force):", file=sys.stderr)
        for line in errors:
            print("  " + line, file=sys.stderr)
        return 1
    written, result = write_export(project, args.output, options)
    for warning in result.warnings:
        print(f"meshdesigner export: {warning}", file=sys.stderr)
    print(f"wrote {len(written)} files to {args.output}")
    for message in result.missing_file_warnings(args.output):
        print(f"warning: {message}", file=sys.stderr)
    return 0
