"""Every policy is reachable in the window, those applying to no gateway included (offscreen Qt).

The outline lists every policy of the design by kind; a hand-written policy whose selector matches no
gateway is listed as such and opens in the Properties panel with the same field editor and YAML tab.
"Go to the field" on a diagnostic about a policy opens it and focuses the editor of the field the
diagnostic names (or its list, or the YAML tab at the field's line when it has no editor).
The policies are hand-written Istio YAML, imported; the expected rows and fields are written by hand.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pathlib  # noqa: E402

import pytest  # noqa: E402
import yaml  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QApplication,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QTreeWidgetItem,
)

from meshdesigner.analysis.diagnostic import Diagnostic  # noqa: E402
from meshdesigner.model.resource import ResourceRef  # noqa: E402
from security.gui_support import close_window, open_manifests  # noqa: E402

pytestmark = [pytest.mark.gui]
DATA = pathlib.Path(__file__).parent / "data"

# Selects pods labelled app=batch: no gateway of gateway.yaml (istio=ingressgateway); its second address
# is not one Istio's webhook takes (MD0901 at spec.rules[0].from[0].source.ipBlocks[1]).
ORPHAN = """\
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata:
  name: batch-deny
  namespace: istio-system
spec:
  selector:
    matchLabels: {app: batch}
  action: DENY
  rules:
  - from:
    - source:
        ipBlocks: ["10.0.0.0/8", "10.0.0.300"]
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: shop-logs
  namespace: shop
spec:
  accessLogging:
  - providers: [{name: envoy}]
"""
ORPHAN_REF = ResourceRef("AuthorizationPolicy", "istio-system", "batch-deny")
SHOP_REF = ResourceRef("Telemetry", "shop", "shop-logs")


def open_window(qtbot, tmp_path, monkeypatch, files):
    win = open_manifests(qtbot, tmp_path, monkeypatch, files)
    win.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is win)  # focus checks need the active window
    win.outline.rebuild()
    return win


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    orphan = tmp_path / "orphan.yaml"
    orphan.write_text(ORPHAN)
    win = open_window(qtbot, tmp_path, monkeypatch, [DATA / "gateway.yaml", DATA / "deny-ipblocks.yaml", orphan])
    yield win
    close_window(win)
    qtbot.wait(10)


def outline_rows(window) -> dict[str, QTreeWidgetItem]:
    """Text -> item of every row under the outline's "Security policies" group."""
    tree = window.outline.tree
    (top,) = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
              if tree.topLevelItem(i).text(0).startswith("Security policies")]
    return {top.child(k).child(r).text(0): top.child(k).child(r)
            for k in range(top.childCount()) for r in range(top.child(k).childCount())} | {"": top}


def click(window, item: QTreeWidgetItem) -> None:
    window.outline.tree.itemClicked.emit(item, 0)


def test_outline_lists_every_policy_and_says_which_apply_to_no_gateway(window):
    rows = outline_rows(window)
    assert rows[""].text(0) == "Security policies (3)"
    assert "2 of them apply to no gateway" in rows[""].toolTip(0)
    assert set(rows) - {""} == {
        "istio-system/deny-peer (DENY)",  # selects the ingress gateway
        "istio-system/batch-deny (DENY) — applies to no gateway",
        "shop/shop-logs — applies to no gateway",  # namespace-wide in a namespace without gateways
    }
    group_texts = sorted(rows[""].child(i).text(0) for i in range(rows[""].childCount()))
    assert group_texts == ["AuthorizationPolicy (2)", "Telemetry (1)"]


