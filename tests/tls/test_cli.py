"""``meshdesigner cert create|inspect`` and ``export --with-secrets``."""

from __future__ import annotations

import base64
import os
import stat

import pytest
import yaml
from cryptography import x509

from meshdesigner.cli import main
from meshdesigner.tls.generate import write_pair
from meshdesigner.tls.inspect import load_certificate_file, load_private_key_file
from meshdesigner.tls.sources import set_certificate_location

from .paths import EXAMPLES


@pytest.fixture(autouse=True)
def _reset_location():
    yield
    set_certificate_location(None)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_create_writes_a_credential_folder(tmp_path, capsys):
    out = tmp_path / "cred"
    assert main(["cert", "create", "--hosts", "a.example.com, *.b.example.com", "--out", str(out),
                 "--days", "10", "--client", "alice", "--client", "bob"]) == 0
    assert sorted(os.listdir(out)) == ["alice.crt", "alice.key", "bob.crt", "bob.key", "ca.crt", "ca.key",
                                       "tls.crt", "tls.key"]
    assert all(mode(out / f) == 0o600 for f in ("alice.key", "bob.key", "ca.key", "tls.key"))
    cert = load_certificate_file(out / "tls.crt")[0]
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["a.example.com", "*.b.example.com"]
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 10
    assert load_private_key_file(out / "tls.key").public_key() == cert.public_key()
    printed = capsys.readouterr().out
    assert "PRIVATE KEY" not in printed and "mode 0600" in printed


def test_create_with_an_existing_ca_and_a_passphrase(tmp_path):
    ca_dir, out = tmp_path / "ca", tmp_path / "out"
    secret = tmp_path / "pass"
    secret.write_text("s3cret\n")
    assert main(["cert", "create", "--hosts", "a.example.com", "--out", str(out), "--ca", str(ca_dir),
                 "--passphrase-file", str(secret)]) == 0
    assert sorted(os.listdir(ca_dir)) == ["ca.crt", "ca.key"]           # the new CA went to --ca
    assert sorted(os.listdir(out)) == ["ca.crt", "tls.crt", "tls.key"]   # a copy of ca.crt for clients
    assert b"ENCRYPTED PRIVATE KEY" in (out / "tls.key").read_bytes()
    assert load_private_key_file(out / "tls.key", "s3cret")
    out2 = tmp_path / "out2"   # sign again with the (encrypted) CA
    assert main(["cert", "create", "--hosts", "c.example.com", "--out", str(out2), "--ca", str(ca_dir),
                 "--passphrase-file", str(secret)]) == 0
    ca = load_certificate_file(ca_dir / "ca.crt")[0]
    load_certificate_file(out2 / "tls.crt")[0].verify_directly_issued_by(ca)


@pytest.mark.parametrize(("argv", "fragment"), [
    (["--hosts", ","], "lists no host"),
    (["--hosts", "*"], "'*' cannot be one"),
    (["--hosts", "a.example.com", "--days", "0"], "at least one day"),
    (["--hosts", "a.example.com", "--client", "tls"], "client name 'tls'"),
    (["--hosts", "a.example.com", "--passphrase-file", "/nonexistent/pass"], "passphrase file"),
])
def test_create_usage_errors(tmp_path, capsys, argv, fragment):
    assert main(["cert", "create", "--out", str(tmp_path / "o"), *argv]) == 2
    assert fragment in capsys.readouterr().err
    assert not (tmp_path / "o" / "tls.key").exists()


def test_create_refuses_to_overwrite_without_force(tmp_path, capsys):
    out = str(tmp_path / "o")
    assert main(["cert", "create", "--hosts", "a.example.com", "--out", out]) == 0
    before = (tmp_path / "o" / "tls.crt").read_bytes()
    assert main(["cert", "create", "--hosts", "a.example.com", "--out", out]) == 2
    assert "--force" in capsys.readouterr().err
    assert (tmp_path / "o" / "tls.crt").read_bytes() == before
    assert main(["cert", "create", "--hosts", "a.example.com", "--out", out, "--force"]) == 0
    assert (tmp_path / "o" / "tls.crt").read_bytes() != before


def test_create_with_a_wrong_ca_key(tmp_path, capsys, ca, other_ca):
    write_pair(ca, tmp_path / "ca", name="ca")
    (tmp_path / "ca" / "ca.key").write_bytes(other_ca.key_pem)
    assert main(["cert", "create", "--hosts", "a.example.com", "--out", str(tmp_path / "o"),
                 "--ca", str(tmp_path / "ca")]) == 2
    assert "not the key of ca.crt" in capsys.readouterr().err


def test_inspect(tmp_path, capsys, server, ca):
    cert_path, key_path = write_pair(server, tmp_path)
    assert main(["cert", "inspect", cert_path]) == 0
    out = capsys.readouterr().out
    assert "subject:     CN=a.example.com" in out and "SHA-256:" in out and "RSA 2048 bits" in out
    assert main(["cert", "inspect", cert_path, "--key", key_path, "--hosts", "a.example.com,x.b.example.com"]) == 0
    _, other_key = write_pair(ca, tmp_path, name="ca")
    assert main(["cert", "inspect", cert_path, "--key", other_key, "--hosts", "c.example.com"]) == 1
    out = capsys.readouterr().out
    assert "does not cover c.example.com" in out and "is not the key of this certificate" in out
    assert main(["cert", "inspect", key_path]) == 0
    out = capsys.readouterr().out
    assert "a private key, RSA 2048 bits" in out and "BEGIN" not in out   # never prints key material


