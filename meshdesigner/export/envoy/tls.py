"""TLS: downstream contexts for Gateway servers, upstream contexts from DestinationRules, static secrets.

istiod hands certificates to the proxy over SDS; a standalone bootstrap declares the same secret
names as static secrets that read files:

* ``file-cert:<cert>~<key>`` / ``file-root:<ca>`` for serverCertificate/privateKey/caCertificates
  (and DestinationRule clientCertificate/...), read from the paths as written (or under
  ``EnvoyOptions.files_root``);
* ``kubernetes://<credentialName>`` (+ ``-cacert``) read from ``<credentials_dir>/<name>/tls.crt,
  tls.key, ca.crt``;
* ``default`` / ``ROOTCA`` (ISTIO_MUTUAL) read from ``<credentials_dir>/default/``.
"""

from __future__ import annotations

from .common import DOWNSTREAM_TLS_TYPE, UPSTREAM_TLS_TYPE
from .options import EnvoyOptions

_TLS_VERSIONS = {"TLS_AUTO": "TLS_AUTO", "TLSV1_0": "TLSv1_0", "TLSV1_1": "TLSv1_1", "TLSV1_2": "TLSv1_2",
                 "TLSV1_3": "TLSv1_3"}
ISTIO_CREDENTIAL = "default"


class Secrets:
    """The static secrets a bootstrap declares, by name, in first-use order."""

    def __init__(self, options: EnvoyOptions) -> None:
        self.options = options
        self._items: dict[str, dict] = {}

    def certificate(self, name: str, cert: str, key: str) -> dict:
        self._items.setdefault(name, {"name": name, "tls_certificate": {
            "certificate_chain": {"filename": cert}, "private_key": {"filename": key}}})
        return {"name": name}

    def trusted_ca(self, name: str, ca: str) -> dict:
        self._items.setdefault(name, {"name": name, "validation_context": {"trusted_ca": {"filename": ca}}})
        return {"name": name}

    # ----- what a TLS setting refers to ----------------------------------------------------
    def file_certificate(self, cert: str, key: str) -> dict:
        return self.certificate(f"file-cert:{cert}~{key}", self.options.file_path(cert), self.options.file_path(key))

    def file_ca(self, ca: str) -> dict:
        return self.trusted_ca(f"file-root:{ca}", self.options.file_path(ca))

    def credential(self, credential: str) -> dict:
        path = self.options.credential_path
        return self.certificate(f"kubernetes://{credential}", path(credential, "tls.crt"), path(credential, "tls.key"))

    def credential_ca(self, credential: str) -> dict:
        return self.trusted_ca(f"kubernetes://{credential}-cacert", self.options.credential_path(credential, "ca.crt"))

    def system_ca(self) -> dict:
        """The system roots istio-agent serves for ``CaCertificatePath: "system"``."""
        return self.trusted_ca("file-root:system", self.options.system_ca_file)

    def istio_identity(self) -> tuple[dict, dict]:
        path = self.options.credential_path
        cert = self.certificate("default", path(ISTIO_CREDENTIAL, "tls.crt"), path(ISTIO_CREDENTIAL, "tls.key"))
        return cert, self.trusted_ca("ROOTCA", path(ISTIO_CREDENTIAL, "ca.crt"))

    def render(self) -> list[dict]:
        return list(self._items.values())


def _validation(ca_ref: dict | None, san: list[str] | None, spki=None, hashes=None) -> dict:
    default: dict = {}
    if san:
        default["match_typed_subject_alt_names"] = [
            {"san_type": "DNS", "matcher": {"exact": name}} for name in san]
    if spki:
        default["verify_certificate_spki"] = list(spki)
    if hashes:
        default["verify_certificate_hash"] = list(hashes)
    if ca_ref is None:
        return {"validation_context": default} if default else {}
    if not default:
        return {"validation_context_sds_secret_config": ca_ref}
    return {"combined_validation_context": {"default_validation_context": default,
                                            "validation_context_sds_secret_config": ca_ref}}