def test_a_policy_selecting_nothing_opens_and_is_edited_in_one_undo_step(window, qtbot):
    click(window, outline_rows(window)["istio-system/batch-deny (DENY) — applies to no gateway"])
    panel = window.properties
    assert panel.policy_ref == ORPHAN_REF and panel.node_id is None
    applies = panel.findChild(QLabel, "PolicyAppliesTo").text()
    assert applies.startswith("Applies to no gateway in the design (selector app=batch)")
    assert not panel.findChild(QListWidget, "PolicyList").isVisible()  # one policy: no list of the gateway's
    line = panel.findChild(QLineEdit, "field:spec.rules.0.from.0.source.remoteIpBlocks")
    line.setFocus()
    qtbot.keyClicks(line, "192.0.2.7")
    policy = window.document.project.policy(ORPHAN_REF)
    assert policy.manifest()["spec"]["rules"][0]["from"][0]["source"] == {
        "ipBlocks": ["10.0.0.0/8", "10.0.0.300"], "remoteIpBlocks": ["192.0.2.7"]}
    yaml_text = yaml.safe_load(panel.findChild(QPlainTextEdit, "PolicyYaml").toPlainText())
    assert yaml_text["spec"]["rules"][0]["from"][0]["source"]["remoteIpBlocks"] == ["192.0.2.7"]
    stack = window.document.undo_stack
    assert stack.count() == 1
    stack.undo()
    assert "remoteIpBlocks" not in window.document.project.policy(ORPHAN_REF).manifest()["spec"]["rules"][0][
        "from"][0]["source"]


def test_selector_edit_makes_it_apply_and_the_view_says_so(window, qtbot):
    window.show_policy(ORPHAN_REF)
    policy = window.document.project.policy(ORPHAN_REF)
    from meshdesigner.gui.security.fields import PolicyHost

    assert PolicyHost(window.document, ORPHAN_REF).edit_once(
        ("spec", "selector", "matchLabels"), {"istio": "ingressgateway"}) is None
    applies = window.properties.findChild(QLabel, "PolicyAppliesTo")
    (gateway,) = window.document.project.gateways()
    assert applies.text() == f"Applies to gateway <a href='{gateway.id}'>istio-system/edge</a>."
    qtbot.wait(400)  # the outline follows after its short delay
    assert "istio-system/batch-deny (DENY)" in outline_rows(window)
    window.document.undo_stack.undo()
    assert window.document.project.policy(ORPHAN_REF) == policy
    assert window.properties.policy_ref == ORPHAN_REF


def test_the_gateway_link_of_a_policy_opens_the_gateway(window):
    deny_peer = ResourceRef("AuthorizationPolicy", "istio-system", "deny-peer")
    window.show_policy(deny_peer)
    (gateway,) = window.document.project.gateways()
    window.properties.findChild(QLabel, "PolicyAppliesTo").linkActivated.emit(gateway.id)
    assert window.scene.selected_ids() == [gateway.id]
    assert window.properties.node_id == gateway.id and window.properties.policy_ref is None


def test_delete_from_the_policy_view_and_undo(window):
    window.show_policy(SHOP_REF)
    window.properties.findChild(QPushButton, "DeletePolicy").click()
    assert window.document.project.policy(SHOP_REF) is None
    assert window.properties.findChild(QPushButton, "DeletePolicy") is None  # "no longer in the design"
    window.document.undo_stack.undo()
    assert window.document.project.policy(SHOP_REF) is not None
    assert window.properties.findChild(QPushButton, "DeletePolicy") is not None


def go_to(window, diagnostic) -> None:
    window.diagnostics.detail.show_diagnostic(diagnostic)
    window.diagnostics.detail.go_button.click()


def test_go_to_field_of_a_webhook_error_on_a_source(window):
    window.diagnostics.recheck()
    (diagnostic,) = [d for d in window.diagnostics.diagnostics if d.code == "MD0901"]
    assert (diagnostic.resource, diagnostic.path) == (ORPHAN_REF, "spec.rules[0].from[0].source")
    go_to(window, diagnostic)
    assert window.properties.policy_ref == ORPHAN_REF
    focused = QApplication.focusWidget()  # the source's first field
    assert isinstance(focused, QLineEdit) and focused.objectName() == "field:spec.rules.0.from.0.source.principals"


def test_go_to_field_of_a_crd_error_on_one_address_selects_it(window):
    # As the CRD schema check of an import names it: the second entry of the list.
    bad_address = Diagnostic("MD0901", None, "error", ORPHAN_REF, None, "spec.rules[0].from[0].source.ipBlocks[1]",
                             "not an IP address")
    go_to(window, bad_address)
    assert window.properties.policy_ref == ORPHAN_REF
    focused = QApplication.focusWidget()
    assert isinstance(focused, QLineEdit) and focused.objectName() == "field:spec.rules.0.from.0.source.ipBlocks"
    assert focused.selectedText() == "10.0.0.300"
    assert window.outline.tree.currentItem().text(0) == "istio-system/batch-deny (DENY) — applies to no gateway"


