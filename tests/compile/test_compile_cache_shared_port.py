"""Gateway edits on a port shared by many Gateways of one workload (the bench mesh's 95 HTTPS servers on 443).

The compile cache merges such a port from each server's facts without building listeners, and takes an
edited Gateway in place. After every edit below it must say what istiod says, written by hand from
``mergeGateways`` (merge order is name then namespace; ``CheckDuplicates`` skips a later server repeating a
TLS host on the port and bind; a server skipped there does not claim its other hosts; an HTTPS server cannot
share a port with a plain HTTP server merged before it), and what the checks-only builder says when it
merges the whole design afresh.
"""

from __future__ import annotations

import pytest

from meshdesigner.analysis import Analyzer, analyze
from meshdesigner.compile import (
    CompileCache,
    CompileOptions,
    gateway_workloads,
    pods_namespace,
    workload_drops,
)
from meshdesigner.compile.builder import WorkloadBuilder
from meshdesigner.compile.delegates import DelegateIndex
from meshdesigner.io.importer import build_project
from meshdesigner.io.manifests import ManifestSet, SourceRef, parse_resource
from meshdesigner.model.references import ReferenceIndex

GATEWAYS = 30


def _gateway(i: int, https_hosts: list[str] | None = None, extra_servers=()) -> dict:
    hosts = https_hosts if https_hosts is not None else [f"app{i:02d}-0.example.com", f"app{i:02d}-1.example.com"]
    return {"apiVersion": "networking.istio.io/v1", "kind": "Gateway",
            "metadata": {"name": f"gw-{i:02d}", "namespace": "edge"},
            "spec": {"selector": {"istio": "ingressgateway"}, "servers": [
                {"port": {"number": 443, "name": f"https-{i:02d}", "protocol": "HTTPS"}, "hosts": hosts,
                 "tls": {"mode": "SIMPLE", "credentialName": f"gw-{i:02d}-cert"}},
                {"port": {"number": 80, "name": f"http-{i:02d}", "protocol": "HTTP"},
                 "hosts": [f"app{i:02d}-0.example.com", f"app{i:02d}-1.example.com"],
                 "tls": {"httpsRedirect": True}},
                *extra_servers]}}


def _project(manifests: list[dict]):
    resources = [parse_resource(m, SourceRef("design.yaml", i + 1)) for i, m in enumerate(manifests)]
    return build_project(ManifestSet(resources=resources), name="shared-port", layout=False).project


def _node(manifest: dict, project):
    """The node of ``manifest`` as an edit of the project's node of the same Gateway."""
    fresh = _project([manifest]).node(f"ingress-gateway:edge/{manifest['metadata']['name']}")
    old = project.node(fresh.id)
    return old.model_copy(update={"gateway": fresh.gateway})


def _reference(project) -> set[tuple[str, str, str]]:
    """Every workload merged afresh by the checks-only builder: what the cache is specified against."""
    options = CompileOptions.for_project(project)
    index = ReferenceIndex(project)
    found = set()
    for workload in gateway_workloads(project):
        builder = WorkloadBuilder(project, workload.label_dict, list(workload.gateways),
                                  pods_namespace(workload, project.nodes.values()), index, None,
                                  DelegateIndex(n.virtual_service for n in index.virtual_services), options,
                                  with_http_routes=False)
        builder.listeners()
        found |= {(d.code, d.ref, d.field) for d in builder.drops}
    return found


def _codes(drops) -> set[tuple[str, str, str]]:
    return {(d.code, d.ref, d.field) for d in drops}


@pytest.fixture
def shared():
    project = _project([_gateway(i) for i in range(GATEWAYS)])
    cache = CompileCache()
    analyzer = Analyzer(project)
    assert cache.drops(project) == []
    analyzer.refresh()

    def edit(manifest: dict) -> set[tuple[str, str, str]]:
        project.replace_node(_node(manifest, project))
        found = cache.drops(project)
        assert found == workload_drops(project)            # a fresh cache
        assert _codes(found) == _reference(project)        # the builder, afresh
        assert analyzer.refresh() == analyze(project)      # the live checks
        return {c for c in _codes(found) if c[0].startswith("MD08")}

    return project, cache, edit


