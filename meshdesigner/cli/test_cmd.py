"""``meshdesigner test PATH... [--envoy] [--format text|json|junit]``: run the design's route tests.

PATHs are project files (their ``tests:`` section), manifest files and folders, and test files in
istio-config-validator's format (``testCases``) beside them; test files are recognised by their
content. The manifests named make one design; every test runs against it (and against each project
file's own design for its own tests). Exit 0 when every case passes, 1 when one fails (or the
simulator and Envoy disagree), 2 on bad input.
"""

from __future__ import annotations

import os
import sys

from ..analysis.route_tests import CaseResult, run_cases
from ..io.errors import InputError
from ..io.importer import import_manifests
from ..io.project_file import load_project
from ..io.route_test_files import load_test_file, relative, split_paths
from .common import is_project_file
from .test_reports import FORMATS


def add_parser(sub) -> None:
    p = sub.add_parser("test", help="run route tests (istio-config-validator format) through the simulator",
                       description="Run every route test case against the design: through the simulator, and "
                                   "with --envoy also through real Envoy serving the exported configuration.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="project files, manifest files or folders, and test files (testCases: ...)")
    p.add_argument("--envoy", action="store_true",
                   help="also send every request through real Envoy on loopback, with echo backends")
    p.add_argument("--format", choices=tuple(FORMATS), default="text")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE (default: stdout)")
    p.set_defaults(run=run)


def collect(paths: list[str]) -> list[tuple[object, list[tuple[object, str]]]]:
    """(design, [(case, source)]) pairs: each project with its own tests, the manifests with the test files."""
    projects = [p for p in paths if is_project_file(p)]
    others = [p for p in paths if not is_project_file(p)]
    groups = []
    for path in projects:
        project = load_project(path)
        cases = [(case, f"{relative(path)}: tests[{i}]") for i, case in enumerate(project.tests)]
        groups.append((project, cases))
    if others:
        test_files, manifests = split_paths(others)
        cases = [(loaded.case, f"{relative(loaded.file)}:{loaded.line}")
                 for file in test_files for loaded in load_test_file(file)]
        if not test_files and not projects:
            raise InputError("no test cases: name test files (testCases: [...]) or project files with tests")
        if manifests:
            design = import_manifests(manifests, name=os.path.basename(others[0].rstrip("/")) or "design").project
        elif len(groups) == 1:
            design = groups[0][0]  # test files for the one project named
        else:
            raise InputError("test files need a design: name its manifests or one project file")
        if cases:
            groups.append((design, cases))
    return groups


def run(args) -> int:
    from . import EXIT_FINDINGS, EXIT_USAGE

    groups = collect(args.paths)
    results: list[CaseResult] = []
    for design, cases in groups:
        group = run_cases(design, cases)
        if args.envoy:
            from ..live.route_tests import EnvoyUnavailable, run_through_envoy

            try:
                run_through_envoy(design, group)
            except EnvoyUnavailable as exc:
                print(f"meshdesigner test: {exc}", file=sys.stderr)
                return EXIT_USAGE
        results.extend(group)
    report = FORMATS[args.format](results, args.envoy)
    if args.output:
        from ..io.atomic import write_atomic

        write_atomic(args.output, report)
    else:
        print(report)
    return 0 if all(c.passed for c in results) else EXIT_FINDINGS
