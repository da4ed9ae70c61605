"""Load PEM certificates, chains and private keys, and summarise a certificate in a few fields.

Errors are :class:`CertificateError` with a message that names the file; an encrypted key without a
passphrase raises :class:`PassphraseRequired` (a subclass) so the GUI can ask for one and retry.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

_PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.S)
_PEM_PRIVATE_KEY = re.compile(rb"-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----.+?-----END \1-----", re.S)


class CertificateError(ValueError):
    """A certificate or key file that cannot be read or parsed (the message names the file)."""


class PassphraseRequired(CertificateError):
    """The private key is encrypted and no passphrase was given."""


def _read(path: str | os.PathLike, what: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise CertificateError(f"cannot read {what} {os.fspath(path)}: {exc.strerror or exc}") from None


def load_certificates(data: bytes, source: str = "<data>") -> list[x509.Certificate]:
    """Every certificate in ``data`` (a PEM chain or bundle, in file order; or one DER certificate)."""
    blocks = _PEM_CERTIFICATE.findall(data)
    try:
        if blocks:
            return [x509.load_pem_x509_certificate(block) for block in blocks]
        if data[:1] == b"\x30":  # DER
            return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise CertificateError(f"{source}: not a valid certificate ({exc})") from None
    if _PEM_PRIVATE_KEY.search(data):
        raise CertificateError(f"{source}: holds a private key, not a certificate")
    raise CertificateError(f"{source}: no PEM certificate found")


def load_certificate_file(path: str | os.PathLike) -> list[x509.Certificate]:
    """The certificates of a PEM file (leaf first in a chain), or :class:`CertificateError`."""
    return load_certificates(_read(path, "certificate"), os.fspath(path))


def is_encrypted_key(data: bytes) -> bool:
    """Whether a PEM private key is encrypted (PKCS#8 ``ENCRYPTED PRIVATE KEY`` or legacy ``Proc-Type``)."""
    return b"ENCRYPTED PRIVATE KEY" in data or b"Proc-Type: 4,ENCRYPTED" in data


def load_private_key(data: bytes, passphrase: bytes | str | None = None, source: str = "<data>") -> Any:
    """A private key object from PEM (or DER) ``data``; encrypted keys need ``passphrase``."""
    secret = passphrase.encode() if isinstance(passphrase, str) else passphrase
    if is_encrypted_key(data) and not secret:
        raise PassphraseRequired(f"{source}: the private key is encrypted; a passphrase is needed")
    if match := _PEM_PRIVATE_KEY.search(data):
        data = match.group(0)
    if not is_encrypted_key(data) and data[:1] != b"\x30":
        secret = None  # a passphrase for an unencrypted PEM key is not an error: there is nothing to decrypt
    try:
        if match:
            return serialization.load_pem_private_key(data, secret or None)
        if data[:1] == b"\x30":
            return serialization.load_der_private_key(data, secret or None)
    except TypeError as exc:  # a passphrase for an unencrypted key, or the reverse
        raise CertificateError(f"{source}: {exc}") from None
    except ValueError:
        if is_encrypted_key(data):
            raise CertificateError(f"{source}: wrong passphrase for the encrypted private key") from None
        raise CertificateError(f"{source}: not a valid private key") from None
    raise CertificateError(f"{source}: no PEM private key found")


def load_private_key_file(path: str | os.PathLike, passphrase: bytes | str | None = None) -> Any:
    """The private key in a file, or :class:`CertificateError` / :class:`PassphraseRequired`."""
    return load_private_key(_read(path, "private key"), passphrase, os.fspath(path))


# ----- facts about one certificate ---------------------------------------------------------------------
def subject_alt_names(cert: x509.Certificate) -> list[str]:
    """DNS names and IP addresses of the subjectAltName extension, in certificate order."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    names: list[str] = []
    for entry in san:
        if isinstance(entry, x509.DNSName | x509.IPAddress):
            names.append(str(entry.value))
    return names


def key_description(public_key: Any) -> tuple[str, int | None]:
    """(``RSA``/``EC``/``Ed25519``/..., size in bits or the curve size)."""
    if isinstance(public_key, rsa.RSAPublicKey):
        return "RSA", public_key.key_size
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return f"EC {public_key.curve.name}", public_key.curve.key_size
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(public_key, ed448.Ed448PublicKey):
        return "Ed448", 456
    if isinstance(public_key, dsa.DSAPublicKey):
        return "DSA", public_key.key_size
    return type(public_key).__name__, None


def signature_algorithm(cert: x509.Certificate) -> str:
    """``sha256WithRSAEncryption``-style name (the OID's name, or the dotted OID when unknown)."""
    name = getattr(cert.signature_algorithm_oid, "_name", None)
    return name if name and name != "Unknown OID" else cert.signature_algorithm_oid.dotted_string


def signature_hash_name(cert: x509.Certificate) -> str | None:
    """``sha1``, ``sha256``... or None (Ed25519, unknown algorithms)."""
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:  # an exotic signature OID
        return None
    return algorithm.name if algorithm else None


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def allows_server_auth(cert: x509.Certificate) -> bool:
    """True without an extendedKeyUsage extension (any use), or when it lists serverAuth/anyExtendedKeyUsage."""
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return ExtendedKeyUsageOID.SERVER_AUTH in usages or ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in usages


def fingerprint_sha256(cert: x509.Certificate) -> str:
    """``AB:CD:...`` upper-case hex, as ``openssl x509 -fingerprint -sha256`` prints it."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class CertificateSummary:
    """What a person needs to see about a certificate next to a TLS picker (all plain values, Qt-free)."""

    path: str | None
    subject: str
    sans: tuple[str, ...]
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    key_type: str
    key_size: int | None
    signature_algorithm: str
    fingerprint_sha256: str
    is_ca: bool
    self_signed: bool
    chain_length: int  # certificates in the file (1 = the leaf alone)
    now: dt.datetime

    @property
    def expired(self) -> bool:
        return self.now > self.not_after

    @property
    def not_yet_valid(self) -> bool:
        return self.now < self.not_before

    @property
    def days_left(self) -> int:
        """Whole days until expiry (negative once expired)."""
        return (self.not_after - self.now).days

    @property
    def status(self) -> str:
        if self.expired:
            return f"EXPIRED {self.not_after:%Y-%m-%d}"
        if self.not_yet_valid:
            return f"not valid before {self.not_before:%Y-%m-%d}"
        return f"valid until {self.not_after:%Y-%m-%d} ({self.days_left} days)"

    @property
    def text(self) -> str:
        """One line: ``CN=a.example.com · SANs a.example.com, *.b.example.com · valid until ... · RSA 2048``."""
        names = ", ".join(self.sans) if self.sans else "no SANs"
        key = f"{self.key_type} {self.key_size}" if self.key_size else self.key_type
        kind = "CA " if self.is_ca else ""
        chain = f" · chain of {self.chain_length}" if self.chain_length > 1 else ""
        return f"{kind}{self.subject} · {names} · {self.status} · {key} · {self.signature_algorithm}{chain}"

    def lines(self) -> list[str]:
        """A multi-line form for ``meshdesigner cert inspect`` and tooltips."""
        key = f"{self.key_type} {self.key_size} bits" if self.key_size else self.key_type
        return [
            f"subject:     {self.subject}",
            f"SANs:        {', '.join(self.sans) or '(none)'}",
            f"issuer:      {self.issuer}" + (" (self-signed)" if self.self_signed else ""),
            f"valid:       {self.not_before:%Y-%m-%d %H:%M:%S}Z .. {self.not_after:%Y-%m-%d %H:%M:%S}Z"
            f" ({self.status})",
            f"key:         {key}",
            f"signature:   {self.signature_algorithm}",
            f"SHA-256:     {self.fingerprint_sha256}",
            f"CA:          {'yes' if self.is_ca else 'no'}",
        ] + ([f"chain:       {self.chain_length} certificates"] if self.chain_length > 1 else [])


def summarize_certificate(cert: x509.Certificate, path: str | None = None, chain_length: int = 1,
                          now: dt.datetime | None = None) -> CertificateSummary:
    """The summary of a certificate object."""
    key_type, key_size = key_description(cert.public_key())
    return CertificateSummary(
        path=path, subject=cert.subject.rfc4514_string() or "(empty subject)",
        sans=tuple(subject_alt_names(cert)), issuer=cert.issuer.rfc4514_string() or "(empty issuer)",
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc,
        key_type=key_type, key_size=key_size, signature_algorithm=signature_algorithm(cert),
        fingerprint_sha256=fingerprint_sha256(cert), is_ca=is_ca(cert),
        self_signed=cert.issuer == cert.subject, chain_length=chain_length, now=now or _utc_now())


def summarize(path: str | os.PathLike, now: dt.datetime | None = None) -> CertificateSummary:
    """The summary of the first (leaf) certificate of a PEM file; :class:`CertificateError` if unreadable."""
    chain = load_certificate_file(path)
    return summarize_certificate(chain[0], os.fspath(path), len(chain), now)
