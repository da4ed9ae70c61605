"""The certificate checks as pure functions over ``cryptography`` objects (no project, no files).

The analysis rule :mod:`meshdesigner.analysis.rules.tls_certificates` turns their answers into diagnostics.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from .inspect import is_ca, signature_hash_name

MIN_RSA_BITS = 2048
WEAK_HASHES = frozenset({"sha1", "md5"})


# ----- names -------------------------------------------------------------------------------------------
def normalize_host(host: str) -> str:
    """A Gateway server host as a certificate would name it: no ``ns/`` part, no trailing dot, lower case."""
    if "/" in host:
        host = host.partition("/")[2]
    return host.rstrip(".").lower()


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def dns_name_covers(san: str, host: str) -> bool:
    """Whether the DNS SAN ``san`` covers ``host``, as browsers decide (RFC 6125 and the CA/B rules).

    ``*.example.com`` covers exactly one extra label (``a.example.com``; not ``example.com``, not
    ``a.b.example.com``); the wildcard must be the whole leftmost label and leave at least two labels
    (``*.com`` covers nothing; ``f*.example.com`` neither). A wildcard *host* (a Gateway may serve
    ``*.example.com``) is covered only by the same wildcard name.
    """
    san, host = san.rstrip(".").lower(), normalize_host(host)
    if not san or not host:
        return False
    if not san.startswith("*."):
        return "*" not in san and san == host
    parent = san[2:]
    if "*" in parent or "." not in parent:
        return False
    if host.startswith("*."):
        return host == san
    label, dot, rest = host.partition(".")
    return bool(dot) and bool(label) and "*" not in label and rest == parent


def certificate_names(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    """(DNS SANs, IP SANs as text). The subject CN is not a name: browsers ignore it."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return (list(san.get_values_for_type(x509.DNSName)),
            [str(ip) for ip in san.get_values_for_type(x509.IPAddress)])


def covers(cert: x509.Certificate, host: str) -> bool:
    """Whether the certificate's SANs cover one Gateway host (an IP host needs an IP SAN)."""
    dns_names, ip_names = certificate_names(cert)
    address = _ip(normalize_host(host))
    if address is not None:
        return any(_ip(ip) == address for ip in ip_names)
    return any(dns_name_covers(name, host) for name in dns_names)


@dataclass(frozen=True)
class Coverage:
    """Which hosts of a server the certificate covers; ``any_host`` lists ``*`` hosts no name can cover."""

    uncovered: tuple[str, ...]
    any_host: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.uncovered


def coverage(cert: x509.Certificate, hosts: Iterable[str]) -> Coverage:
    uncovered, any_host = [], []
    for host in hosts:
        if normalize_host(host) == "*":
            any_host.append(host)
        elif not covers(cert, host):
            uncovered.append(host)
    return Coverage(tuple(uncovered), tuple(any_host))


# ----- key, validity, strength -------------------------------------------------------------------------
def key_matches(cert: x509.Certificate, private_key: Any) -> bool:
    """Whether ``private_key`` is the key of ``cert`` (same public key)."""
    try:
        return private_key.public_key() == cert.public_key()
    except (AttributeError, TypeError):
        return False


@dataclass(frozen=True)
class ValidityProblem:
    kind: str  # "expired" | "not-yet-valid" | "expiring"
    message: str


def validity_problem(cert: x509.Certificate, now: dt.datetime | None = None,
                     warning_days: int = 30) -> ValidityProblem | None:
    """Expired, not yet valid, or expiring within ``warning_days`` (None when fine)."""
    now = now or dt.datetime.now(dt.UTC)
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if now > end:
        return ValidityProblem("expired", f"expired on {end:%Y-%m-%d %H:%M}Z ({(now - end).days} days ago)")
    if now < start:
        return ValidityProblem("not-yet-valid", f"is not valid before {start:%Y-%m-%d %H:%M}Z "
                                                f"(in {(start - now).days} days)")
    if warning_days and end - now <= dt.timedelta(days=warning_days):
        return ValidityProblem("expiring", f"expires on {end:%Y-%m-%d %H:%M}Z, in {(end - now).days} days "
                                           f"(the project warns {warning_days} days ahead)")
    return None


def weak_key(cert: x509.Certificate) -> str | None:
    """A description of a weak public key (RSA below 2048 bits), else None."""
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        return f"RSA {key.key_size}-bit key (clients require at least {MIN_RSA_BITS} bits)"
    return None


def weak_signature(cert: x509.Certificate) -> str | None:
    """``sha1`` (or ``md5``) when the certificate is signed with a broken hash, else None."""
    name = signature_hash_name(cert)
    return name if name in WEAK_HASHES else None


# ----- chains ------------------------------------------------------------------------------------------
def issued_by(child: x509.Certificate, parent: x509.Certificate) -> bool:
    """Whether ``parent`` signed ``child``: names chain and the signature verifies (SHA-1 included,
    which ``verify_directly_issued_by`` refuses; that is a separate finding, not a broken chain)."""
    if child.issuer != parent.subject:
        return False
    key = parent.public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            if child.signature_algorithm_parameters is not None and not isinstance(
                    child.signature_algorithm_parameters, padding.PKCS1v15):
                child.verify_directly_issued_by(parent)  # RSA-PSS
                return True
            key.verify(child.signature, child.tbs_certificate_bytes, padding.PKCS1v15(),
                       child.signature_hash_algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(child.signature, child.tbs_certificate_bytes, ec.ECDSA(child.signature_hash_algorithm))
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(child.signature, child.tbs_certificate_bytes)
        else:
            child.verify_directly_issued_by(parent)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError):
        return False  # a wrong signature, or one that cannot be verified: not issued by this parent
    return True


def chain_order_problems(chain: Sequence[x509.Certificate]) -> list[str]:
    """Problems in a certificate file's order: each certificate must be signed by the one after it."""
    problems = []
    for index in range(len(chain) - 1):
        child, parent = chain[index], chain[index + 1]
        if not issued_by(child, parent):
            signer = next((i for i, other in enumerate(chain) if i != index and issued_by(child, other)), None)
            where = f"; its issuer is certificate {signer + 1}" if signer is not None else ""
            problems.append(f"certificate {index + 1} ({child.subject.rfc4514_string()}) is not signed by "
                            f"certificate {index + 2} ({parent.subject.rfc4514_string()}){where}")
    return problems


def chain_leads_to(chain: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate]) -> bool:
    """Whether the chain's last certificate is one of the ``anchors`` (a caCertificates bundle) or is
    signed by one. Anchors are trusted as given, so a bundle holding an intermediate works too."""
    if not chain:
        return False
    last = chain[-1]
    return any(last == anchor or issued_by(last, anchor) for anchor in anchors)


def ca_bundle_problems(bundle: Sequence[x509.Certificate]) -> list[str]:
    """A caCertificates bundle should hold CA certificates only."""
    return [f"certificate {i + 1} ({cert.subject.rfc4514_string()}) is not a CA certificate "
            "(basicConstraints CA:FALSE or absent)" for i, cert in enumerate(bundle) if not is_ca(cert)]


# ----- the same certificate on two gateways (IST0138) ---------------------------------------------------
def selectors_overlap(a: Mapping[str, str] | None, b: Mapping[str, str] | None) -> bool:
    """Istio's test: either selector matches the other's labels (an empty selector matches everything)."""
    a, b = dict(a or {}), dict(b or {})
    return all(b.get(k) == v for k, v in a.items()) or all(a.get(k) == v for k, v in b.items())
