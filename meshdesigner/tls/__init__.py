"""TLS certificates: inspect, check against a gateway's hosts, generate for local trials. Qt-free.

For the GUI (a summary next to the TLS pickers, "create certificates" in a gateway's TLS properties)::

    from meshdesigner.tls import summarize, CertificateError, PassphraseRequired

    try:
        summary = summarize(path)          # the leaf (first) certificate of a PEM/DER file
        label.setText(summary.text)        # "CN=a.example.com · a.example.com, *.b.example.com ·
                                           #  valid until 2027-02-24 (89 days) · RSA 2048 · sha256WithRSAEncryption"
        tooltip = "\\n".join(summary.lines())
    except CertificateError as exc:        # unreadable / not a certificate; str(exc) names the file
        label.setText(str(exc))

``CertificateSummary`` fields: ``subject``, ``sans`` (tuple of DNS names and IPs), ``issuer``,
``not_before``/``not_after`` (aware UTC datetimes), ``key_type`` (``RSA``, ``EC secp256r1``...), ``key_size``,
``signature_algorithm``, ``fingerprint_sha256`` (``AB:CD:...``), ``is_ca``, ``self_signed``, ``chain_length``;
properties ``expired``, ``not_yet_valid``, ``days_left``, ``status``, ``text`` (one line), ``lines()``.

Private keys: ``load_private_key_file(path, passphrase=None)`` raises :class:`PassphraseRequired` for an
encrypted key without a passphrase (ask the user, then retry), :class:`CertificateError` for a wrong one.

"Create certificates" in a gateway's TLS properties -- the same call ``meshdesigner cert create`` makes::

    from meshdesigner.tls import create_credential, CredentialError
    try:
        created = create_credential(folder, server.hosts, ca_dir=None, days=90, clients=("alice",),
                                    passphrase=None, overwrite=False)
    except CredentialError as exc:     # no nameable host ('*' only), files in the way, unusable CA folder
        show_error(str(exc))
    # created.written: every path (".key" files are private, mode 0600); created.server.cert; created.new_ca
    # Then point the server at them: credentialName NAME with folder = <project folder>/credentials/NAME
    # (found by the checks, export --with-secrets, export --envoy --credentials), or serverCertificate /
    # privateKey = folder/tls.crt, folder/tls.key. ns/ parts and '*' are dropped from the names
    # (certificate_hosts(hosts) shows which names the certificate will list).

Lower level: ``create_ca``, ``create_server_cert``, ``create_client_cert``, ``write_pair`` (mode 0600 keys).

Only paths go into the project: never put key material into a node or a project file.

Where the analysis looks for files (relative paths, ``credentials/<credentialName>/``): the base directory
set with :func:`certificate_location` / :func:`set_certificate_location` (the GUI sets the project file's
folder when it opens or saves a project), else the current directory. See :mod:`.sources`.
"""

from importlib import import_module
from typing import Any

# Where each public name lives. Imported on first use (PEP 562): the submodules load cryptography (about
# 0.1 s), and the editor imports ``tls.sources`` at start-up, before any certificate is looked at.
_WHERE = {
    "CreatedCredential": "credentials", "CredentialError": "credentials", "certificate_hosts": "credentials",
    "create_credential": "credentials",
    "KeyPair": "generate", "create_ca": "generate", "create_client_cert": "generate",
    "create_server_cert": "generate", "write_pair": "generate",
    "CertificateError": "inspect", "CertificateSummary": "inspect", "PassphraseRequired": "inspect",
    "load_certificate_file": "inspect", "load_private_key_file": "inspect", "summarize": "inspect",
    "summarize_certificate": "inspect",
    "certificate_location": "sources", "current_location": "sources", "set_certificate_location": "sources",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = sorted(_WHERE)
