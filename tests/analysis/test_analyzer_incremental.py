"""The GUI's Analyzer: after any edit its diagnostics equal a fresh analysis, and it re-runs little."""

from __future__ import annotations

import random
import subprocess
import sys

import pytest

from meshdesigner.analysis import Analyzer, analyze
from meshdesigner.io.importer import import_manifests
from meshdesigner.model import ProjectSettings

from .builders import design, dr, gw, server, svc, vs


def _replace_spec(node, attr, change):
    resource = getattr(node, attr)
    spec = resource.spec.to_wire()
    change(spec)
    new = resource.model_copy(update={"spec": type(resource.spec).from_wire(spec)})
    return node.model_copy(update={attr: new})


def small_design():
    return design(gw(), gw(server(hosts=["b.example.com"]), name="gw2"), svc(), dr(), svc(name="ratings"),
                  vs(), vs(name="vs2", hosts=["b.example.com"], gateways=["gw2"],
                          http=[{"route": [{"destination": {"host": "ratings"}}]}]))


def test_edits_are_seen_and_match_a_fresh_analysis():
    project = small_design()
    analyzer = Analyzer(project)
    assert analyzer.refresh() == analyze(project)
    # rename gw2's host: vs2's host no longer matches (MD0410 appears on vs2, a node that was not edited)
    gw2 = project.node("ingress-gateway:default/gw2")
    project.replace_node(_replace_spec(gw2, "gateway", lambda s: s["servers"][0].update(hosts=["c.example.com"])))
    after = analyzer.refresh()
    assert after == analyze(project)
    assert any(d.code == "MD0410" and d.resource.name == "vs2" for d in after)
    assert "virtual-service:default/vs2" in analyzer.last_recomputed
    assert "virtual-service:default/vs" not in analyzer.last_recomputed
    # remove the gateway: MD0401 on vs2
    project.remove_node(gw2.id)
    after = analyzer.refresh()
    assert after == analyze(project)
    assert any(d.code == "MD0401" and d.resource.name == "vs2" for d in after)
    # and add it back
    project.add_node(gw2)
    assert analyzer.refresh() == analyze(project)
    assert not any(d.code in ("MD0401", "MD0410") for d in analyzer.refresh())


def test_nothing_changed_recomputes_nothing():
    project = small_design()
    analyzer = Analyzer(project)
    first = analyzer.refresh()
    assert analyzer.refresh() == first
    assert analyzer.last_recomputed == set()


def test_settings_change_and_ignore_list():
    project = small_design()
    project.add_node(design(svc(name="details")).node("mesh-service:default/details"))
    analyzer = Analyzer(project)
    before = analyzer.refresh()
    assert any(d.code == "MD0507" for d in before)
    project.set_settings(ProjectSettings(ignore=("MD0507",)))
    after = analyzer.refresh()
    assert not any(d.code == "MD0507" for d in after)
    assert analyzer.last_recomputed == set()  # the ignore list only filters
    assert after == analyze(project)


def test_for_node_returns_that_nodes_diagnostics():
    project = design(gw(), vs(hosts=["b.example.com"]))
    analyzer = Analyzer(project)
    analyzer.refresh()
    own = analyzer.for_node("virtual-service:default/vs")
    assert own and all(d.node_id == "virtual-service:default/vs" for d in own)


