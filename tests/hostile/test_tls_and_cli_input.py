"""Issue 15, certificates and command-line values: keys never replaced without asking, modes whatever the
umask, --with-secrets reads only inside its folder, and bad values end in one line with exit 2."""

from __future__ import annotations

import os
import stat

import pytest

from meshdesigner.tls.generate import create_ca, write_pair

from .clirun import run_cli

GATEWAY_WITH_CREDENTIAL = """apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw, namespace: shop}}
spec:
  selector: {{istio: ingressgateway}}
  servers:
  - port: {{number: 443, name: https, protocol: HTTPS}}
    hosts: [shop.example.com]
    tls: {{mode: SIMPLE, credentialName: {credential}}}
"""


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def open_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def test_certificates_0644_keys_0600_folders_0700_under_umask_000(tmp_path, open_umask):
    out = tmp_path / "creds" / "shop"
    outcome = run_cli("cert", "create", "--hosts", "shop.example.com", "--out", str(out))
    assert (outcome.code, outcome.crash) == (0, None), outcome.err
    assert _mode(tmp_path / "creds") == 0o700 and _mode(out) == 0o700
    assert _mode(out / "tls.crt") == 0o644 and _mode(out / "ca.crt") == 0o644
    assert _mode(out / "tls.key") == 0o600 and _mode(out / "ca.key") == 0o600


def test_certificates_are_0644_under_umask_077(tmp_path):
    old = os.umask(0o077)
    try:
        write_pair(create_ca(), tmp_path / "c", name="ca")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "c" / "ca.crt") == 0o644


def test_a_key_is_never_replaced_without_asking(tmp_path):
    folder = tmp_path / "c"
    write_pair(create_ca(), folder, name="ca")
    before = (folder / "ca.key").read_bytes()
    with pytest.raises(FileExistsError):
        write_pair(create_ca(), folder, name="ca")
    assert (folder / "ca.key").read_bytes() == before
    out = tmp_path / "shop"
    assert run_cli("cert", "create", "--hosts", "a.example.com", "--out", str(out)).code == 0
    key = (out / "tls.key").read_bytes()
    outcome = run_cli("cert", "create", "--hosts", "a.example.com", "--out", str(out))
    assert (outcome.code, outcome.crash) == (2, None) and "--force" in outcome.err
    assert (out / "tls.key").read_bytes() == key
    assert run_cli("cert", "create", "--hosts", "a.example.com", "--out", str(out), "--force").code == 0
    assert (out / "tls.key").read_bytes() != key


@pytest.mark.parametrize(("args", "says"), [
    (["cert", "create", "--hosts", "a.example.com", "--days", "10000000"], "days"),
    (["cert", "create", "--hosts", "a b", "--days", "10"], "'a b'"),
    (["cert", "create", "--hosts", "a.exam\nple.com"], "not a DNS name"),
    (["cert", "create", "--hosts", "a\x00b.example.com"], "not a DNS name"),
])
def test_bad_certificate_requests_exit_2_in_one_line(tmp_path, args, says):
    outcome = run_cli(*args, "--out", str(tmp_path / "c"))
    assert (outcome.code, outcome.crash) == (2, None)
    assert says in outcome.err and outcome.err.count("\n") == 1
    assert not (tmp_path / "c" / "tls.key").exists()


@pytest.mark.parametrize(("option", "value", "says"), [
    ("--listen-address", "notanip", "not an IP address"),
    ("--port-map", "443:18443,443:18444", "mapped twice"),
    ("--port-map", "443:18443,80:18443", "already used"),
])
def test_bad_envoy_trial_options_exit_2(tmp_path, option, value, says):
    design = tmp_path / "gw.yaml"
    design.write_text(GATEWAY_WITH_CREDENTIAL.format(credential="shop-cert"))
    outcome = run_cli("export", str(design), "-o", str(tmp_path / "out"), "--envoy", "--force", option, value)
    assert (outcome.code, outcome.crash) == (2, None)
    assert says in outcome.err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


