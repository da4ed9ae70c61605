"""Rules registered with ``needs=<node field>`` are skipped by a one-shot analyze() on the nodes where that
field is None: that must lose nothing, so each such rule must find nothing on those nodes (and the tracked
Analyzer, which still runs them, must agree with analyze())."""

from __future__ import annotations

import copy

from meshdesigner.analysis import Analyzer, analyze
from meshdesigner.analysis.context import Context
from meshdesigner.analysis.index import DesignIndex
from meshdesigner.analysis.registry import NODE, registered_rules
from meshdesigner.io.importer import import_manifests
from meshdesigner.io.project_file import load_project
from meshdesigner.model.nodes import ExternalServiceNode, MeshServiceNode
from meshdesigner.model.resource import ResourceRef

from .builders import design
from .grid import CASES
from .paths import example_files, sample_files

NEEDING = [r for r in registered_rules() if r.scope == NODE and r.needs is not None]


def _projects():
    for _code, trigger, silent in CASES:
        yield design(*trigger)
        yield design(*silent)
    for path in example_files():
        yield load_project(str(path)) if path.name.endswith(".mesh.yaml") else \
            import_manifests([str(path)]).project
    for path in sample_files():
        yield import_manifests([str(path)]).project


def test_the_destination_rule_checks_declare_what_they_need():
    names = {r.name for r in NEEDING}
    assert {"destinationrule.host", "destinationrule.subsets", "destinationrule.client_tls",
            "destinationrule.port_policies", "destinationrule.export_with_selector",
            "destinationrule.ca_certificates", "services.destination_rule_host"} <= names


def test_a_rule_finds_nothing_where_the_field_it_needs_is_unset():
    checked = 0
    for project in _projects():
        index = DesignIndex(project.nodes.values())
        ctx = Context(project, index)
        for node in project.nodes.values():
            for r in NEEDING:
                if str(node.kind) not in r.kinds:
                    continue
                if getattr(node, r.needs) is None:
                    assert list(r.fn(ctx, node)) == [], (r.name, node.id)
                    checked += 1
    assert checked > 100


def test_a_skipped_rule_would_have_found_something_with_the_field_set():
    """The skip is not vacuous: the same Service with a bad DestinationRule is reported by analyze()."""
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "reviews", "namespace": "shop"},
               "spec": {"ports": [{"name": "http", "port": 80}]}}
    rule = {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": {"name": "reviews", "namespace": "shop"},
            "spec": {"host": "reviews", "subsets": [{"name": "v1"}, {"name": "v1"}]}}
    without = analyze(design(copy.deepcopy(service)))
    with_rule = analyze(design(copy.deepcopy(service), rule))
    assert not [d for d in without if d.code == "MD0321"]
    assert [(d.code, d.resource) for d in with_rule if d.code == "MD0321"] == [
        ("MD0321", ResourceRef("DestinationRule", "shop", "reviews"))]


def test_the_tracked_analyzer_agrees_with_one_shot_runs():
    for project in _projects():
        if not any(isinstance(n, MeshServiceNode | ExternalServiceNode) for n in project.nodes.values()):
            continue
        assert Analyzer(project).refresh() == analyze(project)
