"""Imported, hand-written policies in the window: a tag on the gateway card, the Policies section that
lists them with where they come from, and a YAML edit that is one undo step (offscreen Qt)."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pathlib  # noqa: E402

import pytest  # noqa: E402
from PySide6.QtWidgets import QListWidget, QPlainTextEdit, QPushButton  # noqa: E402

from security.gui_support import close_window, open_manifests  # noqa: E402

pytestmark = [pytest.mark.gui]
DATA = pathlib.Path(__file__).parent / "data"


@pytest.fixture
def window(qtbot, tmp_path, monkeypatch):
    win = open_manifests(qtbot, tmp_path, monkeypatch,
                         [DATA / f for f in ("gateway.yaml", "deny-ipblocks.yaml", "telemetry.yaml", "ratelimit.yaml")])
    yield win
    close_window(win)


def _gateway_id(window) -> str:
    (gateway,) = window.document.project.gateways()
    return gateway.id


def test_card_tag_counts_the_policies_applying_to_the_gateway(window):
    from meshdesigner.gui.scene.items import card_tags

    item = window.scene.items_by_id[_gateway_id(window)]
    tags = card_tags(item.node, window.document.project)
    assert tags[-1][0] == "3 policies"
    assert "AuthorizationPolicy (DENY) istio-system/deny-peer: selector" in tags[-1][2]
    assert "Telemetry istio-system/mesh-default: mesh-wide" in item.toolTip()


def test_policies_section_edits_a_hand_written_policy_as_the_same_resource(window, qtbot):
    window.view.focus_node(_gateway_id(window))
    listing = window.properties.findChild(QListWidget, "PolicyList")
    assert listing is not None
    rows = [listing.item(i).toolTip() for i in range(listing.count())]  # the row's two lines in one
    assert rows == ["AuthorizationPolicy (DENY) istio-system/deny-peer: selector istio=ingressgateway",
                    "EnvoyFilter istio-system/filter-local-ratelimit-svc: selector istio=ingressgateway",
                    "Telemetry istio-system/mesh-default: mesh-wide (root namespace istio-system)"]
    listing.setCurrentRow(0)
    editor = window.properties.findChild(QPlainTextEdit, "PolicyYaml")
    text = editor.toPlainText()
    assert "127.0.0.2/32" in text
    editor.setPlainText(text.replace("127.0.0.2/32", "198.51.100.0/24"))
    apply = window.properties.findChild(QPushButton, "PolicyYamlApply")
    apply.click()
    project = window.document.project
    (policy,) = [p for p in project.policies if p.name == "deny-peer"]
    assert policy.spec.rules[0].from_[0].source.ip_blocks == ["198.51.100.0/24"]
    assert policy.api_version == "security.istio.io/v1"  # written back as the same resource
    assert window.document.undo_stack.count() == 1
    # a broken edit is refused with the reason, the design unchanged
    editor = window.properties.findChild(QPlainTextEdit, "PolicyYaml")
    editor.setPlainText("spec: {rules: 5}")
    window.properties.findChild(QPushButton, "PolicyYamlApply").click()
    assert window.document.undo_stack.count() == 1
    window.document.undo_stack.undo()
    (policy,) = [p for p in window.document.project.policies if p.name == "deny-peer"]
    assert policy.spec.rules[0].from_[0].source.ip_blocks == ["127.0.0.2/32"]
