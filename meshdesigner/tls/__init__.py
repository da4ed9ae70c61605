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

Creating certificates (what ``meshdesigner cert create`` does; the GUI should do the same)::

    from meshdesigner.tls import create_ca, create_server_cert, create_client_cert, write_pair
    ca = create_ca()
    server = create_server_cert(ca, hosts)           # SANs = the gateway server's hosts (ns/ parts dropped)
    write_pair(server, folder)                      # folder/tls.crt, folder/tls.key (mode 0600)
    write_pair(ca, folder, name="ca")               # folder/ca.crt, folder/ca.key
    # then point the server at them: serverCertificate/privateKey (paths), or credentialName NAME with
    # folder = <project folder>/credentials/NAME

Only paths go into the project: never put key material into a node or a project file.

Where the analysis looks for files (relative paths, ``credentials/<credentialName>/``): the base directory
set with :func:`certificate_location` / :func:`set_certificate_location` (the GUI sets the project file's
folder when it opens or saves a project), else the current directory. See :mod:`.sources`.
"""

from .generate import KeyPair, create_ca, create_client_cert, create_server_cert, write_pair
from .inspect import (
    CertificateError,
    CertificateSummary,
    PassphraseRequired,
    load_certificate_file,
    load_private_key_file,
    summarize,
    summarize_certificate,
)
from .sources import certificate_location, current_location, set_certificate_location

__all__ = [
    "CertificateError", "CertificateSummary", "KeyPair", "PassphraseRequired", "certificate_location",
    "create_ca", "create_client_cert", "create_server_cert", "current_location", "load_certificate_file",
    "load_private_key_file", "set_certificate_location", "summarize", "summarize_certificate", "write_pair",
]
