"""Bugs found by a new-user trial of the command line: each test fails on the code before its fix."""

from __future__ import annotations

import json
import os
import pathlib

import pytest

from meshdesigner.analysis.simulate import Request
from meshdesigner.cli import main
from meshdesigner.io.atomic import EXPORT_INDEX, LEGACY_EXPORT_INDEX, write_tree

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
SEED = os.path.join(EXAMPLES, "seed.mesh.yaml")
BOOKINFO = os.path.join(EXAMPLES, "bookinfo.mesh.yaml")


def test_export_writes_no_top_level_file_kubectl_would_read_except_istio_yaml(tmp_path, capsys):
    out = tmp_path / "deploy"
    assert main(["export", SEED, "-o", str(out), "--envoy", "--force"]) == 0
    kubectl_reads = sorted(name for name in os.listdir(out)
                           if os.path.isfile(out / name) and name.endswith((".json", ".yaml", ".yml")))
    assert kubectl_reads == ["istio.yaml"]
    assert (out / EXPORT_INDEX).is_file()


def test_export_index_of_the_old_name_is_migrated(tmp_path):
    (tmp_path / "old.yaml").write_text("x: 1\n")
    (tmp_path / LEGACY_EXPORT_INDEX).write_text(json.dumps({"export": ["old.yaml"]}))
    write_tree(str(tmp_path), {"new.yaml": "y: 2\n"})
    assert not (tmp_path / "old.yaml").exists()  # the old index was read: its file is removed as stale
    assert not (tmp_path / LEGACY_EXPORT_INDEX).exists()
    assert json.loads((tmp_path / EXPORT_INDEX).read_text()) == {"export": ["new.yaml"]}


def test_validate_reads_only_istio_yaml_of_an_export_folder(tmp_path, capsys):
    out = tmp_path / "deploy"
    assert main(["export", SEED, "-o", str(out), "--envoy", "--force"]) == 0
    capsys.readouterr()
    code = main(["validate", str(out), "--format", "sarif", "--fail-on", "warning"])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    results = json.loads(captured.out)["runs"][0]["results"]
    files = {loc["physicalLocation"]["artifactLocation"]["uri"]
             for r in results for loc in r["locations"] if "physicalLocation" in loc}
    assert all(f.endswith("istio.yaml") for f in files), files


GATEWAY = """apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["%s"]
"""


