"""MD06xx: the certificates a gateway's TLS servers use, read from local files and checked offline.

Which files: see :mod:`meshdesigner.tls.sources`. Relative paths and the credentials folder
(``<base>/credentials/<credentialName>/tls.crt|tls.key|ca.crt``) resolve against a base directory:
``ctx.base_dir`` when the analysis context carries one (the project object does not know its own path),
else the one set with :func:`meshdesigner.tls.sources.certificate_location` (the CLI and the GUI set the
project file's folder there), else the current directory. ``ctx.credentials_dir`` likewise.

A file that cannot be read here is only a warning (such paths often exist only inside the gateway pod), and
so is a credential with no local copy; the checks that needed it then say, at info level, that they were
skipped. These rules read files and the clock: the GUI's incremental re-validation re-runs them when the
gateway changes, not when a file does.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography import x509

from ...model.gateway import Server
from ...model.nodes import GatewayNode
from ...tls.checks import (
    ca_bundle_problems,
    certificate_names,
    chain_leads_to,
    chain_order_problems,
    covers,
    key_matches,
    normalize_host,
    validity_problem,
    weak_key,
    weak_signature,
)
from ...tls.inspect import (
    CertificateError,
    PassphraseRequired,
    allows_server_auth,
    is_encrypted_key,
    load_certificates,
    load_private_key,
)
from ...tls.passphrases import passphrase_for
from ...tls.sources import CertificateSource, ca_source, certificate_sources, current_location
from ..catalogue import MessageType
from ..diagnostic import ERROR, INFO, WARNING
from ..index import certificate_identities
from ..messages import register
from ..registry import GATEWAY_KINDS, rule


def _m(code: str, name: str, severity: str, template: str, explain: str, istio: str | None = None):
    return register(MessageType(code, name, severity, template, " ".join(explain.split()), istio))


FILE_UNREADABLE = _m(
    "MD0601", "CertificateFileNotReadableHere", WARNING, "cannot read {what} {file} here: {reason}",
    """The file this field names cannot be read on this machine. Certificate paths in a Gateway are paths
    inside the gateway pod, so this is often expected; MeshDesigner then cannot check the certificate. To
    have it checked, keep a copy at the same path (relative paths resolve against the project's folder).""")
CREDENTIAL_NOT_LOCAL = _m(
    "MD0602", "CredentialNotAvailableLocally", INFO, "no local {what} for credentialName {name!r} "
    "(looked for {file})",
    """A credentialName names a Kubernetes Secret, which MeshDesigner cannot read. To have its certificate
    checked (and to export it with --with-secrets), put its files in credentials/<credentialName>/ next to
    the project: tls.crt, tls.key and, for MUTUAL, ca.crt (`meshdesigner cert create --out
    credentials/<name>` writes exactly that).""")
CHECKS_SKIPPED = _m(
    "MD0603", "CertificateChecksSkipped", INFO, "skipped {checks} for {source}: {reason}",
    """Some certificate checks need the certificate, key or CA file, and that file was not available (see
    the warning next to this one). Nothing is known to be wrong; it simply was not checked.""")
FILE_INVALID = _m(
    "MD0604", "CertificateFileInvalid", ERROR, "{what} {file} is not usable: {reason}",
    """The file exists but does not hold what the field needs: a PEM certificate (chain) for
    serverCertificate/tls.crt and caCertificates/ca.crt, a PEM private key for privateKey/tls.key.
    Envoy would reject the listener. Point the field at the right file.""")
HOST_NOT_COVERED = _m(
    "MD0605", "CertificateDoesNotCoverHost", ERROR,
    "the certificate of {source} does not cover host {host!r} (its names: {names})",
    """Clients check that the certificate names the host they asked for, as browsers do: only the
    subjectAltName entries count (not the subject CN), '*.example.com' covers exactly one label
    ('a.example.com', not 'example.com' nor 'a.b.example.com'), and an IP host needs an IP entry. A client
    asking for this host fails with a certificate name error. Issue a certificate that lists the host, or
    remove the host from the server.""")
ANY_HOST = _m(
    "MD0606", "CertificateForAnyHost", INFO,
    "host {host!r} accepts any name, but the certificate of {source} only covers {names}",
    """A server for '*' accepts every host name, yet one certificate covers only the names it lists; clients
    asking for any other name fail verification. Fine when clients only use the certificate's names.""")
KEY_MISMATCH = _m(
    "MD0607", "PrivateKeyDoesNotMatchCertificate", ERROR,
    "the private key {key} is not the key of certificate {cert}",
    """The private key must be the one the certificate was issued for; otherwise Envoy rejects the
    certificate and the listener does not come up. Use the key generated with this certificate.""")
KEY_ENCRYPTED = _m(
    "MD0608", "PrivateKeyEncrypted", WARNING, "the private key {key} is encrypted with a passphrase",
    """Istio gateways (and Envoy without a password setting) need an unencrypted private key. Decrypt it
    before it goes into the Secret or the pod (`openssl pkey -in KEY -out KEY.plain`), and keep that file
    private (mode 0600).""")
EXPIRED = _m(
    "MD0609", "CertificateExpired", ERROR, "{subject} {detail}",
    """An expired certificate is refused by every client (and Istio's analyzer reports such a credential as
    IST0161). Renew it.""")
NOT_YET_VALID = _m(
    "MD0610", "CertificateNotYetValid", ERROR, "{subject} {detail}",
    """The certificate's validity starts in the future, so clients refuse it until then (check the clock of
    the machine that issued it). Istio's analyzer reports such a credential as IST0161.""")
EXPIRES_SOON = _m(
    "MD0611", "CertificateExpiresSoon", WARNING, "{subject} {detail}",
    """The certificate expires within the project's warning period (settings.cert_expiry_warning_days,
    30 days by default). Renew it before it does.""")
CHAIN_OUT_OF_ORDER = _m(
    "MD0612", "CertificateChainOutOfOrder", WARNING, "the chain in {file} is out of order: {problem}",
    """A certificate file holds the server certificate first, then each certificate that signed the one
    before it, up to (optionally) the root. Some clients fail on chains in another order or with
    unrelated certificates. Reorder the file.""")
NOT_TRUSTED_BY_CA = _m(
    "MD0613", "CertificateNotIssuedByConfiguredCA", WARNING,
    "the certificate chain of {source} does not lead to the CA in {ca} ({ca_subjects})",
    """With MUTUAL TLS the gateway verifies client certificates against this CA. The server certificate is
    not issued by it, so the server and its clients do not share a CA: clients need another CA to verify the
    server, and this CA may be the wrong file. Fine when intended; otherwise point caCertificates (or the
    credential's ca.crt) at the CA that issued your certificates, or include the missing intermediate.""")
WEAK_KEY = _m(
    "MD0614", "WeakCertificateKey", ERROR, "{subject} has a weak key: {detail}",
    """RSA keys below 2048 bits can be broken and clients (OpenSSL security level 2, browsers) refuse them.
    Issue a certificate with an RSA 2048+ or an EC P-256 key.""")
WEAK_SIGNATURE = _m(
    "MD0615", "WeakCertificateSignature", ERROR, "{subject} is signed with {algorithm}",
    """SHA-1 (and MD5) signatures can be forged; browsers and current TLS libraries refuse certificates
    signed with them. Re-issue the certificate with SHA-256.""")
CA_NOT_CA = _m(
    "MD0616", "CaBundleHoldsNonCaCertificate", WARNING, "{file}: {problem}",
    """caCertificates (or a credential's ca.crt) should hold the CA certificates that issue client
    certificates. A certificate that is not a CA cannot verify others; this is often the server
    certificate given by mistake.""")
NOT_FOR_SERVER_AUTH = _m(
    "MD0617", "CertificateNotForServerAuth", ERROR,
    "the certificate of {source} is not allowed for TLS servers (extendedKeyUsage: {usages})",
    """The certificate's extendedKeyUsage does not include serverAuth, so clients refuse it as a server
    certificate (a client certificate used by mistake?). Use a server certificate.""")
DUPLICATE_CERTIFICATE = _m(
    "MD0618", "GatewayDuplicateCertificate", WARNING,
    "the same certificate ({what}) is used by gateways {gateways} whose selectors overlap; this may cause "
    "404s when clients re-use HTTP/2 connections",
    """When two Gateway resources on the same gateway pods serve the same certificate, an HTTP/2 client that
    connected for one host may re-use the connection for a host of the other Gateway (the certificate covers
    both), and Envoy answers 404 because that connection's filter chain does not route the other host
    (envoyproxy/envoy#6767). Serve both hosts from one Gateway, or give each Gateway its own certificate.""",
    istio="IST0138")

MUTUAL_MODES = ("MUTUAL", "OPTIONAL_MUTUAL")
VALIDITY_MESSAGES = {"expired": EXPIRED, "not-yet-valid": NOT_YET_VALID, "expiring": EXPIRES_SOON}


# ----- where the files are, and reading them once ------------------------------------------------------
@dataclass(frozen=True)
class _Env:
    base_dir: str
    credentials_dir: str
    now: dt.datetime
    warning_days: int


def _env(ctx) -> _Env:
    location = current_location(getattr(ctx, "base_dir", None), getattr(ctx, "credentials_dir", None))
    return _Env(location.base_dir, location.credentials_dir, dt.datetime.now(dt.UTC),
                ctx.settings.cert_expiry_warning_days)


@dataclass(frozen=True)
class _Loaded:
    value: object = None
    unreadable: str | None = None   # why the file cannot be read here
    invalid: str | None = None      # why its content is not usable
    encrypted: bool = False


def _file_identity(path: str):
    try:
        info = os.stat(path)
    except OSError as exc:
        return None, exc.strerror or str(exc)
    except ValueError:  # a NUL byte: no file system path can hold one
        return None, "the path holds a NUL byte"
    if not os.path.isfile(path):
        return None, "not a file"
    return (path, info.st_mtime_ns, info.st_size), None


def _read_bytes(path: str) -> bytes | _Loaded:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        return _Loaded(unreadable=exc.strerror or str(exc))


# Keyed by (path, mtime, size): a file is parsed once until it changes.
@lru_cache(maxsize=512)
def _read_chain(identity) -> _Loaded:
    path = identity[0]
    data = _read_bytes(path)
    if isinstance(data, _Loaded):
        return data
    try:
        return _Loaded(value=tuple(load_certificates(data, path)))
    except CertificateError as exc:
        return _Loaded(invalid=str(exc).removeprefix(f"{path}: "))


@lru_cache(maxsize=512)
def _read_key(identity, passphrase: bytes | None = None) -> _Loaded:
    path = identity[0]
    data = _read_bytes(path)
    if isinstance(data, _Loaded):
        return data
    encrypted = is_encrypted_key(data)
    try:
        return _Loaded(value=load_private_key(data, passphrase if encrypted else None, path), encrypted=encrypted)
    except PassphraseRequired:
        return _Loaded(encrypted=True)
    except CertificateError as exc:
        if encrypted:  # a wrong remembered passphrase: the key is as good as locked
            return _Loaded(encrypted=True)
        return _Loaded(invalid=str(exc).removeprefix(f"{path}: "))


def _read_key_with_passphrase(identity) -> _Loaded:
    """The key, decrypted with the passphrase the GUI remembered for this session (if any)."""
    return _read_key(identity, passphrase_for(identity[0]))


def _load(path: str, reader) -> _Loaded:
    identity, reason = _file_identity(path)
    return reader(identity) if identity else _Loaded(unreadable=reason)


def _subject(cert: x509.Certificate, index: int, path: str) -> str:
    if index == 0:
        return f"the certificate in {path}"
    return f"certificate {index + 1} of the chain in {path} ({cert.subject.rfc4514_string()})"


def _names(cert: x509.Certificate) -> str:
    dns, ips = certificate_names(cert)
    return ", ".join(dns + ips) or "none: no subjectAltName; clients ignore the subject CN"


# ----- per certificate -----------------------------------------------------------------------------------
def _validity_and_strength(ref, field: str, chain, path: str, env: _Env):
    for index, cert in enumerate(chain):
        subject = _subject(cert, index, path)
        problem = validity_problem(cert, env.now, env.warning_days)
        if problem is not None:
            yield VALIDITY_MESSAGES[problem.kind].at(ref, field, subject=subject, detail=problem.message)
        weak = weak_key(cert)
        if weak:
            yield WEAK_KEY.at(ref, field, subject=subject, detail=weak)
        algorithm = weak_signature(cert)
        if algorithm and cert.issuer != cert.subject:  # a root's own signature is never checked
            yield WEAK_SIGNATURE.at(ref, field, subject=subject, algorithm=algorithm.upper())


def _check_key(ref, tls_path: str, source: CertificateSource, chain):
    key_field = f"{tls_path}.{source.key_field}"
    skipped = dict(checks="the key check", source=source.label)
    if source.key_path is None:
        if source.credential_name:
            missing = os.path.join(os.path.dirname(source.cert_path or ""), "tls.key")
            yield CREDENTIAL_NOT_LOCAL.at(ref, key_field, what="tls.key", name=source.credential_name,
                                          file=missing)
            yield CHECKS_SKIPPED.at(ref, key_field, reason="no local private key", **skipped)
        return
    loaded = _load(source.key_path, _read_key_with_passphrase)
    if loaded.unreadable:
        yield FILE_UNREADABLE.at(ref, key_field, what="private key", file=source.key_path,
                                 reason=loaded.unreadable)
        yield CHECKS_SKIPPED.at(ref, key_field, reason="the private key is not readable here", **skipped)
    elif loaded.encrypted and loaded.value is None:
        yield KEY_ENCRYPTED.at(ref, key_field, key=source.key_path)
        yield CHECKS_SKIPPED.at(ref, key_field, reason="the private key is encrypted (unlock it in the TLS "
                                "properties to check it)", **skipped)
    elif loaded.invalid:
        yield FILE_INVALID.at(ref, key_field, what="private key", file=source.key_path, reason=loaded.invalid)
    else:
        if loaded.encrypted:  # unlocked with a remembered passphrase: checked, but a gateway still needs it plain
            yield KEY_ENCRYPTED.at(ref, key_field, key=source.key_path)
        if not key_matches(chain[0], loaded.value):
            yield KEY_MISMATCH.at(ref, key_field, key=source.key_path, cert=source.cert_path)


def _check_source(ref, index: int, server: Server, source: CertificateSource, env: _Env):
    """Diagnostics for one server certificate; returns (via StopIteration value) its chain or None."""
    tls_path = f"spec.servers[{index}].tls"
    field = f"{tls_path}.{source.field}"
    if source.cert_path is None:
        if source.credential_name:
            path = os.path.join(env.credentials_dir, source.credential_name, "tls.crt")
            yield CREDENTIAL_NOT_LOCAL.at(ref, field, what="certificate", name=source.credential_name, file=path)
            yield CHECKS_SKIPPED.at(ref, field, checks="the certificate checks (names, key, validity, strength)",
                                    source=source.label, reason="no local copy of the credential")
        return None  # privateKey without serverCertificate: the webhook rules report that
    loaded = _load(source.cert_path, _read_chain)
    if loaded.unreadable:
        yield FILE_UNREADABLE.at(ref, field, what="certificate", file=source.cert_path, reason=loaded.unreadable)
        yield CHECKS_SKIPPED.at(ref, field, checks="the certificate checks (names, key, validity, strength)",
                                source=source.label, reason="the file is not readable here")
        return None
    if loaded.invalid:
        yield FILE_INVALID.at(ref, field, what="certificate", file=source.cert_path, reason=loaded.invalid)
        return None
    chain = loaded.value
    leaf = chain[0]
    for host_index, host in enumerate(server.hosts):
        if normalize_host(host) == "*":
            yield ANY_HOST.at(ref, f"spec.servers[{index}].hosts[{host_index}]", host=host,
                              source=source.label, names=_names(leaf))
        elif not covers(leaf, host):
            yield HOST_NOT_COVERED.at(ref, f"spec.servers[{index}].hosts[{host_index}]", host=host,
                                      source=source.label, names=_names(leaf))
    if not allows_server_auth(leaf):
        usages = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        yield NOT_FOR_SERVER_AUTH.at(ref, field, source=source.label,
                                     usages=", ".join(getattr(u, "_name", u.dotted_string) for u in usages))
    yield from _check_key(ref, tls_path, source, chain)
    yield from _validity_and_strength(ref, field, chain, source.cert_path, env)
    for problem in chain_order_problems(chain):
        yield CHAIN_OUT_OF_ORDER.at(ref, field, file=source.cert_path, problem=problem)
    return chain


def _check_client_ca(ref, index: int, server: Server, chains, missing_credentials: set[str], env: _Env):
    tls = server.tls
    found = ca_source(tls, env.base_dir, env.credentials_dir)
    if found is None:
        return  # MUTUAL without any CA: the webhook rules report that
    path = found.path
    field = f"spec.servers[{index}].tls.{found.field}"
    skipped = dict(checks="the client CA checks", source=found.label)
    loaded = _load(path, _read_chain)
    if loaded.unreadable:
        if found.credential_name in missing_credentials:
            pass  # already reported: the whole credential has no local copy
        elif found.credential_name is None:
            yield FILE_UNREADABLE.at(ref, field, what="CA certificates", file=path, reason=loaded.unreadable)
        else:
            yield CREDENTIAL_NOT_LOCAL.at(ref, field, what="ca.crt", name=found.credential_name, file=path)
        yield CHECKS_SKIPPED.at(ref, field, reason="the CA file is not available here", **skipped)
        return
    if loaded.invalid:
        yield FILE_INVALID.at(ref, field, what="CA certificates", file=path, reason=loaded.invalid)
        return
    anchors = loaded.value
    for problem in ca_bundle_problems(anchors):
        yield CA_NOT_CA.at(ref, field, file=path, problem=problem)
    for cert_index, cert in enumerate(anchors):
        problem = validity_problem(cert, env.now, env.warning_days)
        if problem is not None:
            subject = f"CA certificate {cert_index + 1} in {path} ({cert.subject.rfc4514_string()})"
            yield VALIDITY_MESSAGES[problem.kind].at(ref, field, subject=subject, detail=problem.message)
    subjects = "; ".join(c.subject.rfc4514_string() for c in anchors)
    for source, chain in chains:
        if not chain_leads_to(chain, anchors):
            yield NOT_TRUSTED_BY_CA.at(ref, f"spec.servers[{index}].tls.{source.field}", source=source.label,
                                       ca=path, ca_subjects=subjects)


@rule("tls.certificates", kinds=GATEWAY_KINDS, codes=tuple(f"MD06{n:02d}" for n in range(1, 18)))
def certificates(ctx, node: GatewayNode):
    """Every certificate a terminating TLS server names: names, key, validity, strength, chain, client CA."""
    env = None
    ref = node.gateway.ref
    for index, server in enumerate(node.gateway.spec.servers or []):
        tls = server.tls
        if not server.terminates_tls or tls is None or tls.effective_mode == "ISTIO_MUTUAL":
            continue
        env = env or _env(ctx)
        chains, missing = [], set()
        for source in certificate_sources(tls, env.base_dir, env.credentials_dir):
            chain = yield from _check_source(ref, index, server, source, env)
            if chain:
                chains.append((source, chain))
            elif source.credential_name and source.cert_path is None:
                missing.add(source.credential_name)
        if tls.effective_mode in MUTUAL_MODES:
            yield from _check_client_ca(ref, index, server, chains, missing, env)


# ----- IST0138: one certificate on two gateways of the same pods ---------------------------------------------
def _selector_subset(x: dict | None, y: dict | None) -> bool:
    """certificate.go selectorSubset: every label of x is in y with the same value (an empty x selects all)."""
    y = y or {}
    return all(y.get(k) == v for k, v in (x or {}).items())


@rule("tls.duplicate_certificate", kinds=GATEWAY_KINDS, codes=("MD0618",))
def duplicate_certificate(ctx, node):
    """IST0138 (gateway/certificate.go analyzeDuplicateCertificate): a gateway is reported when another gateway
    whose selector includes all of its selector's labels (getGatewaysWithSelector; any namespace, as
    ScopeGatewayToNamespace is off by default) has a server with the same certificate. The test is one-way:
    a gateway with the narrower selector is not reported for the wider one. (The other gateways naming a
    certificate are looked up, so an edit re-runs this only on the gateways sharing one with the edited.)"""
    selector = node.gateway.spec.selector
    reported: set[str] = set()
    for index, server in enumerate(node.gateway.spec.servers or []):
        for field, what in certificate_identities(server):
            if what in reported:
                continue      # a certificate is reported once per gateway, on its first server
            reported.add(what)
            sharing = [other for other in ctx.gateways_with_certificate(what) if other.id != node.id
                       and _selector_subset(selector, other.gateway.spec.selector)]
            if sharing:
                names = sorted([node.gateway.metadata.qualified] + [o.gateway.metadata.qualified for o in sharing])
                yield DUPLICATE_CERTIFICATE.at(node.gateway.ref, f"spec.servers[{index}].tls.{field}", what=what,
                                               gateways=", ".join(names))
