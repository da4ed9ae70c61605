"""Istio's own analyzer test grid run through MeshDesigner's checks: an audit tool, not a pytest module.

    python tests/analysis/istio_testgrid.py ISTIO          # a checkout of github.com/istio/istio
    python tests/analysis/istio_testgrid.py --git-dir GIT  # or a (bare) clone: files read with git show HEAD:...

It reads ``pkg/config/analysis/analyzers/analyzers_test.go`` (testGrid: input files, the analyzer, Istio's
expected messages), analyses the same input files as one design (``import_manifests(..., lenient=True)``; a
meshConfigFile / meshNetworksFile becomes the istio ConfigMap of istio-system) and compares, per case, the sets
of (Istio code, kind, name) for the codes the analyzer's Go file can emit. MD0402 (a host absent from a partial
design, info) is left out: it is MeshDesigner's open-world form of IST0101.

Expected answers are Istio's (its test grid), never ours. KNOWN_DIFFERENCES lists the cases that differ on
purpose, each with its reason (docs/diagnostics.md says the same); any other difference exits 1. Not run in CI
because it needs an istio checkout (the repository is not copied into this project).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ANALYZERS = "pkg/config/analysis/analyzers"

KNOWN_DIFFERENCES = {
    "alpha": "maturity.AlphaAnalyzer is not in all.go All(): istioctl analyze does not run it",
    "Condition Analyzer": "status conditions are dropped on import",
    "ServiceEntry Addresses Allocated": "a ServiceEntry's status addresses are dropped on import",
    "gatewayNoWorkload": "no Pods in the input: the Pod checks do not run (istioctl uses its stand-in Pod)",
    "gatewayBadPort": "no Pods in the input: IST0162 through Pods does not run (istioctl uses its stand-in)",
    "gatewaySecretValidations": "certificate contents are never kept; without Pods the key-name check does not run",
    "virtualServiceJWTClaimRoute": "no Pods in the input: the gateway's pods are unknown",
    "DestinationRuleSubsetsNotSelectPods": "no Pods in the input: subsets are not checked against pods",
    "Analyze invalid telemetry": "no mesh config in the input: MD1021 (info), not IST0157",
    "virtualServiceDestinationHosts": "reviews-bogushost has a '- {}' route entry: the object is MD1008 (the "
                                      "webhook refuses it too) and its destinations are not looked up",
    "unknown service registry in mesh networks": "reported on the istio ConfigMap, Istio names a MeshNetworks "
                                                 "pseudo-resource",
}


class Source:
    """Files of the istio repository, from a checkout or a git directory."""

    def __init__(self, checkout: str | None, git_dir: str | None) -> None:
        self.checkout, self.git_dir = checkout, git_dir

    def read(self, path: str) -> str:
        if self.checkout:
            return (pathlib.Path(self.checkout) / path).read_text(encoding="utf-8")
        return subprocess.run(["git", f"--git-dir={self.git_dir}", "show", f"HEAD:{path}"], check=True,
                              capture_output=True, text=True).stdout

    def grep_codes(self, path: str) -> list[str]:
        return re.findall(r"msg\.New(\w+)\(", self.read(path))

    def analyzer_file(self, package: str, struct: str) -> str | None:
        listing = (os.listdir(pathlib.Path(self.checkout) / ANALYZERS / package) if self.checkout else
                   subprocess.run(["git", f"--git-dir={self.git_dir}", "ls-tree", "--name-only", "HEAD",
                                   f"{ANALYZERS}/{package}/"], check=True, capture_output=True,
                                  text=True).stdout.split())
        for name in listing:
            path = f"{ANALYZERS}/{package}/{os.path.basename(name)}"
            if path.endswith(".go") and f"type {struct} struct" in self.read(path):
                return path
        return None


def cases(source: Source):
    text = source.read(f"{ANALYZERS}/analyzers_test.go")
    grid = text[text.index("var testGrid"):text.index("func TestAnalyzers(")]
    for case in re.split(r"\n\t\{\n", grid)[1:]:
        head = case[:case.index("analyzer:")]
        inputs = re.search(r"inputFiles:[^}]*}", head, re.S)
        yield {
            "name": re.search(r'name:\s*"([^"]+)"', case).group(1),
            "inputs": re.findall(r'"(testdata/[^"]+)"', inputs.group(0)) if inputs else [],
            "mesh": (re.search(r'meshConfigFile:\s*"([^"]+)"', case) or [None, None])[1],
            "networks": (re.search(r'meshNetworksFile:\s*"([^"]+)"', case) or [None, None])[1],
            "analyzer": re.search(r"analyzer:\s*&?(\w+)\.(\w+)", case).groups(),
            "expected": re.findall(r'\{msg\.(\w+),\s*"([^"]+)"', case),
        }


def compare(source: Source, case: dict, names: dict[str, str]) -> tuple[set, set]:
    from meshdesigner.analysis import analyze
    from meshdesigner.io.importer import import_manifests

    package, struct = case["analyzer"]
    expected = {(names[m], o.split(" ", 1)[0], o.split(" ", 1)[1].split("/")[-1]) for m, o in case["expected"]}
    if package == "schemaValidation":
        codes = {"IST0106", "IST0133", "IST0130", "IST0131"}
    else:
        path = source.analyzer_file(package, struct)
        codes = {names[c] for c in (source.grep_codes(path) if path else []) if c in names}
    codes |= {code for code, _, _ in expected}
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for rel in case["inputs"]:
            target = pathlib.Path(folder) / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(source.read(f"{ANALYZERS}/{rel}"), encoding="utf-8")
            paths.append(str(target))
        if case["mesh"] or case["networks"]:
            data = {"mesh": source.read(f"{ANALYZERS}/{case['mesh']}") if case["mesh"] else ""}
            if case["networks"]:
                data["meshNetworks"] = source.read(f"{ANALYZERS}/{case['networks']}")
            config_map = pathlib.Path(folder) / "mesh-config.yaml"
            config_map.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {
                "name": "istio", "namespace": "istio-system"}, "data": data}), encoding="utf-8")
            paths.append(str(config_map))
        result = import_manifests(paths, name=case["name"], lenient=True, layout=False)
        found = analyze(result.project, result.sources, getattr(result, "secrets", ()))
    got = {(d.istio_code, d.resource.kind, d.resource.name) for d in found
           if d.istio_code in codes and d.code != "MD0402"}
    return expected, got


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", nargs="?")
    parser.add_argument("--git-dir")
    args = parser.parse_args(argv)
    if not (args.checkout or args.git_dir):
        parser.error("give an istio checkout or --git-dir")
    sys.path.insert(0, str(ROOT))
    source = Source(args.checkout, args.git_dir)
    oracle = ROOT.parent / "shared" / "oracle" / "istio-analysis" / "analyzer-messages.json"
    names = {m["name"]: m["code"] for m in json.loads(oracle.read_text())["messages"]}
    tally = collections.Counter()
    unexpected = 0
    for case in cases(source):
        expected, got = compare(source, case, names)
        same = expected == got
        tally["agree" if same else "differ"] += 1
        if not same:
            known = KNOWN_DIFFERENCES.get(case["name"])
            unexpected += known is None
            print(f"{'known ' if known else 'DIFFER'} {case['name']}: missing {sorted(expected - got)}, "
                  f"extra {sorted(got - expected)}" + (f" ({known})" if known else ""))
    print(f"{tally['agree']} of {tally['agree'] + tally['differ']} cases agree; {unexpected} unexpected")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
