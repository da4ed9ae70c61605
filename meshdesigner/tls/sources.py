"""Where a Gateway server's certificates come from, as local files this machine can read.

A server names its certificate either by file paths (``serverCertificate``/``privateKey``/``caCertificates``,
or ``tlsCertificates[]``), which are paths *inside the gateway pod*, or by ``credentialName(s)``, a Secret.
MeshDesigner looks for both locally:

* relative file paths resolve against a base directory: the project file's folder when the caller knows it
  (the project object does not know its own path), else the current directory; absolute paths stay as they are;
* a credential ``NAME`` is looked up as ``<credentials dir>/NAME/tls.crt``, ``tls.key`` and ``ca.crt``
  (the Secret's keys; ``cert``/``key``/``cacert`` also work), and its CA also in ``<credentials dir>/NAME-cacert/``
  as Istio does. The default credentials dir is ``<base dir>/credentials``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

from ..model.gateway import ServerTLSSettings
from ..model.names import subdomain_problem

DEFAULT_CREDENTIALS_DIR = "credentials"
CERT_FILES, KEY_FILES, CA_FILES = ("tls.crt", "cert"), ("tls.key", "key"), ("ca.crt", "cacert")


@dataclass(frozen=True)
class Location:
    """Where relative certificate paths and credential folders are looked up."""

    base_dir: str
    credentials_dir: str


# A scoped override (``with certificate_location(...)``) and a process-wide default (set_certificate_location,
# for the GUI and one-shot commands; a plain global so analysis running in worker threads sees it too).
_SCOPED: ContextVar[tuple[str | None, str | None] | None] = ContextVar("meshdesigner_tls_location", default=None)
_DEFAULT: tuple[str | None, str | None] = (None, None)


@contextlib.contextmanager
def certificate_location(base_dir: str | None, credentials_dir: str | None = None) -> Iterator[None]:
    """Within this block the TLS checks resolve relative paths against ``base_dir`` (the project file's
    folder) and look for credentials in ``credentials_dir`` (default ``<base_dir>/credentials``)::

        with certificate_location(os.path.dirname(project_path)):
            diagnostics = analyze(project)
    """
    token = _SCOPED.set((base_dir, credentials_dir))
    try:
        yield
    finally:
        _SCOPED.reset(token)


def set_certificate_location(base_dir: str | None, credentials_dir: str | None = None) -> None:
    """The process-wide default (the GUI calls this when a project is opened or saved under a new path;
    the CLI's ``open_design`` for the project it opens). ``None`` goes back to the current directory."""
    global _DEFAULT
    _DEFAULT = (base_dir, credentials_dir)


def current_location(base_dir: str | None = None, credentials_dir: str | None = None) -> Location:
    """The effective location: explicit arguments, else the innermost :func:`certificate_location`, else
    :func:`set_certificate_location`'s, else the current directory."""
    set_base, set_credentials = _SCOPED.get() or _DEFAULT
    base = os.path.abspath(base_dir or set_base or os.getcwd())
    return Location(base, credentials_dir_for(base, credentials_dir or set_credentials))


@dataclass(frozen=True)
class CertificateSource:
    """One server certificate of a server: what the Gateway says and where it is locally.

    ``field`` is the path below ``tls`` of the field that names it (``serverCertificate``,
    ``credentialName``, ``credentialNames[1]``, ``tlsCertificates[0].serverCertificate``).
    ``cert_path``/``key_path`` are local paths (possibly missing on disk); for a credential without a local
    folder they are None.
    """

    field: str
    key_field: str
    declared: str
    credential_name: str | None
    cert_path: str | None
    key_path: str | None

    @property
    def label(self) -> str:
        return f"credentialName {self.declared!r}" if self.credential_name else f"certificate {self.declared}"


@dataclass(frozen=True)
class CredentialFiles:
    """The local files of a credential (a Secret's keys); None where absent."""

    directory: str
    cert: str | None
    key: str | None
    ca: str | None


def resolve_path(path: str, base_dir: str | None = None) -> str:
    """An absolute or ``~`` path as given; a relative one against ``base_dir`` (default: current dir)."""
    path = os.path.expanduser(path)
    if os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(base_dir or os.getcwd(), path))


