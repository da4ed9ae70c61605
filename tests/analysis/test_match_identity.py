"""``memo.match_identity`` stands for validation.go's asJSON comparison of route matches, which the rules used
to make with ``model_dump(exclude={"name"}, exclude_none=True)`` on both sides: equal identities must mean
exactly equal dumps."""

from __future__ import annotations

import itertools

import pytest

from meshdesigner.analysis.memo import match_identity
from meshdesigner.model.virtualservice import HTTPMatchRequest, L4MatchAttributes, TLSMatchAttributes

HTTP = [
    {"name": "x", "uri": {"prefix": "/a"}},
    {"uri": {"prefix": "/a"}},
    {"uri": {"exact": "/a"}},
    {"uri": {"prefix": "/a"}, "headers": {"a": {"exact": "1"}, "b": {}}},
    {"headers": {"b": {}, "a": {"exact": "1"}}, "uri": {"prefix": "/a"}},      # same, keys in another order
    {"uri": {"prefix": "/a"}, "headers": {"a": {"exact": "2"}, "b": {}}},
    {"uri": {"prefix": "/a"}, "extraField": None},                             # an unknown None is dropped
    {"uri": {"prefix": "/a"}, "extraField": [1, None]},                        # ... but not inside a list
    {"uri": {"prefix": "/a"}, "extraField": {"k": None}},
    {"port": 1}, {"port": 1, "ignoreUriCase": True}, {"port": 2}, {},
    {"sourceLabels": {"app": "a"}}, {"gateways": ["a", "b"]}, {"gateways": ["b", "a"]},
]
TLS = [{"sniHosts": ["a"]}, {"sniHosts": ["a"], "name": "n"}, {"sniHosts": ["a"], "extra": None},
       {"sniHosts": ["a", "b"]}, {"sniHosts": ["a"], "port": 443}]
L4 = [{"port": 1}, {"port": 1, "destinationSubnets": ["10.0.0.0/8"]}, {}]


@pytest.mark.parametrize(("model", "wires"), [(HTTPMatchRequest, HTTP), (TLSMatchAttributes, TLS),
                                              (L4MatchAttributes, L4)])
def test_identity_equal_exactly_when_dumps_equal(model, wires):
    matches = [model.from_wire(w) for w in wires]
    for a, b in itertools.product(matches, matches):
        dumps_equal = a.model_dump(exclude={"name"}, exclude_none=True) == b.model_dump(exclude={"name"},
                                                                                      exclude_none=True)
        assert (match_identity(a) == match_identity(b)) is dumps_equal, (a, b)
