#!/usr/bin/env python3
"""Performance budgets of the issues, measured on the standard 2,000-resource workload.

    python tests/perf/bench.py            # a table
    python tests/perf/bench.py --json     # {metric: {"value", "unit", "budget", "ok"}}
    python tests/perf/bench.py -k istio   # only bench modules whose name contains "istio"

Every ``tests/perf/bench_*.py`` module defines ``run(ctx) -> dict`` returning metrics made with
``ctx.metric(...)``. Ratios are measured side by side in the same run.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import cached_property

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
ORACLE = pathlib.Path(os.environ.get("MESHDESIGNER_ORACLE", ROOT.parent / "shared" / "oracle"))
MAKE_MESH = ORACLE.parent / "bench" / "make_mesh.py"


class Context:
    """What bench modules share: the workload file, its imported project, timing helpers."""

    def __init__(self, workdir: pathlib.Path) -> None:
        self.workdir = workdir

    @cached_property
    def workload(self) -> pathlib.Path:
        """The multi-document YAML that ``make_mesh.py`` writes (100 gateways, 900 VS, 1,000 services)."""
        path = self.workdir / "mesh.yaml"
        subprocess.run([sys.executable, str(MAKE_MESH), "-o", str(path)], check=True, capture_output=True)
        return path

    @cached_property
    def project(self):
        from meshdesigner.io.importer import import_manifests

        return import_manifests([str(self.workload)], name="bench").project

    @cached_property
    def project_file(self) -> pathlib.Path:
        from meshdesigner.io.project_file import save_project

        path = self.workdir / "bench.mesh.yaml"
        save_project(self.project, str(path))
        return path

    @staticmethod
    def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
        """The fastest of ``repeat`` runs, in seconds."""
        best = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
        return best

    @staticmethod
    def metric(value: float, unit: str, budget: float, lower_is_better: bool = True) -> dict:
        ok = value <= budget if lower_is_better else value >= budget
        return {"value": round(value, 4), "unit": unit, "budget": budget, "ok": bool(ok)}


def bench_modules(pattern: str | None) -> list[pathlib.Path]:
    return [p for p in sorted(HERE.glob("bench_*.py")) if not pattern or pattern in p.stem]


def load(path: pathlib.Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("-k", metavar="TEXT", help="only bench modules whose name contains TEXT")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="meshdesigner-bench-") as tmp:
        ctx = Context(pathlib.Path(tmp))
        for path in bench_modules(args.k):
            results.update(load(path).run(ctx))
    if args.json:
        print(json.dumps(results, indent=1, sort_keys=True))
    else:
        width = max((len(k) for k in results), default=10)
        print(f"{'metric':<{width}}  {'value':>10}  {'unit':<6} {'budget':>8}  ok")
        for name, m in sorted(results.items()):
            print(f"{name:<{width}}  {m['value']:>10.4g}  {m['unit']:<6} {m['budget']:>8.4g}  "
                  f"{'yes' if m['ok'] else 'NO'}")
    return 0 if all(m["ok"] for m in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