def credentials_dir_for(base_dir: str | None, credentials_dir: str | None = None) -> str:
    """The folder holding ``<credentialName>/tls.crt`` etc.; ``<base_dir>/credentials`` by default."""
    return resolve_path(credentials_dir or DEFAULT_CREDENTIALS_DIR, base_dir)


def _first_existing(directory: str, names: tuple[str, ...]) -> str | None:
    for name in names:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def credential_name_is_safe(name: str) -> bool:
    """A credential is a Secret's name, a DNS-1123 subdomain: a folder name inside the credentials
    folder, never ``..``, a path or an absolute path."""
    return subdomain_problem(name) is None


def credential_files(name: str, credentials_dir: str) -> CredentialFiles:
    """The local files for credential ``name`` (the CA also from ``<name>-cacert/``, as Istio reads it)."""
    directory = os.path.join(credentials_dir, name)
    if not credential_name_is_safe(name):  # never read outside the credentials folder ("../x", "/etc/x")
        return CredentialFiles(directory, None, None, None)
    ca = _first_existing(directory, CA_FILES) or _first_existing(
        os.path.join(credentials_dir, f"{name}-cacert"), CA_FILES)
    return CredentialFiles(directory, _first_existing(directory, CERT_FILES),
                           _first_existing(directory, KEY_FILES), ca)


def certificate_sources(tls: ServerTLSSettings, base_dir: str | None,
                        credentials_dir: str) -> list[CertificateSource]:
    """Every server certificate a server's TLS settings name, in field order."""
    sources: list[CertificateSource] = []
    names = ([("credentialName", tls.credential_name)] if tls.credential_name else []) + [
        (f"credentialNames[{i}]", n) for i, n in enumerate(tls.credential_names or []) if n]
    for field, name in names:
        files = credential_files(name, credentials_dir)
        sources.append(CertificateSource(field, field, name, name, files.cert, files.key))
    if tls.server_certificate or tls.private_key:
        sources.append(_file_source("", tls.server_certificate, tls.private_key, base_dir))
    for i, entry in enumerate(tls.tls_certificates or []):
        if entry.server_certificate or entry.private_key:
            sources.append(_file_source(f"tlsCertificates[{i}].", entry.server_certificate,
                                        entry.private_key, base_dir))
    return sources


def _file_source(prefix: str, cert: str | None, key: str | None, base_dir: str | None) -> CertificateSource:
    return CertificateSource(
        field=prefix + "serverCertificate", key_field=prefix + "privateKey", declared=cert or "(none)",
        credential_name=None, cert_path=resolve_path(cert, base_dir) if cert else None,
        key_path=resolve_path(key, base_dir) if key else None)


@dataclass(frozen=True)
class CaSource:
    """The client CA of a MUTUAL server: the field naming it, and the local file (which may not exist)."""

    field: str
    path: str
    credential_name: str | None = None

    @property
    def label(self) -> str:
        return f"ca.crt of credentialName {self.credential_name!r}" if self.credential_name else self.path


def ca_source(tls: ServerTLSSettings, base_dir: str | None, credentials_dir: str) -> CaSource | None:
    """The client CA of a MUTUAL server, or None when none is named.

    ``caCertificates`` wins; with a credential the CA is the Secret's ``ca.crt`` (or ``<name>-cacert``).
    """
    if tls.ca_certificates:
        return CaSource("caCertificates", resolve_path(tls.ca_certificates, base_dir))
    name = tls.credential_name or next(iter(tls.credential_names or []), None)
    if name:
        files = credential_files(name, credentials_dir)
        field = "credentialName" if tls.credential_name else "credentialNames[0]"
        return CaSource(field, files.ca or os.path.join(files.directory, "ca.crt"), name)
    return None
