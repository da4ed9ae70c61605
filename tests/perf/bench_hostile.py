"""Issue 15 budgets: a 20 MB manifest file validates in under 10 s and 1 GB; an alias bomb and a string
bomb are refused in under 1 s and 200 MB. The 20 MB file is ``meshdesigner validate`` in a fresh process
(what a user or CI runs); the bombs' refusal is timed in this process (start-up not counted) and their peak
memory in a fresh one, read from the process itself. The quick CI run uses a 2 MB file.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import time

# Runs the command as the installed ``meshdesigner`` script does (``main()`` reading ``sys.argv``: the collector
# paused, the process ended without freeing every object), and reports from an exit handler, which the command
# runs before it ends, its own peak resident memory (KiB) and CPU seconds. VmHWM is this process's own
# high-water mark; getrusage's ru_maxrss is not: Linux keeps it across exec, so a child of the bench reported the
# bench's own peak (282 MB for every case) instead of the command's. The exit code is the process's.
RUNNER = ("import atexit, json, resource, sys\n"
          "def report():\n"
          "    usage = resource.getrusage(resource.RUSAGE_SELF)\n"
          "    hwm = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:')]\n"
          "    sys.stderr.write(json.dumps({'rss_kb': hwm[0] if hwm else usage.ru_maxrss, "
          "'cpu_s': usage.ru_utime + usage.ru_stime}) + '\\n')\n"
          "    sys.stderr.flush()\n"
          "atexit.register(report)\n"
          "from meshdesigner.cli import main\n"
          "sys.exit(main())\n")


def services_file(path: pathlib.Path, size: int) -> pathlib.Path:
    """Kubernetes Services (one namespace in 50), ``size`` bytes of YAML: about 98,000 Services in 20 MB (the
    issue's 19 MB file held 83,570)."""
    parts, total, i = [], 0, 0
    while total < size:
        i += 1
        doc = (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i:05d}\n  namespace: ns-{i % 50}\n"
               f"  labels:\n    app: svc-{i:05d}\nspec:\n  selector:\n    app: svc-{i:05d}\n  ports:\n"
               "  - name: http\n    port: 80\n    targetPort: 8080\n---\n")
        parts.append(doc)
        total += len(doc)
    path.write_text("".join(parts))
    return path


def alias_bomb(path: pathlib.Path) -> pathlib.Path:
    lines = ["apiVersion: v1", "kind: ConfigMap", "metadata: {name: lol}", "data:", "  a: &a [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 10):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
    path.write_text("\n".join(lines) + "\n")
    return path


def string_bomb(path: pathlib.Path) -> pathlib.Path:
    """The issue's bomb: a 100 KB string aliased 200,000 times in a file under 1 MB."""
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n  a: &s " + "x" * 100_000
                    + "\n  b: [" + ", ".join(["*s"] * 200_000) + "]\n")
    return path


def validate(ctx, path: pathlib.Path, expect: int) -> tuple[float, float, float]:
    """(seconds, peak MB, CPU seconds) of ``meshdesigner validate PATH`` in a fresh process."""
    env = ctx.command_env
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", RUNNER, "validate", str(path)], env=env, capture_output=True,
                          text=True)
    seconds = time.perf_counter() - start
    report = json.loads(done.stderr.strip().splitlines()[-1])
    if done.returncode != expect:
        raise RuntimeError(f"validate {path.name} exited {done.returncode}, expected {expect}: {done.stderr[-400:]}")
    return seconds, report["rss_kb"] / 1024, report["cpu_s"]


def refusal_seconds(ctx, path: pathlib.Path) -> float:
    """The time ``validate`` takes to refuse a bomb, in this process (the interpreter's start not counted)."""
    import contextlib
    import io

    from meshdesigner.cli import main

    def once() -> None:
        with contextlib.redirect_stderr(io.StringIO()):
            if main(["validate", str(path)]) != 2:
                raise RuntimeError(f"{path.name} was not refused")

    return ctx.best_of(once, 3)


def run(ctx) -> dict:
    size = 2_000_000 if ctx.small else 20_000_000
    big = services_file(ctx.workdir / "services.yaml", size)
    big_s, big_mb, big_cpu = validate(ctx, big, expect=0)
    alias, string = alias_bomb(ctx.workdir / "alias-bomb.yaml"), string_bomb(ctx.workdir / "string-bomb.yaml")
    _, alias_mb, _ = validate(ctx, alias, expect=2)
    _, string_mb, _ = validate(ctx, string, expect=2)
    alias_s, string_s = refusal_seconds(ctx, alias), refusal_seconds(ctx, string)
    ctx.info("hostile.validate_20mb_cpu_seconds", big_cpu, "s")
    ctx.info("hostile.manifest_mb", big.stat().st_size / 1e6, "MB")
    return {
        "hostile.validate_20mb_seconds": ctx.metric(big_s, "s", ctx.budget(10.0, 1.5)),
        "hostile.validate_20mb_peak_mb": ctx.metric(big_mb, "MB", ctx.budget(1000.0, 250.0)),
        "hostile.alias_bomb_seconds": ctx.metric(alias_s, "s", 1.0),
        "hostile.alias_bomb_peak_mb": ctx.metric(alias_mb, "MB", 200.0),
        "hostile.string_bomb_seconds": ctx.metric(string_s, "s", 1.0),
        "hostile.string_bomb_peak_mb": ctx.metric(string_mb, "MB", 200.0),
    }