def _random_edit(project, rng):
    nodes = sorted(project.nodes)
    node = project.node(rng.choice(nodes))
    choice = rng.randrange(6)
    if choice == 0 and hasattr(node, "virtual_service"):
        hosts = rng.choice([["a.example.com"], ["b.example.com"], ["ext-svc"], ["*.example.com"]])
        project.replace_node(_replace_spec(node, "virtual_service", lambda s: s.update(hosts=hosts)))
    elif choice == 1 and hasattr(node, "virtual_service"):
        gws = rng.choice([["gw"], ["gw2"], ["mesh"], ["gw", "mesh"], ["missing"]])
        project.replace_node(_replace_spec(node, "virtual_service", lambda s: s.update(gateways=gws)))
    elif choice == 2 and hasattr(node, "gateway"):
        hosts = rng.choice([["a.example.com"], ["b.example.com"], ["*"]])
        project.replace_node(_replace_spec(node, "gateway", lambda s: s["servers"][0].update(hosts=hosts)))
    elif choice == 3 and hasattr(node, "gateway"):
        number = rng.choice([443, 80, 8443])
        project.replace_node(_replace_spec(node, "gateway", lambda s: s["servers"][0]["port"].update(number=number)))
    elif choice == 4 and len(nodes) > 3:
        removed = project.remove_node(node.id)
        project._analysis_removed = getattr(project, "_analysis_removed", []) + [removed]
    else:
        removed = getattr(project, "_analysis_removed", [])
        if removed:
            project.add_node(removed.pop(rng.randrange(len(removed))))


@pytest.mark.parametrize("seed", range(5))
def test_random_edit_sequences_match_fresh_analysis(seed):
    rng = random.Random(seed)
    project = design(gw(), gw(server(hosts=["b.example.com"]), name="gw2"), svc(), dr(), svc(name="ratings"),
                     vs(), vs(name="vs2", hosts=["b.example.com"], gateways=["gw2"]),
                     vs(name="vs3", hosts=["reviews"], gateways=None,
                        http=[{"route": [{"destination": {"host": "reviews", "subset": "v1"}}]}]))
    analyzer = Analyzer(project)
    for _ in range(40):
        _random_edit(project, rng)
        assert analyzer.refresh() == analyze(project)


def test_one_edit_on_a_generated_mesh_reruns_few_nodes(oracle, tmp_path):
    out = tmp_path / "mesh.yaml"
    make_mesh = oracle.parent / "bench" / "make_mesh.py"
    subprocess.run([sys.executable, str(make_mesh), "--gateways", "10", "--virtual-services", "60",
                    "--services", "80", "-o", str(out)], check=True, capture_output=True, timeout=120)
    project = import_manifests([str(out)]).project
    analyzer = Analyzer(project)
    analyzer.refresh()
    node = sorted(project.virtual_services(), key=lambda n: n.id)[0]
    project.replace_node(_replace_spec(node, "virtual_service",
                                       lambda s: s["http"][0].update(timeout="7s")))
    assert analyzer.refresh() == analyze(project)
    assert 1 <= len(analyzer.last_recomputed) <= 5
    assert not [d for d in analyzer.refresh() if d.severity == "error"]


def test_moving_a_node_recomputes_nothing():
    project = small_design()
    analyzer = Analyzer(project)
    before = analyzer.refresh()
    project.move_node("ingress-gateway:default/gw", (500.0, 20.0))
    assert analyzer.refresh() == before
    assert analyzer.last_recomputed == set()
    # a real edit right after a move is still seen
    gw_node = project.node("ingress-gateway:default/gw")
    project.replace_node(_replace_spec(gw_node, "gateway", lambda s: s["servers"][0].update(hosts=["z.example.com"])))
    assert analyzer.refresh() == analyze(project)
    assert any(d.code == "MD0410" and d.resource.name == "vs" for d in analyzer.refresh())


def _node_of(doc, node_id):
    """The node ``node_id`` of a design holding only ``doc`` (to add it to another design)."""
    return design(doc).node(node_id)


def _renamed(project, node_id, attr, name):
    """Rename the node's resource as the GUI does: the id follows the name (Project.id_after_rename)."""
    old = project.node(node_id)
    resource = getattr(old, attr)
    new = old.model_copy(update={attr: resource.model_copy(
        update={"metadata": resource.metadata.model_copy(update={"name": name})})})
    new = new.model_copy(update={"id": project.id_after_rename(old, new)})
    project.rename_node(old.id, new)


