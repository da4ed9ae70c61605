"""Bad input: a clear message naming file and line, exit code 2, no traceback, nothing written."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

from meshdesigner.io.errors import InputError
from meshdesigner.io.importer import import_manifests

GATEWAY = """apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [a.example.com]
"""


def run_cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "meshdesigner", *args], capture_output=True, text=True,
                          timeout=60, cwd=cwd)


BAD_INPUTS = {
    "malformed.yaml": (b"apiVersion: v1\nkind: [unclosed\n", "invalid YAML", 3),
    "nonutf8.yaml": (b"apiVersion: v1\nkind: Service\nmetadata:\n  name: \xff\xfe\n", "not UTF-8", 4),
    "unknown-version.yaml": (GATEWAY.replace("networking.istio.io/v1", "networking.istio.io/v2").encode(),
                             "unknown apiVersion", 1),
    "no-kind.yaml": (b"apiVersion: v1\nmetadata: {name: x}\n", "has no kind", 1),
    "no-name.yaml": (b"apiVersion: v1\nkind: Service\nmetadata: {}\n", "no metadata.name", 3),
    "wrong-type.yaml": (GATEWAY.replace("number: 80", "number: eighty").encode(), "valid integer", 7),
    "scalar.yaml": (b"just a string\n", "expected a Kubernetes object", 1),
    # the same resource twice with other content (identical copies are accepted)
    "duplicate.yaml": ((GATEWAY + "---\n" + GATEWAY.replace("a.example.com", "b.example.com")).encode(),
                       "duplicate resource", 10),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_manifest_gives_file_and_line(tmp_path, name):
    content, expected, line = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        import_manifests([str(path)])
    assert expected in str(err.value)
    assert err.value.file == str(path) and err.value.line == line


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_cli_import_of_bad_input_exits_2_and_writes_nothing(tmp_path, name):
    content, expected, _ = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(content)
    out = tmp_path / "out.mesh.yaml"
    result = run_cli("import", str(path), "-o", str(out))
    assert result.returncode == 2
    assert expected in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_alias_bomb_is_refused(tmp_path):
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefghij"):
        prev = "abcdefghij"[i]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError, match="alias"):
        import_manifests([str(path)])


def test_harmless_aliases_are_fine(tmp_path):
    path = tmp_path / "aliases.yaml"
    path.write_text(GATEWAY.replace("hosts: [a.example.com]", "hosts: &h [a.example.com]"))
    assert len(import_manifests([str(path)]).project) == 1


def test_50_mb_file_is_refused_quickly(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as fh:
        fh.write(b"# " + b"x" * (50 * 1024 * 1024) + b"\n")
    with pytest.raises(InputError, match="too large"):
        import_manifests([str(path)])


def test_missing_path_is_named(tmp_path):
    missing = tmp_path / "nope.yaml"
    result = run_cli("import", str(missing), "-o", str(tmp_path / "x.mesh.yaml"))
    assert result.returncode == 2 and "no such file" in result.stderr and str(missing) in result.stderr


def test_newer_project_file_exits_2(tmp_path):
    path = tmp_path / "future.mesh.yaml"
    path.write_text("format_version: 99\nname: x\nnodes: []\n")
    result = run_cli("export", str(path), "-o", str(tmp_path / "out"))
    assert result.returncode == 2 and "newer MeshDesigner" in result.stderr
    assert not (tmp_path / "out").exists()


def test_project_file_with_bad_field_exits_2_naming_line(tmp_path):
    text = pathlib.Path("examples/seed.mesh.yaml").read_text().replace("number: 443", "number: [443]")
    path = tmp_path / "bad.mesh.yaml"
    path.write_text(text)
    result = run_cli("export", str(path), "-o", str(tmp_path / "out"))
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "number: [443]" in t)
    assert result.returncode == 2
    assert f"{path}:{line}" in result.stderr and "servers[0].port.number" in result.stderr
