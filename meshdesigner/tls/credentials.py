"""Create a credential folder for local trials: what ``meshdesigner cert create`` and the GUI's
"create certificates" (a gateway's TLS properties) both do, so the two cannot drift apart.

The folder holds ``tls.crt`` + ``tls.key`` (a server certificate for the hosts), ``ca.crt`` (the CA that
signed it) and, for a new CA without a separate CA folder, ``ca.key``; client certificates ``NAME.crt`` +
``NAME.key`` on request. That is the layout of ``credentials/<credentialName>/`` the checks, the Envoy export
(``--credentials``) and ``export --with-secrets`` read. Key files are created with mode 0600.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .checks import key_matches, normalize_host
from .generate import (
    KeyPair,
    create_ca,
    create_client_cert,
    create_server_cert,
    make_private_folder,
    pair_from,
    write_pair,
    write_public_file,
)
from .inspect import load_certificate_file, load_private_key_file

RESERVED_NAMES = ("tls", "ca")
# X.509 validity ends in 9999 at the latest: 100 years is plenty for a local trial.
MAX_DAYS = 36_500
# A certificate host: a DNS name, possibly with a leading "*." (RFC 6125), letters in any case.
_HOST = re.compile(r"(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class CredentialError(ValueError):
    """A request that cannot be carried out (bad hosts or names, files in the way, an unusable CA)."""


@dataclass(frozen=True)
class CreatedCredential:
    """What :func:`create_credential` wrote: every path (``.key`` files are private), the server pair."""

    folder: str
    written: tuple[str, ...]
    server: KeyPair
    ca: KeyPair
    new_ca: bool
    clients: tuple[str, ...] = field(default=())

    @property
    def ca_cert_path(self) -> str:
        return os.path.join(self.folder, "ca.crt")


def certificate_hosts(hosts: Iterable[str]) -> list[str]:
    """The names a certificate for a Gateway server should list: ``ns/`` parts dropped, ``*`` left out
    (no certificate can name every host), duplicates removed, order kept."""
    names = (normalize_host(h.strip()) for h in hosts)
    return list(dict.fromkeys(n for n in names if n and n != "*"))


def load_ca(directory: str, passphrase: bytes | str | None = None) -> KeyPair:
    """The CA in ``directory/ca.crt`` + ``ca.key``; :class:`CredentialError` when unusable."""
    try:
        cert = load_certificate_file(os.path.join(directory, "ca.crt"))[0]
        key = load_private_key_file(os.path.join(directory, "ca.key"), passphrase)
    except ValueError as exc:  # CertificateError, PassphraseRequired
        raise CredentialError(f"CA folder {directory}: {exc}") from None
    if not key_matches(cert, key):
        raise CredentialError(f"CA folder {directory}: ca.key is not the key of ca.crt")
    return pair_from(cert, key)


def create_credential(folder: str, hosts: Sequence[str], *, ca_dir: str | None = None, days: int = 90,
                      clients: Sequence[str] = (), passphrase: bytes | str | None = None,
                      overwrite: bool = False) -> CreatedCredential:
    """Write a credential folder for ``hosts`` (see the module docstring).

    ``ca_dir``: sign with the CA there (``ca.crt`` + ``ca.key``), or create one there if it holds none;
    without it a new CA is written into ``folder``. ``passphrase`` encrypts every key written (and decrypts
    an encrypted CA key). Refuses to replace an existing ``tls.crt``/``tls.key`` unless ``overwrite``.
    """
    names = certificate_hosts(hosts)
    if not names:
        raise CredentialError("no host a certificate can name (list host names; '*' cannot be one)")
    if not 0 < days <= MAX_DAYS:
        raise CredentialError(f"the validity must be at least one day and at most {MAX_DAYS:,} days")
    for host in names:
        if not _HOST.fullmatch(host) and not _is_ip(host):
            raise CredentialError(f"host {host!r} is not a DNS name or an IP address")
    for name in clients:
        if not name or name in RESERVED_NAMES or "/" in name or name.startswith("."):
            raise CredentialError(f"client name {name!r}: use a plain file name other than "
                                  f"{', '.join(RESERVED_NAMES)}")
    existing = [p for p in (os.path.join(folder, "tls.crt"), os.path.join(folder, "tls.key")) if os.path.exists(p)]
    existing += [p for n in clients for p in (os.path.join(folder, f"{n}.crt"), os.path.join(folder, f"{n}.key"))
                 if os.path.exists(p)]
    if existing and not overwrite:
        raise CredentialError(f"{existing[0]} exists (replace it explicitly)")
    home = ca_dir or folder
    new_ca = not os.path.exists(os.path.join(home, "ca.crt"))
    ca = create_ca(days=max(365, days)) if new_ca else load_ca(home, passphrase)
    try:
        server = create_server_cert(ca, names, days=days)
    except ValueError as exc:
        raise CredentialError(str(exc)) from None
    written: list[str] = []
    if new_ca:  # keep the CA and its key, to sign more later (ca_dir=...)
        written += write_pair(ca, home, name="ca", passphrase=passphrase, overwrite=overwrite)
    if os.path.abspath(home) != os.path.abspath(folder):  # folder/ca.crt, as in a credential folder
        make_private_folder(folder)
        ca_copy = os.path.join(folder, "ca.crt")
        write_public_file(ca_copy, ca.cert_pem)
        written.append(ca_copy)
    written += write_pair(server, folder, passphrase=passphrase, overwrite=overwrite)
    for name in clients:
        written += write_pair(create_client_cert(ca, name, days=days), folder, name=name, passphrase=passphrase,
                              overwrite=overwrite)
    return CreatedCredential(folder, tuple(written), server, ca, new_ca, tuple(clients))