def test_a_series_of_edits_of_every_kind_matches_a_fresh_analysis():
    """Gateways, virtual services (delegates, tcp routes), destination rules, service entries and policies are
    added, edited, renamed and removed; after each edit the incremental result equals a fresh analysis, and
    the compiler's drops kept between edits equal a fresh compile."""
    from meshdesigner.compile import CompileOptions, workload_drops
    from meshdesigner.model import ProjectSettings
    from meshdesigner.model.security import policy_from_manifest

    from .builders import se

    project = design(gw(), gw(server(80, "HTTP", hosts=["b.example.com"]), name="gw2"), svc(), dr(),
                     svc(name="db", ports=((5432, "tcp-db"),)), vs(), vs(name="vs2", hosts=["b.example.com"],
                                                                           gateways=["gw2"]))
    analyzer = Analyzer(project)
    policy = {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
              "metadata": {"name": "deny-admin", "namespace": "default"},
              "spec": {"selector": {"matchLabels": {"istio": "ingressgateway"}}, "action": "DENY",
                       "rules": [{"to": [{"operation": {"paths": ["/admin"]}}]}]}}
    child_rules = [{"match": [{"uri": {"prefix": "/shop/cart"}}], "route": [{"destination": {"host": "reviews"}}]},
                   {"match": [{"uri": {"prefix": "/blog"}}], "route": [{"destination": {"host": "reviews"}}]}]
    edits = [
        # a TCP server on gw2's plain-HTTP port: merged after gw2 (name order), so istiod skips it (MD0802)
        lambda: project.add_node(_node_of(gw(server(80, "TCP", hosts=["*"], name="tcp"), name="gw3"),
                                          "ingress-gateway:default/gw3")),
        # on its own port it gets no filter chain: nothing routes it (MD0805, MD0806)
        lambda: project.replace_node(_replace_spec(project.node("ingress-gateway:default/gw3"), "gateway",
                                                   lambda s: s["servers"][0]["port"].update(number=9000))),
        lambda: project.add_node(_node_of(vs(name="tcp-vs", hosts=["*"], gateways=["gw3"], http=None,
                                             tcp=[{"route": [{"destination": {"host": "db"}}]}]),
                                          "virtual-service:default/tcp-vs")),
        lambda: _renamed(project, "ingress-gateway:default/gw3", "gateway", "gw4"),
        lambda: project.add_node(_node_of(vs(name="root", hosts=["c.example.com"], gateways=["gw2"],
                                             http=[{"match": [{"uri": {"prefix": "/shop"}}],
                                                    "delegate": {"name": "child"}}]),
                                          "virtual-service:default/root")),
        lambda: project.add_node(_node_of(vs(name="child", hosts=None, gateways=None, http=child_rules),
                                          "virtual-service:default/child")),          # /blog conflicts (MD0807)
        lambda: project.replace_node(_replace_spec(project.node("virtual-service:default/child"), "virtual_service",
                                                   lambda s: s["http"][1]["match"][0]["uri"].update(
                                                       prefix="/shop/blog"))),
        lambda: _renamed(project, "virtual-service:default/child", "virtual_service", "child2"),
        lambda: project.replace_node(_replace_spec(project.node("mesh-service:default/reviews"), "destination_rule",
                                                   lambda s: s.update(subsets=[]))),
        lambda: project.add_node(_node_of(se(), "external-service:default/ext")),
        lambda: project.replace_node(_replace_spec(project.node("external-service:default/ext"), "service_entry",
                                                   lambda s: s.update(hosts=["b.example.com"]))),
        lambda: project.add_policy(policy_from_manifest(policy)),
        lambda: project.replace_policy(("AuthorizationPolicy", "default", "deny-admin"), policy_from_manifest(
            {**policy, "spec": {**policy["spec"], "action": "ALLOW"}})),
        lambda: project.remove_policy(("AuthorizationPolicy", "default", "deny-admin")),
        lambda: project.remove_node("external-service:default/ext"),
        lambda: project.replace_node(_replace_spec(project.node("virtual-service:default/tcp-vs"), "virtual_service",
                                                   lambda s: s.update(gateways=["gw4"]))),
        lambda: project.remove_node("ingress-gateway:default/gw2"),
        lambda: project.set_settings(ProjectSettings(istio_version="1.22")),
        lambda: project.remove_node("virtual-service:default/root"),
    ]
    seen_codes = set()
    for step, edit in enumerate(edits):
        edit()
        found = analyzer.refresh()
        assert found == analyze(project), f"step {step}"
        cache = analyzer.context.compile_cache
        assert cache.drops(project, CompileOptions.for_project(project)) == workload_drops(project), f"step {step}"
        seen_codes |= {d.code for d in found}
    assert {"MD0802", "MD0805", "MD0806", "MD0807"} <= seen_codes


