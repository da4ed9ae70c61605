"""Window behaviour: diagnostics go to the field, YAML preview, recovery, unsaved-changes question,
themes, find, copy/paste, keyboard focus over nodes, the status bar, the extension points."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit

from conftest import EXAMPLES_DIR
from meshdesigner.io.project_file import dump_project

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]
SEED = str(EXAMPLES_DIR / "seed.mesh.yaml")
BOOKINFO = str(EXAMPLES_DIR / "bookinfo.mesh.yaml")
GW = "ingress-gateway:default/ext-host-gwy"
VS = "virtual-service:default/virtual-svc"


def test_diagnostic_click_selects_node_and_focuses_field(make_editor, qtbot):
    window = make_editor(SEED)
    # the seed's certificate files do not exist on this machine: the analysis says so, on that field
    window.diagnostics.recheck()
    rows = window.diagnostics.model.rows
    target = next((d for d in rows if d.node_id == GW and d.path.endswith("tls.serverCertificate")), None)
    assert target is not None, [d.format() for d in rows]
    window.scene.clearSelection()
    window.diagnostics.table.setFocus()
    row = window.diagnostics.proxy.mapFromSource(window.diagnostics.model.index(rows.index(target), 0))
    window.diagnostics.table.clicked.emit(row)                     # the user clicks the row
    assert window.scene.selected_ids() == [GW]
    focused = QApplication.focusWidget()
    assert focused is not None and focused.objectName() == "field:gateway.spec.servers.0.tls.serverCertificate"
    # badges: the card carries the diagnostics, coloured by the worst
    assert window.scene.items_by_id[GW].diagnostics
    assert "warning" in window.checks_label.text() or "error" in window.checks_label.text()


def test_checks_rerun_shortly_after_an_edit(make_editor, qtbot):
    window = make_editor(SEED)
    before = len(window.diagnostics.diagnostics)
    with qtbot.waitSignal(window.diagnostics.sig_diagnostics_changed, timeout=3000):
        window.document.set_field(VS, ("virtual_service", "spec", "gateways"), ["no-such-gateway"])
    assert len(window.diagnostics.diagnostics) != before


def test_yaml_preview_shows_manifest_and_envoy(make_editor, qtbot):
    window = make_editor(SEED)
    window.view.focus_node(GW)
    text = window.preview.text.toPlainText()
    assert "kind: Gateway" in text and "ext-host.example.com" in text
    window.preview.which.setCurrentIndex(1)  # the Envoy config is made off the GUI thread
    qtbot.waitUntil(lambda: "kind: Gateway" not in window.preview.text.toPlainText(), timeout=10000)
    envoy = window.preview.text.toPlainText()
    assert "static_resources" in envoy
    # the exported file of the gateway's workload (pods labelled app=my-gateway-controller), header included
    assert envoy.startswith("# envoy/app-my-gateway-controller.yaml of the Envoy export\n")
    assert "#   default/ext-host-gwy\n" in envoy
    assert window.preview.title.text() == "Envoy config of the workload serving gateway default/ext-host-gwy"
    window.view.focus_node(VS)
    assert "kind: VirtualService" in window.preview.text.toPlainText()


def test_unsaved_changes_question_on_close(make_editor, no_dialogs):
    window = make_editor(SEED)
    window.document.move_nodes({GW: (0.0, 0.0)})
    assert window.windowTitle().startswith("*")
    no_dialogs["ask_save_changes"] = "cancel"
    assert not window.close() and window.isVisible()
    no_dialogs["ask_save_changes"] = "discard"
    assert window.close()


def test_recovery_journal_is_offered_once_its_window_is_gone(make_editor, no_dialogs, qtbot, tmp_path):
    import os

    from meshdesigner.gui import recovery, settings

    window = make_editor(SEED)
    window.document.move_nodes({GW: (200.0, 400.0)})
    qtbot.waitUntil(lambda: window.journal is not None, timeout=4000)
    assert window.journal.wait_written()
    edited = dump_project(window.document.project)
    second = make_editor()
    assert not second.offer_recovery()  # the first window is alive: its journal is not offered
    window.journal.close()  # as if the first window's process had died (its lock is released)
    no_dialogs["ask_restore"] = True
    assert second.offer_recovery()
    assert dump_project(second.document.project) == edited
    assert second.document.dirty and second.document.path.endswith("seed.mesh.yaml")
    assert recovery.orphans(settings.recovery_dir()) == []
    # a clean save removes the window's own journal
    second.document.path = None
    no_dialogs["save_project_as"] = str(tmp_path / "r.mesh.yaml")
    assert second.save()
    assert second.journal is None
    assert [d for d in os.listdir(settings.recovery_dir()) if d != os.path.basename(window.journal.folder)] == []


def test_theme_switch_and_status_bar(make_editor, qtbot):
    window = make_editor(BOOKINFO)
    qtbot.waitUntil(lambda: "error" in window.checks_label.text(), timeout=3000)  # checks follow the first paint
    window.set_theme("dark")
    assert QApplication.instance().palette().window().color().lightness() < 80
    window.set_theme("light")
    assert QApplication.instance().palette().window().color().lightness() > 200
    assert window.file_label.text().endswith("bookinfo.mesh.yaml")
    assert window.zoom_label.text().endswith("%")
    assert "error" in window.checks_label.text()


def test_find_copy_paste_delete_and_keyboard_focus(make_editor, qtbot):
    from meshdesigner.gui.find_dialog import FindNodeDialog

    window = make_editor(BOOKINFO)
    dialog = FindNodeDialog(window.document.project, window)
    dialog.sig_chosen.connect(window.view.focus_node)
    dialog.query.setText("ratings")
    assert dialog.results.count() == 1
    dialog._choose_first()
    assert window.scene.selected_ids() == ["mesh-service:bookinfo/ratings"]
    count = len(window.document.project)
    window.act_copy.trigger()
    window.act_paste.trigger()
    assert len(window.document.project) == count + 1
    pasted = window.scene.selected_ids()
    assert pasted and pasted[0].startswith("mesh-service:bookinfo/ratings-copy")
    window.act_delete.trigger()
    assert len(window.document.project) == count
    window.act_duplicate.setEnabled(True)
    # Tab walks every node
    window.view.setFocus()
    seen = set()
    for _ in range(count):
        window.view.focusNextPrevChild(True)
        seen.update(window.scene.selected_ids())
    assert seen == set(window.document.project.nodes)


def test_outline_filter_finds_nodes(make_editor, qtbot):
    window = make_editor(BOOKINFO)
    window.outline.filter.setText("review")
    window.outline.rebuild()
    leaves = []
    tree = window.outline.tree
    for i in range(tree.topLevelItemCount()):
        ns = tree.topLevelItem(i)
        for j in range(ns.childCount()):
            kind = ns.child(j)
            leaves += [kind.child(k).text(0) for k in range(kind.childCount())]
    assert sorted(leaves) == ["reviews", "reviews"]


def test_extension_points(make_editor):
    from meshdesigner.gui.panels.properties import PROPERTY_SECTIONS, Section, register_section
    from meshdesigner.model import NodeKind

    window = make_editor(SEED)
    dock = window.add_panel(QLabel("extra"), "Extra", "bottom", "extra")
    assert dock.widget().text() == "extra"

    def extra_section(panel, node):
        section = Section("Extra", "extra")
        section.add(QLabel("added by a feature"))
        return section

    register_section(NodeKind.VIRTUAL_SERVICE, extra_section)
    try:
        window.view.focus_node(VS)
        labels = [w.text() for w in window.properties.findChildren(QLabel)]
        assert "added by a feature" in labels
    finally:
        PROPERTY_SECTIONS[NodeKind.VIRTUAL_SERVICE].remove(extra_section)
    window.view.highlight_path([GW, VS], [k for k in window.scene.edges if k[0] == GW])
    assert window.scene.items_by_id[GW].highlighted and window.scene.items_by_id[VS].highlighted
    assert any(e.highlighted for e in window.scene.edges.values())
    window.view.clear_highlight()
    assert not any(e.highlighted for e in window.scene.edges.values())


def test_every_property_section_builds_for_every_example(make_editor):
    """Select each node of each example: its panel builds and shows the node's values."""
    import glob

    for path in sorted(glob.glob(str(EXAMPLES_DIR / "*.mesh.yaml"))):
        window = make_editor(path)
        for node in window.document.project:
            window.view.focus_node(node.id)
            assert window.properties.node_id == node.id
            name = window.properties.findChild(QLineEdit, "field:" + {
                "ingress-gateway": "gateway", "egress-gateway": "gateway", "virtual-service": "virtual_service",
                "mesh-service": "service", "external-service": "service_entry"}[str(node.kind)] + ".metadata.name")
            assert name is not None and name.text() == node.name