def test_identical_duplicates_pass_and_different_ones_name_both_files(tmp_path, capsys):
    (tmp_path / "a.yaml").write_text(GATEWAY % "a.example.com")
    (tmp_path / "b.yaml").write_text(GATEWAY % "a.example.com")
    assert main(["validate", str(tmp_path)]) in (0, 1)
    assert "duplicate" not in capsys.readouterr().err
    (tmp_path / "b.yaml").write_text(GATEWAY % "b.example.com")
    assert main(["validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "duplicate resource" in err and "a.yaml" in err and "b.yaml" in err


def test_an_empty_folder_is_unreadable_input(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    expected = f"no manifest files (*.yaml, *.yml, *.json) under {empty}"
    assert main(["validate", str(empty)]) == 2
    assert expected in capsys.readouterr().err
    assert main(["import", str(empty), "-o", str(tmp_path / "x.mesh.yaml")]) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "x.mesh.yaml").exists()


@pytest.mark.parametrize("url", ["http://bookinfo.example.com:99999/", "http://bookinfo.example.com:abc/",
                                 "http://[::1/", "http://bookinfo.example.com:0/"])
def test_simulate_rejects_bad_ports_and_unreadable_urls(url, capsys):
    assert main(["simulate", BOOKINFO, "--gateway", "bookinfo-gateway", "--url", url]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"the URL {url!r}" in err
    with pytest.raises(ValueError, match="URL"):
        Request(url)


@pytest.mark.parametrize("url", ["ftp://x/", "http://", "https:///path"])
def test_simulate_accepts_only_http_https_tcp_tls_with_a_host(url, capsys):
    assert main(["simulate", BOOKINFO, "--gateway", "bookinfo-gateway", "--url", url]) == 2
    assert "--url" in capsys.readouterr().err
    with pytest.raises(ValueError):
        Request(url)


def test_urls_without_a_scheme_are_still_http(capsys):
    assert main(["simulate", BOOKINFO, "--gateway", "bookinfo-gateway",
                 "--url", "bookinfo.example.com/productpage"]) == 0
    assert "outcome: routed" in capsys.readouterr().out


def test_export_to_an_existing_file_or_an_impossible_folder_exits_2(tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("keep me\n")
    assert main(["export", SEED, "-o", str(a_file)]) == 2
    assert f"{a_file} is a file" in capsys.readouterr().err
    assert a_file.read_text() == "keep me\n"
    assert main(["export", SEED, "-o", "/proc/nope"]) == 2
    assert "/proc/nope: No such file or directory" in capsys.readouterr().err


def test_flow_image_that_cannot_be_written_exits_2(tmp_path, capsys):
    assert main(["flow", BOOKINFO, "-o", "/proc/y.png"]) == 2
    assert "cannot write /proc/y.png" in capsys.readouterr().err
    target = tmp_path / "nodir" / "y.png"  # a missing folder is created, as for json and dot
    assert main(["flow", BOOKINFO, "-o", str(target)]) == 0
    assert target.stat().st_size > 0


def test_any_os_error_of_a_command_is_a_message_naming_the_path(monkeypatch, capsys):
    import meshdesigner.cli.validate_cmd as validate_cmd

    def unreadable(*_args):
        raise PermissionError(13, "Permission denied", "/secret/file.yaml")

    monkeypatch.setattr(validate_cmd, "collect", unreadable)
    assert main(["validate", "x.yaml"]) == 2
    assert capsys.readouterr().err == "meshdesigner validate: error: /secret/file.yaml: Permission denied\n"


def test_flow_accepts_a_unique_bare_gateway_name_like_simulate(tmp_path, capsys):
    bare, qualified = tmp_path / "bare.json", tmp_path / "qualified.json"
    assert main(["flow", BOOKINFO, "--gateway", "bookinfo-gateway", "-o", str(bare)]) == 0
    assert "wrote the request flow of gateway bookinfo/bookinfo-gateway" in capsys.readouterr().err
    assert main(["flow", BOOKINFO, "--gateway", "bookinfo/bookinfo-gateway", "-o", str(qualified)]) == 0
    assert bare.read_text() == qualified.read_text()
    assert main(["flow", BOOKINFO, "--gateway", "nope"]) == 2
    assert "no gateway 'nope'" in capsys.readouterr().err


def test_flow_says_the_project_when_no_gateway_is_given(tmp_path, capsys):
    assert main(["flow", BOOKINFO, "-o", str(tmp_path / "f.dot")]) == 0
    assert "wrote the request flow of the project (" in capsys.readouterr().err


def test_flow_output_suffix_must_name_a_format(tmp_path, capsys):
    assert main(["flow", BOOKINFO, "-o", str(tmp_path / "f.gif")]) == 2
    assert "cannot tell the format" in capsys.readouterr().err
    assert not (tmp_path / "f.gif").exists()
    assert main(["flow", BOOKINFO, "-o", str(tmp_path / "f.gif"), "--format", "json"]) == 0
    assert json.loads((tmp_path / "f.gif").read_text())["scope"] == "project"


def test_validate_summary_says_info_not_infos(capsys):
    assert main(["validate", BOOKINFO]) == 0
    summary = capsys.readouterr().err.strip().splitlines()[-1]
    assert summary.endswith(" info") and "infos" not in summary and not summary.startswith("1 info")


def test_ignore_warns_about_codes_not_in_the_catalogue(capsys):
    assert main(["validate", BOOKINFO, "--ignore", "BOGUS,md0507", "--ignore", "ist0106"]) == 0
    err = capsys.readouterr().err
    assert "warning: --ignore BOGUS: not in the catalogue" in err
    assert "MD0507" not in err and "IST0106" not in err


def test_import_summary_says_one_other_resource(tmp_path, capsys):
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\n"
                                      + GATEWAY % "a.example.com")
    assert main(["import", str(tmp_path / "cm.yaml"), "-o", str(tmp_path / "x.mesh.yaml")]) == 0
    assert "1 other resource kept verbatim" in capsys.readouterr().out


def test_a_wrong_node_kind_names_the_kinds_not_pydantic_internals(tmp_path, capsys):
    text = pathlib.Path(BOOKINFO).read_text()
    bad = tmp_path / "bad.mesh.yaml"
    bad.write_text(text.replace("kind: mesh-service", "kind: mesh-servce", 1))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    line = text.splitlines().index("  kind: mesh-service") + 1
    assert f"{bad}:{line}: nodes[1].kind: unknown node kind 'mesh-servce' (expected one of ingress-gateway, " \
           "egress-gateway, virtual-service, mesh-service, external-service)" in err
    assert "NodeKind" not in err
