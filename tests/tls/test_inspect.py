"""Loading PEM files and the one-line summary the GUI shows next to a TLS picker."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import hashes

from meshdesigner.tls import CertificateSummary, summarize
from meshdesigner.tls.generate import create_ca, create_server_cert, write_pair
from meshdesigner.tls.inspect import (
    CertificateError,
    PassphraseRequired,
    load_certificate_file,
    load_private_key_file,
)


def test_summarize(tmp_path, ca, server):
    cert_path, _ = write_pair(server, tmp_path)
    summary = summarize(cert_path)
    assert isinstance(summary, CertificateSummary)
    assert summary.subject == "CN=a.example.com"
    assert summary.sans == ("a.example.com", "*.b.example.com", "127.0.0.1")
    assert summary.issuer == ca.cert.subject.rfc4514_string()
    assert (summary.key_type, summary.key_size) == ("RSA", 2048)
    assert summary.signature_algorithm == "sha256WithRSAEncryption"
    assert summary.fingerprint_sha256 == server.cert.fingerprint(hashes.SHA256()).hex(":").upper()
    assert len(summary.fingerprint_sha256) == 95
    assert not summary.is_ca and not summary.expired and summary.days_left >= 89
    assert "CN=a.example.com" in summary.text and "*.b.example.com" in summary.text and "RSA 2048" in summary.text
    assert "\n" not in summary.text


def test_summary_of_an_expired_ec_certificate(tmp_path, ca):
    past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    pair = create_server_cert(ca, ["old.example.com"], key_type="ec", not_before=past,
                              not_after=past + dt.timedelta(days=30))
    cert_path, _ = write_pair(pair, tmp_path)
    summary = summarize(cert_path)
    assert summary.expired and summary.key_type == "EC secp256r1" and summary.key_size == 256
    assert "EXPIRED 2020-01-31" in summary.text


def test_chain_file(tmp_path, ca):
    intermediate = create_ca("Intermediate", issuer=ca)
    leaf = create_server_cert(intermediate, ["a.example.com"])
    path = tmp_path / "chain.pem"
    path.write_bytes(b"junk before\n" + leaf.cert_pem + intermediate.cert_pem)
    chain = load_certificate_file(path)
    assert [c.subject.rfc4514_string() for c in chain] == ["CN=a.example.com", intermediate.cert.subject.rfc4514_string()]
    assert summarize(path).chain_length == 2


def test_der_certificate(tmp_path, server):
    from cryptography.hazmat.primitives.serialization import Encoding
    path = tmp_path / "cert.der"
    path.write_bytes(server.cert.public_bytes(Encoding.DER))
    assert summarize(path).subject == "CN=a.example.com"


@pytest.mark.parametrize(("content", "fragment"), [
    (None, "cannot read certificate"),
    (b"", "no PEM certificate"),
    (b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", "not a valid certificate"),
])
def test_unreadable_certificates_raise_a_clear_error(tmp_path, content, fragment):
    path = tmp_path / "c.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CertificateError, match=fragment) as info:
        summarize(path)
    assert str(path) in str(info.value)


def test_a_key_file_is_not_a_certificate(tmp_path, server):
    _, key_path = write_pair(server, tmp_path)
    with pytest.raises(CertificateError, match="private key, not a certificate"):
        summarize(key_path)


def test_encrypted_keys(tmp_path, server):
    _, key_path = write_pair(server, tmp_path, passphrase=b"pw")
    with pytest.raises(PassphraseRequired):
        load_private_key_file(key_path)
    with pytest.raises(CertificateError, match="wrong passphrase"):
        load_private_key_file(key_path, "nope")
    assert load_private_key_file(key_path, "pw").public_key() == server.cert.public_key()
    _, plain = write_pair(server, tmp_path / "plain")
    assert load_private_key_file(plain, "ignored").public_key() == server.cert.public_key()
