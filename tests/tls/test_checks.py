"""The pure certificate checks, each with generated certificates that pass and fail it."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import hashes

from meshdesigner.tls.checks import (
    ca_bundle_problems,
    chain_leads_to,
    chain_order_problems,
    coverage,
    covers,
    dns_name_covers,
    issued_by,
    key_matches,
    selectors_overlap,
    validity_problem,
    weak_key,
    weak_signature,
)
from meshdesigner.tls.generate import create_ca, create_server_cert

NOW = dt.datetime.now(dt.UTC)


@pytest.mark.parametrize(("san", "host", "expected"), [
    ("a.example.com", "a.example.com", True),
    ("a.example.com", "A.Example.COM", True),
    ("a.example.com", "a.example.com.", True),
    ("a.example.com", "b.example.com", False),
    ("*.example.com", "a.example.com", True),
    ("*.example.com", "example.com", False),          # not the apex
    ("*.example.com", "a.b.example.com", False),      # one label only
    ("*.example.com", "*.example.com", True),         # a wildcard host needs the same wildcard name
    ("*.example.com", "*.a.example.com", False),
    ("a.example.com", "*.example.com", False),        # one name does not cover every name of a wildcard
    ("*.com", "example.com", False),                  # a wildcard must leave two labels
    ("f*.example.com", "foo.example.com", False),     # partial wildcards: browsers refuse them
    ("*.*.example.com", "a.b.example.com", False),
    ("a.example.com", "ns/a.example.com", True),      # a Gateway host's namespace part is not a name
])
def test_dns_name_covers_as_browsers_do(san, host, expected):
    assert dns_name_covers(san, host) is expected


def test_coverage_of_a_server(server):
    result = coverage(server.cert, ["a.example.com", "x.b.example.com", "b.example.com", "c.example.com",
                                    "*", "127.0.0.1", "127.0.0.2"])
    assert result.uncovered == ("b.example.com", "c.example.com", "127.0.0.2")
    assert result.any_host == ("*",)
    assert not result.ok
    assert coverage(server.cert, ["a.example.com", "q.b.example.com"]).ok


def test_ip_hosts_need_ip_sans(ca):
    dns_only = create_server_cert(ca, ["10.0.0.1.example.com"])
    assert not covers(dns_only.cert, "10.0.0.1")
    with_ip = create_server_cert(ca, ["::1"])
    assert covers(with_ip.cert, "0:0::1")


def test_key_matches(ca, server):
    assert key_matches(server.cert, server.key)
    assert not key_matches(server.cert, ca.key)


def test_validity(ca, server):
    # the certificate's own clock: the fixture may be made minutes after this module was imported (a busy
    # machine), and a certificate starts only CLOCK_SKEW before it was made
    assert validity_problem(server.cert, server.cert.not_valid_before_utc + dt.timedelta(minutes=6), 30) is None
    now = dt.datetime.now(dt.UTC)  # not the import time: a long run may reach this test minutes later
    past = create_server_cert(ca, ["a.example.com"], not_before=now - dt.timedelta(days=100),
                              not_after=now - dt.timedelta(days=10))
    assert validity_problem(past.cert, now).kind == "expired"
    future = create_server_cert(ca, ["a.example.com"], not_before=now + dt.timedelta(days=3))
    problem = validity_problem(future.cert, now)
    assert problem.kind == "not-yet-valid" and "in 2 days" in problem.message
    soon = create_server_cert(ca, ["a.example.com"], days=10)
    assert validity_problem(soon.cert, now, 30).kind == "expiring"
    assert validity_problem(soon.cert, now, 5) is None   # the warning window is configurable
    assert validity_problem(soon.cert, now, 0) is None   # 0 turns the warning off


def test_weak_key_and_sha1(ca, server):
    assert weak_key(server.cert) is None and weak_signature(server.cert) is None
    weak = create_server_cert(ca, ["a.example.com"], key_size=1024)
    assert "1024" in weak_key(weak.cert)
    sha1 = create_server_cert(ca, ["a.example.com"], hash_algorithm=hashes.SHA1())
    assert weak_signature(sha1.cert) == "sha1"
    assert weak_key(create_server_cert(ca, ["e.example.com"], key_type="ec").cert) is None


def test_chain_order_and_trust(ca, other_ca):
    intermediate = create_ca("Intermediate", issuer=ca)
    leaf = create_server_cert(intermediate, ["a.example.com"])
    assert issued_by(leaf.cert, intermediate.cert) and not issued_by(leaf.cert, ca.cert)
    assert chain_order_problems([leaf.cert, intermediate.cert, ca.cert]) == []
    problems = chain_order_problems([leaf.cert, ca.cert, intermediate.cert])
    assert len(problems) == 2 and "its issuer is certificate 3" in problems[0]
    assert chain_leads_to([leaf.cert, intermediate.cert], [ca.cert])
    assert chain_leads_to([leaf.cert], [intermediate.cert])           # an intermediate as the anchor
    assert chain_leads_to([leaf.cert, intermediate.cert, ca.cert], [ca.cert])
    assert not chain_leads_to([leaf.cert, intermediate.cert], [other_ca.cert])   # untrusted
    assert not chain_leads_to([leaf.cert], [ca.cert])                  # the intermediate is missing


def test_a_forged_issuer_name_is_not_issued_by(ca):
    impostor = create_ca("MeshDesigner local CA")  # same name as the ``ca`` fixture, another key
    leaf = create_server_cert(impostor, ["a.example.com"])
    assert leaf.cert.issuer == ca.cert.subject      # same name...
    assert not issued_by(leaf.cert, ca.cert)         # ...but not ca's signature
    assert not chain_leads_to([leaf.cert], [ca.cert])


def test_sha1_signed_chain_still_verifies(ca):
    sha1 = create_server_cert(ca, ["a.example.com"], hash_algorithm=hashes.SHA1())
    assert issued_by(sha1.cert, ca.cert)


def test_ca_bundle_must_hold_cas(ca, server):
    assert ca_bundle_problems([ca.cert]) == []
    assert "not a CA" in ca_bundle_problems([ca.cert, server.cert])[0]


@pytest.mark.parametrize(("a", "b", "expected"), [
    ({"istio": "ingressgateway"}, {"istio": "ingressgateway"}, True),
    ({"istio": "ingressgateway"}, {"istio": "ingressgateway", "zone": "a"}, True),
    ({"istio": "ingressgateway"}, {"istio": "private"}, False),
    ({}, {"istio": "private"}, True),
    (None, None, True),
])
def test_selectors_overlap(a, b, expected):
    assert selectors_overlap(a, b) is expected
    assert selectors_overlap(b, a) is expected
