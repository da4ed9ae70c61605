"""Diagnostics that help (issue 14): each finding explains its fix (the catalogue text docs/diagnostics.md
shows), opens the field it names, and offers a quick fix where one is safe; each fix is one undo step and
makes the finding go away. Expected fixes are written by hand from Istio's semantics."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import docs_image  # noqa: E402
from meshdesigner.analysis import analyze
from meshdesigner.gui.quickfix import quick_fix

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from analysis.builders import design, dr, gw, se, server, svc, vs  # noqa: E402
from analysis.test_egress_checks import (  # noqa: E402
    EGRESS_SELECTOR,
    HTTP_GW,
    INGRESS,
    OK_PASSTHROUGH,
    PASSTHROUGH_GW,
    VIA_EGRESS_NO_MESH,
    api_se,
    egress_gw,
    egress_service,
    passthrough_vs,
)

pytestmark = pytest.mark.gui

SUBSET_ROUTE = [{"route": [{"destination": {"host": "reviews", "subset": "v3"}}]}]
CASES = {
    "MD0404": [gw(server(80, "HTTP")), vs(http=SUBSET_ROUTE), svc(), dr()],
    "MD0405": [gw(server(80, "HTTP")), vs(http=SUBSET_ROUTE), svc()],
    "MD0410": [gw(server(80, "HTTP", hosts=("b.example.com",))), vs(), svc()],
    "MD0512": [gw(server(80, "HTTP", hosts=("b.example.com",))), vs(hosts=("a.example.com", "b.example.com")),
               svc()],
    "MD0701": [gw(server(8443, "HTTP", name="http"), selector={"istio": "ingressgateway"}),
               vs(), svc(),
               svc("istio-ingressgateway", ns="istio-system", ports=((80, "http"),),
                   selector={"istio": "ingressgateway"})],
    "MD1102": [INGRESS, egress_gw(HTTP_GW), egress_service(), VIA_EGRESS_NO_MESH],
    "MD1103": [egress_gw(PASSTHROUGH_GW), egress_service(), api_se(), passthrough_vs(mesh_hop=False)],
}


def _fix_and_check(code, docs):
    project = design(*docs)
    found = [d for d in analyze(project) if d.code == code]
    assert found, f"{code} not triggered"
    fix = quick_fix(project, found[0])
    assert fix is not None and fix.title
    for node in fix.replaced:
        project.replace_node(node)
    after = analyze(project)
    assert code not in {d.code for d in after}, [d.format() for d in after if d.code == code]
    return project, fix, after


@pytest.mark.parametrize("code", sorted(CASES))
def test_quick_fix_removes_the_finding(code):
    _project, _fix, after = _fix_and_check(code, CASES[code])
    assert not [d.format() for d in after if d.severity == "error"]


def test_subset_fix_adds_the_version_label():
    project, fix, _ = _fix_and_check("MD0404", CASES["MD0404"])
    rule = next(n for n in project.mesh_services() if n.name == "reviews").destination_rule
    assert {s.name: s.labels for s in rule.spec.subsets}["v3"] == {"version": "v3"}


def test_mesh_hop_fix_matches_istios_egress_task():
    project, _fix, _ = _fix_and_check("MD1103", CASES["MD1103"])
    spec = next(n for n in project.virtual_services() if n.name == "api-egress").virtual_service.spec
    assert "mesh" in spec.gateways
    hop = spec.tls[0]
    assert hop.match[0].gateways == ["mesh"] and hop.match[0].port == 443
    assert hop.match[0].sni_hosts == ["api.partner.io"]
    assert hop.route[0].destination.host == "istio-egressgateway.istio-system.svc.cluster.local"
    assert not [c for c in {d.code for d in analyze(project)} if c.startswith("MD11")]
    assert OK_PASSTHROUGH and EGRESS_SELECTOR and se and svc


def test_no_fix_for_codes_without_a_safe_one():
    project = design(gw(server(hosts=["ext-host"])), vs(hosts=["ext-host.example.com"]))
    for d in analyze(project):
        if d.code in ("MD0107",):
            assert quick_fix(project, d) is None


def test_panel_explains_links_and_fixes_in_one_undo_step(make_editor, tmp_path, qtbot):
    from meshdesigner.io.project_file import save_project

    path = tmp_path / "subset.mesh.yaml"
    save_project(design(*CASES["MD0404"]), str(path))
    window = make_editor(str(path))
    panel = window.diagnostics
    panel.recheck()
    row = next(r for r in range(panel.proxy.rowCount())
               if panel._row(panel.proxy.index(r, 0)).code == "MD0404")
    panel.table.selectRow(row)
    detail = panel.detail
    assert detail.diagnostic.code == "MD0404"
    text = detail.text.toPlainText()
    assert "Add the subset to the destination rule" in text  # the catalogue's explanation
    assert "diagnostics.md#md0404" in text
    assert detail.fix_button.isVisible() and "subset v3" in detail.fix_button.text()
    window.resize(1600, 1000)
    window._docks["diagnostics"].raise_()
    qtbot.wait(50)
    window.grab().save(docs_image(tmp_path, "diagnostics-detail.png"))
    menu = detail.context_menu(panel.table, detail.diagnostic)
    assert [a.text() for a in menu.actions()][0] == "Go to the field"
    assert any(a.text().startswith("Quick fix:") for a in menu.actions())
    before = window.document.undo_stack.count()
    detail.fix_button.click()
    assert window.document.undo_stack.count() == before + 1
    panel.recheck()
    assert "MD0404" not in {d.code for d in panel.diagnostics}
    window.document.undo_stack.undo()
    panel.recheck()
    assert "MD0404" in {d.code for d in panel.diagnostics}


def test_go_to_the_field_focuses_it(make_editor, tmp_path):
    from meshdesigner.io.project_file import save_project

    path = tmp_path / "subset.mesh.yaml"
    save_project(design(*CASES["MD0404"]), str(path))
    window = make_editor(str(path))
    window.diagnostics.recheck()
    diagnostic = next(d for d in window.diagnostics.diagnostics if d.code == "MD0404")
    window.diagnostics.detail.show_diagnostic(diagnostic)
    window.diagnostics.detail.go_button.click()
    assert window.properties.node_id == diagnostic.node_id
