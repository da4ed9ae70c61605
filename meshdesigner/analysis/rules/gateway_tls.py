"""Gateway server TLS settings: webhook rules (MD0118–MD0127) and the PASSTHROUGH default (MD0502).

(Certificate contents, expiry and Secrets are the TLS area's rules, ``tls_*.py``, MD06xx.)
"""

from __future__ import annotations

from ...model.gateway import TLS_MODES, TLS_PROTOCOLS
from .. import messages as m
from ..registry import GATEWAY_KINDS, rule

TLS_VERSIONS = ("TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3")
# Cipher names Envoy (BoringSSL) accepts, as listed by Istio's security.ValidCipherSuites.
_CIPHER_TABLE = """
ECDHE-ECDSA-AES256-GCM-SHA384 ECDHE-RSA-AES256-GCM-SHA384 ECDHE-ECDSA-AES128-GCM-SHA256
ECDHE-RSA-AES128-GCM-SHA256 ECDHE-ECDSA-CHACHA20-POLY1305 ECDHE-RSA-CHACHA20-POLY1305 ECDHE-ECDSA-AES128-SHA
ECDHE-RSA-AES128-SHA ECDHE-ECDSA-AES256-SHA ECDHE-RSA-AES256-SHA AES128-GCM-SHA256 AES256-GCM-SHA384 AES128-SHA
AES256-SHA DES-CBC3-SHA ECDHE-PSK-AES128-CBC-SHA ECDHE-PSK-AES256-CBC-SHA ECDHE-PSK-CHACHA20-POLY1305
PSK-AES128-CBC-SHA PSK-AES256-CBC-SHA
"""
VALID_CIPHERS = frozenset(_CIPHER_TABLE.split())
TERMINATING = ("SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL")
PASSTHROUGH = ("PASSTHROUGH", "AUTO_PASSTHROUGH")
CERT_FIELDS = (("server_certificate", "serverCertificate", "server certificate"),
               ("private_key", "privateKey", "private key"),
               ("ca_certificates", "caCertificates", "CA bundle"),
               ("tls_certificates", "tlsCertificates", "tlsCertificates"),
               ("credential_name", "credentialName", "credentialName"),
               ("credential_names", "credentialNames", "credentialNames"))


def _tls_servers(node):
    """``(path, server, tls)`` for the servers with a tls block on a TLS protocol."""
    for i, server in enumerate(node.gateway.spec.servers or []):
        if server.tls is not None and server.protocol in TLS_PROTOCOLS:
            yield f"spec.servers[{i}].tls", server, server.tls


@rule("gateway_tls.schema", codes=("MD0127",), kinds=GATEWAY_KINDS)
def tls_schema(ctx, node):
    ref = node.gateway.ref
    for i, server in enumerate(node.gateway.spec.servers or []):
        tls = server.tls
        if tls is None:
            continue
        path = f"spec.servers[{i}].tls"
        if tls.mode is not None and tls.mode not in TLS_MODES:
            yield m.TLS_SETTINGS_SCHEMA.at(ref, f"{path}.mode",
                                           reason=f"mode {tls.mode!r} is not one of {', '.join(TLS_MODES)}")
        for field, wire in (("min_protocol_version", "minProtocolVersion"),
                            ("max_protocol_version", "maxProtocolVersion")):
            value = getattr(tls, field)
            if value is not None and value not in TLS_VERSIONS:
                yield m.TLS_SETTINGS_SCHEMA.at(ref, f"{path}.{wire}",
                                               reason=f"{wire} {value!r} is not one of {', '.join(TLS_VERSIONS)}")
        if tls.credential_name and tls.credential_names:
            yield m.TLS_SETTINGS_SCHEMA.at(ref, f"{path}.credentialNames",
                                           reason="only one of credentialName or credentialNames can be set")
        if tls.credential_names is not None and not 1 <= len(tls.credential_names) <= 2:
            yield m.TLS_SETTINGS_SCHEMA.at(ref, f"{path}.credentialNames",
                                           reason="credentialNames must have 1 or 2 entries")
        if tls.tls_certificates is not None and not tls.tls_certificates:
            yield m.TLS_SETTINGS_SCHEMA.at(ref, f"{path}.tlsCertificates",
                                           reason="tlsCertificates must have 1 or 2 entries")


