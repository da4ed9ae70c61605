"""Issue 2 budgets: import + export vs libyaml's C loader and dumper (``yaml.CSafeLoader`` /
``yaml.CSafeDumper``: what a careful engineer reading and writing these documents would use; issue 16
set the budget to 1.5x), and project load + save."""

from __future__ import annotations

import yaml


def run(ctx) -> dict:
    from meshdesigner.export.istio import export_files
    from meshdesigner.io.importer import import_manifests
    from meshdesigner.io.project_file import dump_project, load_project

    text = ctx.workload.read_text()

    def baseline() -> None:
        docs = list(yaml.load_all(text, Loader=yaml.CSafeLoader))
        yaml.dump_all(docs, Dumper=yaml.CSafeDumper, sort_keys=False)

    def ours() -> None:
        project = import_manifests([str(ctx.workload)]).project
        export_files(project)

    def load_save() -> None:
        project = load_project(str(ctx.project_file))
        dump_project(project)

    base = ctx.best_of(baseline, 2)
    mine = ctx.best_of(ours, 2)
    ratio = mine / base
    ctx.info("core.libyaml_c_load_dump_seconds", base, "s")
    return {
        "core.import_export_vs_libyaml_c": ctx.metric(ratio, "ratio", 1.5),
        "core.import_export_seconds": ctx.metric(mine, "s", 1.5 * base),
        "core.project_load_save_seconds": ctx.metric(ctx.best_of(load_save, 3), "s", 1.0),
    }