def test_keyboard_shortcuts_are_the_usual_ones(make_editor):
    window = make_editor(SEED)
    shortcuts = {a.objectName(): a.shortcut().toString() for a in window.findChildren(type(window.act_new))}
    for name, key in (("new", "Ctrl+N"), ("open", "Ctrl+O"), ("save", "Ctrl+S"), ("undo", "Ctrl+Z"),
                      ("redo", "Ctrl+Shift+Z"), ("copy", "Ctrl+C"), ("paste", "Ctrl+V"),
                      ("duplicate", "Ctrl+D"), ("delete", "Del"), ("fit", "F"), ("find", "Ctrl+F")):
        assert shortcuts[name] == key, name
    assert Qt  # noqa: B018 - imported for the key names above


def test_create_certificates_fills_the_tls_fields_in_one_step(make_editor, no_dialogs, tmp_path):
    from meshdesigner.gui.panels.tls_tools import CertificateTools

    window = make_editor(SEED)
    window.view.focus_node(GW)
    tools = window.properties.findChild(CertificateTools)
    assert tools is not None and "Cannot read" in tools.summary.text()   # the seed's paths do not exist here
    from meshdesigner.gui.cert_dialog import FILES, CertificateRequest

    no_dialogs["ask_certificate"] = CertificateRequest("ext-host-cert", str(tmp_path), FILES)
    count = window.document.undo_stack.count()
    tools.button.click()
    assert window.document.undo_stack.count() == count + 1
    tls = window.document.project.node(GW).gateway.spec.servers[0].tls
    folder = tmp_path / "ext-host-cert"
    assert tls.server_certificate == str(folder / "tls.crt") and tls.private_key == str(folder / "tls.key")
    tools = window.properties.findChild(CertificateTools)
    assert "ext-host.example.com" in tools.summary.text() and "valid until" in tools.summary.text()
    window.document.undo_stack.undo()
    assert window.document.project.node(GW).gateway.spec.servers[0].tls.server_certificate == \
        "/etc/certs/servercert.pem"


