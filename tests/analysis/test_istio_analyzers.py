"""Istio's analyzers, ported: one table per analyzer, cases written from the Go conditions.

Each row is ``(case id, manifests, settings, code, istio code, severity, triggers)``: a triggering case must
report ``code`` with Istio's code and severity; a near miss (``triggers=False``) must not report ``code``.
Expected answers are written by hand from the analyzer's source (named above each table).
"""

from __future__ import annotations

import pytest

from meshdesigner.analysis import analyze
from meshdesigner.model.project import ProjectSettings

from .builders import dr, gw, meta, se, server, svc, vs

E, W, I = "error", "warning", "info"  # noqa: E741
HTTP80 = server(80, "HTTP", hosts=["foo.example.com"])


def pod(name, labels, ns="default"):
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta(name, ns, labels=labels),
            "spec": {"containers": [{"name": "c", "image": "i"}]}}


def secret(name, ns="default", keys=("tls.crt", "tls.key"), kind="kubernetes.io/tls"):
    return {"apiVersion": "v1", "kind": "Secret", "metadata": meta(name, ns), "type": kind,
            "data": {k: "" for k in keys}}


def run(docs, settings=None):
    from .builders import design

    project = design(*docs)
    if settings:
        project.set_settings(ProjectSettings(**settings))
    return analyze(project)


# virtualservice/gateways.go GatewayAnalyzer.analyzeVirtualService: a gateway entry naming no Gateway in the
# input: IST0101 (error) and, the gateway having no hosts, IST0132 (warning) on the same entry.
GATEWAYS = [
    ("missing-gateway-ist0101", [vs(gateways=["nope"]), svc()], None, "MD0401", "IST0101", E, True),
    ("missing-gateway-ist0132", [vs(gateways=["nope"]), svc()], None, "MD1001", "IST0132", W, True),
    ("present-gateway", [gw(), vs(), svc()], None, "MD0401", "IST0101", E, False),
    ("present-gateway-no-0132", [gw(), vs(), svc()], None, "MD1001", "IST0132", W, False),
    ("mesh-entry", [vs(gateways=["mesh"], hosts=["reviews"]), svc()], None, "MD0401", "IST0101", E, False),
    ("declared-external", [vs(gateways=["istio-system/shared"]), svc()],
     {"external_resources": ("istio-system/Gateway/shared",)}, "MD0401", "IST0101", E, False),
    ("declared-external-0132", [vs(gateways=["istio-system/shared"]), svc()],
     {"external_resources": ("istio-system/Gateway/shared",)}, "MD1001", "IST0132", W, False),
    ("external-other-name", [vs(gateways=["istio-system/other"]), svc()],
     {"external_resources": ("istio-system/Gateway/shared",)}, "MD0401", "IST0101", E, True),
]

# gateway/conflictinggateway.go ConflictingGatewayAnalyzer: same selector string, same port number, a host
# string in common (model.CheckDuplicates compares hosts as written) and the same bind; protocols not compared.
TCP80 = server(80, "TCP", name="tcp-80", hosts=["foo.example.com"])
CONFLICTS = [
    ("http-and-tcp-same-host", [gw(HTTP80, name="a"), gw(TCP80, name="b")], None, "MD0413", "IST0145", E, True),
    ("http-and-http-same-host", [gw(HTTP80, name="a"), gw(HTTP80, name="b")], None, "MD0413", "IST0145", E, True),
    ("hosts-written-differently", [gw(server(80, "HTTP", hosts=["./foo.example.com"]), name="a"),
                                   gw(server(80, "HTTP", hosts=["*/foo.example.com"]), name="b"),
                                   gw(HTTP80, name="c")], None, "MD0413", "IST0145", E, False),
    ("other-port", [gw(HTTP80, name="a"), gw(server(8080, "HTTP", hosts=["foo.example.com"]), name="b")],
     None, "MD0413", "IST0145", E, False),
    ("other-bind", [gw(HTTP80, name="a"), gw(server(80, "HTTP", hosts=["foo.example.com"], bind="10.0.0.1"),
                                             name="b")], None, "MD0413", "IST0145", E, False),
    ("other-selector", [gw(HTTP80, name="a"), gw(HTTP80, name="b", selector={"istio": "other"})],
     None, "MD0413", "IST0145", E, False),
]

