"""Issue 2 budgets: import + export vs PyYAML, and project load + save."""

from __future__ import annotations

import yaml


def run(ctx) -> dict:
    from meshdesigner.export.istio import export_files
    from meshdesigner.io.importer import import_manifests
    from meshdesigner.io.project_file import dump_project, load_project

    text = ctx.workload.read_text()

    def baseline() -> None:
        docs = list(yaml.safe_load_all(text))
        yaml.safe_dump_all(docs, sort_keys=False)

    def ours() -> None:
        project = import_manifests([str(ctx.workload)]).project
        export_files(project)

    def load_save() -> None:
        project = load_project(str(ctx.project_file))
        dump_project(project)

    base = ctx.best_of(baseline, 2)
    mine = ctx.best_of(ours, 2)
    ratio = mine / base
    return {
        "core.import_export_vs_pyyaml": ctx.metric(ratio, "ratio", 3.0),
        "core.import_export_seconds": ctx.metric(mine, "s", 3.0 * base),
        "core.pyyaml_load_dump_seconds": ctx.metric(base, "s", float("inf")),
        "core.project_load_save_seconds": ctx.metric(ctx.best_of(load_save, 3), "s", 1.0),
    }