def test_a_tls_host_conflict_on_443_appears_and_goes(shared):
    _project_, cache, edit = shared
    # gw-10's HTTPS server takes a host of gw-20's: gw-20 merges later (name order), so its server is skipped
    assert edit(_gateway(10, ["app10-0.example.com", "app20-1.example.com"])) == {
        ("MD0803", "edge/gw-20", "spec.servers[0]")}
    assert cache.compiled_workloads == ["istio=ingressgateway"]
    # and gives it back: nothing is skipped
    assert edit(_gateway(10)) == set()
    # gw-20 takes a host of gw-10's: gw-20 is the later one again
    assert edit(_gateway(20, ["app20-0.example.com", "app10-0.example.com"])) == {
        ("MD0803", "edge/gw-20", "spec.servers[0]")}
    assert edit(_gateway(20)) == set()


def test_a_skipped_server_does_not_claim_its_other_hosts(shared):
    _project_, _cache, edit = shared
    # gw-15 repeats gw-10's second host: skipped
    assert edit(_gateway(15, ["app15-0.example.com", "app10-1.example.com"])) == {
        ("MD0803", "edge/gw-15", "spec.servers[0]")}
    # gw-05 (merged before both) takes gw-10's first host: gw-10's server is skipped, so app10-1 is no longer
    # served with TLS when gw-15 comes, and gw-15's server is kept
    assert edit(_gateway(5, ["app05-0.example.com", "app10-0.example.com"])) == {
        ("MD0803", "edge/gw-10", "spec.servers[0]")}
    # gw-05 lets go: gw-10 is kept again, and gw-15 is skipped again
    assert edit(_gateway(5)) == {("MD0803", "edge/gw-15", "spec.servers[0]")}


def test_a_host_on_two_bind_addresses(shared):
    """``CheckDuplicates`` remembers the bind address of the LAST server naming a host: a server repeats a host
    only when the last server before it naming that host has the same bind."""
    _project_, _cache, edit = shared
    shared_host = "shared.example.com"

    def on_bind(i: int, bind: str | None) -> dict:
        manifest = _gateway(i, [f"app{i:02d}-0.example.com", shared_host])
        if bind:
            manifest["spec"]["servers"][0]["bind"] = bind
        return manifest

    assert edit(on_bind(5, "10.0.0.1")) == set()
    assert edit(on_bind(15, "10.0.0.1")) == {("MD0803", "edge/gw-15", "spec.servers[0]")}   # same bind as gw-05
    # gw-10, between them, names it on the default bind: the last bind gw-15 sees is gw-10's, so no repeat
    assert edit(on_bind(10, None)) == set()
    # gw-10 lets go of it: gw-15 repeats gw-05's host again
    assert edit(_gateway(10)) == {("MD0803", "edge/gw-15", "spec.servers[0]")}


def test_a_plain_http_server_on_443_blocks_the_later_https_servers(shared):
    _project_, _cache, edit = shared
    plain = {"port": {"number": 443, "name": "plain", "protocol": "HTTP"}, "hosts": ["plain.example.com"]}
    # on gw-00 (merged first) after its own HTTPS server: every later HTTPS server on 443 is skipped
    found = edit(_gateway(0, extra_servers=[plain]))
    assert found == {("MD0802", f"edge/gw-{i:02d}", "spec.servers[0]") for i in range(1, GATEWAYS)}
    # on another bind address it shares nothing with them
    assert edit(_gateway(0, extra_servers=[{**plain, "bind": "10.0.0.1"}])) == set()
    assert edit(_gateway(0)) == set()


