"""HTTP rule fields in the properties panel: direct response and mirror. Each edit typed into the panel
is one undo step that undo reverts and redo re-applies; bad input shows its reason and changes nothing."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLineEdit

from meshdesigner.gui.edits import get_in, node_data, path_text
from meshdesigner.model import NodeKind

pytestmark = [pytest.mark.qt_log_level_fail("WARNING"), pytest.mark.qt_log_ignore("propagateSizeHints")]

RULE = ("virtual_service", "spec", "http", 0)


def type_into(window, path: tuple, text: str) -> QLineEdit:
    """Type ``text`` into the properties field bound to ``path`` (as a user would: textEdited)."""
    name = "field:" + ".".join(map(str, path))
    line = window.properties.findChild(QLineEdit, name)
    assert line is not None, f"no field {name}"
    line.setFocus()
    line.setText(text)
    line.textEdited.emit(text)
    return line


def field_error(window, path: tuple) -> str:
    field = window.properties.fields_by_path[path_text(path)]
    return "" if field.error.isHidden() else field.error.text()


def vs_with_rule(window, rule: dict) -> str:
    """A virtual service whose first HTTP rule is ``rule``, shown in the properties panel."""
    node = window.document.create_node(NodeKind.VIRTUAL_SERVICE, (40.0, 40.0))
    window.document.set_field(node.id, RULE, rule)
    window.view.focus_node(node.id)
    assert window.properties.node_id == node.id
    return node.id


def rule_value(window, node_id: str, *path) -> object:
    return get_in(node_data(window.document.project.node(node_id)), (*RULE, *path))


def assert_one_step(window, node_id: str, path: tuple, before: object, after: object) -> None:
    """The last edit set ``path`` to ``after`` as one undo step: undo restores ``before``, redo ``after``."""
    stack = window.document.undo_stack
    assert rule_value(window, node_id, *path) == after
    stack.undo()
    assert rule_value(window, node_id, *path) == before
    stack.redo()
    assert rule_value(window, node_id, *path) == after


def test_direct_response_status_and_body(make_editor):
    window = make_editor()
    vs_id = vs_with_rule(window, {"match": [{"uri": {"prefix": "/gone"}}]})
    stack = window.document.undo_stack

    start = stack.count()
    type_into(window, (*RULE, "directResponse", "status"), "410")
    assert stack.count() == start + 1
    assert window.document.project.node(vs_id).virtual_service.spec.http[0].direct_response.status == 410
    assert_one_step(window, vs_id, ("directResponse",), None, {"status": 410})

    start = stack.count()
    type_into(window, (*RULE, "directResponse", "body", "string"), "moved away")
    assert stack.count() == start + 1
    body = window.document.project.node(vs_id).virtual_service.spec.http[0].direct_response.body
    assert body.string == "moved away"
    assert_one_step(window, vs_id, ("directResponse", "body", "string"), None, "moved away")


@pytest.mark.parametrize("text", ["700", "199", "abc"])
def test_invalid_status_shows_reason_and_changes_nothing(make_editor, text):
    window = make_editor()
    vs_id = vs_with_rule(window, {"match": [{"uri": {"prefix": "/gone"}}]})
    before = node_data(window.document.project.node(vs_id))
    count = window.document.undo_stack.count()
    path = (*RULE, "directResponse", "status")
    type_into(window, path, text)
    assert "a status from 200 to 599" in field_error(window, path)
    assert node_data(window.document.project.node(vs_id)) == before
    assert window.document.undo_stack.count() == count


@pytest.mark.parametrize("conflict, reason", [
    ({"route": [{"destination": {"host": "reviews"}}]}, "remove the destinations"),
    ({"redirect": {"uri": "/new"}}, "remove the redirect"),
])
def test_direct_response_beside_destinations_or_redirect_is_refused(make_editor, conflict, reason):
    window = make_editor()
    vs_id = vs_with_rule(window, {"match": [{"uri": {"prefix": "/"}}], **conflict})
    before = node_data(window.document.project.node(vs_id))
    count = window.document.undo_stack.count()
    for path, text in (((*RULE, "directResponse", "status"), "503"),
                       ((*RULE, "directResponse", "body", "string"), "down")):
        type_into(window, path, text)
        message = field_error(window, path)
        assert "either destinations, a redirect or a direct response" in message and reason in message
    assert node_data(window.document.project.node(vs_id)) == before
    assert window.document.undo_stack.count() == count


def test_mirror_fields(make_editor):
    window = make_editor()
    vs_id = vs_with_rule(window, {"route": [{"destination": {"host": "reviews"}}]})
    stack = window.document.undo_stack
    edits = [
        (("mirror", "host"), "reviews-shadow", "reviews-shadow"),
        (("mirror", "subset"), "v2", "v2"),
        (("mirror", "port", "number"), "9080", 9080),
        (("mirrorPercentage", "value"), "25", 25),
    ]
    for path, text, value in edits:
        start = stack.count()
        before = rule_value(window, vs_id, *path)
        type_into(window, (*RULE, *path), text)
        assert stack.count() == start + 1, path
        assert_one_step(window, vs_id, path, before, value)
    rule = window.document.project.node(vs_id).virtual_service.spec.http[0]
    assert (rule.mirror.host, rule.mirror.subset, rule.mirror.port.number) == ("reviews-shadow", "v2", 9080)
    assert rule.mirror_percentage.value == 25
    assert rule.route[0].destination.host == "reviews"  # mirroring leaves the destinations alone


@pytest.mark.parametrize("path, text, reason", [
    (("mirrorPercentage", "value"), "150", "percentage from 0 to 100"),
    (("mirror", "port", "number"), "70000", "port must be from 1 to 65535"),
    (("mirror", "host"), "bad_host!", "not a valid DNS label"),
])
def test_invalid_mirror_input_changes_nothing(make_editor, path, text, reason):
    window = make_editor()
    vs_id = vs_with_rule(window, {"route": [{"destination": {"host": "reviews"}}]})
    before = node_data(window.document.project.node(vs_id))
    count = window.document.undo_stack.count()
    type_into(window, (*RULE, *path), text)
    assert reason in field_error(window, (*RULE, *path))
    assert node_data(window.document.project.node(vs_id)) == before
    assert window.document.undo_stack.count() == count
