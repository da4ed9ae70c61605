"""The Envoy export's file names: one per gateway workload, read from its pod labels, always a plain file name
of ``envoy/`` that ``write_tree`` accepts, and never one name for two workloads (also on a disk that ignores
letter case). Readable names are written by hand; hashed ones are checked for what they promise."""

from __future__ import annotations

import re

import pytest

from meshdesigner.export.envoy.names import workload_file_names
from meshdesigner.io.atomic import write_tree

SAFE_NAME = re.compile(r"envoy/[A-Za-z0-9_][A-Za-z0-9._-]*\.yaml")
HASHED = re.compile(r"envoy/[A-Za-z0-9_][A-Za-z0-9._-]*\.[0-9a-f]{16}\.yaml")


def test_readable_names_are_the_pod_labels():
    names = workload_file_names([(("istio", "ingressgateway"),), (("app", "blog"), ("istio", "ingressgateway")),
                                 (("app.kubernetes.io/name", "edge"),), ()])
    assert names == {
        (("istio", "ingressgateway"),): "envoy/istio-ingressgateway.yaml",
        (("app", "blog"), ("istio", "ingressgateway")): "envoy/app-blog.istio-ingressgateway.yaml",
        (("app.kubernetes.io/name", "edge"),): "envoy/app.kubernetes.io_name-edge.yaml",
        (): "envoy/all-gateway-proxies.yaml",
    }


@pytest.mark.parametrize("workloads", [
    [(("istio", "ingress-gateway"),), (("istio-ingress", "gateway"),)],      # both read istio-ingress-gateway
    [(("App", "x"),), (("app", "x"),)],                                      # one file on a case-insensitive disk
    [(), (("all", "gateway-proxies"),)],                                     # a label set spelling the no-label name
])
def test_workloads_whose_readable_names_meet_get_distinct_hashed_names(workloads):
    names = workload_file_names(workloads)
    assert len({name.lower() for name in names.values()}) == len(workloads)
    assert all(HASHED.fullmatch(name) for name in names.values()), names


def test_a_readable_name_no_other_workload_shares_stays_readable():
    names = workload_file_names([(("istio", "ingress-gateway"),), (("istio-ingress", "gateway"),),
                                 (("istio", "egressgateway"),)])
    assert names[(("istio", "egressgateway"),)] == "envoy/istio-egressgateway.yaml"


@pytest.mark.parametrize("labels", [(("app", "../../etc/passwd"),), (("app", "x\ny"),), ((".hidden", "v"),),
                                    (("-k", "v"),), (("a", "b" * 300),), (("app", "x y"),), (("app", "é"),),
                                    (("", ""),)])
def test_hostile_labels_give_a_safe_hashed_name_that_write_tree_accepts(labels, tmp_path):
    (name,) = workload_file_names([labels]).values()
    assert HASHED.fullmatch(name) and SAFE_NAME.fullmatch(name) and len(name.split("/")[1]) <= 255
    write_tree(str(tmp_path / "out"), {name: "x: 1\n"})
    assert [p.name for p in (tmp_path / "out" / "envoy").iterdir()] == [name.split("/")[1]]
