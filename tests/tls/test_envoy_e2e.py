"""End to end: certificates made by ``meshdesigner cert create`` are accepted by the real Envoy, and
``curl --cacert`` verifies a covered host and refuses an uncovered one (loopback only, bounded)."""

from __future__ import annotations

import os

import pytest

from meshdesigner.cli import main

from .envoy_trial import (
    CURL,
    ENVOY,
    bootstrap,
    curl,
    envoy_counter,
    free_port,
    running_envoy,
    tls_listener,
    write_bootstrap,
)

pytestmark = [pytest.mark.envoy, pytest.mark.slow,
              pytest.mark.skipif(not ENVOY or not CURL, reason="needs the envoy binary and curl")]

CURL_NAME_MISMATCH = 60  # curl: "SSL: no alternative certificate subject name matches target host name"
CURL_CONNECTION_FAILURES = (16, 35, 55, 56)  # with TLS 1.3 the server refuses a missing client
# certificate after the handshake, so curl sees an alert (35), a reset (56) or a closed socket (16, 55).


def test_cert_create_certificates_work_with_envoy_and_curl(tmp_path):
    out = tmp_path / "credentials" / "gw-cert"
    assert main(["cert", "create", "--hosts", "a.example.com,*.b.example.com", "--out", str(out),
                 "--client", "alice"]) == 0
    locked = tmp_path / "locked"
    (tmp_path / "pass.txt").write_text("correct horse\n")
    assert main(["cert", "create", "--hosts", "a.example.com", "--out", str(locked), "--ca", str(out),
                 "--passphrase-file", str(tmp_path / "pass.txt")]) == 0
    # Envoy reads the password file whole, so give it the passphrase without the newline.
    (tmp_path / "pass.raw").write_text("correct horse")

    simple_port, mutual_port, locked_port, admin_port = free_port(), free_port(), free_port(), free_port()
    config = write_bootstrap(str(tmp_path / "envoy.json"), bootstrap(admin_port, [
        tls_listener("simple", simple_port, str(out / "tls.crt"), str(out / "tls.key")),
        tls_listener("mutual", mutual_port, str(out / "tls.crt"), str(out / "tls.key"), ca=str(out / "ca.crt")),
        tls_listener("locked", locked_port, str(locked / "tls.crt"), str(locked / "tls.key"),
                     password_file=str(tmp_path / "pass.raw")),
    ]))
    ca = str(out / "ca.crt")
    with running_envoy(config, admin_port, str(tmp_path)):
        # covered: the exact name and one label under the wildcard
        for host in ("a.example.com", "x.b.example.com"):
            result = curl(host, simple_port, ca)
            assert result.returncode == 0, result.stderr
            assert result.stdout == "ok simple\n"
        # not covered: another name, the wildcard's apex, two labels under the wildcard
        for host in ("c.example.com", "b.example.com", "y.x.b.example.com"):
            result = curl(host, simple_port, ca)
            assert result.returncode == CURL_NAME_MISMATCH, (host, result.returncode, result.stderr)
            assert "subject name" in result.stderr
        # MUTUAL: the client certificate from --client is accepted; without one the handshake fails
        with_client = curl("a.example.com", mutual_port, ca, "--cert", str(out / "alice.crt"),
                           "--key", str(out / "alice.key"))
        assert with_client.returncode == 0 and with_client.stdout == "ok mutual\n", with_client.stderr
        without_client = curl("a.example.com", mutual_port, ca)
        assert without_client.returncode in CURL_CONNECTION_FAILURES, without_client.stderr
        assert without_client.stdout == ""
        # ...and Envoy says why: the client sent no certificate
        assert envoy_counter(admin_port, f"listener.127.0.0.1_{mutual_port}.ssl.fail_verify_no_cert") >= 1
        # an encrypted key (--passphrase-file) works when Envoy is given the password; same CA via --ca
        result = curl("a.example.com", locked_port, ca)
        assert result.returncode == 0 and result.stdout == "ok locked\n", result.stderr
    for key in (out / "tls.key", out / "alice.key", out / "ca.key", locked / "tls.key"):
        assert os.stat(key).st_mode & 0o777 == 0o600
