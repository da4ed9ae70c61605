#!/usr/bin/env python3
"""Performance budgets of the issues, measured on the standard 2,000-resource workload.

    python tests/perf/bench.py            # a table
    python tests/perf/bench.py --json     # {metric: {"value", "unit", "budget", "ok"}, ..., "info": {...}}
    python tests/perf/bench.py -k istio   # only bench modules whose name contains "istio"
    python tests/perf/bench.py --small    # the quick CI run: a smaller mesh and its own budgets

How to add metrics (the registration pattern):

* Write ``tests/perf/bench_<topic>.py`` with ``run(ctx) -> dict``; it is found by its file name.
* Return ``{"<topic>.<name>": ctx.metric(value, unit, budget), ...}``. Every budget is finite: a metric
  whose budget is infinite or NaN, or whose value is NaN, fails the run. Choose a budget for the small
  mesh too with ``ctx.budget(full, small)`` (``ctx.small`` tells which run this is).
* Figures that only explain (anchors, sizes, counts) go through ``ctx.info(name, value, unit)``; they are
  printed under the top-level ``"info"`` key and are not judged. (``ctx.metric(value, unit, float("inf"))``,
  the older spelling, lands there too.)
* Anchors are what a careful engineer would pick and are measured side by side in the same run (ratios;
  ``ctx.side_by_side(fn, base, other)`` for the same work on two designs):
  libyaml's C loader/dumper for YAML work, Envoy's own load time for Envoy configs, the commands as
  whole processes (``ctx.command``) for what users run.

``ctx.workload`` is the multi-document YAML ``make_mesh.py`` writes; ``ctx.project`` its import;
``ctx.project_file`` that project saved as ``.mesh.yaml``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import json
import math
import os
import pathlib
import resource
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
# make_mesh.py's arguments for the quick CI run (about a tenth of the standard mesh).
SMALL_MESH = ["--gateways", "10", "--virtual-services", "90", "--services", "100"]


class Context:
    """What bench modules share: the workload file, its imported project, timing helpers."""

    def __init__(self, workdir: pathlib.Path, small: bool = False) -> None:
        self.workdir = workdir
        self.small = small
        self.infos: dict[str, dict] = {}

    def budget(self, full: float, small: float) -> float:
        """The budget of this run: ``full`` on the standard mesh, ``small`` on the quick CI mesh."""
        return small if self.small else full

    def info(self, name: str, value: float, unit: str) -> None:
        """Record a report-only figure (an anchor, a size): shown under ``"info"``, never judged."""
        self.infos[name] = {"value": _finite_or_none(value), "unit": unit}

    @cached_property
    def command_env(self) -> dict[str, str]:
        """The environment of a command run as a user runs it: this tree's code, with Python's bytecode
        cache as an installed package has it (kept in the bench's folder; a shell that sets
        PYTHONDONTWRITEBYTECODE would make every command compile its ~0.5 s of source again), warmed by
        one ``--help`` (which loads every command's modules)."""
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                   PYTHONPYCACHEPREFIX=str(self.workdir / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        subprocess.run([sys.executable, "-m", "meshdesigner", "--help"], env=env, capture_output=True, check=True)
        return env

    def command(self, *args: str, repeat: int = 1, check: bool = True, codes: tuple[int, ...] = (0, 1)) -> float:
        """Run ``meshdesigner ARGS`` as a user would (a fresh process); the fastest wall time in seconds.
        ``last_command_cpu`` is then the least CPU time (user + system) of those runs: robust to a busy
        machine, where wall time is not. With ``check``, an exit code outside ``codes`` is an error."""
        best = best_cpu = float("inf")
        env = self.command_env
        for _ in range(repeat):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "meshdesigner", *args], env=env,
                                  capture_output=True, text=True)
            best = min(best, time.perf_counter() - start)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            best_cpu = min(best_cpu, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
            self.last_command_cpu = best_cpu
            if check and done.returncode not in codes:
                raise RuntimeError(f"meshdesigner {' '.join(args)} exited {done.returncode}: "
                                   f"{done.stderr.strip()[-500:]}")
        return best

    @cached_property
    def workload(self) -> pathlib.Path:
        """The multi-document YAML that ``make_mesh.py`` writes (100 gateways, 900 VS, 1,000 services)."""
        path = self.workdir / "mesh.yaml"
        size = SMALL_MESH if self.small else []
        subprocess.run([sys.executable, str(MAKE_MESH), *size, "-o", str(path)], check=True, capture_output=True)
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
    def dispose_window(window) -> None:
        """Close ``window`` and delete it now, with everything it holds (design, scene, panels, timers): a
        ``deleteLater`` is never carried out by ``processEvents()`` outside an event loop, so a window left
        by one module kept its design in memory and its timers running through the next module's figures
        (the quick run's opening stall: 25 ms alone, 64 ms after the canvas module)."""
        from PySide6.QtCore import QCoreApplication, QEvent

        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        gc.collect()

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
    def side_by_side(fn: Callable[[object], object], base, other, rounds: int = 5) -> tuple[float, float]:
        """``(other / base, other seconds)`` for ``fn(base)`` and ``fn(other)`` (two designs): the fastest of
        ``rounds`` runs each, alternating so that load from other processes falls on both, timed in this
        process's CPU time (the work is single-threaded and CPU-bound; wall time on a loaded machine
        counts other processes too), after a garbage collection (so one run does not pay for the garbage
        of another), each on a fresh ``copy()`` made before the clock starts (so no run reuses what a
        previous run memoized on its design)."""
        best = [float("inf"), float("inf")]
        for _ in range(rounds):
            for i, project in enumerate((base, other)):
                fresh = project.copy()
                gc.collect()
                start = time.process_time()
                fn(fresh)
                best[i] = min(best[i], time.process_time() - start)
        return best[1] / best[0], best[1]

    @staticmethod
    def metric(value: float, unit: str, budget: float, lower_is_better: bool = True) -> dict:
        """A judged figure. A NaN value or a NaN budget is a failure, not a pass; an infinite budget makes
        the figure report-only (moved under ``"info"``)."""
        if budget == float("inf"):
            return {"value": _finite_or_none(value), "unit": unit, "info": True}
        judged = math.isfinite(value) and math.isfinite(budget)
        ok = judged and (value <= budget if lower_is_better else value >= budget)
        return {"value": _finite_or_none(value), "unit": unit, "budget": _finite_or_none(budget),
                "ok": bool(ok)}


def _finite_or_none(value: float) -> float | None:
    """JSON has no NaN or Infinity: such a figure is written as null (and a metric with it fails)."""
    value = float(value)
    return round(value, 4) if math.isfinite(value) else None


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
    ap.add_argument("--small", action="store_true",
                    help="the quick CI run: a smaller mesh (" + " ".join(SMALL_MESH) + ") and its budgets")
    args = ap.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="meshdesigner-bench-") as tmp:
        ctx = Context(pathlib.Path(tmp), small=args.small)
        for path in bench_modules(args.k):
            for name, figure in load(path).run(ctx).items():
                if figure.pop("info", False):
                    ctx.infos[name] = figure
                else:
                    results[name] = figure
    if args.json:
        print(json.dumps({**results, "info": ctx.infos}, indent=1, sort_keys=True, allow_nan=False))
    else:
        _print_table(results, ctx.infos)
    return 0 if all(m["ok"] for m in results.values()) else 1


def _print_table(results: dict[str, dict], infos: dict[str, dict]) -> None:
    def show(value: float | None) -> str:
        return "-" if value is None else f"{value:.4g}"

    width = max((len(k) for k in [*results, *infos]), default=10)
    print(f"{'metric':<{width}}  {'value':>10}  {'unit':<6} {'budget':>8}  ok")
    for name, m in sorted(results.items()):
        print(f"{name:<{width}}  {show(m['value']):>10}  {m['unit']:<6} {show(m['budget']):>8}  "
              f"{'yes' if m['ok'] else 'NO'}")
    for name, m in sorted(infos.items()):
        print(f"{name:<{width}}  {show(m['value']):>10}  {m['unit']:<6} {'info':>8}")


if __name__ == "__main__":
    sys.exit(main())
