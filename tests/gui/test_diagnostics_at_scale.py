"""The Diagnostics panel with many findings: severity toggles with counts, a text filter, grouping by
code, resource or namespace with a count per group, and a click on a grouped finding goes to it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from meshdesigner.analysis.diagnostic import Diagnostic
from meshdesigner.gui.panels.diagnostics_groups import DIAGNOSTIC_ROLE
from meshdesigner.model import ResourceRef

pytestmark = [pytest.mark.gui, pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("propagateSizeHints")]


def Finding(severity, code, kind, namespace, name, message):  # noqa: N802 - reads like the class
    return Diagnostic(code=code, istio_code=None, severity=severity, resource=ResourceRef(kind, namespace, name),
                      node_id=None, path="spec", message=message)


FINDINGS = [Finding("warning", "MD0602", "Gateway", "edge-0", f"gw-{i}", f"no local certificate gw-{i}")
            for i in range(5)] + [
    Finding("error", "MD0101", "VirtualService", "ns-1", "shop", "host shop matches no gateway server"),
    Finding("info", "MD0507", "VirtualService", "ns-1", "shop", "rule 2 is never reached"),
    Finding("info", "MD0507", "VirtualService", "ns-2", "cart", "rule 3 is never reached"),
]


@pytest.fixture
def panel(qtbot):
    from meshdesigner.gui.panels.diagnostics import DiagnosticsPanel

    panel = DiagnosticsPanel()
    qtbot.addWidget(panel)
    panel.analyzer = object()  # checks "available": show the findings, not the empty notice
    panel.diagnostics = list(FINDINGS)
    panel.model.set_rows(panel.diagnostics)
    panel._show_table_or_empty()
    panel.resize(1200, 400)
    panel.show()
    return panel


def groups(panel) -> dict[str, int]:
    model = panel.tree.model()
    return {model.item(r, 0).text().rsplit("  (", 1)[0]: model.item(r, 0).rowCount() for r in range(model.rowCount())}


def test_severity_toggles_count_and_filter(panel):
    bar = panel.filter_bar
    assert [bar.toggles[s].text() for s in ("error", "warning", "info")] == ["1 error", "5 warnings", "2 info"]
    assert panel.proxy.rowCount() == 8
    bar.toggles["info"].setChecked(False)
    assert panel.proxy.rowCount() == 6
    bar.toggles["warning"].setChecked(False)
    assert panel.proxy.rowCount() == 1 and bar.shown.text() == "1 of 8 shown"
    bar.toggles["info"].setChecked(True)
    bar.toggles["warning"].setChecked(True)
    bar.text.setText("never reached")
    assert panel.proxy.rowCount() == 2
    bar.text.setText("ns-2/cart")
    assert panel.proxy.rowCount() == 1


def test_group_by_code_resource_and_namespace(panel):
    bar = panel.filter_bar
    bar.set_group_by("code")
    assert panel.stack.currentWidget() is panel.tree
    assert groups(panel) == {"MD0101": 1, "MD0602": 5, "MD0507": 2}
    assert list(groups(panel)) == ["MD0101", "MD0602", "MD0507"]  # worst first, then largest
    model = panel.tree.model()
    assert "1 error" in model.item(0, 4).text() and "5 warning" in model.item(1, 4).text()
    bar.set_group_by("resource")
    assert groups(panel)["VirtualService ns-1/shop"] == 2
    bar.set_group_by("namespace")
    assert groups(panel) == {"ns-1": 2, "edge-0": 5, "ns-2": 1}
    bar.toggles["warning"].setChecked(False)  # the filter applies to groups too
    assert groups(panel) == {"ns-1": 2, "ns-2": 1}
    bar.set_group_by("none")
    assert panel.stack.currentWidget() is panel.table


def test_a_click_on_a_grouped_finding_goes_to_it(panel, qtbot):
    panel.filter_bar.set_group_by("code")
    model = panel.tree.model()
    head = model.index(1, 0)
    panel.tree.expand(head)
    child = model.index(0, 0, head)
    assert child.data(DIAGNOSTIC_ROLE).code == "MD0602"
    with qtbot.waitSignal(panel.sig_go_to) as signal:
        panel.tree.clicked.emit(child)
    assert signal.args[0] is child.data(DIAGNOSTIC_ROLE)
    with qtbot.assertNotEmitted(panel.sig_go_to):
        panel.tree.clicked.emit(head)  # a group row only opens and closes
    assert child.data(Qt.ItemDataRole.DisplayRole) == "warning"


def test_the_same_findings_again_do_not_reset_the_table(panel, qtbot):
    """After most edits a check finds what the last one found: the table keeps its rows (no model reset, so
    no re-layout of the views); different findings do reset it."""
    resets = []
    panel.model.modelReset.connect(lambda: resets.append(1))
    panel.model.set_rows([Finding(d.severity, d.code, d.resource.kind, d.resource.namespace, d.resource.name,
                                  d.message) for d in FINDINGS])      # equal findings, new objects
    assert resets == []
    panel.model.set_rows(FINDINGS[:-1])
    assert resets == [1]
    assert panel.model.rowCount() == len(FINDINGS) - 1


def _shown(panel, column: int) -> list[str]:
    return [panel.proxy.index(row, column).data() for row in range(panel.proxy.rowCount())]


def test_a_header_click_sorts_the_table_and_later_checks_keep_that_order_and_the_selection(panel):
    """Severity first (errors, warnings, infos) by default; clicking Code sorts by code, also for the next
    check's rows; the selected finding stays selected when the order changes."""
    assert _shown(panel, 0) == ["error"] + ["warning"] * 5 + ["info"] * 2
    panel.table.selectRow(_shown(panel, 4).index("rule 3 is never reached"))
    panel.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
    assert _shown(panel, 1) == ["MD0602"] * 5 + ["MD0507"] * 2 + ["MD0101"]
    selected = panel.table.selectionModel().selectedRows(4)
    assert [index.data() for index in selected] == ["rule 3 is never reached"]
    extra = Finding("warning", "MD0999", "Gateway", "edge-9", "gw-9", "a new finding")
    panel.model.set_rows([*FINDINGS, extra])
    assert _shown(panel, 1) == ["MD0999"] + ["MD0602"] * 5 + ["MD0507"] * 2 + ["MD0101"]
    panel.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert _shown(panel, 0) == ["error"] + ["warning"] * 6 + ["info"] * 2