def test_route_names_and_servers_without_an_envoy_equivalent(shared):
    _project_, _cache, edit = shared
    # a second HTTPS server of gw-07 with the same port name: the same route name https.443.https-07.gw-07.edge
    twin = {"port": {"number": 443, "name": "https-07", "protocol": "HTTPS"}, "hosts": ["twin.example.com"],
            "tls": {"mode": "SIMPLE", "credentialName": "twin-cert"}}
    assert edit(_gateway(7, extra_servers=[twin])) == {("MD0804", "edge/gw-07", "spec.servers[2]")}
    # HTTPS without a tls block has no Envoy equivalent
    bare = {"port": {"number": 443, "name": "bare", "protocol": "HTTPS"}, "hosts": ["bare.example.com"]}
    assert edit(_gateway(7, extra_servers=[bare])) == {("MD0801", "edge/gw-07", "spec.servers[2]")}
    # a TCP server on 443 takes the port out of the fast merge (it needs its routes): same answers
    tcp = {"port": {"number": 443, "name": "tcp", "protocol": "TCP"}, "hosts": ["*"]}
    found = edit(_gateway(7, extra_servers=[tcp]))
    assert ("MD0805", "edge/gw-07", "spec.servers[2]") in found      # nothing routes it
    assert edit(_gateway(7)) == set()


def test_an_edit_moving_a_server_to_another_port(shared):
    project, cache, edit = shared
    moved = _gateway(12)
    moved["spec"]["servers"][0]["port"]["number"] = 8443
    moved["spec"]["servers"][0]["hosts"] = ["app13-0.example.com"]
    assert edit(moved) == set()          # alone on 8443: nothing conflicts there
    moved["spec"]["servers"][0]["port"]["number"] = 443
    assert edit(moved) == {("MD0803", "edge/gw-13", "spec.servers[0]")}
    assert edit(_gateway(12)) == set()
    assert cache.compiled_workloads == ["istio=ingressgateway"]


def test_delegate_drops_of_servers_merged_from_facts():
    root = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": "root", "namespace": "edge"},
            "spec": {"hosts": ["app03-0.example.com"], "gateways": ["gw-03"],
                     "http": [{"match": [{"uri": {"prefix": "/shop"}}], "delegate": {"name": "child"}}]}}
    child = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
             "metadata": {"name": "child", "namespace": "edge"},
             "spec": {"http": [{"match": [{"uri": {"prefix": "/blog"}}],
                                "route": [{"destination": {"host": "blog"}}]}]}}
    project = _project([_gateway(i) for i in range(GATEWAYS)] + [root, child])
    cache = CompileCache()
    # /blog cannot narrow the root's /shop (mergeHTTPRoute): istiod drops the child's rule
    conflict = ("MD0807", "edge/child", "spec.http[0]")
    assert _codes(cache.drops(project)) == {conflict} == _reference(project)
    # gw-03's HTTPS server is skipped (gw-02 claims its host first), its plain HTTP server still reads the root
    project.replace_node(_node(_gateway(2, ["app02-0.example.com", "app03-1.example.com"]), project))
    assert _codes(cache.drops(project)) == {conflict, ("MD0803", "edge/gw-03", "spec.servers[0]")} \
        == _reference(project)
    # no Gateway of gw-03's workload is bound by the root any more: nothing merges the child
    project.replace_node(_node(_gateway(3, extra_servers=[]), project))
    edited = project.node("virtual-service:edge/root")
    spec = edited.virtual_service.spec.to_wire()
    spec["gateways"] = ["gw-99"]
    project.replace_node(edited.model_copy(update={"virtual_service": edited.virtual_service.model_copy(
        update={"spec": type(edited.virtual_service.spec).from_wire(spec)})}))
    found = cache.drops(project)
    assert conflict not in _codes(found)
    assert _codes(found) == _reference(project)


