"""TLS in the simulator: the client's handshake with the gateway, and the gateway's with the upstream.

Downstream (``buildGatewayListenerTLSContext``; Envoy's defaults): the gateway accepts TLS 1.2 and 1.3
unless ``minProtocolVersion`` / ``maxProtocolVersion`` say otherwise; MUTUAL and ISTIO_MUTUAL require a
client certificate, OPTIONAL_MUTUAL accepts none; a certificate that is sent must chain to the server's
CA (``caCertificates``, or ``ca.crt`` beside the credential) and match ``subjectAltNames`` when given.

Upstream (the plan's :class:`~meshdesigner.compile.destinations.UpstreamTls`): the server certificate
must chain to ``caCertificates`` (or the credential's CA, or the system roots) unless
``insecureSkipVerify``, and name ``subjectAltNames`` when given, else (``auto_san_validation``) the SNI
host. Envoy answers 503 when the handshake fails. The simulator can only check certificates it is
given: without one it says what it assumes.
"""

from __future__ import annotations

import os

from ..tls.checks import chain_leads_to, covers
from ..tls.inspect import CertificateError, load_certificate_file

TLS_ORDER = {"TLSV1_0": 0, "TLSV1_1": 1, "TLSV1_2": 2, "TLSV1_3": 3}
DOWNSTREAM_DEFAULT = ("TLSV1_2", "TLSV1_3")      # Envoy's defaults for a DownstreamTlsContext


def tls_version_key(text: str | None) -> str | None:
    """``TLSv1.2``, ``1.2``, ``TLSV1_2`` -> ``TLSV1_2`` (None when unreadable)."""
    if not text:
        return None
    cleaned = str(text).upper().replace("TLSV", "").replace("TLS", "").replace("V", "").replace("_", ".").strip(". ")
    key = "TLSV" + cleaned.replace(".", "_")
    return key if key in TLS_ORDER else None


def resolve_file(path: str | None, files_root: str | None) -> str | None:
    """Where a certificate file written in the design is read (``files_root`` as in ``--files-root``)."""
    if not path:
        return None
    if files_root and path.startswith("/"):
        return files_root.rstrip("/") + path
    return path


def _load(path: str | None) -> list | None:
    if not path or not os.path.isfile(path):
        return None
    try:
        return load_certificate_file(path)
    except (CertificateError, OSError):
        return None


def server_ca_file(tls, files_root: str | None, credentials_dir: str | None) -> str | None:
    """The CA a gateway server verifies client certificates with."""
    if tls.ca_certificates:
        return resolve_file(tls.ca_certificates, files_root)
    name = tls.credential_name or (tls.credential_names or [None])[0]
    if name and credentials_dir:
        return os.path.join(credentials_dir, name, "ca.crt")
    return None


def downstream_problem(tls, request, files_root: str | None, credentials_dir: str | None) -> tuple[str | None, str]:
    """(why the gateway refuses the handshake, or None; a note on what was assumed)."""
    mode = tls.effective_mode
    low = tls_version_key(tls.min_protocol_version) or DOWNSTREAM_DEFAULT[0]
    high = tls_version_key(tls.max_protocol_version) or DOWNSTREAM_DEFAULT[1]
    client = tls_version_key(request.tls_version)
    if request.tls_version and client is None:
        raise ValueError(f"TLS version {request.tls_version!r} is not one of 1.0, 1.1, 1.2, 1.3")
    client_high = client or "TLSV1_3"
    if TLS_ORDER[client_high] < TLS_ORDER[low]:
        return (f"the client offers at most {client_high.replace('V', 'v').replace('_', '.')}, below the server's "
                f"minimum {low.replace('V', 'v').replace('_', '.')}"), ""
    if TLS_ORDER[high] < TLS_ORDER["TLSV1_0"]:
        return "the server allows no TLS version", ""
    wants_cert = mode in ("MUTUAL", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL")
    if not wants_cert:
        return None, ""
    if getattr(request, "mesh_identity", False) and mode in ("ISTIO_MUTUAL", "OPTIONAL_MUTUAL"):
        return None, "the mesh client presents its Istio certificate, signed by the mesh's root"
    if not request.client_cert:
        if mode == "OPTIONAL_MUTUAL":
            return None, "no client certificate (OPTIONAL_MUTUAL accepts that)"
        return f"{mode} requires a client certificate and the client sends none", ""
    chain = _load(request.client_cert)
    if chain is None:
        return f"the client certificate {request.client_cert} cannot be read", ""
    ca_file = server_ca_file(tls, files_root, credentials_dir)
    anchors = _load(ca_file)
    if anchors is None:
        return None, (f"the client certificate is assumed to verify (the server's CA {ca_file or '(unknown)'} is "
                      "not readable here; give credentials_dir or files_root)")
    if not chain_leads_to(chain, anchors):
        return f"the client certificate is not signed by the server's CA ({ca_file})", ""
    if tls.subject_alt_names and not any(covers(chain[0], name) for name in tls.subject_alt_names):
        return f"the client certificate names none of subjectAltNames {', '.join(tls.subject_alt_names)}", ""
    return None, "the client certificate verifies against the server's CA"


def upstream_problem(tls, sni: str | None, cert_path: str | None, files_root: str | None,
                     credentials_dir: str | None, system_ca_file: str | None) -> tuple[str | None, str]:
    """(why the upstream handshake fails, or None; what was checked or assumed)."""
    if cert_path is None:
        return None, "the upstream's certificate is not known here; the handshake is assumed to succeed"
    chain = _load(cert_path)
    if chain is None:
        return f"the upstream certificate {cert_path} cannot be read", ""
    if not tls.verify:
        return None, "insecureSkipVerify: the upstream certificate is not checked"
    if tls.ca_certificates:
        ca_file, what = resolve_file(tls.ca_certificates, files_root), "caCertificates"
    elif tls.credential_name and credentials_dir:
        ca_file, what = os.path.join(credentials_dir, tls.credential_name, "ca.crt"), "the credential's ca.crt"
    else:
        ca_file, what = system_ca_file, "the system roots"
    anchors = _load(ca_file)
    if anchors is None:
        return None, f"{what} ({ca_file}) cannot be read here; the certificate is assumed to verify"
    if not chain_leads_to(chain, anchors):
        return f"the upstream certificate is not signed by {what} ({ca_file})", ""
    if tls.subject_alt_names:
        if not any(covers(chain[0], name) for name in tls.subject_alt_names):
            return f"the upstream certificate names none of subjectAltNames {', '.join(tls.subject_alt_names)}", ""
    elif tls.auto_san_validation and sni and not covers(chain[0], sni):
        return f"the upstream certificate does not name the SNI host {sni} (auto SAN validation)", ""
    return None, f"the upstream certificate verifies against {what}"
