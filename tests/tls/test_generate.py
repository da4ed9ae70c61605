"""The certificate factories and write_pair (mode 0600, encrypted keys)."""

from __future__ import annotations

import datetime as dt
import os
import pathlib
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509.oid import ExtendedKeyUsageOID

from meshdesigner.tls.generate import (
    create_ca,
    create_client_cert,
    create_server_cert,
    write_pair,
)


@pytest.fixture(scope="module")
def ca():
    return create_ca()


def test_server_cert_has_hosts_as_sans_and_server_auth(ca):
    pair = create_server_cert(ca, ["a.example.com", "*.b.example.com", "gw/c.example.com", "127.0.0.1"])
    san = pair.cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["a.example.com", "*.b.example.com", "c.example.com"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    eku = pair.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    pair.cert.verify_directly_issued_by(ca.cert)
    assert pair.cert.issuer == ca.cert.subject


def test_client_cert_is_for_client_auth(ca):
    pair = create_client_cert(ca, "alice")
    eku = pair.cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert pair.cert.subject.rfc4514_string() == "CN=alice"


def test_ca_is_a_ca_and_can_sign_an_intermediate(ca):
    assert ca.cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    intermediate = create_ca("inter", issuer=ca)
    intermediate.cert.verify_directly_issued_by(ca.cert)
    leaf = create_server_cert(intermediate, ["x.example.com"])
    leaf.cert.verify_directly_issued_by(intermediate.cert)


def test_variants_for_tests(ca):
    past = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    old = create_server_cert(ca, ["a.example.com"], not_before=past, not_after=past + dt.timedelta(days=1))
    assert old.cert.not_valid_after_utc == past + dt.timedelta(days=1)
    weak = create_server_cert(ca, ["a.example.com"], key_size=1024, hash_algorithm=hashes.SHA1())
    assert weak.cert.public_key().key_size == 1024
    assert isinstance(weak.cert.signature_hash_algorithm, hashes.SHA1)
    # The re-signed SHA-1 certificate carries a real signature by the CA.
    ca.cert.public_key().verify(weak.cert.signature, weak.cert.tbs_certificate_bytes,
                                padding.PKCS1v15(), hashes.SHA1())
    ec_pair = create_server_cert(ca, ["e.example.com"], key_type="ec")
    assert ec_pair.cert.public_key().curve.name == "secp256r1"


def test_rejects_hostless_and_star(ca):
    with pytest.raises(ValueError):
        create_server_cert(ca, [])
    with pytest.raises(ValueError):
        create_server_cert(ca, ["*"])


def test_write_pair_modes_and_passphrase(ca, tmp_path):
    pair = create_server_cert(ca, ["a.example.com"])
    old_umask = os.umask(0)  # even with a permissive umask the key file is 0600
    try:
        cert_path, key_path = write_pair(pair, tmp_path / "out", passphrase="s3cret")
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    assert cert_path.endswith("tls.crt") and key_path.endswith("tls.key")
    data = pathlib.Path(key_path).read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in data
    key = serialization.load_pem_private_key(data, b"s3cret")
    assert key.public_key() == pair.cert.public_key()
    assert sorted(os.listdir(tmp_path / "out")) == ["tls.crt", "tls.key"]  # no temporary left behind


def test_write_pair_replaces_a_world_readable_key(ca, tmp_path):
    target = tmp_path / "ca.key"
    target.write_bytes(b"old")
    os.chmod(target, 0o644)
    _, key_path = write_pair(ca, tmp_path, name="ca", overwrite=True)  # the caller asked the user
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600
    assert pathlib.Path(key_path).read_bytes() == ca.key_pem