def test_inspect_bad_input(tmp_path, capsys):
    assert main(["cert", "inspect", str(tmp_path / "missing.pem")]) == 2
    (tmp_path / "junk.pem").write_text("junk")
    assert main(["cert", "inspect", str(tmp_path / "junk.pem")]) == 2
    assert "no PEM certificate" in capsys.readouterr().err


# ----- export --with-secrets ------------------------------------------------------------------------------
PUBLIC_PRIVATE = str(EXAMPLES / "public-private.mesh.yaml")


def test_with_secrets_writes_tls_secrets_mode_0600(tmp_path, capsys):
    creds = tmp_path / "creds"
    assert main(["cert", "create", "--hosts", "shop.example.com", "--out", str(creds / "shop-example-com-cert")]) == 0
    out = tmp_path / "out"
    capsys.readouterr()
    assert main(["export", PUBLIC_PRIVATE, "-o", str(out), "--with-secrets", str(creds)]) == 0
    err = capsys.readouterr().err
    assert "PRIVATE KEYS" in err                                         # the warning
    assert "admin-corp-example-com-cert" in err                          # the credential without local files
    secret_file = out / "secrets" / "edge.shop-example-com-cert.yaml"
    assert sorted(os.listdir(out / "secrets")) == [secret_file.name]
    assert mode(secret_file) == 0o600
    text = secret_file.read_text()
    assert text.startswith("# WARNING: this Secret holds a PRIVATE KEY")
    secret = yaml.safe_load(text)
    assert secret["kind"] == "Secret" and secret["type"] == "kubernetes.io/tls"
    assert secret["metadata"] == {"name": "shop-example-com-cert", "namespace": "edge",
                                  "labels": {"app.kubernetes.io/managed-by": "meshdesigner"}}
    folder = creds / "shop-example-com-cert"
    assert {k: base64.b64decode(v) for k, v in secret["data"].items()} == {
        "tls.crt": (folder / "tls.crt").read_bytes(), "tls.key": (folder / "tls.key").read_bytes(),
        "ca.crt": (folder / "ca.crt").read_bytes()}
    assert b"Secret" not in (out / "istio.yaml").read_bytes()            # not applied with the rest by accident


def test_with_secrets_refuses_broken_credentials(tmp_path, capsys, ca, other_ca, server):
    folder = tmp_path / "creds" / "shop-example-com-cert"
    write_pair(server, folder)
    (folder / "tls.key").write_bytes(other_ca.key_pem)   # the wrong key: a Secret Envoy would reject
    out = tmp_path / "out"
    assert main(["export", PUBLIC_PRIVATE, "-o", str(out), "--with-secrets", str(tmp_path / "creds")]) == 2
    assert "tls.key is not the key of tls.crt" in capsys.readouterr().err
    assert not out.exists()                                               # nothing half-done
    assert main(["export", PUBLIC_PRIVATE, "-o", str(out), "--with-secrets", str(tmp_path / "nope")]) == 2


def test_without_the_option_no_secret_is_written(tmp_path):
    out = tmp_path / "out"
    assert main(["export", PUBLIC_PRIVATE, "-o", str(out)]) == 0
    assert not (out / "secrets").exists()


def test_validate_looks_for_credentials_next_to_the_project(tmp_path, ca):
    """The project object does not know its path; validate tells the TLS rules the project's folder."""
    from meshdesigner.cli.validate_cmd import collect
    from meshdesigner.tls.generate import create_server_cert

    design = tmp_path / "design.mesh.yaml"
    design.write_bytes((EXAMPLES / "public-private.mesh.yaml").read_bytes())
    write_pair(create_server_cert(ca, ["wrong.example.com"]), tmp_path / "credentials" / "shop-example-com-cert")
    found = [d for d in collect([str(design)]) if d.resource.name == "public-gateway" and d.code.startswith("MD06")]
    assert [(d.code, d.path) for d in found] == [("MD0605", "spec.servers[0].hosts[0]")]
    assert found[0].file == str(design)


def test_secrets_do_not_linger_after_an_export_without_them(tmp_path):
    creds = tmp_path / "creds"
    assert main(["cert", "create", "--hosts", "shop.example.com", "--out", str(creds / "shop-example-com-cert")]) == 0
    out = tmp_path / "out"
    assert main(["export", PUBLIC_PRIVATE, "-o", str(out), "--with-secrets", str(creds)]) == 0
    assert (out / "secrets" / "edge.shop-example-com-cert.yaml").exists()
    assert main(["export", PUBLIC_PRIVATE, "-o", str(out)]) == 0
    assert not (out / "secrets" / "edge.shop-example-com-cert.yaml").exists()


def test_inspect_an_encrypted_key(tmp_path, capsys, server):
    _, key_path = write_pair(server, tmp_path, passphrase="pw")
    assert main(["cert", "inspect", key_path]) == 0
    assert "an encrypted private key" in capsys.readouterr().out
    (tmp_path / "pass").write_text("pw\n")
    assert main(["cert", "inspect", key_path, "--passphrase-file", str(tmp_path / "pass")]) == 0
    assert "RSA 2048 bits (encrypted)" in capsys.readouterr().out
    (tmp_path / "wrong").write_text("nope\n")
    assert main(["cert", "inspect", key_path, "--passphrase-file", str(tmp_path / "wrong")]) == 2
    assert "wrong passphrase" in capsys.readouterr().err
