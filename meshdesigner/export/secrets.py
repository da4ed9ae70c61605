"""``kubernetes.io/tls`` Secrets for the servers that use ``credentialName`` (``export --with-secrets DIR``).

Only on request: a default export never contains key material. The Secret for credential ``NAME`` is read
from the local files ``DIR/NAME/tls.crt``, ``tls.key`` and (optional) ``ca.crt`` -- the layout
``meshdesigner cert create --out DIR/NAME`` writes -- and written to ``secrets/<namespace>.<NAME>.yaml`` in
the export folder with mode 0600. The files are not part of ``istio.yaml``: apply them on purpose
(``kubectl apply -f OUT/secrets``), and never commit them.

A Secret lives in the namespace of the gateway *workload* (Istio reads it there), which is the namespace
of the gateway's own Service when the design has one, else the Gateway's namespace.
"""

from __future__ import annotations

import base64
import os

from ..io.errors import InputError
from ..io.yamlio import dump
from ..model.gateway import TERMINATING_TLS_MODES
from ..tls.checks import key_matches
from ..tls.inspect import CertificateError, is_encrypted_key, load_certificates, load_private_key
from ..tls.sources import credential_files, credential_name_is_safe

SECRETS_FOLDER = "secrets"
WARNING_HEADER = ("# WARNING: this Secret holds a PRIVATE KEY (tls.key). Keep this file private (mode 0600),\n"
                  "# never commit it, and delete it once applied.\n")


def credential_uses(project) -> dict[tuple[str, str], list[str]]:
    """(secret namespace, credential name) -> the gateways (``ns/name``) whose TLS servers use it."""
    uses: dict[tuple[str, str], list[str]] = {}
    for node in sorted(project.gateways(), key=lambda n: n.id):
        gateway = node.gateway
        namespace = node.service.metadata.namespace if node.service is not None else gateway.namespace
        for server in gateway.spec.servers or []:
            tls = server.tls
            if tls is None or tls.effective_mode not in TERMINATING_TLS_MODES:
                continue
            for name in [tls.credential_name, *(tls.credential_names or [])]:
                if name:
                    users = uses.setdefault((namespace, name), [])
                    if gateway.metadata.qualified not in users:
                        users.append(gateway.metadata.qualified)
    return uses


def _read(path: str, name: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise InputError(f"credential {name!r}: cannot read: {exc.strerror}", file=path) from None


def secret_manifest(namespace: str, name: str, directory: str) -> str | None:
    """The Secret manifest for credential ``name`` from ``directory``, or None when it has no local files.

    Raises :class:`InputError` for files that exist but would make a broken Secret (not PEM, an encrypted
    key, a key that is not the certificate's).
    """
    if not credential_name_is_safe(name):
        raise InputError(f"credential {name!r} is not a Secret name (a DNS-1123 subdomain); --with-secrets reads "
                         "only folders inside its own folder", field="credentialName")
    files = credential_files(name, directory)
    if files.cert is None and files.key is None:
        return None
    root = os.path.realpath(directory)
    for path in (files.cert, files.key, files.ca):
        if path is not None and os.path.commonpath([root, os.path.realpath(path)]) != root:
            raise InputError(f"credential {name!r}: the file leads outside {directory} (a link?); not read",
                             file=path)
    if files.cert is None or files.key is None:
        missing = "tls.crt" if files.cert is None else "tls.key"
        raise InputError(f"credential {name!r}: {missing} is missing", file=os.path.join(files.directory, missing))
    cert_pem, key_pem = _read(files.cert, name), _read(files.key, name)
    try:
        chain = load_certificates(cert_pem, files.cert)
        if is_encrypted_key(key_pem):
            raise InputError(f"credential {name!r}: the private key is encrypted; a Secret needs it unencrypted",
                             file=files.key)
        key = load_private_key(key_pem, None, files.key)
    except CertificateError as exc:
        raise InputError(str(exc), file=files.cert) from None
    if not key_matches(chain[0], key):
        raise InputError(f"credential {name!r}: tls.key is not the key of tls.crt", file=files.key)
    data = {"tls.crt": cert_pem, "tls.key": key_pem}
    if files.ca is not None and os.path.dirname(files.ca) == files.directory:
        data["ca.crt"] = _read(files.ca, name)
    manifest = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": {"name": name, "namespace": namespace,
                     "labels": {"app.kubernetes.io/managed-by": "meshdesigner"}},
        "type": "kubernetes.io/tls",
        "data": {key: base64.b64encode(value).decode("ascii") for key, value in data.items()},
    }
    return WARNING_HEADER + dump(manifest)


def secret_files(project, directory: str) -> tuple[dict[str, str], list[str]]:
    """``secrets/<namespace>.<credential>.yaml`` texts from ``directory``, and warnings for credentials
    without local files. Raises :class:`InputError` when ``directory`` does not exist or holds broken files."""
    if not os.path.isdir(directory):
        raise InputError("--with-secrets: no such folder", file=directory)
    files: dict[str, str] = {}
    warnings: list[str] = []
    for (namespace, name), users in sorted(credential_uses(project).items()):
        text = secret_manifest(namespace, name, directory)
        if text is None:
            warnings.append(f"no Secret for credential {name} (used by {', '.join(users)}): no "
                            f"{os.path.join(directory, name, 'tls.crt')}")
            continue
        files[f"{SECRETS_FOLDER}/{namespace}.{name}.yaml"] = text
    if files:
        warnings.append(f"WARNING: {len(files)} Secret file(s) in {SECRETS_FOLDER}/ hold PRIVATE KEYS (mode 0600); "
                        "keep them private and never commit them")
    return files, warnings


def file_modes(files: dict[str, str]) -> dict[str, int]:
    return {rel: 0o600 for rel in files if rel.startswith(SECRETS_FOLDER + "/")}
