"""Issue 15, "Tracebacks": the findings no other test of tests/hostile showed on its own (audit of #15).

Each input once ended in a traceback (or could): a list where a namespace belongs, NUL bytes in certificate
paths (validate crashed in os.stat), and a date-like value in a verbatim resource on its way through the
recovery journal (once: "cannot write date to a project file", then the journal was deleted)."""

from __future__ import annotations

import pytest

from meshdesigner.io.importer import import_manifests
from meshdesigner.io.project_file import load_project

from .clirun import run_cli

LIST_NAMESPACE = """\
apiVersion: {api}
kind: {kind}
metadata:
  name: web
  namespace: [x]
spec: {{}}
"""

NUL_PATHS = """\
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [a.example.com]
    tls: {mode: SIMPLE, serverCertificate: "/tmp/a\\0b.pem", privateKey: "/tmp/k\\0.pem", caCertificates: "\\0"}
"""

DATES = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: cfg, namespace: shop}
data: {release: 2024-01-01, quoted: "2024-01-01", at: 2024-01-01T10:00:00Z, t: "12:30:00"}
"""


@pytest.mark.parametrize(("api", "kind"), [("v1", "ConfigMap"), ("apps/v1", "Deployment"), ("v1", "Service")])
def test_a_list_where_a_namespace_belongs_exits_2_naming_file_line_and_field(tmp_path, api, kind):
    """Kept-verbatim kinds (ConfigMap, Deployment) once ended in a traceback (exit 1) here."""
    path = tmp_path / "obj.yaml"
    path.write_text(LIST_NAMESPACE.format(api=api, kind=kind))
    for args in (["validate", str(path)], ["import", str(path), "-o", str(tmp_path / "o.mesh.yaml")]):
        outcome = run_cli(*args)
        assert (outcome.code, outcome.crash) == (2, None), outcome.err
        assert outcome.err.count("\n") == 1
        assert f"{path}:5" in outcome.err and "metadata.namespace" in outcome.err
    assert not (tmp_path / "o.mesh.yaml").exists()


def test_nul_bytes_in_certificate_paths_are_reported_not_raised(tmp_path):
    manifest = tmp_path / "gw.yaml"
    manifest.write_text(NUL_PATHS)
    project = tmp_path / "gw.mesh.yaml"
    outcome = run_cli("validate", str(manifest))
    assert (outcome.crash, outcome.code) == (None, 0), outcome.crash
    assert "NUL byte" in outcome.out
    assert run_cli("import", str(manifest), "-o", str(project)).code == 0
    for args in (["validate", str(project)],
                 ["export", str(project), "-o", str(tmp_path / "istio"), "--force"],
                 ["export", str(project), "-o", str(tmp_path / "envoy"), "--envoy", "--force",
                  "--files-root", str(tmp_path)]):
        outcome = run_cli(*args)
        assert outcome.crash is None, (args, outcome.crash)
        assert outcome.code in (0, 1, 2), (args, outcome.code)


def test_date_like_values_survive_the_recovery_journal(tmp_path):
    from meshdesigner.gui.recovery import Journal, orphans

    manifest = tmp_path / "cfg.yaml"
    manifest.write_text(DATES)
    project = import_manifests([str(manifest)]).project
    data = project.extra_resources[0]["data"]
    assert data == {"release": "2024-01-01", "quoted": "2024-01-01", "at": "2024-01-01T10:00:00Z", "t": "12:30:00"}
    base = tmp_path / "recovery"
    journal = Journal(str(base))
    journal.record(project.copy(), str(manifest))
    assert journal.wait_written() and journal.error is None
    assert orphans(str(base)) == []  # the window is alive: nothing is offered
    journal.close()  # its process gone (the lock dropped), the journal kept
    (orphan,) = orphans(str(base))
    assert load_project(orphan.design_file).extra_resources[0]["data"] == data
    orphan.release()
