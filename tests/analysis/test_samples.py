"""The oracle's real manifests and the examples: no false errors, and the seed's real problems reported."""

from __future__ import annotations

import pytest

from meshdesigner.analysis import analyze
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.project_file import load_project

from .paths import SAMPLES, example_files, sample_files

SEED = "docs-concepts-ext-host-gwy.yaml"


@pytest.mark.parametrize("path", sample_files(), ids=lambda p: p.name)
def test_samples_have_no_false_errors(oracle, path):
    result = import_manifests([str(path)], keep_nodes=True)
    errors = [d.format() for d in analyze(result.project, result.sources) if d.severity == "error"]
    if path.name == SEED:
        assert errors
    else:
        assert errors == []


def test_seed_problems_are_all_reported_with_file_and_line(oracle):
    path = SAMPLES / SEED
    result = import_manifests([str(path)], keep_nodes=True)
    found = {(d.code, d.resource.name, d.path): d for d in analyze(result.project, result.sources)}
    short_host = found[("MD0107", "ext-host-gwy", "spec.servers[0].hosts[0]")]
    assert short_host.severity == "error" and short_host.istio_code == "IST0106"
    no_routes = found[("MD0208", "virtual-svc", "spec")]
    assert no_routes.severity == "error"
    not_in_gateway = found[("MD0410", "virtual-svc", "spec.hosts[0]")]
    assert not_in_gateway.istio_code == "IST0132" and "ext-svc" in not_in_gateway.message
    lines = path.read_text().splitlines()
    assert short_host.file == str(path)
    assert lines[short_host.line - 1].strip() == "- ext-host"
    assert lines[not_in_gateway.line - 1].strip() == "- ext-svc"


@pytest.mark.parametrize("path", example_files(), ids=lambda p: p.name)
def test_examples_have_no_errors(path):
    errors = [d.format() for d in analyze(load_project(str(path))) if d.severity == "error"]
    assert errors == []


def test_there_are_examples_and_samples(oracle):
    assert len(example_files()) >= 5
    assert len(sample_files()) >= 20
