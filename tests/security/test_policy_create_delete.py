"""Creating and deleting whole policies in the Properties panel's Policies section (offscreen Qt).

"New policy" makes a resource of the picked kind in the gateway workload's namespace, selecting that
gateway, with a unique DNS-1123 name: the gateway card counts it at once. "Delete policy" removes the
picked one. Each is one undo step, and undo gives back the design exactly (the exported manifests are
byte-identical). The expected names, namespaces and selectors are written by hand from the fixture:
the Gateway ``istio-system/edge`` selects ``istio: ingressgateway``.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pathlib  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtWidgets import QApplication, QListWidget, QPushButton, QToolButton  # noqa: E402

from meshdesigner.export.istio.manifests import export_files  # noqa: E402
from meshdesigner.io.project_file import save_project  # noqa: E402
from security.gui_support import close_window, open_manifests  # noqa: E402

pytestmark = [pytest.mark.gui]
DATA = pathlib.Path(__file__).parent / "data"

# kind key -> (kind, name, what the card's tooltip says of it)
NEW_KINDS = {
    "allow": ("AuthorizationPolicy", "edge-allow", "AuthorizationPolicy (ALLOW) istio-system/edge-allow"),
    "deny": ("AuthorizationPolicy", "edge-deny", "AuthorizationPolicy (DENY) istio-system/edge-deny"),
    "audit": ("AuthorizationPolicy", "edge-audit", "AuthorizationPolicy (AUDIT) istio-system/edge-audit"),
    "custom": ("AuthorizationPolicy", "edge-ext-authz", "AuthorizationPolicy (CUSTOM) istio-system/edge-ext-authz"),
    "jwt": ("RequestAuthentication", "edge-jwt", "RequestAuthentication istio-system/edge-jwt"),
    "peer": ("PeerAuthentication", "edge-mtls", "PeerAuthentication istio-system/edge-mtls"),
    "telemetry": ("Telemetry", "edge-telemetry", "Telemetry istio-system/edge-telemetry"),
    "envoyfilter": ("EnvoyFilter", "edge-filter", "EnvoyFilter istio-system/edge-filter"),
}


def open_window(qtbot, tmp_path, monkeypatch, files):
    win = open_manifests(qtbot, tmp_path, monkeypatch, [DATA / f for f in files])
    (gateway,) = win.document.project.gateways()
    win.view.focus_node(gateway.id)
    return win


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    win = open_window(qtbot, tmp_path, monkeypatch, ["gateway.yaml"])
    yield win
    close_window(win)
    qtbot.wait(10)


@pytest.fixture
def policies_window(qtbot, tmp_path, monkeypatch):
    win = open_window(qtbot, tmp_path, monkeypatch, ["gateway.yaml", "editor-policies.yaml"])
    yield win
    close_window(win)
    qtbot.wait(10)


def card_policy_tag(window):
    from meshdesigner.gui.scene.items import card_tags

    (gateway,) = window.document.project.gateways()
    tags = [t for t in card_tags(gateway, window.document.project) if "polic" in t[0]]
    return tags[0] if tags else None


def new_policy(window, key: str) -> None:
    QApplication.processEvents()  # (a rebuilt panel's sections are shown by a queued call, as in the app)
    button = window.properties.findChild(QToolButton, "NewPolicy")
    assert button is not None and button.isEnabled() and button.isVisible()  # (the section is open when empty)
    (action,) = [a for a in button.menu().actions() if a.objectName() == f"new-policy:{key}"]
    action.trigger()


@pytest.mark.parametrize("key", sorted(NEW_KINDS))
def test_new_policy_of_each_kind_applies_to_the_gateway_and_is_one_undo_step(window, key):
    kind, name, described = NEW_KINDS[key]
    assert card_policy_tag(window) is None
    new_policy(window, key)
    (policy,) = window.document.project.policies
    manifest = policy.manifest()
    assert (manifest["kind"], manifest["metadata"]) == (kind, {"name": name, "namespace": "istio-system"})
    selector = manifest["spec"]["workloadSelector"]["labels"] if kind == "EnvoyFilter" else \
        manifest["spec"]["selector"]["matchLabels"]
    assert selector == {"istio": "ingressgateway"}
    text, _colour, tooltip = card_policy_tag(window)
    assert text == "1 policy"
    assert described + ": selector istio=ingressgateway" in tooltip
    listing = window.properties.findChild(QListWidget, "PolicyList")  # the new one is open in the editor
    assert listing.currentItem().text().startswith(described + "\n")
    stack = window.document.undo_stack
    assert stack.count() == 1
    stack.undo()
    assert window.document.project.policies == [] and card_policy_tag(window) is None
    stack.redo()
    assert window.document.project.policies == [policy]


def test_new_policy_names_are_unique(window):
    new_policy(window, "deny")
    new_policy(window, "deny")
    names = sorted(p.name for p in window.document.project.policies)
    assert names == ["edge-deny", "edge-deny-2"]
    assert card_policy_tag(window)[0] == "2 policies"


def test_new_policy_passes_istio_webhook(window):
    from meshdesigner.analysis.rules.security_resources import webhook_problems

    for key in NEW_KINDS:
        new_policy(window, key)
    assert len(window.document.project.policies) == len(NEW_KINDS)
    assert [(p.name, webhook_problems(p)) for p in window.document.project.policies if webhook_problems(p)] == []


def test_delete_policy_then_undo_gives_back_byte_identical_export(policies_window, tmp_path):
    window = policies_window
    project = window.document.project
    before = export_files(project)
    save_project(project, str(tmp_path / "before.mesh.yaml"))
    count = len(project.policies)
    listing = window.properties.findChild(QListWidget, "PolicyList")
    (row,) = [i for i in range(listing.count()) if "/edge-authz\n" in listing.item(i).text()]
    listing.setCurrentRow(row)
    window.properties.findChild(QPushButton, "DeletePolicy").click()
    assert len(project.policies) == count - 1
    assert all(p.name != "edge-authz" for p in project.policies)
    assert card_policy_tag(window)[0] == f"{count - 1} policies"
    stack = window.document.undo_stack
    assert stack.count() == 1 and stack.undoText() == "Delete AuthorizationPolicy istio-system/edge-authz"
    stack.undo()
    assert export_files(project) == before
    save_project(project, str(tmp_path / "after.mesh.yaml"))
    assert (tmp_path / "after.mesh.yaml").read_bytes() == (tmp_path / "before.mesh.yaml").read_bytes()
    assert card_policy_tag(window)[0] == f"{count} policies"


def test_new_names_are_dns_labels():
    from meshdesigner.gui.security.new_policy import dns_name
    from meshdesigner.model.names import label_problem

    assert dns_name("Edge.Public_GW") == "edge-public-gw"
    assert dns_name("--") == "policy"
    long = dns_name("a" * 80 + "-b")
    assert len(long) == 63 and label_problem(long) is None


def test_a_gateway_without_selector_cannot_get_a_policy(qtbot, tmp_path, monkeypatch):
    bare = tmp_path / "bare.yaml"
    bare.write_text((DATA / "gateway.yaml").read_text().replace("  selector:\n    istio: ingressgateway\n", ""))
    window = open_window(qtbot, tmp_path, monkeypatch, [bare])
    try:
        assert not window.document.project.gateways()[0].gateway.spec.selector
        button = window.properties.findChild(QToolButton, "NewPolicy")
        assert not button.isEnabled() and "no selector" in button.toolTip()
    finally:
        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()
        qtbot.wait(10)
