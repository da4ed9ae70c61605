"""Issue 16: the commands as a user runs them, whole processes (interpreter start, imports, reading,
writing) on the benchmark mesh: ``validate`` < 1.5 s, ``export`` < 2 s, ``export --envoy`` < 3 s,
``import`` < 2 s. The small CI mesh has its own budgets (start-up dominates there)."""

from __future__ import annotations

import shutil


def run(ctx) -> dict:
    project = str(ctx.project_file)
    out = ctx.workdir / "commands"

    def fresh(name: str) -> str:
        path = out / name
        shutil.rmtree(path, ignore_errors=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return str(path)

    validate = ctx.command("validate", project, repeat=2)
    export = min(ctx.command("export", "--force", "-o", fresh("istio"), project) for _ in range(2))
    envoy = min(ctx.command("export", "--force", "--envoy", "-o", fresh("envoy"), project) for _ in range(2))
    imported = min(ctx.command("import", "--force", "-o", fresh("imported.mesh.yaml"), str(ctx.workload))
                   for _ in range(2))
    ctx.info("commands.python_start_seconds", ctx.command("--version", repeat=3), "s")
    return {
        "commands.validate_seconds": ctx.metric(validate, "s", ctx.budget(1.5, 0.8)),
        "commands.export_seconds": ctx.metric(export, "s", ctx.budget(2.0, 0.8)),
        "commands.export_envoy_seconds": ctx.metric(envoy, "s", ctx.budget(3.0, 1.0)),
        "commands.import_seconds": ctx.metric(imported, "s", ctx.budget(2.0, 0.8)),
    }
