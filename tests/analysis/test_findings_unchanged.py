"""A regression guard for performance work on the rules: the findings of a fixed set of inputs (every rule-grid
case, both variants; every example; every Istio sample; the small bench mesh) are the ones saved in
``data/findings_snapshot.json``, which was written once from main's code (1b34c48) before the analysis was
optimised.

A change that MEANS to change findings (a new or corrected check) regenerates the snapshot, and its diff
shows the change: ``PYTHONPATH=. python tests/analysis/test_findings_unchanged.py --write``.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys
import tempfile

import pytest

from meshdesigner.tls.sources import certificate_location

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SNAPSHOT = HERE / "data" / "findings_snapshot.json"
# make_mesh.py's arguments of the bench's quick run (tests/perf/bench.py SMALL_MESH)
SMALL_MESH = ["--gateways", "10", "--virtual-services", "90", "--services", "100"]


def _rows(diagnostics) -> list[list]:
    # Relative certificate paths are resolved against the checkout (current_findings) and messages name the
    # file: the snapshot holds "<cwd>" there, so it does not depend on where the checkout is.
    cwd = str(ROOT)
    return [[d.code, d.istio_code or "", str(d.severity), "/".join(map(str, d.resource)), d.node_id or "",
             d.path or "", d.message.replace(cwd, "<cwd>"), d.line or 0] for d in diagnostics]


def _grid_inputs():
    from meshdesigner.analysis import analyze

    from .builders import design
    from .grid import CASES

    for number, (code, trigger, silent) in enumerate(CASES):
        for variant, docs in (("trigger", trigger), ("silent", silent)):
            yield f"grid {number} {code} {variant}", lambda docs=docs: analyze(design(*docs))


def _file_inputs(paths):
    from meshdesigner.analysis import analyze
    from meshdesigner.io.importer import import_manifests
    from meshdesigner.io.project_file import load_project

    for path in paths:
        if path.name.endswith(".mesh.yaml"):
            yield path.name, lambda path=path: analyze(load_project(str(path)))
        else:
            def run(path=path):
                result = import_manifests([str(path)], keep_nodes=True)
                return analyze(result.project, result.sources)
            yield path.name, run


def _mesh_input(oracle: pathlib.Path):
    from meshdesigner.analysis import analyze
    from meshdesigner.io.importer import import_manifests

    def run():
        with tempfile.TemporaryDirectory() as tmp:
            out = pathlib.Path(tmp) / "mesh.yaml"
            subprocess.run([sys.executable, str(oracle.parent / "bench" / "make_mesh.py"), *SMALL_MESH,
                            "-o", str(out)], check=True, capture_output=True)
            result = import_manifests([str(out)])
            return analyze(result.project, result.sources)
    return "bench mesh (small)", run


def current_findings(oracle: pathlib.Path) -> dict[str, list]:
    from .paths import example_files, sample_files

    inputs = list(_grid_inputs())
    inputs += _file_inputs(example_files())
    inputs += _file_inputs(sample_files())
    inputs.append(_mesh_input(oracle))
    with certificate_location(str(ROOT)):  # whatever the working directory
        return {name: _rows(run()) for name, run in inputs}


def test_findings_are_the_snapshot(oracle):
    expected = json.loads(SNAPSHOT.read_text())
    found = current_findings(oracle)
    assert sorted(found) == sorted(expected)
    changed = [name for name in expected if found[name] != expected[name]]
    assert not changed, {name: {"now": found[name], "snapshot": expected[name]} for name in changed[:3]}


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit("usage: PYTHONPATH=. python tests/analysis/test_findings_unchanged.py --write")
    sys.path.insert(0, str(HERE.parent.parent))
    from tests.analysis import test_findings_unchanged as module
    from tests.analysis.paths import ORACLE

    if not ORACLE.is_dir():
        pytest.exit("the oracle is needed to write the snapshot")
    SNAPSHOT.write_text(json.dumps(module.current_findings(ORACLE), indent=0, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOT}")
