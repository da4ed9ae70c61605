"""The MD06xx analysis rules on designs whose gateways point at generated certificate files."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from cryptography.hazmat.primitives import hashes

from meshdesigner.analysis import analyze
from meshdesigner.model import Project
from meshdesigner.model.gateway import Gateway
from meshdesigner.model.nodes import GatewayNode
from meshdesigner.model.project import ProjectSettings
from meshdesigner.tls.generate import create_ca, create_client_cert, create_server_cert, write_pair
from meshdesigner.tls.sources import certificate_location

NOW = dt.datetime.now(dt.UTC)


def gateway(name: str, tls: dict, hosts=("a.example.com",), selector=None, namespace="default") -> GatewayNode:
    wire = {"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
            "metadata": {"name": name, "namespace": namespace},
            "spec": {"selector": selector or {"istio": "ingressgateway"},
                     "servers": [{"port": {"number": 443, "protocol": "HTTPS", "name": "https"},
                                  "hosts": list(hosts), "tls": tls}]}}
    return GatewayNode(id=f"ingress-gateway:{namespace}/{name}", kind="ingress-gateway",
                       gateway=Gateway.from_wire(wire))


def run(tmp_path, *nodes, warning_days=30, credentials_dir=None):
    project = Project("t", settings=ProjectSettings(cert_expiry_warning_days=warning_days), nodes=nodes)
    with certificate_location(str(tmp_path), credentials_dir):
        return [d for d in analyze(project) if d.code.startswith("MD06")]


def codes(diags) -> list[str]:
    return sorted(d.code for d in diags)


def simple(cert="tls.crt", key="tls.key", **extra) -> dict:
    return {"mode": "SIMPLE", "serverCertificate": cert, "privateKey": key, **extra}


@pytest.fixture
def files(tmp_path, ca, server):
    """tmp_path holds ca.crt and tls.crt/tls.key for a.example.com, *.b.example.com, 127.0.0.1."""
    write_pair(server, tmp_path)
    (tmp_path / "ca.crt").write_bytes(ca.cert_pem)
    return tmp_path


def test_a_good_certificate_is_silent(files):
    hosts = ("a.example.com", "x.b.example.com", "127.0.0.1")
    assert run(files, gateway("gw", simple(), hosts=hosts)) == []


def test_uncovered_hosts_are_errors_on_the_host(files):
    diags = run(files, gateway("gw", simple(), hosts=("a.example.com", "b.example.com", "x.y.b.example.com")))
    assert codes(diags) == ["MD0605", "MD0605"]
    assert {d.path for d in diags} == {"spec.servers[0].hosts[1]", "spec.servers[0].hosts[2]"}
    assert all(d.severity == "error" and "*.b.example.com" in d.message for d in diags)


def test_star_host_is_info(files):
    diags = run(files, gateway("gw", simple(), hosts=("*",)))
    assert codes(diags) == ["MD0606"] and diags[0].severity == "info"


def test_relative_paths_resolve_against_the_base_dir(files, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    assert codes(run(elsewhere, gateway("gw", simple()))) == ["MD0601", "MD0603"]
    absolute = simple(str(files / "tls.crt"), str(files / "tls.key"))
    assert run(elsewhere, gateway("gw", absolute)) == []


def test_unreadable_file_is_a_warning_and_checks_are_skipped(tmp_path):
    diags = run(tmp_path, gateway("gw", simple("/etc/certs/nope.pem", "/etc/certs/nope.key")))
    assert [(d.code, d.severity) for d in sorted(diags, key=lambda d: d.code)] == [
        ("MD0601", "warning"), ("MD0603", "info")]
    assert "/etc/certs/nope.pem" in diags[0].message or "/etc/certs/nope.pem" in diags[1].message


def test_mismatched_key(files, ca):
    write_pair(create_server_cert(ca, ["a.example.com"]), files, name="other")
    diags = run(files, gateway("gw", simple(key="other.key")))
    assert codes(diags) == ["MD0607"]
    assert diags[0].path == "spec.servers[0].tls.privateKey" and diags[0].severity == "error"


def test_unreadable_key_skips_the_key_check(files):
    diags = run(files, gateway("gw", simple(key="missing.key")))
    assert codes(diags) == ["MD0601", "MD0603"]


def test_encrypted_key_is_reported(files, server):
    write_pair(server, files, name="locked", passphrase="pw")
    assert codes(run(files, gateway("gw", simple(key="locked.key")))) == ["MD0603", "MD0608"]


def test_a_remembered_passphrase_unlocks_the_key_check(files, server, ca):
    from meshdesigner.tls import passphrases

    write_pair(server, files, name="locked", passphrase="pw")
    other = create_server_cert(ca, ["a.example.com"])
    write_pair(other, files, name="other", passphrase="pw2")
    try:
        passphrases.remember(str(files / "locked.key"), "pw")
        # unlocked: the key is checked (it matches), and still flagged as encrypted for the gateway
        assert codes(run(files, gateway("gw", simple(key="locked.key")))) == ["MD0608"]
        passphrases.remember(str(files / "other.key"), "pw2")
        assert codes(run(files, gateway("gw", simple(key="other.key")))) == ["MD0607", "MD0608"]
        passphrases.remember(str(files / "other.key"), "wrong")
        assert codes(run(files, gateway("gw", simple(key="other.key")))) == ["MD0603", "MD0608"]
    finally:
        passphrases.forget_all()


def test_garbage_files_are_errors(files):
    (files / "junk.pem").write_text("hello\n")
    assert codes(run(files, gateway("gw", simple(cert="junk.pem")))) == ["MD0604"]
    assert codes(run(files, gateway("gw", simple(key="tls.crt")))) == ["MD0604"]


@pytest.mark.parametrize(("window", "code"), [
    ((NOW - dt.timedelta(days=100), NOW - dt.timedelta(days=1)), "MD0609"),   # expired
    ((NOW + dt.timedelta(days=2), NOW + dt.timedelta(days=90)), "MD0610"),    # not yet valid
    ((NOW - dt.timedelta(days=1), NOW + dt.timedelta(days=10)), "MD0611"),    # expires within 30 days
])
def test_validity(tmp_path, ca, window, code):
    pair = create_server_cert(ca, ["a.example.com"], not_before=window[0], not_after=window[1])
    write_pair(pair, tmp_path)
    assert codes(run(tmp_path, gateway("gw", simple()))) == [code]


def test_expiry_warning_days_come_from_the_project(tmp_path, ca):
    write_pair(create_server_cert(ca, ["a.example.com"], days=10), tmp_path)
    assert codes(run(tmp_path, gateway("gw", simple()), warning_days=30)) == ["MD0611"]
    assert run(tmp_path, gateway("gw", simple()), warning_days=7) == []


def test_weak_key_and_sha1(tmp_path, ca):
    write_pair(create_server_cert(ca, ["a.example.com"], key_size=1024), tmp_path, name="weak")
    write_pair(create_server_cert(ca, ["a.example.com"], hash_algorithm=hashes.SHA1()), tmp_path, name="sha1")
    weak = run(tmp_path, gateway("gw", simple("weak.crt", "weak.key")))
    assert codes(weak) == ["MD0614"] and "1024" in weak[0].message
    sha1 = run(tmp_path, gateway("gw", simple("sha1.crt", "sha1.key")))
    assert codes(sha1) == ["MD0615"] and "SHA1" in sha1[0].message


def test_client_certificate_as_server_certificate(tmp_path, ca):
    write_pair(create_client_cert(ca, "alice"), tmp_path)
    diags = run(tmp_path, gateway("gw", simple(), hosts=("alice.example.com",)))
    assert "MD0617" in codes(diags)


def test_chain_order(tmp_path, ca):
    intermediate = create_ca("Intermediate", issuer=ca)
    leaf = create_server_cert(intermediate, ["a.example.com"])
    (tmp_path / "good.crt").write_bytes(leaf.cert_pem + intermediate.cert_pem + ca.cert_pem)
    (tmp_path / "bad.crt").write_bytes(leaf.cert_pem + ca.cert_pem + intermediate.cert_pem)
    write_pair(leaf, tmp_path)
    assert run(tmp_path, gateway("gw", simple("good.crt"))) == []
    assert codes(run(tmp_path, gateway("gw", simple("bad.crt")))) == ["MD0612", "MD0612"]


def mutual(ca_file="ca.crt", **extra) -> dict:
    return {"mode": "MUTUAL", "serverCertificate": "tls.crt", "privateKey": "tls.key",
            "caCertificates": ca_file, **extra}


def test_mutual_chain_leads_to_the_ca(files, other_ca):
    assert run(files, gateway("gw", mutual())) == []
    (files / "other-ca.crt").write_bytes(other_ca.cert_pem)
    diags = run(files, gateway("gw", mutual("other-ca.crt")))          # an untrusted chain
    assert codes(diags) == ["MD0613"] and "Some other CA" in diags[0].message


def test_mutual_ca_file_problems(files, server):
    assert codes(run(files, gateway("gw", mutual("missing-ca.crt")))) == ["MD0601", "MD0603"]
    diags = run(files, gateway("gw", mutual("tls.crt")))               # the server cert given as CA
    assert "MD0616" in codes(diags)


def test_credential_from_the_credentials_folder(tmp_path, ca, server):
    folder = tmp_path / "credentials" / "my-cred"
    write_pair(server, folder)
    (folder / "ca.crt").write_bytes(ca.cert_pem)
    node = gateway("gw", {"mode": "MUTUAL", "credentialName": "my-cred"})
    assert run(tmp_path, node) == []
    diags = run(tmp_path, gateway("gw", {"mode": "SIMPLE", "credentialName": "my-cred"}, hosts=("c.example.com",)))
    assert codes(diags) == ["MD0605"] and diags[0].path == "spec.servers[0].hosts[0]"
    # another credentials folder, given explicitly
    assert run(tmp_path / "credentials", node, credentials_dir=str(tmp_path / "credentials")) == []


def test_credential_without_local_copy(tmp_path):
    diags = run(tmp_path, gateway("gw", {"mode": "MUTUAL", "credentialName": "nowhere"}))
    # one warning for the credential; the certificate checks and the client CA checks say they were skipped
    assert sorted((d.code, d.severity) for d in diags) == [
        ("MD0602", "info"), ("MD0603", "info"), ("MD0603", "info")]
    assert any("credentials" + os.sep + "nowhere" in d.message for d in diags)


def test_passthrough_and_istio_mutual_are_not_checked(tmp_path):
    passthrough = gateway("gw", {"mode": "PASSTHROUGH"})
    istio = gateway("gw2", {"mode": "ISTIO_MUTUAL"})
    assert run(tmp_path, passthrough, istio) == []


def test_duplicate_certificate_on_overlapping_gateways(tmp_path):
    cred = {"mode": "SIMPLE", "credentialName": "shared"}
    one = gateway("one", cred, selector={"istio": "ingressgateway"})
    two = gateway("two", cred, selector={"istio": "ingressgateway"}, hosts=("b.example.com",))
    apart = gateway("apart", cred, selector={"istio": "private"}, hosts=("c.example.com",))
    diags = [d for d in run(tmp_path, one, two, apart) if d.code == "MD0618"]
    assert sorted(d.resource.name for d in diags) == ["one", "two"]
    assert all(d.istio_code == "IST0138" and "default/one, default/two" in d.message for d in diags)
    files = simple("/p/tls.crt", "/p/tls.key")
    same_files = [d for d in run(tmp_path, gateway("f1", files), gateway("f2", files)) if d.code == "MD0618"]
    assert len(same_files) == 2
    different_key = [d for d in run(tmp_path, gateway("f1", files),
                                    gateway("f2", simple("/p/tls.crt", "/p/other.key"))) if d.code == "MD0618"]
    assert different_key == []


def test_location_precedence(tmp_path):
    import threading

    from meshdesigner.tls.sources import Location, current_location, set_certificate_location

    assert current_location().base_dir == os.getcwd()
    set_certificate_location(str(tmp_path))
    try:
        assert current_location().credentials_dir == str(tmp_path / "credentials")
        seen = []
        worker = threading.Thread(target=lambda: seen.append(current_location().base_dir))
        worker.start()
        worker.join(10)
        assert seen == [str(tmp_path)]            # analysis in a worker thread sees the project's folder
        with certificate_location(str(tmp_path / "inner"), "/creds"):
            assert current_location() == Location(str(tmp_path / "inner"), "/creds")
        assert current_location("/explicit").base_dir == "/explicit"
    finally:
        set_certificate_location(None)
    assert current_location().base_dir == os.getcwd()


def test_a_certificate_without_sans_covers_nothing(tmp_path, ca):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    from meshdesigner.tls.generate import pair_from

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "a.example.com")]))
            .issuer_name(ca.cert.subject).public_key(key.public_key()).serial_number(1)
            .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=90))
            .sign(ca.key, hashes.SHA256()))
    write_pair(pair_from(cert, key), tmp_path)
    diags = run(tmp_path, gateway("gw", simple()))
    assert codes(diags) == ["MD0605"]                 # the CN alone does not count, as in browsers
    assert "no subjectAltName" in diags[0].message


def test_an_expired_client_ca_is_reported(files):
    from meshdesigner.tls.generate import create_ca as make_ca

    old = make_ca("Old CA", not_before=NOW - dt.timedelta(days=400), not_after=NOW - dt.timedelta(days=35))
    (files / "old-ca.crt").write_bytes(old.cert_pem)
    diags = run(files, gateway("gw", mutual("old-ca.crt")))
    assert codes(diags) == ["MD0609", "MD0613"]      # expired, and the server chain does not lead to it
    assert "CA certificate 1" in next(d for d in diags if d.code == "MD0609").message
