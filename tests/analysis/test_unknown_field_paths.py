"""MD0501's walk: every unknown field below a resource, with its manifest path, depth first in document order."""

from __future__ import annotations

from meshdesigner.analysis.rules.unknown_fields import unknown_field_paths
from meshdesigner.model.virtualservice import VirtualService


def test_paths_of_unknown_fields_at_every_depth():
    vs = VirtualService.from_wire({"metadata": {"name": "a"}, "spec": {
        "hosts": ["a.example.com"], "foo": 1,
        "http": [{"match": [{"uri": {"prefix": "/", "q": 1}, "headers": {"x-h": {"exact": "1", "k": 2}}}],
                  "route": [{"destination": {"host": "x", "bar": 2}, "headers": {"request": {"zz": 1}}}]}]}})
    assert unknown_field_paths(vs.spec) == [
        ("spec.foo", "foo"),
        ("spec.http[0].match[0].uri.q", "q"),
        ("spec.http[0].match[0].headers[x-h].k", "k"),
        ("spec.http[0].route[0].destination.bar", "bar"),
        ("spec.http[0].route[0].headers.request.zz", "zz"),
    ]
    assert unknown_field_paths(vs.spec, base="")[0] == ("foo", "foo")


def test_a_resource_without_unknown_fields_has_none():
    vs = VirtualService.from_wire({"metadata": {"name": "a"}, "spec": {
        "hosts": ["a.example.com"], "http": [{"route": [{"destination": {"host": "x"}}]}]}})
    assert unknown_field_paths(vs.spec) == []


def test_an_unknown_field_deep_in_a_later_entry_is_found():
    # every earlier entry has set fields that can hold models but nothing unknown below them
    clean = {"match": [{"uri": {"prefix": "/"}}], "route": [{"destination": {"host": "x", "port": {"number": 80}}}]}
    deep = {"match": [{"uri": {"prefix": "/b"}}],
            "route": [{"destination": {"host": "y", "port": {"number": 80}}},
                      {"destination": {"host": "z", "port": {"number": 81, "extra": True}}}]}
    vs = VirtualService.from_wire({"metadata": {"name": "a"}, "spec": {
        "hosts": ["a.example.com"], "http": [clean, clean, deep]}})
    assert unknown_field_paths(vs.spec) == [("spec.http[2].route[1].destination.port.extra", "extra")]