# virtualservice/destinationhosts.go + util/service_lookup.go GetDestinationHost: exportTo hides a host.
SE_LOCAL = se(name="api", ns="other", hosts=["api.example.com"], ports=((80, "http", "HTTP"),), exportTo=["."])
ROUTE_API = [{"route": [{"destination": {"host": "api.example.com"}}]}]
DESTINATIONS = [
    ("se-exported-elsewhere", [gw(HTTP80), vs(hosts=["foo.example.com"], http=ROUTE_API), SE_LOCAL],
     None, "MD1002", "IST0101", E, True),
    ("se-exported-here", [gw(HTTP80), vs(hosts=["foo.example.com"], http=ROUTE_API),
                          {**SE_LOCAL, "spec": {**SE_LOCAL["spec"], "exportTo": ["default"]}}],
     None, "MD1002", "IST0101", E, False),
    ("se-no-export-to", [gw(HTTP80), vs(hosts=["foo.example.com"], http=ROUTE_API),
                         {**SE_LOCAL, "spec": {k: v for k, v in SE_LOCAL["spec"].items() if k != "exportTo"}}],
     None, "MD1002", "IST0101", E, False),
    ("service-annotation-hides", [gw(HTTP80), vs(hosts=["foo.example.com"], http=[
        {"route": [{"destination": {"host": "reviews.other.svc.cluster.local"}}]}]),
        {**svc(ns="other"), "metadata": meta("reviews", "other",
                                             annotations={"networking.istio.io/exportTo": "."})}],
     None, "MD1002", "IST0101", E, True),
    ("closed-world-missing-host", [gw(HTTP80), vs(hosts=["foo.example.com"])],
     {"external_resources": ("istio-system/Gateway/shared",)}, "MD1003", "IST0101", E, True),
    ("closed-world-external-host", [gw(HTTP80), vs(hosts=["foo.example.com"])],
     {"external_resources": ("default/Service/reviews",)}, "MD1003", "IST0101", E, False),
    ("open-world-missing-host-is-info", [gw(HTTP80), vs(hosts=["foo.example.com"])],
     None, "MD0402", "IST0101", I, True),
]

# destinationrule/subset.go PodNotSelectedAnalyzer: a DestinationRule host that matches no service: warning.
DESTINATION_RULES = [
    ("dr-unknown-host", [dr(host="nothing")], None, "MD0415", "IST0174", W, True),
    ("dr-known-host", [svc(), dr()], None, "MD0415", "IST0174", W, False),
    ("dr-external-host", [dr(host="nothing")], {"external_resources": ("default/Service/nothing",)},
     "MD0415", "IST0174", W, False),
]

# gateway/secret.go SecretAnalyzer + getGatewayNamespace; gateway/conflictinggateway.go (selector not found);
# run only when the input holds Pods / Secrets (absent: nothing is guessed).
INGRESS_POD = pod("ingress-1", {"istio": "ingressgateway", "app": "ingress"}, ns="istio-system")
TLS_GW = gw()  # one HTTPS server, credentialName a-cert
CONTEXT = [
    ("selector-matches-no-pod", [TLS_GW, vs(), svc(), pod("x", {"app": "other"})], None, "MD1004", "IST0101", E,
     True),
    ("selector-matches-a-pod", [TLS_GW, vs(), svc(), INGRESS_POD], None, "MD1004", "IST0101", E, False),
    ("no-pods-in-input", [TLS_GW, vs(), svc()], None, "MD1004", "IST0101", E, False),
    ("secret-missing", [TLS_GW, vs(), svc(), INGRESS_POD, secret("other", "istio-system")], None,
     "MD1005", "IST0101", E, True),
    ("secret-in-gateway-resource-namespace-only", [TLS_GW, vs(), svc(), INGRESS_POD, secret("a-cert", "default")],
     None, "MD1005", "IST0101", E, True),
    ("secret-in-workload-namespace", [TLS_GW, vs(), svc(), INGRESS_POD, secret("a-cert", "istio-system")], None,
     "MD1005", "IST0101", E, False),
    ("no-secrets-in-input", [TLS_GW, vs(), svc(), INGRESS_POD], None, "MD1005", "IST0101", E, False),
    ("no-secrets-credential-is-info", [TLS_GW, vs(), svc(), INGRESS_POD], None, "MD0602", None, I, True),
    ("secret-wrong-keys", [TLS_GW, vs(), svc(), INGRESS_POD, secret("a-cert", "istio-system", keys=("ca.crt",))],
     None, "MD1006", "IST0161", E, True),
    ("secret-generic-keys", [TLS_GW, vs(), svc(), INGRESS_POD,
                             secret("a-cert", "istio-system", keys=("cert", "key"), kind="Opaque")],
     None, "MD1006", "IST0161", E, False),
    ("secret-tls-keys", [TLS_GW, vs(), svc(), INGRESS_POD, secret("a-cert", "istio-system")], None,
     "MD1006", "IST0161", E, False),
]