@pytest.mark.parametrize("seed", range(4))
def test_random_gateway_edits_on_shared_ports_match_a_fresh_merge(seed):
    """Many in-place Gateway edits on ports shared by 12 Gateways (hosts drawn from a small pool, plain HTTP
    and HTTPS, two bind addresses, repeated port names): after each, the cache says what merging the whole
    design afresh says, whether it merged the port again or kept it from the edited Gateway alone."""
    import random

    rng = random.Random(seed)
    hosts = [f"h{i}.example.com" for i in range(30)]

    def random_server(i: int) -> dict:
        protocol = rng.choice(["HTTPS", "HTTPS", "HTTP"])
        out = {"port": {"number": rng.choice([443, 443, 8443]), "name": rng.choice(["a", "b"]) + f"-{i}",
                        "protocol": protocol},
               "hosts": rng.sample(hosts, rng.choice([1, 1, 2]))}
        if protocol == "HTTPS":
            out["tls"] = {"mode": "SIMPLE", "credentialName": "cert"}
        elif rng.random() < 0.5:
            out["tls"] = {"httpsRedirect": True}
        if rng.random() < 0.15:
            out["bind"] = "10.0.0.1"
        return out

    def random_gateway(i: int) -> dict:
        manifest = _gateway(i)
        manifest["spec"]["servers"] = [random_server(i) for _ in range(rng.choice([1, 1, 2]))]
        return manifest

    project = _project([_gateway(i, [f"own{i}.example.com"]) for i in range(12)])
    cache = CompileCache()
    cache.drops(project)
    kept_alone = 0
    still_clean = cache._still_clean

    def counting(*args):
        nonlocal kept_alone
        found = still_clean(*args)
        kept_alone += found is not None
        return found

    cache._still_clean = counting
    for step in range(120):
        i = rng.randrange(12)
        # mostly a fresh host of its own, as a user edits; sometimes a random server set that may clash
        manifest = _gateway(i, [f"own{i}-{step}.example.com"]) if rng.random() < 0.5 else random_gateway(i)
        project.replace_node(_node(manifest, project))
        found = cache.drops(project)
        assert _codes(found) == _reference(project), f"seed {seed} step {step}"
        assert found == workload_drops(project), f"seed {seed} step {step}"
    assert kept_alone > 10      # the shortcut was taken, and checked


def test_the_live_checks_hand_the_cache_what_changed(monkeypatch):
    """The Analyzer tells the compile cache which nodes it found changed (NodeChanges) instead of letting it
    compare every node again: removals, additions and renames reach the merge all the same."""
    project = _project([_gateway(i) for i in range(GATEWAYS)])
    analyzer = Analyzer(project)
    analyzer.refresh()
    cache = analyzer.context.compile_cache
    full_scans = []
    sync = cache._sync
    monkeypatch.setattr(cache, "_sync", lambda current: (full_scans.append(1), sync(current)))

    def md0803() -> set[str]:
        found = analyzer.refresh()
        assert found == analyze(project)
        return {d.resource.name for d in found if d.code == "MD0803"}

    # gw-20 repeats a host of gw-10's: the later one (gw-20) is skipped
    project.replace_node(_node(_gateway(20, ["app20-0.example.com", "app10-0.example.com"]), project))
    assert md0803() == {"gw-20"}
    # gw-10 removed: nothing left to repeat
    removed = project.remove_node("ingress-gateway:edge/gw-10")
    assert md0803() == set()
    # back, under a name merged after gw-20 (zz-10): now it is the later one
    renamed = _project([{**_gateway(10), "metadata": {"name": "zz-10", "namespace": "edge"}}]).node(
        "ingress-gateway:edge/zz-10")
    project.add_node(renamed.model_copy(update={"position": removed.position}))
    assert md0803() == {"zz-10"}
    # renamed back in place (rename_node keeps its place in the design): gw-10 merges first again
    project.rename_node(renamed.id, removed)
    assert md0803() == {"gw-20"}
    assert full_scans == []