@pytest.mark.parametrize("credential", ["../elsewhere/x", "/tmp/elsewhere/x", '"../../x"'])
def test_with_secrets_reads_only_inside_its_folder(tmp_path, credential):
    secret_dir = tmp_path / "elsewhere" / "x"
    assert run_cli("cert", "create", "--hosts", "shop.example.com", "--out", str(secret_dir)).code == 0
    if credential.startswith("/tmp/elsewhere"):
        credential = str(secret_dir)
    creds = tmp_path / "creds"
    creds.mkdir()
    design = tmp_path / "gw.yaml"
    design.write_text(GATEWAY_WITH_CREDENTIAL.format(credential=credential))
    out = tmp_path / "out"
    outcome = run_cli("export", str(design), "-o", str(out), "--force", "--with-secrets", str(creds))
    assert outcome.crash is None and outcome.code == 2, outcome.err
    assert not out.exists() or not list(out.rglob("*.yaml"))


def test_with_secrets_does_not_follow_a_link_out_of_its_folder(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    assert run_cli("cert", "create", "--hosts", "shop.example.com", "--out", str(elsewhere)).code == 0
    creds = tmp_path / "creds"
    creds.mkdir()
    os.symlink(elsewhere, creds / "shop-cert")
    design = tmp_path / "gw.yaml"
    design.write_text(GATEWAY_WITH_CREDENTIAL.format(credential="shop-cert"))
    outcome = run_cli("export", str(design), "-o", str(tmp_path / "out"), "--force", "--with-secrets", str(creds))
    assert (outcome.crash, outcome.code) == (None, 2)
    assert "outside" in outcome.err


TLS_SECRET = """apiVersion: v1
kind: Secret
metadata:
  name: shop-cert
  namespace: shop
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"data": {"tls.key": "UFJJVkFURSBLRVk="}}'
type: kubernetes.io/tls
data:
  tls.crt: Q0VSVElGSUNBVEU=
  tls.key: UFJJVkFURSBLRVk=
"""


def test_an_imported_secret_never_enters_the_project_or_a_default_export(tmp_path):
    manifests = tmp_path / "in.yaml"
    manifests.write_text(GATEWAY_WITH_CREDENTIAL.format(credential="shop-cert") + "---\n" + TLS_SECRET)
    project = tmp_path / "p.mesh.yaml"
    outcome = run_cli("import", str(manifests), "-o", str(project))
    assert (outcome.code, outcome.crash) == (0, None), outcome.err
    assert "Secret shop/shop-cert" in outcome.err and "tls.key" in outcome.err  # the warning names it
    assert "UFJJVkFURSBLRVk" not in project.read_text()
    for source in (project, manifests):
        out = tmp_path / f"out-{source.name}"
        outcome = run_cli("export", str(source), "-o", str(out), "--force")
        assert outcome.crash is None and outcome.code == 0, outcome.err
        for path in out.rglob("*"):
            if path.is_file():
                assert "UFJJVkFURSBLRVk" not in path.read_text(), path


def test_secrets_left_in_an_old_project_file_are_not_saved_again_nor_exported(tmp_path):
    from meshdesigner.io.manifests import is_secret
    from meshdesigner.io.project_file import load_project, save_project

    old = tmp_path / "old.mesh.yaml"
    old.write_text("format_version: 1\nname: old\nnodes: []\nextra_resources:\n- apiVersion: v1\n  kind: Secret\n"
                   "  metadata: {name: s, namespace: shop}\n  data: {tls.key: UFJJVkFURSBLRVk=}\n")
    project = load_project(str(old))
    assert any(is_secret(o) for o in project.extra_resources)
    save_project(project, str(tmp_path / "new.mesh.yaml"))
    assert "UFJJVkFURSBLRVk" not in (tmp_path / "new.mesh.yaml").read_text()
    assert run_cli("export", str(old), "-o", str(tmp_path / "out")).code == 0
    assert "UFJJVkFURSBLRVk" not in (tmp_path / "out" / "istio.yaml").read_text()