# destinationrule/subset.go PodNotSelectedAnalyzer: a subset selecting no Pod (only with Pods in the input).
SUBSETS = [
    ("subset-selects-no-pod", [svc(), dr(), pod("r1", {"app": "reviews", "version": "v2"})], None,
     "MD1007", "IST0173", E, True),
    ("subset-selects-a-pod", [svc(), dr(), pod("r1", {"app": "reviews", "version": "v1"})], None,
     "MD1007", "IST0173", E, False),
    ("subset-no-pods-in-input", [svc(), dr()], None, "MD1007", "IST0173", E, False),
]

# ConflictingGatewayAnalyzer, the Pod half: selector strings that contain one another and a Pod both select.
SHARED_POD = pod("ingress-1", {"istio": "ingressgateway", "app": "edge"})
POD_CONFLICTS = [
    ("selectors-overlap-through-a-pod", [gw(HTTP80, name="a"),
                                         gw(HTTP80, name="b", selector={"istio": "ingressgateway", "app": "edge"}),
                                         SHARED_POD], None, "MD0413", "IST0145", E, True),
    ("selectors-overlap-no-common-pod", [gw(HTTP80, name="a"),
                                         gw(HTTP80, name="b", selector={"istio": "ingressgateway", "app": "edge"}),
                                         pod("p", {"istio": "ingressgateway"})], None, "MD0413", "IST0145", E,
     False),
    ("selectors-overlap-no-pods", [gw(HTTP80, name="a"),
                                   gw(HTTP80, name="b", selector={"istio": "ingressgateway", "app": "edge"})],
     None, "MD0413", "IST0145", E, False),
]

# pkg/config/validation analyzeUnreachableHTTPRules (IST0130 / IST0131 through schema/validation.go).
def rr(*matches, **extra):
    rule = {"route": [{"destination": {"host": "reviews"}}], **extra}
    if matches:
        rule["match"] = [{"uri": {"prefix": p}} for p in matches]
    return rule


CHILD_PARENT = vs(http=[{"match": [{"uri": {"prefix": "/p"}}], "delegate": {"name": "child"}}])
REACHABILITY = [
    ("duplicate-match-in-one-rule", [gw(), svc(), vs(http=[rr("/a", "/a"), rr()])], None, "MD0211", "IST0131", I,
     True),
    ("overlapping-match-in-one-rule", [gw(), svc(), vs(http=[rr("/a", "/a/b"), rr()])], None,
     "MD0211", "IST0131", I, True),
    ("overlapping-match-across-rules", [gw(), svc(), vs(http=[rr("/a"), rr("/a/b", "/z"), rr()])], None,
     "MD0211", "IST0131", I, True),
    ("distinct-matches", [gw(), svc(), vs(http=[rr("/a", "/b"), rr("/c"), rr()])], None, "MD0211", "IST0131", I,
     False),
    ("rule-after-rule-without-match", [gw(), svc(), vs(http=[rr(), rr("/a")])], None, "MD0210", "IST0130", W, True),
    ("delegate-child-wide-then-narrow", [gw(), svc(), CHILD_PARENT,
                                         vs(name="child", hosts=None, gateways=None, http=[rr("/"), rr("/p/v1")])],
     None, "MD0210", "IST0130", W, False),
    ("delegate-child-after-no-match", [gw(), svc(), CHILD_PARENT,
                                       vs(name="child", hosts=None, gateways=None, http=[rr(), rr("/p/v1")])],
     None, "MD0210", "IST0130", W, True),
]

# authz/authorizationpolicies.go AuthorizationPoliciesAnalyzer (only with Pods / Namespaces in the input).
def authz(name="ap", ns="default", selector=None, namespaces=None):
    spec = {}
    if selector is not None:
        spec["selector"] = {"matchLabels": selector}
    if namespaces is not None:
        spec["rules"] = [{"from": [{"source": {"namespaces": list(namespaces)}}]}]
    return {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy", "metadata": meta(name, ns),
            "spec": spec}


def namespace(name, **labels):
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}


