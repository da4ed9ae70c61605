"""No private key material in examples, project files, or default exports (Istio and Envoy), even when the
keys exist next to the project; key files only where the user asked, with mode 0600."""

from __future__ import annotations

import base64
import binascii
import os
import pathlib
import re
import stat

import pytest

from meshdesigner.cli import main
from meshdesigner.io.project_file import load_project, save_project
from meshdesigner.tls.generate import create_server_cert, write_pair
from meshdesigner.tls.sources import set_certificate_location

from .paths import example_files

_BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{40,}={0,2}")


@pytest.fixture(autouse=True)
def _reset_location():
    yield
    set_certificate_location(None)


def key_material(data: bytes, key_pems: list[bytes] = ()) -> str | None:
    """Why ``data`` holds private key material (PEM, base64-wrapped PEM, or a known key's body), else None."""
    if b"PRIVATE KEY" in data:
        return "a PEM private key"
    for run in _BASE64_RUN.findall(data):
        try:
            decoded = base64.b64decode(run + b"=" * (-len(run) % 4))
        except (binascii.Error, ValueError):
            continue
        if b"PRIVATE KEY" in decoded:
            return "a base64-encoded PEM private key"
    for pem in key_pems:
        body = pem.splitlines()[2]  # a full 64-character line from the middle of the key
        if body in data:
            return "the body of a private key"
    return None


def files_under(root) -> list[pathlib.Path]:
    return [pathlib.Path(folder, name) for folder, _dirs, names in os.walk(root) for name in names]


def scan(root, key_pems: list[bytes]) -> dict[str, str]:
    """Relative path -> why, for every file under ``root`` that holds key material."""
    found = {}
    for path in files_under(root):
        reason = key_material(path.read_bytes(), key_pems)
        if reason:
            found[str(path.relative_to(root))] = reason
    return found


def test_the_scanner_finds_keys(server):
    assert key_material(server.key_pem) == "a PEM private key"
    assert key_material(b"tls.key: " + base64.b64encode(server.key_pem)) == "a base64-encoded PEM private key"
    assert key_material(b"x" + server.key_pem.splitlines()[2], [server.key_pem]) == "the body of a private key"
    assert key_material(server.cert_pem + base64.b64encode(server.cert_pem), [server.key_pem]) is None


@pytest.mark.parametrize("example", example_files(), ids=lambda p: p.name)
def test_examples_and_their_exports_hold_no_key(tmp_path, example, ca):
    """The example, its saved project file, and its default exports (Istio, Envoy) -- with real keys on
    disk at every path and credential the example names, so a leak would have something to leak."""
    assert key_material(example.read_bytes()) is None
    project = load_project(str(example))
    work = tmp_path / "work"
    creds = work / "credentials"
    files_root = work / "files"
    pairs = []
    for node in project.gateways():
        for server in node.gateway.spec.servers or []:
            tls = server.tls
            if tls is None:
                continue
            hosts = [h.partition("/")[2] or h for h in server.hosts if h.partition("/")[2] != "*" and h != "*"]
            pair = create_server_cert(ca, hosts or ["localhost"])
            pairs.append(pair)
            for name in [tls.credential_name, *(tls.credential_names or [])]:
                if name:
                    write_pair(pair, creds / name)
            if tls.server_certificate and tls.private_key:
                cert_path = files_root / tls.server_certificate.lstrip("/")
                key_path = files_root / tls.private_key.lstrip("/")
                written_cert, written_key = write_pair(pair, cert_path.parent, name="x")
                os.replace(written_cert, cert_path)
                os.replace(written_key, key_path)
    key_pems = [p.key_pem for p in pairs]
    saved = work / "project.mesh.yaml"
    save_project(project, str(saved))
    assert key_material(saved.read_bytes(), key_pems) is None
    out = tmp_path / "out"
    assert main(["export", str(saved), "-o", str(out), "--force"]) == 0
    assert main(["export", str(saved), "-o", str(tmp_path / "envoy-out"), "--force", "--envoy",
                 "--credentials", str(creds), "--files-root", str(files_root)]) == 0
    assert scan(out, key_pems) == {}
    assert scan(tmp_path / "envoy-out", key_pems) == {}
    assert os.listdir(tmp_path / "envoy-out" / "envoy")   # the Envoy configs were written (and scanned)


def test_key_files_are_0600_wherever_we_write_them(tmp_path):
    """Every key file in a folder written by ``cert create`` and ``export --with-secrets``."""
    creds = tmp_path / "creds"
    assert main(["cert", "create", "--hosts", "shop.example.com", "--out", str(creds / "shop-example-com-cert"),
                 "--client", "alice"]) == 0
    out = tmp_path / "out"
    examples = {p.name: p for p in example_files()}
    assert main(["export", str(examples["public-private.mesh.yaml"]), "-o", str(out),
                 "--with-secrets", str(creds)]) == 0
    holders = [path for root in (creds, out) for path in files_under(root) if key_material(path.read_bytes())]
    assert len(holders) == 4   # tls.key, alice.key, ca.key, and the one Secret
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in holders), holders

