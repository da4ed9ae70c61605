"""``meshdesigner export PROJECT -o DIR``: Istio manifests (and, with --envoy, Envoy configs)."""

from __future__ import annotations

import importlib
import sys

from ..export.istio import API_VERSIONS, export_files
from ..io.atomic import write_tree
from .common import open_design

# Options other features add to ``export`` (Envoy, secrets): module -> ``add_export_options(parser)``
# and ``extra_files(project, args) -> dict[str, str]`` (+ optional ``file_modes``, ``after_write``).
EXPORT_PLUGINS = ("meshdesigner.cli.export_envoy", "meshdesigner.cli.export_secrets")


def _plugins():
    out = []
    for name in EXPORT_PLUGINS:
        try:
            out.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return out


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
    for plugin in _plugins():
        plugin.add_export_options(p)
    p.set_defaults(run=run)


def _blocking_errors(project, args) -> list[str]:
    try:
        from ..analysis import analyze
    except ImportError:  # the analysis package is optional at this layer
        return []
    return [d.format() for d in analyze(project) if d.severity == "error"]


def run(args) -> int:
    import os

    from . import UsageError

    if os.path.exists(args.output) and not os.path.isdir(args.output):
        raise UsageError(f"-o {args.output} is a file; give a folder (it is created when missing)")
    project, _ = open_design(args.project)
    errors = _blocking_errors(project, args)
    if errors and not args.force:
        print(f"meshdesigner export: the design has {len(errors)} error(s); nothing was written "
              "(fix them, or pass --force):", file=sys.stderr)
        for line in errors:
            print("  " + line, file=sys.stderr)
        return 1
    files = export_files(project, args.api_version)
    modes: dict[str, int] = {}
    for plugin in _plugins():
        extra = plugin.extra_files(project, args)
        files.update(extra)
        modes.update(getattr(plugin, "file_modes", lambda _f: {})(extra))
    written = write_tree(args.output, files, modes=modes)
    print(f"wrote {len(written)} files to {args.output}")
    for plugin in _plugins():  # optional ``after_write(files, args)``: warnings about what was written
        getattr(plugin, "after_write", lambda _f, _a: None)(files, args)
    return 0
