"""create_credential: the folder ``cert create`` and the GUI's "create certificates" write."""

from __future__ import annotations

import os
import stat

import pytest

from meshdesigner.tls.checks import coverage
from meshdesigner.tls.credentials import CredentialError, certificate_hosts, create_credential


def test_certificate_hosts_from_gateway_hosts():
    assert certificate_hosts(["ns/a.example.com", "*", "./*", " B.example.com ", "a.example.com",
                              "*.c.example.com"]) == ["a.example.com", "b.example.com", "*.c.example.com"]


def test_create_credential_for_a_gateway_server(tmp_path):
    hosts = ["ns/a.example.com", "*", "*.c.example.com"]
    created = create_credential(str(tmp_path / "cred"), hosts, clients=["alice"], days=30)
    assert created.new_ca and created.clients == ("alice",)
    assert sorted(os.path.basename(p) for p in created.written) == [
        "alice.crt", "alice.key", "ca.crt", "ca.key", "tls.crt", "tls.key"]
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in created.written if p.endswith(".key"))
    result = coverage(created.server.cert, hosts)
    assert result.ok and result.any_host == ("*",)
    again = create_credential(str(tmp_path / "second"), ["d.example.com"], ca_dir=str(tmp_path / "cred"))
    assert not again.new_ca and again.ca.cert == created.ca.cert
    assert sorted(os.listdir(tmp_path / "second")) == ["ca.crt", "tls.crt", "tls.key"]


@pytest.mark.parametrize(("kwargs", "fragment"), [
    ({"hosts": ["*"]}, "no host"),
    ({"hosts": ["a.example.com"], "days": 0}, "at least one day"),
    ({"hosts": ["a.example.com"], "clients": ["ca"]}, "client name"),
    ({"hosts": ["a.example.com"], "clients": ["../x"]}, "client name"),
])
def test_bad_requests(tmp_path, kwargs, fragment):
    with pytest.raises(CredentialError, match=fragment):
        create_credential(str(tmp_path / "cred"), **kwargs)
    assert not (tmp_path / "cred").exists()


def test_no_silent_overwrite_and_unusable_ca(tmp_path):
    create_credential(str(tmp_path / "cred"), ["a.example.com"])
    with pytest.raises(CredentialError, match="exists"):
        create_credential(str(tmp_path / "cred"), ["a.example.com"])
    (tmp_path / "badca").mkdir()
    (tmp_path / "badca" / "ca.crt").write_text("junk")
    with pytest.raises(CredentialError, match="CA folder"):
        create_credential(str(tmp_path / "other"), ["a.example.com"], ca_dir=str(tmp_path / "badca"))
