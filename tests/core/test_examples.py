"""The bundled examples: canonical files, CRD-valid exports, the seed as the issue describes it."""

from __future__ import annotations

import pytest

from conftest import example_files
from meshdesigner.export.istio import export_files, project_manifests
from meshdesigner.io.project_file import dump_project, load_project
from meshdesigner.model import GatewayNode

EXAMPLES = example_files()


def test_the_five_examples_exist():
    names = {p.name for p in EXAMPLES}
    assert {"seed.mesh.yaml", "bookinfo.mesh.yaml", "egress.mesh.yaml", "public-private.mesh.yaml",
            "tcp.mesh.yaml"} <= names


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_file_is_canonical(path):
    """Loading and saving an example gives back its exact bytes (reviewed like code)."""
    assert dump_project(load_project(str(path))) == path.read_text()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_exports_crd_valid_manifests(path, crd_validate):
    project = load_project(str(path))
    manifests = project_manifests(project)
    assert manifests
    for manifest in manifests:
        assert crd_validate(manifest) == [], manifest["metadata"]["name"]
    assert export_files(project) == export_files(load_project(str(path)))


def test_seed_example_matches_the_design_card():
    project = load_project("examples/seed.mesh.yaml")
    (gw,) = [n for n in project if isinstance(n, GatewayNode)]
    server = gw.gateway.spec.servers[0]
    assert gw.gateway.name == "ext-host-gwy"
    assert gw.gateway.spec.selector == {"app": "my-gateway-controller"}
    assert (server.port.number, server.protocol, server.tls.mode) == (443, "HTTPS", "SIMPLE")
    assert server.tls.server_certificate and server.tls.private_key
    assert server.hosts == ["ext-host.example.com"]
    (vs,) = project.virtual_services()
    assert vs.virtual_service.name == "virtual-svc"
    assert vs.virtual_service.spec.http[0].route[0].destination.host == "my-svc"


def test_public_private_example_has_two_gateways_side_by_side():
    project = load_project("examples/public-private.mesh.yaml")
    assert sorted(g.name for g in project.gateways()) == ["private-gateway", "public-gateway"]
    xs = {g.position[0] for g in project.gateways()}
    assert len(xs) == 1  # same lane, one above the other