def test_start_page_opens_an_example(make_editor, qtbot):
    from meshdesigner.gui.start_page import Card

    window = make_editor()
    window.show_start_page()
    assert window.centre.currentWidget() is window.start_page
    assert not window._docks["properties"].isVisible()
    cards = [c for c in window.start_page.findChildren(Card) if c.findChild(QLabel, "SectionTitle").text() == "seed"]
    assert cards
    cards[0].sig_clicked.emit()
    qtbot.waitUntil(lambda: not window.opening, timeout=30000)  # read on a worker, drawn in slices (#16)
    assert window.centre.currentWidget() is window.view
    assert window.document.path.endswith("seed.mesh.yaml")
    assert window._docks["properties"].isVisible()


def test_tooltips_explain_cards_and_edges(make_editor):
    window = make_editor(BOOKINFO)
    scene = window.scene
    edge = next(e for e in scene.edges.values() if e.ref.weight == 80)
    assert "weight 80%" in edge.describe() and "reviews" in edge.describe()
    card = scene.items_by_id["virtual-service:bookinfo/reviews"]
    card._update_tooltip()
    assert "Virtual service in bookinfo" in card.toolTip()


def test_status_bar_message_never_covers_the_file_state(make_editor, tmp_path):
    window = make_editor(BOOKINFO)
    assert window.dirty_label.text() == "saved"
    empty = tmp_path / "emptydir"
    empty.mkdir()
    (empty / "notes.yaml").write_text("# nothing here yet\n")
    assert window.open_path(str(empty))
    status = window.statusBar()
    message = status.currentMessage()
    assert message.startswith("Imported")
    assert window.file_label.text() == "emptydir"
    assert window.dirty_label.text() == "not saved yet"  # an imported design has no file: not "saved"
    QApplication.processEvents()
    # The transient message is painted from the left edge; the permanent labels start to its right.
    message_end = status.fontMetrics().horizontalAdvance(message) + 8
    for label in (window.file_label, window.dirty_label):
        assert label.isVisible()
        assert label.geometry().left() > message_end, (label.text(), label.geometry(), message_end)


