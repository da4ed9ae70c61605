"""Every example, every oracle sample and the feature design export Envoy configs that the real
``envoy --mode validate`` accepts (certificate files generated for every secret the configs read)."""

from __future__ import annotations

import os
import pathlib
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml
from envoy_support import ENVOY, Credentials, trial_options, validate

from conftest import example_files, sample_files
from meshdesigner.cli.common import open_design
from meshdesigner.export.envoy import export_envoy_files
from meshdesigner.io.yamlio import dump_canonical, load_documents

pytestmark = [pytest.mark.envoy, pytest.mark.skipif(ENVOY is None, reason="envoy is not installed")]
FEATURES = pathlib.Path(__file__).parent / "data" / "features.yaml"
DESIGNS = example_files() + sample_files() + [FEATURES]
PARALLEL = 2  # the machine has two cores


def test_there_is_something_to_validate():
    assert len(example_files()) >= 5 and len(sample_files()) >= 20


def _configs(tmp_path) -> list[tuple[str, str]]:
    """(label, config path) for every gateway workload of every design, files written under tmp_path."""
    credentials = Credentials(["example.com"])
    out = []
    for n, design in enumerate(DESIGNS):
        project, _ = open_design(str(design))
        root = tmp_path / f"d{n}"
        options = trial_options(str(root))
        files = export_envoy_files(project, options)
        for rel, text in sorted(files.items()):
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            credentials.write_for(yaml.load(text, Loader=yaml.CSafeLoader), str(root))
            out.append((f"{design.name}:{rel}", str(path)))
    return out


def test_every_design_validates_in_envoy(tmp_path):
    configs = _configs(tmp_path)
    assert len(configs) >= 18
    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(lambda item: (item[0], validate(item[1], os.path.dirname(item[1]))), configs))
    failures = [f"{label}: {r.stderr.strip()[-600:]}" for label, r in results if r.returncode != 0]
    assert not failures, "\n".join(failures)


def test_validate_rejects_a_broken_config(tmp_path):
    """The validation above can fail: Envoy refuses a config with a route to an unknown filter type."""
    project, _ = open_design(str(example_files()[0]))
    text = next(iter(export_envoy_files(project).values()))
    broken = text.replace("envoy.extensions.filters.http.router.v3.Router", "envoy.extensions.filters.http.nope.v3.X")
    assert broken != text
    path = tmp_path / "broken.yaml"
    path.write_text(broken)
    assert validate(str(path), str(tmp_path)).returncode != 0


def test_exported_text_is_the_bootstrap(tmp_path):
    """The file written is exactly the dict gateway_bootstrap returns (plus comments)."""
    project, _ = open_design(str(FEATURES))
    files = export_envoy_files(project)
    gateway = project.gateways()[0]
    from meshdesigner.export.envoy import gateway_bootstrap

    (text,) = files.values()
    (doc,) = list(load_documents(text, "x"))
    assert doc.data == gateway_bootstrap(project, gateway)
    assert dump_canonical(gateway_bootstrap(project, gateway)) in text