MESH_POD = {**pod("r1", {"app": "reviews"}), "spec": {"containers": [{"name": "istio-proxy", "image": "proxyv2"}]}}
AUTHZ = [
    ("authz-selector-no-pod", [authz(selector={"app": "ratings"}), MESH_POD], None, "MD1009", "IST0127", W, True),
    ("authz-selector-matches", [authz(selector={"app": "reviews"}), MESH_POD], None, "MD1009", "IST0127", W, False),
    ("authz-pod-not-in-mesh", [authz(selector={"app": "reviews"}), pod("r1", {"app": "reviews"})], None,
     "MD1009", "IST0127", W, True),
    ("authz-namespace-injection", [authz(selector={"app": "reviews"}), pod("r1", {"app": "reviews"}),
                                   namespace("default", **{"istio-injection": "enabled"})], None,
     "MD1009", "IST0127", W, False),
    ("authz-namespace-wide-no-pod", [authz(ns="empty"), MESH_POD], None, "MD1009", "IST0127", W, True),
    ("authz-root-namespace-without-selector", [authz(ns="istio-system"), MESH_POD], None,
     "MD1009", "IST0127", W, False),
    ("authz-no-pods-in-input", [authz(selector={"app": "ratings"})], None, "MD1009", "IST0127", W, False),
    ("authz-namespace-missing", [authz(namespaces=["prod"]), namespace("default")], None,
     "MD1010", "IST0101", E, True),
    ("authz-namespace-prefix", [authz(namespaces=["pro*"]), namespace("prod")], None, "MD1010", "IST0101", E, False),
    ("authz-namespace-no-namespaces", [authz(namespaces=["prod"])], None, "MD1010", "IST0101", E, False),
]

# service/portname.go PortNameAnalyzer: ExternalName Services get IST0150 instead of IST0118.
EXTERNAL_NAME = [
    ("external-name-tcp", [svc(name="db", ports=((5432, "tcp"),), type="ExternalName", externalName="db.example.com")],
     None, "MD1011", "IST0150", W, True),
    ("external-name-unprefixed", [svc(name="db", ports=((5432, "postgres"),), type="ExternalName",
                                      externalName="db.example.com")], None, "MD1011", "IST0150", W, True),
    ("external-name-tcp-prefixed", [svc(name="db", ports=((5432, "tcp-postgres"),), type="ExternalName",
                                        externalName="db.example.com")], None, "MD1011", "IST0150", W, False),
    ("cluster-ip-tcp", [svc(name="db", ports=((5432, "tcp"),))], None, "MD1011", "IST0150", W, False),
    ("external-name-not-ist0118", [svc(name="db", ports=((5432, "postgres"),), type="ExternalName",
                                       externalName="db.example.com")], None, "MD0417", "IST0118", I, False),
]

# virtualservice/conflictingmeshgatewayhosts.go, the exportTo + wildcard cases of Istio's own test data
# (virtualservice_conflictingmeshgatewayhosts_with_exportto.yaml: productpage-b silent, -c and -d reported).
def mesh_vs(name, ns, host, export_to=None):
    extra = {"exportTo": export_to} if export_to is not None else {}
    return vs(name=name, ns=ns, hosts=[host], gateways=None, http=[{"route": [{"destination": {"host": "x.y"}}]}],
              **extra)


MESH_HOSTS = [
    ("wildcard-within-wildcard", [mesh_vs("productpage-d", "foo", "*.productpage.d", ["."]),
                                  mesh_vs("productpage-d", "bar", "*.d", ["*"])], None, "MD0406", "IST0109", E, True),
    ("same-wildcard-one-exported-to-all", [mesh_vs("productpage-c", "foo", "*.productpage.c", ["foo"]),
                                           mesh_vs("productpage-c", "bar", "*.productpage.c", ["*"])],
     None, "MD0406", "IST0109", E, True),
    ("exported-to-different-namespaces", [mesh_vs("productpage-b", "foo", "*.productpage.b", ["foo"]),
                                          mesh_vs("productpage-b", "bar", "*.productpage.b", ["."])],
     None, "MD0406", "IST0109", E, False),
    ("both-exported-to-all-nested-wildcards", [mesh_vs("a", "foo", "*.productpage.e"), mesh_vs("b", "bar", "*.e")],
     None, "MD0406", "IST0109", E, False),
]

TABLES = MESH_HOSTS + EXTERNAL_NAME + AUTHZ + REACHABILITY + GATEWAYS + CONFLICTS + DESTINATIONS + DESTINATION_RULES + CONTEXT + SUBSETS + POD_CONFLICTS