@rule("gateway_tls.versions_and_ciphers", codes=("MD0118", "MD0119"), kinds=GATEWAY_KINDS)
def versions_and_ciphers(ctx, node):
    ref = node.gateway.ref
    for path, _server, tls in _tls_servers(node):
        if tls.min_protocol_version in ("TLSV1_0", "TLSV1_1") and not tls.cipher_suites:
            yield m.TLS_OLD_VERSION_NO_CIPHERS.at(ref, f"{path}.minProtocolVersion")
        if tls.cipher_suites:
            invalid, duplicate, seen = [], [], set()
            for cipher in tls.cipher_suites:
                parts = cipher.strip("[]").split("|") if cipher.startswith("[") else [cipher]
                if not all(p in VALID_CIPHERS for p in parts):
                    invalid.append(cipher)
                elif cipher in seen:
                    duplicate.append(cipher)
                seen.add(cipher)
            if invalid:
                yield m.TLS_CIPHERS_INVALID.at(ref, f"{path}.cipherSuites", what="invalid", ciphers=", ".join(invalid))
            if duplicate:
                yield m.TLS_CIPHERS_INVALID.at(ref, f"{path}.cipherSuites", what="duplicate",
                                               ciphers=", ".join(duplicate))


def _set_fields(tls):
    return [(wire, label) for field, wire, label in CERT_FIELDS if getattr(tls, field)]


@rule("gateway_tls.mode_fields", codes=("MD0120", "MD0121", "MD0502"), kinds=GATEWAY_KINDS)
def mode_fields(ctx, node):
    ref = node.gateway.ref
    for path, _server, tls in _tls_servers(node):
        fields = _set_fields(tls)
        if tls.mode == "ISTIO_MUTUAL":
            for wire, label in fields:
                yield m.ISTIO_MUTUAL_WITH_CERTS.at(ref, f"{path}.{wire}", field=label)
        elif fields and tls.mode in PASSTHROUGH:
            yield m.PASSTHROUGH_IGNORES_CERTS.at(ref, f"{path}.mode", mode=tls.mode)
        elif fields and tls.mode is None:
            yield m.TLS_MODE_DEFAULTS_PASSTHROUGH.at(ref, path, what=" and ".join(w for w, _ in fields))


@rule("gateway_tls.credentials", codes=("MD0122", "MD0123", "MD0124", "MD0125", "MD0126"), kinds=GATEWAY_KINDS)
def credentials(ctx, node):
    ref = node.gateway.ref
    for path, _server, tls in _tls_servers(node):
        if tls.mode not in TERMINATING:
            continue
        sources = sum(bool(x) for x in (tls.credential_name, tls.credential_names,
                                         tls.server_certificate or tls.private_key, tls.tls_certificates))
        if sources > 1:
            yield m.TLS_MULTIPLE_CERT_SOURCES.at(ref, path)
        from_secret = bool(tls.credential_name or tls.credential_names)
        if tls.tls_certificates and len(tls.tls_certificates) > 2:
            yield m.TLS_TOO_MANY_CERTIFICATES.at(ref, f"{path}.tlsCertificates")
        if not from_secret:
            if tls.tls_certificates:
                for j, cert in enumerate(tls.tls_certificates):
                    if not cert.server_certificate:
                        yield m.TLS_WITHOUT_CREDENTIALS.at(ref, f"{path}.tlsCertificates[{j}]", mode=tls.mode,
                                                           what="server certificate")
                    if not cert.private_key:
                        yield m.TLS_WITHOUT_CREDENTIALS.at(ref, f"{path}.tlsCertificates[{j}]", mode=tls.mode,
                                                           what="private key")
            else:
                if not tls.server_certificate:
                    yield m.TLS_WITHOUT_CREDENTIALS.at(
                        ref, path, mode=tls.mode,
                        what="server certificate (set credentialName, or serverCertificate and privateKey)"
                        if not tls.private_key else "server certificate")
                if tls.server_certificate and not tls.private_key:
                    yield m.TLS_WITHOUT_CREDENTIALS.at(ref, path, mode=tls.mode, what="private key")
            has_ca = tls.ca_certificates or any(c.ca_certificates for c in tls.tls_certificates or [])
            if tls.mode != "SIMPLE" and not has_ca:
                yield m.MUTUAL_WITHOUT_CA.at(ref, path, mode=tls.mode)
        if tls.ca_crl:
            if from_secret:
                yield m.TLS_CRL_NOT_ALLOWED.at(ref, f"{path}.caCrl", reason="CRL is not supported with "
                                               "credentialName. CRL has to be specified in the credential")
            elif tls.mode == "SIMPLE":
                yield m.TLS_CRL_NOT_ALLOWED.at(ref, f"{path}.caCrl", reason="CRL is not supported with SIMPLE TLS")
