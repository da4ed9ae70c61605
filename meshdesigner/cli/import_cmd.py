"""``meshdesigner import FILES_OR_DIRS... -o PROJECT.mesh.yaml``."""

from __future__ import annotations

import os
import sys

from ..io.importer import import_manifests
from ..io.project_file import PROJECT_SUFFIX, save_project
from .common import stderr_progress


def add_parser(sub) -> None:
    p = sub.add_parser("import", help="import Kubernetes/Istio manifests into a project file",
                       description="Read multi-document YAML, kind: List and `kubectl get -o yaml` output "
                                   "(any of networking.istio.io v1, v1beta1, v1alpha3) into a laid-out project. "
                                   "Other kinds are kept verbatim and listed.")
    p.add_argument("paths", nargs="+", metavar="FILE_OR_DIR")
    p.add_argument("-o", "--output", required=True, metavar="PROJECT" + PROJECT_SUFFIX)
    p.add_argument("--name", help="project name (default: the output file's name)")
    p.add_argument("--namespace", default="default", help="namespace for objects without one (default: default)")
    p.add_argument("--force", action="store_true", help="overwrite an existing project file")
    p.set_defaults(run=run)


def run(args) -> int:
    from . import UsageError

    if not args.output.endswith(PROJECT_SUFFIX):
        raise UsageError(f"the output must be a {PROJECT_SUFFIX} file: {args.output}")
    if os.path.exists(args.output) and not args.force:
        raise UsageError(f"{args.output} exists; pass --force to overwrite it")
    name = args.name or os.path.basename(args.output)[: -len(PROJECT_SUFFIX)]
    result = import_manifests(args.paths, name=name, default_namespace=args.namespace,
                              progress=stderr_progress("reading"))
    save_project(result.project, args.output)
    print(f"imported {result.summary()} into {args.output}")
    for item in result.kept_verbatim:
        print(f"  kept verbatim (not drawn): {item}", file=sys.stderr)
    for secret in result.secrets:
        md = secret["metadata"]
        print(f"warning: Secret {md['namespace']}/{md['name']} not imported: a project never holds Secret "
              f"values (keys {', '.join(secret['dataKeys']) or 'none'}); apply it from its own file",
              file=sys.stderr)
    return 0