def test_go_to_field_of_a_selector_matching_nothing(window):
    window.diagnostics.recheck()
    (diagnostic,) = [d for d in window.diagnostics.diagnostics if d.code == "MD0906"]
    assert (diagnostic.resource, diagnostic.path) == (ORPHAN_REF, "spec.selector")
    go_to(window, diagnostic)
    assert QApplication.focusWidget().objectName() == "table:spec.selector.matchLabels"  # the selector labels


def test_go_to_a_rule_focuses_the_rule_list_with_it_picked(window):
    second_rule = Diagnostic("MD0908", None, "info", ORPHAN_REF, None, "spec.rules[0]", "a rule")
    go_to(window, second_rule)
    focused = QApplication.focusWidget()
    assert isinstance(focused, QListWidget) and focused.objectName() == "policy-list:rule"
    assert focused.currentRow() == 0


def test_go_to_a_field_without_an_editor_opens_the_yaml_at_its_line(window):
    window.diagnostics.recheck()
    (diagnostic,) = [d for d in window.diagnostics.diagnostics if d.code == "MD0907"]
    assert (diagnostic.resource, diagnostic.path) == (SHOP_REF, "metadata.namespace")
    go_to(window, diagnostic)
    assert window.properties.findChild(QTabWidget, "PolicyTabs").currentIndex() == 1
    text = window.properties.findChild(QPlainTextEdit, "PolicyYaml")
    assert QApplication.focusWidget() is text
    assert text.textCursor().block().text().strip() == "namespace: shop"
    assert text.textCursor().block().previous().text().strip() in ("name: shop-logs", "metadata:")


def test_a_mesh_wide_policy_in_a_design_without_gateways_is_reachable(qtbot, tmp_path, monkeypatch):
    window = open_window(qtbot, tmp_path, monkeypatch, [DATA / "telemetry.yaml"])
    try:
        rows = outline_rows(window)
        (row,) = [r for text, r in rows.items() if text.endswith("— applies to no gateway")]
        click(window, row)
        assert window.properties.policy_ref is not None
        assert window.properties.findChild(QTabWidget, "PolicyTabs") is not None
    finally:
        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()
        qtbot.wait(10)


def test_the_policy_view_follows_a_rename_and_its_undo(window):
    window.show_policy(SHOP_REF)
    panel = window.properties
    text = panel.findChild(QPlainTextEdit, "PolicyYaml")
    text.setPlainText(text.toPlainText().replace("name: shop-logs", "name: shop-access-logs"))
    text.document().setModified(True)
    panel.findChild(QPushButton, "PolicyYamlApply").click()
    renamed = ResourceRef("Telemetry", "shop", "shop-access-logs")
    assert window.document.project.policy(renamed) is not None and panel.policy_ref == renamed
    assert "shop/shop-access-logs" in panel.findChild(QLabel, "PolicyTitle").text()
    window.document.undo_stack.undo()
    assert panel.policy_ref == SHOP_REF
    assert "shop/shop-logs" in panel.findChild(QLabel, "PolicyTitle").text()


def test_go_to_a_field_inside_envoyfilter_patches_puts_the_cursor_on_its_line(qtbot, tmp_path, monkeypatch):
    window = open_window(qtbot, tmp_path, monkeypatch, [DATA / "gateway.yaml", DATA / "editor-policies.yaml"])
    try:
        lua = ResourceRef("EnvoyFilter", "istio-system", "edge-lua")
        go_to(window, Diagnostic("MD0901", None, "error", lua, None, "spec.configPatches[0].patch.operation", "x"))
        focused = QApplication.focusWidget()
        assert isinstance(focused, QPlainTextEdit) and focused.objectName() == "field:spec.configPatches"
        assert focused.textCursor().block().text().strip() == "operation: INSERT_BEFORE"
    finally:
        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()
        qtbot.wait(10)
