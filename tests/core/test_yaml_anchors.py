"""``dump_canonical(data, shared)``: mappings that occur several times are written once (an anchor) and
referred to after that (an alias); YAML readers give back the same data."""

from __future__ import annotations

import yaml

from meshdesigner.io.yamlio import dump_canonical


def test_a_shared_mapping_is_written_once_and_read_back_everywhere():
    rbac = {"name": "envoy.filters.http.rbac", "typed_config": {"rules": {"action": "DENY"}}}
    data = {"chains": [{"filters": [rbac, {"name": "router"}]}, {"filters": [rbac]}], "first": rbac}
    text = dump_canonical(data, {id(rbac): "rbac-http-deny"})
    assert text.count("envoy.filters.http.rbac") == 1
    assert text.count("&rbac-http-deny") == 1 and text.count("*rbac-http-deny") == 2
    assert yaml.safe_load(text) == data


def test_without_shared_mappings_nothing_is_anchored():
    item = {"a": 1}
    data = {"x": [item, item]}
    text = dump_canonical(data)
    assert "&" not in text and "*" not in text
    assert yaml.safe_load(text) == data