@pytest.mark.parametrize(("case", "docs", "settings", "code", "istio", "severity", "triggers"), TABLES,
                         ids=[row[0] for row in TABLES])
def test_ported_analyzer(case, docs, settings, code, istio, severity, triggers):
    found = [d for d in run(docs, settings) if d.code == code]
    if triggers:
        assert found, f"{case}: {code} not reported"
        assert all(d.istio_code == istio and d.severity == severity for d in found), [d.format() for d in found]
    else:
        assert not found, [d.format() for d in found]


def test_conflicting_gateways_message_as_istio_words_it():
    found = [d for d in run([gw(HTTP80, name="a"), gw(TCP80, name="b")]) if d.code == "MD0413"]
    assert sorted(d.message for d in found) == [
        "Conflict with gateways default/a (workload selector istio=ingressgateway, port 80, hosts foo.example.com).",
        "Conflict with gateways default/b (workload selector istio=ingressgateway, port 80, hosts foo.example.com).",
    ]
    protocol = [d.message for d in run([gw(HTTP80, name="a"), gw(TCP80, name="b")]) if d.code == "MD0418"]
    assert protocol and all("plain-text and TLS" not in text for text in protocol)


# ----- false errors Istio neither rejects nor reports (issue 13): each stays free of errors
FALSE_ERRORS = [
    ("fault-delay-without-fixed-delay",
     [gw(), svc(), vs(http=[{"fault": {"delay": {"percentage": {"value": 10}}},
                             "route": [{"destination": {"host": "reviews"}}]}])]),
    ("missing-export-to", [gw(), svc(), vs(), dr(workloadSelector={"matchLabels": {"app": "x"}})]),
    ("hosts-written-three-ways",
     [gw(server(80, "HTTP", hosts=["./foo.example.com"]), name="a"),
      gw(server(80, "HTTP", hosts=["*/foo.example.com"]), name="b"), gw(HTTP80, name="c"),
      vs(hosts=["foo.example.com"], gateways=["a", "b", "c"]), svc()]),
    ("two-service-entries-same-host-same-address",
     [se(name="a", addresses=["240.0.0.1"]), se(name="b", addresses=["240.0.0.1"])]),
]


@pytest.mark.parametrize(("case", "docs"), FALSE_ERRORS, ids=[c[0] for c in FALSE_ERRORS])
def test_no_false_error(case, docs):
    errors = [d.format() for d in run(docs) if d.severity == E]
    assert not errors, errors


MISSING_GATEWAY = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [a.example.com]
  gateways: [istio-system/shared]
  http:
  - route:
    - destination: {host: reviews}
"""


def test_validate_external_flag(tmp_path, capsys):
    from meshdesigner.cli import main

    path = tmp_path / "vs.yaml"
    path.write_text(MISSING_GATEWAY)
    assert main(["validate", str(path)]) == 1  # IST0101: the gateway is nowhere
    assert "MD0401" in capsys.readouterr().out
    # the gateway declared as external: fine; the design is now complete, so the missing host is an error
    assert main(["validate", str(path), "--external", "istio-system/Gateway/shared"]) == 1
    out = capsys.readouterr().out
    assert "MD0401" not in out and "MD1001" not in out and "MD1003" in out
    assert main(["validate", str(path), "--external", "istio-system/Gateway/shared,default/Service/reviews"]) == 0
    assert main(["validate", str(path), "--external", "shared"]) == 2


ONE_BAD_OBJECT = """\
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: broken, namespace: default}
spec:
  hosts: [reviews]
  http:
  - route:
    - {}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: other, namespace: default}
spec:
  hosts: [a.example.com]
  gateways: [missing]
  http:
  - route:
    - destination: {host: reviews}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec: {}
"""


def test_one_bad_object_does_not_sink_the_file(tmp_path, capsys):
    from meshdesigner.cli import main

    path = tmp_path / "mixed.yaml"
    path.write_text(ONE_BAD_OBJECT)
    assert main(["validate", str(path), "--format", "json"]) == 1
    captured = capsys.readouterr()
    import json

    found = {(d["code"], d["resource"]["name"] if isinstance(d["resource"], dict) else d["resource"][2], d["line"])
             for d in json.loads(captured.out)}
    assert ("MD1008", "broken", 8) in found          # the bad object: one finding, with its line
    assert ("MD0401", "other", 15) in found          # the rest of the file is still checked
    assert "info: kept but not checked: Deployment (1)" in captured.err