def _tls_params(settings) -> dict:
    params: dict = {}
    low = getattr(settings, "min_protocol_version", None)
    high = getattr(settings, "max_protocol_version", None)
    if low and low.upper() in _TLS_VERSIONS:
        params["tls_minimum_protocol_version"] = _TLS_VERSIONS[low.upper()]
    if high and high.upper() in _TLS_VERSIONS:
        params["tls_maximum_protocol_version"] = _TLS_VERSIONS[high.upper()]
    if getattr(settings, "cipher_suites", None):
        params["cipher_suites"] = list(settings.cipher_suites)
    return params


def downstream_tls(secrets: Secrets, tls, http: bool) -> dict:
    """The transport socket of a chain terminating TLS for a Gateway server (BuildListenerTLSContext)."""
    mode = tls.effective_mode
    wants_client = mode in ("MUTUAL", "OPTIONAL_MUTUAL", "ISTIO_MUTUAL")
    common: dict = {}
    if http:
        common["alpn_protocols"] = ["h2", "http/1.1"]
    params = _tls_params(tls)
    if params:
        common["tls_params"] = params
    ca_ref = None
    if mode == "ISTIO_MUTUAL":
        cert, ca_ref = secrets.istio_identity()
        certs = [cert]
    elif tls.credential_name or tls.credential_names:
        names = [tls.credential_name] if tls.credential_name else list(tls.credential_names or [])
        certs = [secrets.credential(n) for n in names]
        if wants_client:
            ca_ref = secrets.credential_ca(names[0])
    elif tls.tls_certificates:
        certs = [secrets.file_certificate(c.server_certificate or "", c.private_key or "")
                 for c in tls.tls_certificates]
    else:
        certs = [secrets.file_certificate(tls.server_certificate or "", tls.private_key or "")]
    if wants_client and ca_ref is None and tls.ca_certificates:
        ca_ref = secrets.file_ca(tls.ca_certificates)
    common["tls_certificate_sds_secret_configs"] = certs
    if wants_client:
        common.update(_validation(ca_ref, tls.subject_alt_names, tls.verify_certificate_spki,
                                  tls.verify_certificate_hash))
    context = {"@type": DOWNSTREAM_TLS_TYPE,
               "require_client_certificate": mode in ("MUTUAL", "ISTIO_MUTUAL"),
               "common_tls_context": common}
    return {"name": "envoy.transport_sockets.tls", "typed_config": context}


def upstream_tls(secrets: Secrets, tls, http2: bool = False) -> dict:
    """The transport socket of a cluster originating TLS (``buildUpstreamClusterTLSContext``): the plan's
    :class:`~meshdesigner.compile.destinations.UpstreamTls` with its defaults already decided."""
    settings = tls.settings
    common: dict = {}
    context: dict = {"@type": UPSTREAM_TLS_TYPE}
    if tls.mode == "ISTIO_MUTUAL":
        cert, ca_ref = secrets.istio_identity()
        common["tls_certificate_sds_secret_configs"] = [cert]
        common["alpn_protocols"] = ["istio-peer-exchange", "istio"]
        common.update(_validation(ca_ref, list(tls.subject_alt_names)))
    else:
        if tls.mode == "MUTUAL":
            if tls.credential_name:
                common["tls_certificate_sds_secret_configs"] = [secrets.credential(tls.credential_name)]
            elif tls.client_certificate and tls.private_key:
                common["tls_certificate_sds_secret_configs"] = [
                    secrets.file_certificate(tls.client_certificate, tls.private_key)]
        params = _tls_params(settings)
        if params:
            common["tls_params"] = params
        if tls.verify:
            if tls.ca_certificates:
                ca_ref = secrets.file_ca(tls.ca_certificates)
            elif tls.credential_name:
                ca_ref = secrets.credential_ca(tls.credential_name)
            else:
                ca_ref = secrets.system_ca()
            common.update(_validation(ca_ref, list(tls.subject_alt_names)))
        if http2:
            common["alpn_protocols"] = ["h2"]
    if tls.sni:
        context["sni"] = tls.sni
    context["common_tls_context"] = common
    return {"name": "envoy.transport_sockets.tls", "typed_config": context}
