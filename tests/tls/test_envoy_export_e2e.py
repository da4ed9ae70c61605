"""End to end through the exporter: the seed-like gateway with a credential made by ``cert create``,
exported with ``meshdesigner export --envoy`` and served by the real Envoy; ``curl --cacert`` verifies the
covered host and refuses the uncovered one, which the analysis flagged first (MD0605). Loopback only."""

from __future__ import annotations

import os
import sys

import pytest

from meshdesigner.cli import main
from meshdesigner.io.project_file import load_project, save_project
from meshdesigner.tls.sources import set_certificate_location

from .envoy_trial import CURL, ENVOY, curl, free_port, running, running_envoy
from .paths import EXAMPLES

pytestmark = [pytest.mark.envoy, pytest.mark.slow,
              pytest.mark.skipif(not ENVOY or not CURL, reason="needs the envoy binary and curl")]

COVERED, UNCOVERED = "ext-host.example.com", "uncovered.example.com"
CURL_NAME_MISMATCH = 60


@pytest.fixture(autouse=True)
def _reset_location():
    yield
    set_certificate_location(None)  # the CLI set the project's folder for this process


def seed_with_credential(folder) -> str:
    """The seed example, its HTTPS server switched to credentialName ext-host-cert and a second host."""
    project = load_project(str(EXAMPLES / "seed.mesh.yaml"))
    node = project.gateways()[0]
    server = node.gateway.spec.servers[0]
    tls = server.tls.model_copy(update={"server_certificate": None, "private_key": None,
                                        "credential_name": "ext-host-cert"})
    server = server.model_copy(update={"hosts": [COVERED, UNCOVERED], "tls": tls})
    spec = node.gateway.spec.model_copy(update={"servers": [server]})
    project.replace_node(node.model_copy(update={"gateway": node.gateway.model_copy(update={"spec": spec})}))
    vs_node = project.virtual_services()[0]
    vs = vs_node.virtual_service
    vs = vs.model_copy(update={"spec": vs.spec.model_copy(update={"hosts": [COVERED, UNCOVERED]})})
    project.replace_node(vs_node.model_copy(update={"virtual_service": vs}))
    path = os.path.join(folder, "design.mesh.yaml")
    save_project(project, path)
    return path


def test_exported_gateway_serves_the_created_certificate(tmp_path, capsys):
    design = seed_with_credential(tmp_path)
    credential = tmp_path / "credentials" / "ext-host-cert"
    assert main(["cert", "create", "--hosts", COVERED, "--out", str(credential)]) == 0
    www = tmp_path / "www"
    www.mkdir()
    (www / "index.html").write_text("hello from my-svc\n")
    backend_port, gateway_port, admin_port = free_port(), free_port(), free_port()
    (tmp_path / "endpoints.yaml").write_text(f"my-svc.default.svc.cluster.local:80: 127.0.0.1:{backend_port}\n")
    out = tmp_path / "out"
    export = ["export", design, "-o", str(out), "--envoy", "--credentials", str(tmp_path / "credentials"),
              "--listen-address", "127.0.0.1", "--port-map", f"443:{gateway_port}",
              "--endpoints", str(tmp_path / "endpoints.yaml"), "--admin-port", str(admin_port)]
    capsys.readouterr()
    # The analysis reads the local credential (next to the project) and blocks on the uncovered host.
    assert main(export) == 1
    assert "MD0605" in capsys.readouterr().err and not out.exists()
    assert main([*export, "--force"]) == 0
    config = out / "envoy" / "app-my-gateway-controller.yaml"  # ext-host-gwy's pods
    assert config.is_file()
    assert b"PRIVATE KEY" not in config.read_bytes()  # the bootstrap names the key file, never its content

    backend = [sys.executable, "-m", "http.server", str(backend_port), "--bind", "127.0.0.1",
               "--directory", str(www)]
    with running(backend, str(tmp_path), str(tmp_path / "backend.log"), f"http://127.0.0.1:{backend_port}/"), \
            running_envoy(str(config), admin_port, str(tmp_path)):
        ca = str(credential / "ca.crt")
        ok = curl(COVERED, gateway_port, ca)
        assert ok.returncode == 0, ok.stderr
        assert ok.stdout == "hello from my-svc\n"
        refused = curl(UNCOVERED, gateway_port, ca)
        assert refused.returncode == CURL_NAME_MISMATCH, refused.stderr
        assert "subject name" in refused.stderr
        # the same request without verification reaches the route: only the certificate name is wrong
        insecure = curl(UNCOVERED, gateway_port, ca, "-k")
        assert insecure.returncode == 0 and insecure.stdout == "hello from my-svc\n", insecure.stderr
