"""Certificates for local trials: a CA, server certificates for a gateway's hosts, client certificates.

Everything is in memory until :func:`write_pair`, which creates key files with mode 0600 from the start
(``os.open(..., 0o600)``; never a chmod after the key bytes are on disk).

Tests need broken certificates too, so every factory accepts ``not_before``/``not_after`` (override the
validity window), ``hash_algorithm`` (e.g. ``hashes.SHA1()``), ``key_size`` and ``key_type``.
"""

from __future__ import annotations

import datetime as dt
import errno
import ipaddress
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

# Certificates start slightly in the past so a peer whose clock is a little behind still accepts them.
CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class KeyPair:
    """A certificate and its private key, as objects and as PEM (the key PEM is unencrypted PKCS#8)."""

    cert: x509.Certificate
    key: Any  # an RSA or EC private key object
    cert_pem: bytes
    key_pem: bytes


def _new_key(key_type: str, key_size: int):
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unknown key type {key_type!r} (use 'rsa' or 'ec')")


def _validity(days: int, not_before: dt.datetime | None, not_after: dt.datetime | None):
    start = not_before or (dt.datetime.now(dt.UTC) - CLOCK_SKEW)
    end = not_after or (start + CLOCK_SKEW + dt.timedelta(days=days))
    return start, end


def pair_from(cert: x509.Certificate, key) -> KeyPair:
    """A :class:`KeyPair` of a loaded certificate and its key (e.g. an existing CA to sign with)."""
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return KeyPair(cert=cert, key=key, cert_pem=cert.public_bytes(serialization.Encoding.PEM), key_pem=key_pem)


def _build(subject: x509.Name, key, issuer: KeyPair | None, days: int, *, is_ca: bool,
           extensions: Iterable[tuple[x509.ExtensionType, bool]], hash_algorithm,
           not_before, not_after) -> x509.Certificate:
    start, end = _validity(days, not_before, not_after)
    signer_key = issuer.key if issuer else key
    issuer_name = issuer.cert.subject if issuer else subject
    builder = (x509.CertificateBuilder()
               .subject_name(subject)
               .issuer_name(issuer_name)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(start)
               .not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer_key.public_key()),
                              critical=False))
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    if isinstance(hash_algorithm, hashes.SHA1):
        return _sign_sha1(builder.sign(signer_key, hashes.SHA256()), signer_key)
    return builder.sign(signer_key, hash_algorithm or hashes.SHA256())


# --- SHA-1 signatures, for tests of the SHA-1 check only -----------------------------------------------
# OpenSSL 3 (as cryptography uses it) refuses to sign certificates with SHA-1, but still signs raw data
# with it. So the certificate is built with SHA-256 and re-signed: swap the algorithm identifier in the
# DER (inside the to-be-signed part and outside it) and replace the signature.
_SIGNATURE_ALGORITHMS = {  # key type -> (SHA-256 AlgorithmIdentifier, SHA-1 AlgorithmIdentifier), DER
    "rsa": (bytes.fromhex("300d06092a864886f70d01010b0500"), bytes.fromhex("300d06092a864886f70d0101050500")),
    "ec": (bytes.fromhex("300a06082a8648ce3d040302"), bytes.fromhex("300906072a8648ce3d0401")),
}


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _der_children(data: bytes) -> list[bytes]:
    """The complete TLVs inside one DER SEQUENCE ``data``."""
    def header(pos: int) -> tuple[int, int]:  # (content start, content length)
        first = data[pos + 1]
        if first < 0x80:
            return pos + 2, first
        count = first & 0x7F
        return pos + 2 + count, int.from_bytes(data[pos + 2:pos + 2 + count], "big")
    pos, _ = header(0)
    children = []
    while pos < len(data):
        start, length = header(pos)
        children.append(data[pos:start + length])
        pos = start + length
    return children


def _sequence(children: list[bytes]) -> bytes:
    body = b"".join(children)
    return b"\x30" + _der_length(len(body)) + body


def _sign_sha1(cert: x509.Certificate, signer_key) -> x509.Certificate:
    from cryptography.hazmat.primitives.asymmetric import padding

    kind = "rsa" if isinstance(signer_key, rsa.RSAPrivateKey) else "ec"
    sha256_id, sha1_id = _SIGNATURE_ALGORITHMS[kind]
    tbs = _sequence([sha1_id if child == sha256_id else child
                     for child in _der_children(cert.tbs_certificate_bytes)])
    if kind == "rsa":
        signature = signer_key.sign(tbs, padding.PKCS1v15(), hashes.SHA1())
    else:
        signature = signer_key.sign(tbs, ec.ECDSA(hashes.SHA1()))
    bits = b"\x03" + _der_length(len(signature) + 1) + b"\x00" + signature
    return x509.load_der_x509_certificate(_sequence([tbs, sha1_id, bits]))


def _key_usage(*, cert_sign: bool, key_encipherment: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=key_encipherment,
                         data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
                         crl_sign=cert_sign, encipher_only=False, decipher_only=False)


