"""Odd but loadable input never crashes the analysis: every rule copes with empty, huge and strange values."""

from __future__ import annotations

import copy

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meshdesigner.analysis import analyze
from meshdesigner.io.errors import InputError

from .builders import design, dr, gw, se, server, svc, vs

BASE = [
    gw(server(), server(80, "HTTP", tls={"httpsRedirect": True}), server(443, "TLS", name="tls",
                                                                        tls={"mode": "PASSTHROUGH"})),
    vs(http=[{"match": [{"uri": {"prefix": "/a"}, "headers": {"x": {"exact": "1"}}}],
              "route": [{"destination": {"host": "reviews", "subset": "v1", "port": {"number": 9080}},
                         "weight": 80},
                        {"destination": {"host": "reviews", "subset": "v2"}, "weight": 20}],
              "retries": {"attempts": 2, "retryOn": "5xx"}, "timeout": "2s",
              "fault": {"delay": {"fixedDelay": "1s", "percentage": {"value": 10}}}},
             {"route": [{"destination": {"host": "reviews"}}]}],
       tls=[{"match": [{"sniHosts": ["a.example.com"]}], "route": [{"destination": {"host": "backend"}}]}]),
    svc(), dr(subsets=[("v1", {"version": "v1"}), ("v2", {"version": "v2"})],
              trafficPolicy={"tls": {"mode": "SIMPLE"}}),
    se(addresses=["10.0.0.1"]),
]
ODD_TEXT = st.one_of(st.sampled_from(["", "*", "a/b/c", "-", "..", "*.*", "mesh", "ñ.example.com", "x" * 300, "/",
                                      "unix://", "10.0.0.0/33", "::1", "(", "[a|b]", "MUTUAL", "TLS", "0ms"]),
                     st.text(max_size=12))
ODD_NUMBER = st.integers(min_value=-70000, max_value=70000)
ODD_ANY = st.one_of(ODD_TEXT, ODD_NUMBER, st.booleans(), st.none(), st.just([]), st.just({}))


def leaves(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from leaves(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from leaves(value, path + (i,))
    if path:
        yield path


def get_at(doc, path):
    for part in path:
        doc = doc[part]
    return doc


def set_at(doc, path, value):
    target = doc
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


ALL_LEAVES = [(i, p) for i, doc in enumerate(BASE) for p in leaves(doc) if p[0] != "apiVersion" and p[0] != "kind"]


def odd_value_like(original):
    """Mostly a value of the same type (so the model loads it), sometimes anything."""
    if isinstance(original, bool):
        return st.booleans()
    if isinstance(original, str):
        return st.one_of(ODD_TEXT, ODD_TEXT, ODD_ANY)
    if isinstance(original, int):
        return st.one_of(ODD_NUMBER, ODD_NUMBER, ODD_ANY)
    return ODD_ANY


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_odd_values_never_crash_the_rules(data):
    docs = copy.deepcopy(BASE)
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        index, path = data.draw(st.sampled_from(ALL_LEAVES))
        try:
            original = get_at(docs[index], path)
            set_at(docs[index], path, data.draw(odd_value_like(original)))
        except (KeyError, IndexError, TypeError):
            continue
    try:
        project = design(*docs)
    except (InputError, ValueError, KeyError, TypeError, AttributeError):
        return  # the importer refused it with its own error: not the analysis' business
    for diag in analyze(project):
        assert diag.message and diag.severity in ("error", "warning", "info")
