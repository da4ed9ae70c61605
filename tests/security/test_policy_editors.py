"""The field-by-field policy editors of the Properties panel (offscreen Qt).

Every policy here is hand-written Istio YAML (``data/editor-policies.yaml``), imported, never drawn. For
each kind an edit through a field changes the design, undo gives back exactly the imported resource,
redo the edited one, and the YAML tab shows the change; the fields the model does not know, the
metadata and the apiVersion the policy was written in are kept (the expected manifests are the file's
documents with the one change written by hand).
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import copy  # noqa: E402
import pathlib  # noqa: E402

import pytest  # noqa: E402
import yaml  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QCheckBox,
    QComboBox,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTabWidget,
    QToolButton,
)

from meshdesigner.io.project_file import load_project  # noqa: E402
from security.gui_support import close_window, open_manifests  # noqa: E402

pytestmark = [pytest.mark.gui]
DATA = pathlib.Path(__file__).parent / "data"
ORIGINAL = {doc["metadata"]["name"]: doc for doc in yaml.safe_load_all((DATA / "editor-policies.yaml").read_text())}


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    win = open_manifests(qtbot, tmp_path, monkeypatch, [DATA / "gateway.yaml", DATA / "editor-policies.yaml"])
    (gateway,) = win.document.project.gateways()
    win.view.focus_node(gateway.id)
    yield win
    close_window(win)


def policy(window, name: str):
    (found,) = [p for p in window.document.project.policies if p.name == name]
    return found


def open_policy(window, name: str) -> None:
    listing = window.properties.findChild(QListWidget, "PolicyList")
    rows = [listing.item(i).text() for i in range(listing.count())]
    (row,) = [i for i, text in enumerate(rows) if f"/{name}\n" in text]
    listing.setCurrentRow(row)
    tabs = window.properties.findChild(QTabWidget, "PolicyTabs")
    tabs.setCurrentIndex(0)


def find(window, kind, name: str):
    widget = window.properties.findChild(kind, name)
    assert widget is not None, f"no {kind.__name__} {name}"
    return widget


def type_into(qtbot, line: QLineEdit, text: str) -> None:
    """Replace the line's text by typing, key by key, as a user does."""
    line.setFocus()
    line.selectAll()
    if text:
        qtbot.keyClicks(line, text)
    else:
        qtbot.keyClick(line, Qt.Key.Key_Backspace)


