"""The 2,000-resource benchmark design on the canvas (issue 18): an overview whose group titles can be
read, focus on a gateway's neighbourhood (by click, outline and Find), collapsing and expanding a
group, Back and Forward, and editing that keeps groups and focus where they are.

The design is generated from ``../shared/bench/make_mesh.py`` and imported with ``meshdesigner import``.
What gw-000's neighbourhood must hold is read from the generated manifests with PyYAML (which virtual
services name the gateway in ``spec.gateways``, which hosts their routes go to), not from our model.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest
import yaml
from PySide6.QtCore import QEvent, QRectF, Qt, QTimer
from PySide6.QtWidgets import QApplication

from conftest import connect_by_drag, drop_from_palette, send_mouse

pytestmark = [pytest.mark.gui, pytest.mark.slow, pytest.mark.qt_log_level_fail("WARNING"),
              pytest.mark.qt_log_ignore("propagateSizeHints")]

ROOT = pathlib.Path(__file__).resolve().parents[2]
MAKE_MESH = ROOT.parent / "shared" / "bench" / "make_mesh.py"
GW = "ingress-gateway:edge-0/gw-000"
READABLE = 9.0


@pytest.fixture(scope="module")
def bench(tmp_path_factory) -> dict:
    """The benchmark manifests, the project ``meshdesigner import`` made of them, and what gw-000 reaches."""
    if not MAKE_MESH.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{MAKE_MESH} is missing (CI must have ../shared/bench)")
        pytest.skip(f"the benchmark generator {MAKE_MESH} is absent")
    folder = tmp_path_factory.mktemp("bench")
    manifests, project = folder / "mesh.yaml", folder / "bench.mesh.yaml"
    subprocess.run([sys.executable, str(MAKE_MESH), "-o", str(manifests)], check=True, capture_output=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    subprocess.run([sys.executable, "-m", "meshdesigner", "import", str(manifests), "-o", str(project)],
                   check=True, capture_output=True, env=env)
    docs = [d for d in yaml.safe_load_all(manifests.read_text()) if d]
    bound = [d for d in docs if d["kind"] == "VirtualService" and "edge-0/gw-000" in d["spec"].get("gateways", [])]
    services = set()
    for vs in bound:
        for rule in vs["spec"].get("http", []):
            for route in rule.get("route", []):
                host = route["destination"]["host"]  # <name>.<namespace>.svc.cluster.local
                name, namespace = host.split(".")[:2]
                services.add(f"mesh-service:{namespace}/{name}")
    return {"project": str(project),
            "virtual_services": {f"virtual-service:{d['metadata']['namespace']}/{d['metadata']['name']}"
                                 for d in bound},
            "services": services}


def title_height_on_screen(view, group) -> float:
    """The rendered height of a group title: the view's scale times the title font's pixel size."""
    return view.transform().m22() * group.title_pixel_size()


def name_height_on_screen(view) -> float:
    """The rendered height of a card's name at the view's scale (the compact form's when zoomed out)."""
    from meshdesigner.gui.scene.items import name_height_on_screen as height

    return height(view.transform().m22())


def on_screen(view, rect: QRectF) -> bool:
    return QRectF(view.viewport().rect()).contains(view.mapFromScene(rect).boundingRect().toRectF())


def assert_focused_readable(window, bench) -> None:
    view, scene = window.view, window.scene
    navigator = scene.navigator
    assert navigator.focus_id == GW
    wanted = {GW} | bench["virtual_services"] | bench["services"]
    assert len(bench["virtual_services"]) >= 5 and bench["services"]
    assert wanted <= navigator.focus_ids
    for node_id in wanted:
        item = scene.items_by_id[node_id]
        assert item.isVisible(), node_id
        assert on_screen(view, item.sceneBoundingRect().adjusted(4, 12, -12, -4)), node_id
        assert name_height_on_screen(view) >= READABLE
    # The rest is collapsed, or faded in a group the user opened.
    assert all(group.faded for group in navigator.groups.values())
    for item in scene.items_by_id.values():
        if item.isVisible() and item.node_id not in navigator.focus_ids:
            assert item.node.namespace not in navigator.collapsed


def open_bench(make_editor, bench):
    window = make_editor(bench["project"])
    window.view.fit_all()
    return window


def test_overview_opens_with_every_group_title_readable(make_editor, bench):
    window = open_bench(make_editor, bench)
    view, navigator = window.view, window.scene.navigator
    assert navigator.enabled
    groups = navigator.groups
    assert set(groups) == {f"ns-{i:02d}" for i in range(20)} | {f"edge-{i}" for i in range(5)} | {
        "egress", "istio-system"}
    for namespace, group in groups.items():
        assert group.collapsed and group.isVisible()
        assert title_height_on_screen(view, group) >= READABLE, namespace
        assert on_screen(view, navigator.group_rect(namespace)), namespace
    # Both the width and the height of the window are used: the groups form several rows and columns.
    corners = {(g.pos().x(), g.pos().y()) for g in groups.values()}
    assert len({x for x, _y in corners}) >= 3 and len({y for _x, y in corners}) >= 3
    # No card is drawn in the overview; the references between groups are bundled with their counts.
    assert not any(item.isVisible() for item in window.scene.items_by_id.values())
    bundles = navigator.bundles()
    between_groups = [k for k in window.scene.edges if namespace_of(k[0]) != namespace_of(k[1])]
    assert sum(count for _s, _e, count, _ends in bundles) == len(between_groups)
    assert any(ends == ("edge-0", "ns-00") and count > 1 for _s, _e, count, ends in bundles)
    # A summary card counts what its namespace holds (edge-0: gateways 0, 5, 10, ... 95 -> 20).
    summary = navigator.group_summary("edge-0")
    assert summary.counts == {"ingress-gateway": 20}


def test_focus_by_click_then_back_and_forward(make_editor, bench, qtbot):
    window = open_bench(make_editor, bench)
    view, navigator = window.view, window.scene.navigator
    # Open edge-0 with a click on its card, then click gw-000's card.
    click(view, navigator.group_rect("edge-0").center())
    assert "edge-0" not in navigator.collapsed
    item = window.scene.items_by_id[GW]
    assert item.isVisible() and on_screen(view, item.sceneBoundingRect())
    click(view, item.sceneBoundingRect().center())
    assert_focused_readable(window, bench)
    assert window.scene.selected_ids() == [GW]
    # Focus a service of the neighbourhood by double-click, then Back (Alt+Left) and Forward (Alt+Right).
    service = sorted(bench["services"])[0]
    double_click(view, window.scene.items_by_id[service].sceneBoundingRect().center())
    assert navigator.focus_id == service
    assert GW in navigator.focus_ids  # upstream: the gateway a request to the service comes through
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert navigator.focus_id == GW
    assert_focused_readable(window, bench)
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert navigator.focus_id == service
    window.act_back.trigger()
    window.act_back.trigger()
    assert navigator.focus_id is None and navigator.focus_rect is None
    assert not window.act_back.isEnabled() and window.act_forward.isEnabled()
    # In the overview, edge-0 is still open (what the user opened stays open).
    assert "edge-0" not in navigator.collapsed


def test_focus_by_outline_and_by_find(make_editor, bench, qtbot):
    window = open_bench(make_editor, bench)
    outline = window.outline
    outline.rebuild()
    tree = outline.tree
    leaf = find_leaf(tree, GW)
    tree.scrollToItem(leaf)
    rect = tree.visualItemRect(leaf)
    qtbot.mouseClick(tree.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert_focused_readable(window, bench)
    window.act_overview.trigger()
    assert window.scene.navigator.focus_id is None

    def answer_find() -> None:
        dialog = QApplication.activeModalWidget()
        dialog.query.setText("gw-000")
        assert dialog.results.count() == 1
        qtbot.keyClick(dialog.query, Qt.Key.Key_Return)

    QTimer.singleShot(0, answer_find)
    window.act_find.trigger()
    assert_focused_readable(window, bench)


def test_outline_filter_drives_the_canvas(make_editor, bench, qtbot):
    window = open_bench(make_editor, bench)
    navigator = window.scene.navigator
    window.outline.filter.setText("svc-000")  # svc-0000..svc-0009: one in each of ns-00..ns-09
    qtbot.waitUntil(lambda: navigator.matches is not None, timeout=15000)
    assert navigator.group_summary("ns-03").matches == 1
    assert navigator.group_summary("ns-13").matches == 0
    window.outline.filter.setText("gw-000")
    qtbot.waitUntil(lambda: navigator.focus_id == GW, timeout=15000)
    window.outline.filter.clear()
    qtbot.waitUntil(lambda: navigator.matches is None, timeout=15000)


def test_collapse_and_expand_a_group(make_editor, bench):
    window = open_bench(make_editor, bench)
    view, navigator, scene = window.view, window.scene.navigator, window.scene
    members = [i for i in scene.items_by_id.values() if i.node.namespace == "ns-04"]
    click(view, navigator.group_rect("ns-04").center())
    group = navigator.groups["ns-04"]
    assert not group.collapsed and all(i.isVisible() for i in members)
    # Lanes inside the group: virtual services left of services, every card inside the box.
    box = navigator.group_rect("ns-04")
    assert all(box.contains(i.sceneBoundingRect().adjusted(4, 12, -12, -4)) for i in members)
    vs_x = max(i.pos().x() for i in members if i.node.kind == "virtual-service")
    svc_x = min(i.pos().x() for i in members if i.node.kind == "mesh-service")
    assert vs_x < svc_x
    assert title_height_on_screen(view, group) >= READABLE
    # Collapse with a click on the title bar: the cards hide, the overview comes back.
    click(view, QRectF(box.topLeft(), group.title_rect().size()).center())
    assert group.collapsed and not any(i.isVisible() for i in members)
    assert all(title_height_on_screen(view, g) >= READABLE for g in navigator.groups.values())


def test_editing_in_focus_keeps_groups_and_focus(make_editor, bench):
    window = open_bench(make_editor, bench)
    view, scene, navigator = window.view, window.scene, window.scene.navigator
    navigator.set_collapsed("ns-07", False)
    view.focus_node(GW)
    collapsed = set(navigator.collapsed)
    focus_rect = QRectF(navigator.focus_rect)
    # Add a service from the palette inside the focus box: it shows there, at once.
    node = drop_from_palette(window, "mesh-service", focus_rect.center())
    assert scene.items_by_id[node.id].isVisible() and node.id in navigator.focus_ids
    # Connect a virtual service of the focus to it by dragging from the card's handle.
    vs = sorted(bench["virtual_services"])[0]
    connect_by_drag(window, vs, node.id)
    assert any(k[:2] == (vs, node.id) for k in scene.edges)
    assert navigator.focus_id == GW and navigator.collapsed == collapsed
    assert title_height_on_screen(view, navigator.focus_frame) >= READABLE
    stack = window.document.undo_stack
    while stack.canUndo():
        stack.undo()
    assert node.id not in scene.items_by_id
    assert navigator.focus_id == GW and navigator.collapsed == collapsed
    assert_focused_readable(window, bench)
    # Only the two edits are in the undo history (opening, focusing and collapsing are view state).
    assert stack.count() == 2 and not window.document.dirty


def test_adding_in_the_overview_opens_only_its_group(make_editor, bench):
    window = open_bench(make_editor, bench)
    scene, navigator = window.scene, window.scene.navigator
    collapsed = set(navigator.collapsed)
    node = drop_from_palette(window, "virtual-service", navigator.group_rect("ns-05").center())
    item = scene.items_by_id[node.id]
    assert item.isVisible() and node.namespace not in navigator.collapsed
    assert navigator.group_rect(node.namespace).contains(item.sceneBoundingRect().adjusted(4, 12, -12, -4))
    assert on_screen(window.view, item.sceneBoundingRect().adjusted(4, 12, -12, -4))  # the view went there
    assert navigator.collapsed == collapsed - {node.namespace}
    window.document.undo_stack.undo()
    assert node.id not in scene.items_by_id
    assert navigator.collapsed == collapsed - {node.namespace}  # view state is not undone
    assert all(title_height_on_screen(window.view, g) >= READABLE for g in navigator.groups.values())


# ----- helpers ----------------------------------------------------------------------------------
def namespace_of(node_id: str) -> str:
    return node_id.split(":", 1)[1].split("/")[0]  # ids are "<kind>:<namespace>/<name>"


def click(view, scene_point) -> None:
    pos = view.mapFromScene(scene_point)
    send_mouse(view, QEvent.Type.MouseButtonPress, pos)
    send_mouse(view, QEvent.Type.MouseButtonRelease, pos, Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton)


def double_click(view, scene_point) -> None:
    click(view, scene_point)
    pos = view.mapFromScene(scene_point)
    send_mouse(view, QEvent.Type.MouseButtonDblClick, pos)
    send_mouse(view, QEvent.Type.MouseButtonRelease, pos, Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton)


def find_leaf(tree, node_id: str):
    from PySide6.QtWidgets import QTreeWidgetItemIterator

    iterator = QTreeWidgetItemIterator(tree)
    while iterator.value() is not None:
        item = iterator.value()
        if item.data(0, Qt.ItemDataRole.UserRole) == node_id:
            parent = item.parent()
            while parent is not None:
                parent.setExpanded(True)
                parent = parent.parent()
            return item
        iterator += 1
    raise AssertionError(f"{node_id} is not in the outline")



def test_a_highlighted_path_through_collapsed_groups_is_focused(make_editor, bench):
    window = open_bench(make_editor, bench)
    scene, navigator = window.scene, window.scene.navigator
    vs = sorted(bench["virtual_services"])[0]
    path = [GW, vs]
    edges = [k for k in scene.edges if k[:2] == (GW, vs)]
    window.view.highlight_path(path, edges)
    assert navigator.focus_id == GW
    assert all(scene.items_by_id[i].isVisible() and scene.items_by_id[i].highlighted for i in path)
    assert all(scene.edges[k].isVisible() and scene.edges[k].highlighted for k in edges)
