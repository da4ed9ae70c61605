"""Issue 4 budgets: Envoy export of the 2,000-resource mesh (compile + render + YAML) takes less time than
``envoy --mode validate`` takes to load the result (each workload's config once, same run), and one
simulated request takes under 5 ms once loaded."""

from __future__ import annotations

import pathlib
import random
import sys
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "envoy"))


def _requests(plan, count: int, rng: random.Random):
    """Requests spread over the gateway's virtual hosts and routes (hits, misses, unknown hosts)."""
    from meshdesigner.analysis.simulate import Request

    pool = []
    for listener in plan.listeners:
        for chain in listener.chains:
            scheme = "https" if chain.terminates_tls else "http"
            if chain.route_config is None:
                continue
            for vhost in chain.route_config.virtual_hosts:
                host = vhost.domains[0].replace("*", "probe")
                for route in vhost.routes:
                    uri = route.match.uri if route.match is not None else None
                    path = uri.value if uri is not None and uri.kind in ("exact", "prefix") else "/"
                    headers = {k: (m.value or "1") for k, m in ((route.match.headers or {}) if route.match else {}).items()}
                    pool.append(Request(f"{scheme}://{host}:{listener.port}{path}", headers=headers))
                pool.append(Request(f"{scheme}://{host}:{listener.port}/no/such/path"))
            pool.append(Request(f"{scheme}://unknown.example.invalid:{listener.port}/"))
    return [rng.choice(pool) for _ in range(count)]


def run(ctx) -> dict:
    from envoy_support import ENVOY, Credentials, trial_options, validate

    from meshdesigner.analysis.simulate import simulate
    from meshdesigner.compile import compile_workloads
    from meshdesigner.export.envoy import bootstrap_from_plan, export_envoy_files

    project = ctx.project
    root = ctx.workdir / "envoy-bench"
    options = trial_options(str(root))
    files = {}

    def export() -> None:
        files.update(export_envoy_files(project, options))

    export_seconds = ctx.best_of(export, 2)
    metrics: dict = {}

    credentials = Credentials(["example.com"])
    plans = compile_workloads(project)
    for plan in plans:
        credentials.write_for(bootstrap_from_plan(project, plan, options), str(root))
    # One file per gateway workload (one Envoy each): Envoy loads each of them once.
    paths = []
    for rel in sorted(files):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(files[rel])
        paths.append(path)
    failures = 0
    validate_seconds = float("nan")
    if ENVOY:
        start = time.perf_counter()
        for path in paths:
            failures += validate(str(path), str(root)).returncode != 0
        validate_seconds = time.perf_counter() - start
    metrics["envoy.export_seconds"] = ctx.metric(export_seconds, "s", validate_seconds)
    metrics["envoy.validate_seconds"] = ctx.metric(validate_seconds, "s", float("inf"))
    metrics["envoy.export_vs_validate"] = ctx.metric(export_seconds / validate_seconds, "ratio", 1.0)
    metrics["envoy.validate_failures"] = ctx.metric(failures, "files", 0)

    # Simulation: the busiest workload, its tables compiled by the first request, then many requests.
    busiest = max(plans, key=lambda p: sum(
        len(v.routes) for lst in p.listeners for c in lst.chains if c.route_config
        for v in c.route_config.virtual_hosts))
    gateway = busiest.gateway
    requests = _requests(busiest, 2000, random.Random(4))
    start = time.perf_counter()
    simulate(project, gateway, requests[0])
    first = time.perf_counter() - start
    start = time.perf_counter()
    outcomes = {simulate(project, gateway, r).outcome for r in requests}
    per_request = (time.perf_counter() - start) / len(requests)
    assert "routed" in outcomes, outcomes
    metrics["envoy.simulate_ms_per_request"] = ctx.metric(per_request * 1000, "ms", 5.0)
    metrics["envoy.simulate_first_request_ms"] = ctx.metric(first * 1000, "ms", float("inf"))
    return metrics
