"""The command line: help everywhere, import/export round trip, exit codes."""

from __future__ import annotations

import subprocess
import sys

import yaml

from meshdesigner.cli import SUBCOMMANDS, build_parser


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "meshdesigner", *args], capture_output=True, text=True,
                          timeout=120)


def test_help_lists_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "import" in result.stdout and "export" in result.stdout


def test_every_present_subcommand_has_help():
    parser = build_parser()
    present = [a for a in parser._subparsers._group_actions[0].choices]  # noqa: SLF001 - argparse has no API
    assert {"import", "export"} <= set(present) <= set(SUBCOMMANDS)
    for command in present:
        result = run_cli(command, "--help")
        assert result.returncode == 0, command
        assert "usage: meshdesigner " + command in result.stdout


def test_bad_usage_exits_2():
    assert run_cli("export").returncode == 2
    assert run_cli("import", "x.yaml").returncode == 2  # -o missing


def test_import_then_export_round_trip(tmp_path, oracle):
    sample = oracle / "istio-samples" / "istio-bookinfo-bookinfo-gateway.yaml"
    project = tmp_path / "b.mesh.yaml"
    result = run_cli("import", str(sample), "-o", str(project))
    assert result.returncode == 0, result.stderr
    assert "imported 1 ingress-gateway, 1 virtual-service" in result.stdout
    out = tmp_path / "out"
    result = run_cli("export", str(project), "-o", str(out), "--api-version", "v1beta1", "--force")
    assert result.returncode == 0, result.stderr
    docs = list(yaml.safe_load_all((out / "istio.yaml").read_text()))
    originals = list(yaml.safe_load_all(sample.read_text()))
    assert [d["spec"] for d in docs] == [d["spec"] for d in originals]
    assert {d["apiVersion"] for d in docs} == {"networking.istio.io/v1beta1"}
    assert sorted(p.name for p in (out / "resources").iterdir()) == [
        "default.gateway.bookinfo-gateway.yaml", "default.virtualservice.bookinfo.yaml"]


def test_import_refuses_to_overwrite_without_force(tmp_path, oracle):
    sample = oracle / "istio-samples" / "istio-httpbin-httpbin-gateway.yaml"
    target = tmp_path / "p.mesh.yaml"
    target.write_text("keep me")
    result = run_cli("import", str(sample), "-o", str(target))
    assert result.returncode == 2 and "--force" in result.stderr
    assert target.read_text() == "keep me"


def test_reexport_removes_files_it_no_longer_produces_but_keeps_others(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "README.txt").write_text("mine")
    assert run_cli("export", "examples/bookinfo.mesh.yaml", "-o", str(out), "--force").returncode == 0
    assert (out / "resources" / "bookinfo.virtualservice.reviews.yaml").exists()
    assert run_cli("export", "examples/seed.mesh.yaml", "-o", str(out), "--force").returncode == 0
    assert not (out / "resources" / "bookinfo.virtualservice.reviews.yaml").exists()
    assert (out / "README.txt").read_text() == "mine"
    assert not [p for p in out.iterdir() if p.name.startswith(".meshdesigner-staging")]


def test_export_accepts_manifest_folders(tmp_path, oracle):
    out = tmp_path / "out"
    sample = oracle / "istio-samples" / "istio-tcp-echo-tcp-echo-all-v1.yaml"
    result = run_cli("export", str(sample), "-o", str(out), "--force")
    assert result.returncode == 0, result.stderr
    kinds = [d["kind"] for d in yaml.safe_load_all((out / "istio.yaml").read_text())]
    assert kinds == ["DestinationRule", "Gateway", "VirtualService"]


def test_long_imports_report_progress_on_stderr(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(25):
        (folder / f"svc{i:02d}.yaml").write_text(
            f"apiVersion: v1\nkind: Service\nmetadata: {{name: svc{i}}}\nspec: {{ports: [{{port: 80}}]}}\n")
    result = run_cli("import", str(folder), "-o", str(tmp_path / "m.mesh.yaml"))
    assert result.returncode == 0, result.stderr
    assert "reading: 25/25 files (100%)" in result.stderr
    assert "reading: 0/25 files" in result.stderr
