"""The certificate files an exported bootstrap reads, provided for a local run.

The bootstrap is exported with ``files_root`` and ``credentials_dir`` inside a temporary folder.
Each file it names is copied from where the design says it is (an absolute path, or
``/etc/istio/credentials/<credentialName>/...``) when this machine has it; otherwise a throwaway one
is written: one CA, and one server certificate for every host the design's gateways serve.
"""

from __future__ import annotations

import os
import shutil

from ..export.envoy.files import referenced_files
from ..export.envoy.options import DEFAULT_CREDENTIALS_DIR, EnvoyOptions
from ..tls import generate as certs


class ThrowawayCertificates:
    """One CA, a server certificate for ``hosts``, a client certificate (for MUTUAL servers)."""

    def __init__(self, hosts: list[str]) -> None:
        self.ca = certs.create_ca("MeshDesigner test CA", 2, key_type="ec")
        names = [h for h in dict.fromkeys(hosts) if h and h != "*" and "/" not in h] or ["localhost"]
        self.server = certs.create_server_cert(self.ca, names, 2, key_type="ec")
        self.client = certs.create_client_cert(self.ca, "meshdesigner-test-client", 2, key_type="ec")

    def write_client(self, directory: str) -> tuple[str, str]:
        """(certificate, key) paths of the client certificate."""
        return certs.write_pair(self.client, directory, "client")


def _original(path: str, options: EnvoyOptions) -> str:
    """Where the design says the file is: undo ``files_root`` / ``credentials_dir``."""
    root = (options.files_root or "").rstrip("/")
    if root and path.startswith(root + "/"):
        return path[len(root):]
    creds = options.credentials_dir.rstrip("/")
    if path.startswith(creds + "/"):
        return DEFAULT_CREDENTIALS_DIR + path[len(creds):]
    return path


def provide_files(bootstrap: dict, options: EnvoyOptions, throwaway: ThrowawayCertificates) -> list[str]:
    """Write every file the bootstrap reads; returns the design's paths that were replaced by throwaways."""
    replaced = []
    roles = _roles(bootstrap)
    for path in referenced_files(bootstrap):
        original = _original(path, options)
        if original == path:
            # Not under the run's folders (the system roots, say): Envoy reads it where it is. Writing a
            # throwaway there would replace a file of this machine (it once replaced the system CA bundle).
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.isfile(original):
            shutil.copyfile(original, path)
            continue
        role = roles.get(path)
        if role == "key":
            certs.write_private_file(path, certs.key_pem(throwaway.server))
        elif role == "cert":
            with open(path, "wb") as fh:
                fh.write(throwaway.server.cert_pem)
        elif role == "ca":
            with open(path, "wb") as fh:
                fh.write(throwaway.ca.cert_pem)
        else:
            continue  # not a certificate (e.g. a local JWKS): Envoy says what is missing
        replaced.append(original)
    return replaced


def _roles(bootstrap: dict) -> dict[str, str]:
    roles: dict[str, str] = {}
    for secret in bootstrap.get("static_resources", {}).get("secrets", []):
        cert = secret.get("tls_certificate")
        if cert:
            roles[cert["certificate_chain"]["filename"]] = "cert"
            roles[cert["private_key"]["filename"]] = "key"
        ctx = secret.get("validation_context")
        if ctx and "trusted_ca" in ctx:
            roles[ctx["trusted_ca"]["filename"]] = "ca"
    return roles
