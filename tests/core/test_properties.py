"""Round-trip properties over generated designs."""

from __future__ import annotations

import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshdesigner.export.istio import export_files, project_manifests
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.project_file import dump_project, parse_project
from meshdesigner.io.yamlio import dump_canonical, flow, load_one
from strategies import projects

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(projects(laid_out=False))
def test_save_then_load_gives_an_equal_project(project):
    assert parse_project(dump_project(project), "p.mesh.yaml") == project


@SETTINGS
@given(projects(laid_out=False))
def test_saving_twice_gives_the_same_bytes(project):
    first = dump_project(project)
    assert dump_project(parse_project(first, "p.mesh.yaml")) == first


@SETTINGS
@given(projects(laid_out=True), st.sampled_from(["v1", "v1beta1", "v1alpha3"]))
def test_import_of_an_export_gives_the_same_project(tmp_path_factory, project, api_version):
    folder = tmp_path_factory.mktemp("export")
    (folder / "istio.yaml").write_text(export_files(project, api_version)["istio.yaml"])
    again = import_manifests([str(folder / "istio.yaml")], name=project.name).project
    assert again == project


@SETTINGS
@given(projects(laid_out=False))
def test_export_is_deterministic(project):
    assert export_files(project) == export_files(project.copy())
    assert yaml.safe_load_all(export_files(project)["istio.yaml"]) is not None
    assert list(yaml.safe_load_all(export_files(project)["istio.yaml"])) == project_manifests(project)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**12, 10**12) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=10), json_values, max_size=6))
def test_canonical_yaml_reads_back_the_same_in_pyyaml_and_our_reader(data):
    text = dump_canonical(data)
    assert yaml.safe_load(text) == data
    assert load_one(text, "p.mesh.yaml") == data
    assert json.loads(json.dumps(data)) == data


def test_flow_lists_read_back_as_lists():
    text = dump_canonical({"position": flow([1.5, -2.0])})
    assert text == "position: [1.5, -2.0]\n"
    assert yaml.safe_load(text) == load_one(text, "p.mesh.yaml") == {"position": [1.5, -2.0]}
