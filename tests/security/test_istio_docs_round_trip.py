"""Istio's own policy examples import, save and export back to the same objects, CRD-valid.

``data/istio-docs/`` holds the YAML examples of Istio's reference pages for AuthorizationPolicy,
RequestAuthentication, PeerAuthentication, Telemetry and EnvoyFilter (each file names its page) and
the Telemetry samples of istio/istio. Examples whose text is not a complete manifest (they elide parts
with ``...``) are left out, as ``kubectl apply`` would refuse them too.
"""

from __future__ import annotations

import json
import pathlib

import pytest
import yaml

from meshdesigner.export.istio import project_manifests
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.project_file import dump_project, parse_project
from meshdesigner.model.security import POLICY_TYPES

DOCS = pathlib.Path(__file__).parent / "data" / "istio-docs"


def _complete(path: pathlib.Path) -> bool:
    return not any(line.strip() == "..." or line.strip().endswith(": ...") for line in path.read_text().splitlines())


EXAMPLES = sorted(p for p in DOCS.glob("*.yaml") if _complete(p))


def _key(doc: dict) -> tuple:
    md = doc["metadata"]
    return doc["kind"], md.get("namespace", "default"), md["name"]


def test_every_kind_has_examples():
    kinds = {d["kind"] for p in EXAMPLES for d in yaml.safe_load_all(p.read_text()) if d} & set(POLICY_TYPES)
    assert kinds == {"AuthorizationPolicy", "RequestAuthentication", "PeerAuthentication", "Telemetry", "EnvoyFilter"}
    assert len(EXAMPLES) >= 30


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_imports_saves_and_exports_back(path, crd_validate):
    # JSON form: what the API server stores (a port number key of portLevelMtls is a string there)
    originals = {_key(d): json.loads(json.dumps(d)) for d in yaml.safe_load_all(path.read_text())
                 if d and d["kind"] in POLICY_TYPES}
    project = import_manifests([str(path)]).project
    assert project.extra_resources == [] and len(project.policies) == len(originals)
    reloaded = parse_project(dump_project(project), "example.mesh.yaml")
    assert reloaded == project
    exported = {_key(d): d for d in project_manifests(reloaded) if d["kind"] in POLICY_TYPES}
    assert set(exported) == set(originals)
    for key, original in originals.items():
        out = exported[key]
        expected = dict(original)
        expected["metadata"] = {"namespace": "default", **original["metadata"]}
        assert out == expected, key
        assert crd_validate(out) == [], key