def test_the_canvas_gets_most_of_the_window_and_the_window_can_be_small(make_editor, qtbot):
    window = make_editor(BOOKINFO)
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: window.size().height() == 1000, timeout=2000)
    QApplication.processEvents()
    canvas = window.view.size()
    assert canvas.width() >= 1000 and canvas.height() >= 650, canvas
    assert window._docks["diagnostics"].height() <= 220
    window.resize(1024, 700)
    qtbot.waitUntil(lambda: window.size().height() == 700, timeout=2000)
    assert (window.width(), window.height()) == (1024, 700)


@pytest.mark.parametrize("example, gateway", [("public-private.mesh.yaml", "private-gateway"),
                                               ("gateway-functions.mesh.yaml", "shop-gateway")])
def test_selected_gateway_properties_fit_the_panel(make_editor, qtbot, example, gateway):
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QComboBox, QTableWidget

    window = make_editor(str(EXAMPLES_DIR / example))
    window.resize(1600, 1000)
    node_id = next(n.id for n in window.document.project if n.name == gateway)
    window.scene.select_only([node_id])
    QApplication.processEvents()
    panel = window.properties
    # Nothing needs more width than the dock gives (else the right side hides under the scrollbar).
    assert panel.widget().minimumSizeHint().width() <= panel.viewport().width()
    right = panel.viewport().mapTo(panel, QPoint(panel.viewport().width(), 0)).x()
    combos = [c for c in panel.widget().findChildren(QComboBox) if c.isVisible()]
    assert combos
    for combo in combos:  # the whole box, arrow included, left of the scrollbar
        assert combo.mapTo(panel, QPoint(combo.width(), 0)).x() <= right
    tables = [t for t in panel.widget().findChildren(QTableWidget) if t.isVisible() and t.rowCount()]
    assert any("hosts" in t.objectName() for t in tables)
    for table in tables:  # every row shown in full: the table itself never scrolls
        last = table.visualItemRect(table.item(table.rowCount() - 1, 0))
        assert last.bottom() < table.viewport().height(), table.objectName()


def test_closing_with_a_non_empty_undo_stack_raises_nothing(qtbot, no_dialogs, monkeypatch):
    import sys

    from PySide6.QtCore import QCoreApplication, QEvent

    from meshdesigner.gui.main_window import MainWindow

    errors = []
    monkeypatch.setattr(sys, "excepthook", lambda *exc: errors.append(exc))
    no_dialogs["ask_save_changes"] = "discard"
    window = MainWindow("light")
    assert window.open_path(BOOKINFO)
    window.show()
    node_id = next(iter(window.document.project.nodes))
    window.document.move_nodes({node_id: (500.0, 500.0)})
    assert window.document.undo_stack.count() == 1
    assert window.close()
    window.deleteLater()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QApplication.processEvents()
    assert errors == []
