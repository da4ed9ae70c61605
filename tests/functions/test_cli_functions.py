"""Gateway functions of an old project file through the command line: validate, export (Istio + Envoy),
simulate --client. The file is saved in the current format (its functions migrated to resources)."""

from __future__ import annotations

import json
import shutil

import pytest

from meshdesigner.cli import main
from meshdesigner.io.project_file import save_project

from .designs import edge_design
from .e2e_support import SigningKey, validate

FIREWALL = {"firewall": {"rules": [{"action": "DENY", "remoteIpBlocks": ["203.0.113.0/24"]}]}}


@pytest.fixture
def project_file(tmp_path):
    key = SigningKey()
    path = tmp_path / "edge.mesh.yaml"
    save_project(edge_design({**FIREWALL, "jwt": {"rules": [{"issuer": "me", "jwks": key.jwks()}]},
                              "rateLimits": [{"tokensPerFill": 10}], "accessLog": {}}), str(path))
    return path


def test_simulate_with_a_client_address(project_file, capsys):
    assert main(["simulate", str(project_file), "--gateway", "edge-gw", "--url", "http://shop.example.com/",
                 "--client", "203.0.113.9", "--format", "json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["outcome"] == "denied" and result["status"] == 403
    assert result["functions"]["authorization"]["decision"] == "deny"
    assert result["functions"]["authorization"]["policy"] == "istio-system/edge-gw-deny"
    assert main(["simulate", str(project_file), "--gateway", "edge-gw", "--url", "http://shop.example.com/",
                 "--client", "192.0.2.1"]) == 0
    assert "outcome: routed" in capsys.readouterr().out


def test_simulate_rejects_a_bad_client_address(project_file, capsys):
    assert main(["simulate", str(project_file), "--gateway", "edge-gw", "--url", "http://shop.example.com/",
                 "--client", "not-an-ip"]) == 2
    assert "not an IP address" in capsys.readouterr().err


def test_export_writes_the_function_resources(project_file, tmp_path):
    out = tmp_path / "out"
    assert main(["export", str(project_file), "-o", str(out)]) == 0
    names = sorted(p.name for p in (out / "resources").iterdir())
    assert "istio-system.authorizationpolicy.edge-gw-deny.yaml" in names
    assert "istio-system.requestauthentication.edge-gw-jwt.yaml" in names
    assert "istio-system.envoyfilter.edge-gw-ratelimit.yaml" in names
    assert "istio-system.telemetry.edge-gw-access-log.yaml" in names


@pytest.mark.envoy
@pytest.mark.skipif(shutil.which("envoy") is None, reason="envoy is not installed")
def test_export_envoy_config_with_functions_validates(project_file, tmp_path):
    out = tmp_path / "out"
    assert main(["export", str(project_file), "-o", str(out), "--envoy", "--port-map", "80:18080"]) == 0
    (config,) = (out / "envoy").iterdir()
    text = config.read_text()
    assert "envoy.filters.http.rbac" in text and "envoy.filters.http.jwt_authn" in text
    result = validate(str(config), cwd=str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_validate_reports_function_findings(tmp_path, capsys):
    path = tmp_path / "bad.mesh.yaml"
    save_project(edge_design({"jwt": {"requirePrincipal": True}}), str(path))
    assert main(["validate", str(path), "--fail-on", "warning"]) == 1
    # the migrated "require a token" policy with no RequestAuthentication: no token can ever be valid
    assert "MD0908" in capsys.readouterr().out
