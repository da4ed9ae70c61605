"""The pieces `test --envoy` runs on: certificates provided for a local run, Envoy's answers classified."""

from __future__ import annotations

import os
import pathlib

from meshdesigner.export.envoy import EnvoyOptions
from meshdesigner.live.certificates import ThrowawayCertificates, provide_files
from meshdesigner.live.route_tests import observation_from_response


def _bootstrap(cert: str, key: str, ca: str) -> dict:
    return {"static_resources": {"secrets": [
        {"name": "server", "tls_certificate": {"certificate_chain": {"filename": cert},
                                               "private_key": {"filename": key}}},
        {"name": "ca", "validation_context": {"trusted_ca": {"filename": ca}}}]}}


def test_files_this_machine_has_are_copied_the_others_are_throwaway(tmp_path):
    real = tmp_path / "etc" / "certs"
    real.mkdir(parents=True)
    (real / "server.crt").write_text("the design's own certificate\n")
    options = EnvoyOptions(files_root=str(tmp_path / "run" / "files"), credentials_dir=str(tmp_path / "run" / "creds"))
    cert = options.file_path(str(real / "server.crt"))
    key = options.file_path("/nonexistent/meshdesigner/server.key")
    ca = options.credential_path("shop-cert", "ca.crt")
    throwaway = ThrowawayCertificates(["shop.example.com", "*.example.com"])
    replaced = provide_files(_bootstrap(cert, key, ca), options, throwaway)
    assert pathlib.Path(cert).read_text() == "the design's own certificate\n"     # copied
    assert pathlib.Path(key).read_bytes() == throwaway.server.key_pem               # throwaway, private
    assert os.stat(key).st_mode & 0o077 == 0
    assert pathlib.Path(ca).read_bytes() == throwaway.ca.cert_pem
    assert replaced == ["/etc/istio/credentials/shop-cert/ca.crt", "/nonexistent/meshdesigner/server.key"]


def test_a_file_outside_the_run_folders_is_never_written(tmp_path):
    """The system roots (or any path the options do not map into the run) stay untouched: a throwaway CA
    once replaced this machine's /etc/ssl/certs/ca-certificates.crt."""
    system_roots = tmp_path / "etc" / "ssl" / "ca-certificates.crt"
    system_roots.parent.mkdir(parents=True)
    system_roots.write_text("the machine's own roots\n")
    options = EnvoyOptions(files_root=str(tmp_path / "run" / "files"), credentials_dir=str(tmp_path / "run" / "creds"),
                           system_ca_file=str(system_roots))
    bootstrap = {"static_resources": {"secrets": [
        {"name": "file-root:system", "validation_context": {"trusted_ca": {"filename": str(system_roots)}}}]}}
    replaced = provide_files(bootstrap, options, ThrowawayCertificates(["example.com"]))
    assert system_roots.read_text() == "the machine's own roots\n"
    assert replaced == []


def test_envoy_answers_are_classified_from_its_response_code_details():
    def obs(status, details, **headers):
        return observation_from_response("Envoy", status, {"x-meshdesigner-details": details, **headers}, b"")

    assert obs(404, "route_not_found").outcome == "no_route"
    assert obs(302, "direct_response", location="http://x/new").outcome == "redirect"
    assert obs(200, "direct_response").outcome == "direct_response"
    assert obs(503, "fault_filter_abort").outcome == "routed"
    assert obs(403, "rbac_access_denied_matched_policy[ns[shop]-policy[deny]-rule[0]]").outcome == "denied"
    assert obs(401, "jwt_authn_access_denied{Jwt_verification_fails}").outcome == "denied"
    routed = observation_from_response(
        "Envoy", 200, {"x-echo-backend": "outbound|8080|v1|api.shop.svc.cluster.local"},
        b'{"path": "/v1", "authority": "api", "headers": {"x-a": "1"}}')
    assert routed.outcome == "routed" and routed.upstream == {"path": "/v1", "authority": "api", "headers": {"x-a": "1"}}
    assert routed.destinations[0] == {"host": "api.shop.svc.cluster.local", "port": 8080, "subset": "v1",
                                           "weight": None, "cluster": "outbound|8080|v1|api.shop.svc.cluster.local"}
