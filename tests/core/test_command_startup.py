"""Issue 16: a command loads only what it needs (start-up dominates the commands on small designs), and
an export makes its files durable with one file-system sync, not one fsync per file."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

from meshdesigner.io import atomic

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "seed.mesh.yaml"


def _modules_after(args: list[str]) -> set[str]:
    """The modules a fresh interpreter holds after ``meshdesigner ARGS``."""
    code = ("import json, sys; from meshdesigner.cli import main; main(sys.argv[1:]); "
            "sys.stderr.write('\\n' + json.dumps(sorted(sys.modules)))")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True,
                          timeout=120)
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def _loaded(modules: set[str], package: str) -> bool:
    return any(m == package or m.startswith(package + ".") for m in modules)


def test_version_loads_no_model_and_no_command():
    modules = _modules_after(["--version"])
    assert not _loaded(modules, "pydantic")
    assert not any(m.startswith("meshdesigner.cli.") for m in modules)


def test_validate_loads_neither_the_exporters_nor_networkx_nor_qt():
    modules = _modules_after(["validate", str(SEED)])
    assert "meshdesigner.cli.validate_cmd" in modules
    for heavy in ("networkx", "PySide6", "meshdesigner.export", "meshdesigner.gui",
                  "meshdesigner.cli.export_cmd", "meshdesigner.cli.run_gateway_cmd"):
        assert not _loaded(modules, heavy), heavy


def test_import_lays_out_without_networkx(tmp_path):
    manifests = tmp_path / "m.yaml"
    manifests.write_text("apiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: a}\n"
                         "spec: {selector: {app: s}, ports: [{port: 80, name: http}]}\n")
    modules = _modules_after(["import", "-o", str(tmp_path / "p.mesh.yaml"), str(manifests)])
    assert "meshdesigner.model.layout" in modules and not _loaded(modules, "networkx")


def test_export_syncs_the_file_system_once_before_any_file_is_renamed_into_place(tmp_path, monkeypatch):
    events: list[str] = []
    real_replace = os.replace
    monkeypatch.setattr(atomic, "_syncfs", lambda folder: events.append("sync") or True)
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: events.append("fsync"))
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (events.append("rename"), real_replace(a, b)))
    files = {f"resources/r{i}.yaml": f"i: {i}\n" for i in range(50)} | {"istio.yaml": "a: 1\n"}
    atomic.write_tree(str(tmp_path / "out"), files)
    renames = [i for i, e in enumerate(events) if e == "rename"]
    assert events.count("sync") == 1 and events.index("sync") < renames[0]
    assert events[:renames[0]].count("fsync") == 0  # no per-file fsync before the renames
    assert (tmp_path / "out" / "resources" / "r7.yaml").read_text() == "i: 7\n"


def test_without_syncfs_every_staged_file_is_fsynced_before_the_renames(tmp_path, monkeypatch):
    events: list[str] = []
    real_replace = os.replace
    monkeypatch.setattr(atomic, "_syncfs", lambda folder: False)
    monkeypatch.setattr(atomic.os, "fsync", lambda fd: events.append("fsync"))
    monkeypatch.setattr(atomic.os, "replace", lambda a, b: (events.append("rename"), real_replace(a, b)))
    atomic.write_tree(str(tmp_path / "out"), {"a.yaml": "a: 1\n", "b/c.yaml": "c: 1\n"})
    assert events[:events.index("rename")] == ["fsync", "fsync"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="syncfs(2) is Linux's")
def test_syncfs_is_called_on_linux(tmp_path):
    assert atomic._syncfs(str(tmp_path)) is True


def _program(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """``meshdesigner ARGS`` run as a user runs it (a fresh process, output to pipes)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "meshdesigner", *args], env=env, capture_output=True,
                          text=True, timeout=120, **kwargs)


def test_a_one_shot_command_that_ends_the_process_early_still_writes_all_its_output(tmp_path, capsys):
    # validate, export and import end the process without freeing its objects (issue 16): every line
    # printed, on both streams, must still arrive, and the exit code must be the command's.
    from meshdesigner.cli import main

    args = ["validate", "--fail-on", "info", "--format", "json", str(SEED)]
    code = main(args)
    in_process = capsys.readouterr()
    done = _program(args)
    assert (done.returncode, done.stdout, done.stderr) == (code, in_process.out, in_process.err)
    assert code == 1 and json.loads(done.stdout)  # the seed has info findings: a long JSON document

    out = tmp_path / "out"
    done = _program(["export", "-o", str(out), str(SEED)])
    assert done.returncode == 0 and done.stdout.startswith("wrote ")
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert len(written) == int(done.stdout.split()[1]) + 1  # and the export's index


def test_a_command_run_inside_a_process_leaves_the_garbage_collector_on(capsys):
    import gc

    from meshdesigner.cli import main

    assert gc.isenabled()
    main(["validate", str(SEED)])
    assert gc.isenabled()