def test_a_gateway_edit_does_not_rerun_rules_that_only_ask_whether_it_exists():
    """Rules that only ask whether a bound gateway exists (MD0401, MD0507, IST0132's missing gateway) look it
    up as existence: editing its servers re-runs them nowhere, removing it does."""
    project = design(gw(), gw(server(hosts=["b.example.com"]), name="gw2"), svc(), dr(), vs())
    analyzer = Analyzer(project)
    assert analyzer.refresh() == analyze(project)
    gateway = project.node("ingress-gateway:default/gw")
    project.replace_node(_replace_spec(gateway, "gateway",
                                       lambda s: s["servers"][0].update(hosts=["a.example.com", "c.example.com"])))
    assert analyzer.refresh() == analyze(project)
    assert "mesh-service:default/reviews" not in analyzer.last_recomputed    # reached through vs, still bound
    assert "virtual-service:default/vs" in analyzer.last_recomputed          # its hosts are checked against it
    project.remove_node(gateway.id)
    after = analyzer.refresh()
    assert after == analyze(project)
    assert "mesh-service:default/reviews" in analyzer.last_recomputed
    assert {d.code for d in after if d.resource.name == "reviews"} >= {"MD0507"}   # reached from no gateway now
    assert {d.code for d in after if d.resource.name == "vs"} >= {"MD0401"}        # binds a gateway not there


def test_a_certificate_shared_by_an_edit_is_reported_on_the_gateways_it_reaches():
    """IST0138 (certificate.go): a gateway is reported when another gateway whose selector includes all of its
    labels serves the same certificate. Edits make and unmake the sharing; the gateways not edited follow."""
    def tls(cert):
        return {"mode": "SIMPLE", "credentialName": cert}

    project = design(gw(server(hosts=["a.example.com"], tls=tls("c1")), name="gw-a"),
                     gw(server(hosts=["b.example.com"], tls=tls("c2")), name="gw-b"),
                     gw(server(hosts=["c.example.com"], tls=tls("c3")), name="gw-c",
                        selector={"istio": "ingressgateway", "app": "x"}))
    analyzer = Analyzer(project)

    def md0618() -> dict[str, str]:
        found = analyzer.refresh()
        assert found == analyze(project)
        return {d.resource.name: d.message.split("gateways ")[1].split(" whose")[0]
                for d in found if d.code == "MD0618"}

    assert md0618() == {}

    def use(name, cert):
        node = project.node(f"ingress-gateway:default/{name}")
        project.replace_node(_replace_spec(node, "gateway", lambda s: s["servers"][0].update(tls=tls(cert))))

    use("gw-b", "c1")           # same selector both ways: both reported
    assert md0618() == {"gw-a": "default/gw-a, default/gw-b", "gw-b": "default/gw-a, default/gw-b"}
    assert "ingress-gateway:default/gw-a" in analyzer.last_recomputed
    use("gw-c", "c1")           # gw-c's selector is wider than theirs: they are reported with it, it is not
    assert md0618() == {"gw-a": "default/gw-a, default/gw-b, default/gw-c",
                        "gw-b": "default/gw-a, default/gw-b, default/gw-c"}
    use("gw-b", "c2")
    assert md0618() == {"gw-a": "default/gw-a, default/gw-c"}
    use("gw-c", "c3")
    assert md0618() == {}