def choose(combo: QComboBox, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, text
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def yaml_tab(window) -> dict:
    return yaml.safe_load(find(window, QPlainTextEdit, "PolicyYaml").toPlainText())


def check_undo_redo(window, name: str, expected: dict, steps: int = 1) -> None:
    """The design holds ``expected``; undo gives back the imported resource exactly, redo the edit."""
    stack = window.document.undo_stack
    assert stack.count() == steps
    edited = policy(window, name)
    assert edited.manifest() == expected
    assert yaml_tab(window) == expected  # the YAML view follows the field
    for _ in range(steps):
        stack.undo()
    assert policy(window, name).manifest() == ORIGINAL[name]
    assert yaml_tab(window) == ORIGINAL[name]
    for _ in range(steps):
        stack.redo()
    assert policy(window, name) == edited
    assert yaml_tab(window) == expected


# ----- AuthorizationPolicy -----------------------------------------------------------------------
def test_authorization_source_typed_is_one_undo_step_and_keeps_unknown_fields(window, qtbot):
    open_policy(window, "edge-authz")
    line = find(window, QLineEdit, "field:spec.rules.0.from.0.source.ipBlocks")
    type_into(qtbot, line, "10.0.0.0/8, 192.0.2.7")
    # the editor followed in place: the same line edit, still focused, still holding what was typed
    assert find(window, QLineEdit, "field:spec.rules.0.from.0.source.ipBlocks") is line
    assert line.text() == "10.0.0.0/8, 192.0.2.7"
    expected = copy.deepcopy(ORIGINAL["edge-authz"])
    expected["spec"]["rules"][0]["from"][0]["source"]["ipBlocks"] = ["10.0.0.0/8", "192.0.2.7"]
    check_undo_redo(window, "edge-authz", expected)


def test_authorization_bad_address_is_refused_with_the_reason(window, qtbot):
    open_policy(window, "edge-authz")
    line = find(window, QLineEdit, "field:spec.rules.0.from.0.source.ipBlocks")
    type_into(qtbot, line, "gw.example.com")
    assert window.document.undo_stack.count() == 0
    assert policy(window, "edge-authz").manifest() == ORIGINAL["edge-authz"]
    errors = [e.text() for e in line.parentWidget().findChildren(type(line.parentWidget().error))]
    assert any("not an IP address or CIDR range" in text for text in errors)


def test_authorization_action_and_provider(window, qtbot):
    open_policy(window, "edge-authz")
    choose(find(window, QComboBox, "field:spec.action"), "CUSTOM")
    type_into(qtbot, find(window, QLineEdit, "field:spec.provider.name"), "ext-authz")
    expected = copy.deepcopy(ORIGINAL["edge-authz"])
    expected["spec"]["action"] = "CUSTOM"
    expected["spec"]["provider"] = {"name": "ext-authz"}
    check_undo_redo(window, "edge-authz", expected, steps=2)


def test_authorization_operation_condition_and_negations(window, qtbot):
    open_policy(window, "edge-authz")
    type_into(qtbot, find(window, QLineEdit, "field:spec.rules.0.to.0.operation.notPaths"), "/admin/health")
    type_into(qtbot, find(window, QLineEdit, "field:spec.rules.0.to.0.operation.ports"), "8080")
    key = find(window, QComboBox, "field:spec.rules.0.when.0.key")
    type_into(qtbot, key.lineEdit(), "request.auth.claims[groups]")
    type_into(qtbot, find(window, QLineEdit, "field:spec.rules.0.when.0.notValues"), "admins, \"ops,eu\"")
    expected = copy.deepcopy(ORIGINAL["edge-authz"])
    operation = expected["spec"]["rules"][0]["to"][0]["operation"]
    operation["notPaths"] = ["/admin/health"]
    operation["ports"] = ["8080"]
    expected["spec"]["rules"][0]["when"][0] = {"key": "request.auth.claims[groups]", "values": ["staging"],
                                               "notValues": ["admins", "ops,eu"]}
    check_undo_redo(window, "edge-authz", expected, steps=4)


def test_authorization_unknown_condition_key_is_refused(window, qtbot):
    open_policy(window, "edge-authz")
    key = find(window, QComboBox, "field:spec.rules.0.when.0.key")
    type_into(qtbot, key.lineEdit(), "request.cookies[session]")
    assert window.document.undo_stack.count() == 0
    # the keys Istio accepts at a gateway are offered
    offered = [key.itemText(i) for i in range(key.count())]
    for wanted in ("source.ip", "remote.ip", "request.auth.claims[]", "destination.port", "connection.sni",
                   "request.headers[]", "experimental.envoy.filters."):
        assert wanted in offered


def test_authorization_rules_added_moved_and_removed(window, qtbot):
    open_policy(window, "edge-authz")
    find(window, QToolButton, "policy-rule-add").click()
    rules = policy(window, "edge-authz").spec.rules
    assert len(rules) == 3 and rules[2].to_wire() == {}
    # the new rule is picked; give it a source, then move it to the top
    find(window, QToolButton, "policy-source-add").click()
    type_into(qtbot, find(window, QLineEdit, "field:spec.rules.2.from.0.source.ipBlocks"), "198.51.100.0/24")
    find(window, QToolButton, "policy-rule-up").click()
    find(window, QToolButton, "policy-rule-up").click()
    spec = policy(window, "edge-authz").to_wire()["spec"]
    assert spec["rules"][0] == {"from": [{"source": {"ipBlocks": ["198.51.100.0/24"]}}]}
    assert spec["rules"][1:] == ORIGINAL["edge-authz"]["spec"]["rules"]
    assert spec["futureSpecField"] == {"keep": "me"}
    # remove the second rule (the first of the file): pick it, press remove
    find(window, QListWidget, "policy-list:rule").setCurrentRow(1)
    find(window, QToolButton, "policy-rule-remove").click()
    spec = policy(window, "edge-authz").to_wire()["spec"]
    assert [r.get("to") for r in spec["rules"]] == [None, ORIGINAL["edge-authz"]["spec"]["rules"][1]["to"]]
    stack = window.document.undo_stack
    assert stack.count() == 6  # add rule, add source, typing (one step), up, up, remove
    while stack.canUndo():
        stack.undo()
    assert policy(window, "edge-authz").manifest() == ORIGINAL["edge-authz"]


def test_authorization_selector_label_edit(window, qtbot):
    open_policy(window, "edge-authz")
    table = find(window, QTableWidget, "table:spec.selector.matchLabels")
    table.item(0, 1).setText("edge")
    expected = copy.deepcopy(ORIGINAL["edge-authz"])
    expected["spec"]["selector"]["matchLabels"]["istio"] = "edge"
    # the policy no longer selects the gateway: it leaves the list (the panel rebuilds)
    assert policy(window, "edge-authz").manifest() == expected
    listing = find(window, QListWidget, "PolicyList")
    assert not any("edge-authz" in listing.item(i).text() for i in range(listing.count()))
    window.document.undo_stack.undo()
    assert policy(window, "edge-authz").manifest() == ORIGINAL["edge-authz"]


# ----- RequestAuthentication ---------------------------------------------------------------------
def test_request_authentication_jwt_rule_fields(window, qtbot):
    open_policy(window, "edge-jwt")
    type_into(qtbot, find(window, QLineEdit, "field:spec.jwtRules.0.issuer"), "https://login.example.org")
    type_into(qtbot, find(window, QLineEdit, "field:spec.jwtRules.0.audiences"), "shop, admin")
    type_into(qtbot, find(window, QLineEdit, "field:spec.jwtRules.0.fromCookies"), "session")
    find(window, QTableWidget, "table:spec.jwtRules.0.fromHeaders").item(0, 1).setText("Token")
    box = next(b for b in window.properties.findChildren(QCheckBox) if b.text().startswith("Forward the original"))
    box.setChecked(False)
    expected = copy.deepcopy(ORIGINAL["edge-jwt"])
    rule = expected["spec"]["jwtRules"][0]
    rule.update(issuer="https://login.example.org", audiences=["shop", "admin"], fromCookies=["session"])
    rule["fromHeaders"][0]["prefix"] = "Token"
    del rule["forwardOriginalToken"]
    assert rule["futureJwtField"] == 7
    check_undo_redo(window, "edge-jwt", expected, steps=5)
    assert policy(window, "edge-jwt").api_version == "security.istio.io/v1beta1"


def test_request_authentication_inline_jwks(window, qtbot):
    open_policy(window, "edge-jwt")
    jwks = '{"keys": [{"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"}]}'
    type_into(qtbot, find(window, QLineEdit, "field:spec.jwtRules.0.jwksUri"), "")
    find(window, QPlainTextEdit, "field:spec.jwtRules.0.jwks").setPlainText(jwks)
    find(window, QPushButton, "apply:spec.jwtRules.0.jwks").click()
    expected = copy.deepcopy(ORIGINAL["edge-jwt"])
    del expected["spec"]["jwtRules"][0]["jwksUri"]
    expected["spec"]["jwtRules"][0]["jwks"] = jwks
    check_undo_redo(window, "edge-jwt", expected, steps=2)


# ----- Telemetry ---------------------------------------------------------------------------------
def test_telemetry_access_log_fields_and_tracing_yaml(window, qtbot):
    open_policy(window, "mesh-default")
    type_into(qtbot, find(window, QLineEdit, "field:spec.accessLogging.0.providers"), "envoy, otel")
    type_into(qtbot, find(window, QLineEdit, "field:spec.accessLogging.0.filter.expression"), "response.code >= 500")
    choose(find(window, QComboBox, "field:spec.accessLogging.0.match.mode"), "SERVER")
    find(window, QPlainTextEdit, "field:spec.tracing").setPlainText("- randomSamplingPercentage: 25.0\n")
    find(window, QPushButton, "apply:spec.tracing").click()
    expected = copy.deepcopy(ORIGINAL["mesh-default"])
    log = expected["spec"]["accessLogging"][0]
    log["providers"] = [{"name": "envoy"}, {"name": "otel"}]
    log["filter"]["expression"] = "response.code >= 500"
    log["match"] = {"mode": "SERVER"}
    expected["spec"]["tracing"] = [{"randomSamplingPercentage": 25.0}]
    check_undo_redo(window, "mesh-default", expected, steps=4)


def test_telemetry_access_log_disabled(window, qtbot):
    open_policy(window, "mesh-default")
    box = next(b for b in window.properties.findChildren(QCheckBox) if b.text().startswith("Disabled"))
    box.setChecked(True)
    expected = copy.deepcopy(ORIGINAL["mesh-default"])
    expected["spec"]["accessLogging"][0]["disabled"] = True
    check_undo_redo(window, "mesh-default", expected)


# ----- PeerAuthentication ------------------------------------------------------------------------
def test_peer_authentication_mode_and_port_modes(window, qtbot):
    open_policy(window, "edge-mtls")
    choose(find(window, QComboBox, "field:spec.mtls.mode"), "STRICT")
    find(window, QTableWidget, "table:spec.portLevelMtls").item(0, 1).setText("DISABLE")
    expected = copy.deepcopy(ORIGINAL["edge-mtls"])
    expected["spec"]["mtls"]["mode"] = "STRICT"
    expected["spec"]["portLevelMtls"] = {"8443": {"mode": "DISABLE"}}  # the API server stores keys as text
    original = copy.deepcopy(ORIGINAL["edge-mtls"])
    original["spec"]["portLevelMtls"] = {"8443": {"mode": "STRICT"}}
    ORIGINAL_TEXT_KEYS = {**ORIGINAL, "edge-mtls": original}
    stack = window.document.undo_stack
    assert stack.count() == 2
    assert policy(window, "edge-mtls").manifest() == expected == yaml_tab(window)
    stack.undo()
    stack.undo()
    assert policy(window, "edge-mtls").manifest() == ORIGINAL_TEXT_KEYS["edge-mtls"] == yaml_tab(window)
    stack.redo()
    stack.redo()
    assert policy(window, "edge-mtls").manifest() == expected


# ----- EnvoyFilter -------------------------------------------------------------------------------
def test_envoy_filter_priority_and_checked_patches(window, qtbot):
    open_policy(window, "edge-lua")
    type_into(qtbot, find(window, QLineEdit, "field:spec.priority"), "-5")
    patches = find(window, QPlainTextEdit, "field:spec.configPatches")
    text = patches.toPlainText()
    assert "INSERT_BEFORE" in text
    patches.setPlainText(text.replace("INSERT_BEFORE", "INSERT_FIRST"))
    find(window, QPushButton, "apply:spec.configPatches").click()
    expected = copy.deepcopy(ORIGINAL["edge-lua"])
    expected["spec"]["priority"] = -5
    expected["spec"]["configPatches"][0]["patch"]["operation"] = "INSERT_FIRST"
    check_undo_redo(window, "edge-lua", expected, steps=2)


def test_envoy_filter_patches_istio_rejects_are_named(window, qtbot):
    open_policy(window, "edge-lua")
    patches = find(window, QPlainTextEdit, "field:spec.configPatches")
    patches.setPlainText(patches.toPlainText().replace("applyTo: HTTP_FILTER", "applyTo: CLUSTER"))
    find(window, QPushButton, "apply:spec.configPatches").click()
    assert policy(window, "edge-lua").spec.config_patches[0].apply_to == "CLUSTER"  # applied, and named:
    error = patches.parentWidget().error.text()
    assert "Istio would reject" in error and "INSERT_BEFORE is not a supported operation for CLUSTER" in error
    # YAML that does not parse is refused and nothing changes
    patches.setPlainText("- applyTo: [unclosed\n")
    find(window, QPushButton, "apply:spec.configPatches").click()
    assert window.document.undo_stack.count() == 1


# ----- both views, the file -----------------------------------------------------------------------
def test_yaml_tab_edit_shows_in_the_fields(window, qtbot):
    open_policy(window, "edge-authz")
    find(window, QTabWidget, "PolicyTabs").setCurrentIndex(1)
    editor = find(window, QPlainTextEdit, "PolicyYaml")
    editor.setPlainText(editor.toPlainText().replace("- POST", "- PUT"))
    find(window, QPushButton, "PolicyYamlApply").click()
    assert policy(window, "edge-authz").spec.rules[0].to[0].operation.methods == ["PUT"]
    assert find(window, QLineEdit, "field:spec.rules.0.to.0.operation.methods").text() == "PUT"
    assert find(window, QTabWidget, "PolicyTabs").currentIndex() == 1  # the tab stays picked


def test_edited_hand_written_policy_is_saved_as_the_same_resource(window, qtbot, tmp_path):
    open_policy(window, "edge-authz")
    type_into(qtbot, find(window, QLineEdit, "field:spec.rules.0.to.0.operation.methods"), "POST, DELETE")
    path = tmp_path / "saved.mesh.yaml"
    window.document.save(str(path))
    saved = load_project(str(path)).policy(("AuthorizationPolicy", "istio-system", "edge-authz"))
    expected = copy.deepcopy(ORIGINAL["edge-authz"])
    expected["spec"]["rules"][0]["to"][0]["operation"]["methods"] = ["POST", "DELETE"]
    assert saved.manifest() == expected


def test_origins_are_named():
    from meshdesigner.gui.security.section import origin
    from meshdesigner.model.security import policy_from_manifest

    def make(namespace, spec):
        return policy_from_manifest({"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
                                     "metadata": {"name": "p", "namespace": namespace}, "spec": spec})

    assert origin(make("istio-system", {}), "istio-system") == "mesh-wide (root namespace istio-system)"
    assert origin(make("edge", {}), "istio-system") == "namespace-wide (edge)"
    assert origin(make("edge", {"selector": {"matchLabels": {"app": "gw"}}}), "istio-system") == "selector app=gw"
    ref = {"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "web"}
    assert origin(make("edge", {"targetRefs": [ref]}), "istio-system") == "targetRef Gateway/web"