def create_ca(common_name: str = "MeshDesigner local CA", days: int = 365, *,
              issuer: KeyPair | None = None, key_size: int = 2048, key_type: str = "rsa",
              hash_algorithm: hashes.HashAlgorithm | None = None,
              not_before: dt.datetime | None = None, not_after: dt.datetime | None = None) -> KeyPair:
    """A self-signed CA, or with ``issuer`` an intermediate CA signed by that CA."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "MeshDesigner")])
    key = _new_key(key_type, key_size)
    cert = _build(subject, key, issuer, days, is_ca=True,
                  extensions=[(_key_usage(cert_sign=True, key_encipherment=False), True)],
                  hash_algorithm=hash_algorithm, not_before=not_before, not_after=not_after)
    return pair_from(cert, key)


def _san_entry(host: str) -> x509.GeneralName:
    if "/" in host:  # a Gateway host ``ns/name``: only the name goes into the certificate
        host = host.partition("/")[2]
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        pass
    if not host or host == "*":
        raise ValueError(f"{host or 'an empty host'!r} cannot be a certificate name; list the host names")
    return x509.DNSName(host.lower())


def create_server_cert(ca: KeyPair, hosts: Iterable[str], days: int = 90, key_size: int = 2048, *,
                       common_name: str | None = None, key_type: str = "rsa",
                       hash_algorithm: hashes.HashAlgorithm | None = None,
                       not_before: dt.datetime | None = None,
                       not_after: dt.datetime | None = None) -> KeyPair:
    """A server certificate whose SANs are ``hosts`` (wildcards like ``*.example.com`` allowed; IPs too)."""
    names = [_san_entry(h) for h in hosts]
    if not names:
        raise ValueError("a server certificate needs at least one host")
    first = names[0].value
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name or str(first)[:64])])
    key = _new_key(key_type, key_size)
    cert = _build(subject, key, ca, days, is_ca=False,
                  extensions=[(_key_usage(cert_sign=False, key_encipherment=key_type == "rsa"), True),
                              (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
                              (x509.SubjectAlternativeName(names), False)],
                  hash_algorithm=hash_algorithm, not_before=not_before, not_after=not_after)
    return pair_from(cert, key)


def create_client_cert(ca: KeyPair, common_name: str, days: int = 90, *, key_size: int = 2048,
                       key_type: str = "rsa", hash_algorithm: hashes.HashAlgorithm | None = None,
                       not_before: dt.datetime | None = None,
                       not_after: dt.datetime | None = None) -> KeyPair:
    """A client certificate (clientAuth) for trying MUTUAL TLS."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    key = _new_key(key_type, key_size)
    cert = _build(subject, key, ca, days, is_ca=False,
                  extensions=[(_key_usage(cert_sign=False, key_encipherment=key_type == "rsa"), True),
                              (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)],
                  hash_algorithm=hash_algorithm, not_before=not_before, not_after=not_after)
    return pair_from(cert, key)


def key_pem(pair: KeyPair, passphrase: bytes | str | None = None) -> bytes:
    """The private key as PEM, encrypted (PKCS#8, best available cipher) when a passphrase is given."""
    if not passphrase:
        return pair.key_pem
    secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
    return pair.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.BestAvailableEncryption(secret))


def write_private_file(path: str, data: bytes, overwrite: bool = True) -> None:
    """Write ``data`` to ``path`` through a file created with mode 0600, replaced atomically.

    The temporary file is created by ``os.open(..., 0o600)``, so the bytes are never readable by others,
    even for an instant, and an existing wider-mode file at ``path`` is replaced, not reused. With
    ``overwrite=False`` an existing ``path`` is never replaced (:class:`FileExistsError`).
    """
    _write_file(path, data, 0o600, overwrite)


def write_public_file(path: str, data: bytes, overwrite: bool = True) -> None:
    """Write a certificate: mode 0644 whatever the umask, replaced atomically."""
    _write_file(path, data, 0o644, overwrite)


def _write_file(path: str, data: bytes, mode: int, overwrite: bool) -> None:
    temp = f"{path}.{secrets.token_hex(6)}.tmp"
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, mode)  # the umask may have taken bits away (certificates) or not: say it exactly
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        if overwrite:
            os.replace(temp, path)
        else:
            os.link(temp, path)  # fails with FileExistsError instead of replacing, even in a race
            os.unlink(temp)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def make_private_folder(directory: str) -> None:
    """Create ``directory`` (and missing parents) with mode 0700 whatever the umask; an existing folder
    is left as it is (it is the user's)."""
    missing = []
    current = os.path.abspath(directory)
    while not os.path.isdir(current):
        missing.append(current)
        current = os.path.dirname(current)
    for folder in reversed(missing):
        os.mkdir(folder, 0o700)
        os.chmod(folder, 0o700)


def write_pair(pair: KeyPair, directory: str | os.PathLike, name: str = "tls",
               passphrase: bytes | str | None = None, overwrite: bool = False) -> tuple[str, str]:
    """Write ``DIR/<name>.crt`` (0644) and ``DIR/<name>.key`` (0600, encrypted with ``passphrase`` if
    given); a new ``DIR`` is made 0700. An existing key or certificate is replaced only with
    ``overwrite=True`` (the caller asked the user), else :class:`FileExistsError` and nothing is written."""
    directory = os.fspath(directory)
    make_private_folder(directory)
    cert_path = os.path.join(directory, f"{name}.crt")
    key_path = os.path.join(directory, f"{name}.key")
    if not overwrite:
        for path in (key_path, cert_path):
            if os.path.lexists(path):
                raise FileExistsError(errno.EEXIST, "exists; not replaced", path)
    write_private_file(key_path, key_pem(pair, passphrase), overwrite)
    write_public_file(cert_path, pair.cert_pem, overwrite)
    return cert_path, key_path
