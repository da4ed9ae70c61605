"""The house rules of imports: Qt only in meshdesigner/gui; packages import each other only along the
allowed edges (model <- compile <- analysis/export/io/tls <- cli/gui), so there is no cycle."""

from __future__ import annotations

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "meshdesigner"
QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")
LAYERS = ("analysis", "export", "io", "tls", "cli", "gui")
PACKAGES = ("model", "compile", "io", "tls", "analysis", "export", "live", "cli", "gui")

# Which packages each package may import (besides itself). ``io`` reads and writes files and YAML for the
# layers above it; ``tls`` reads certificate files through it; ``analysis`` and ``export`` are siblings that
# never import each other (the simulator and the exporter both read the compiler's plan, not each other).
# ``live`` runs real Envoy on the exporter's output and judges it with the analysis' expectations.
# ``cli`` may start the GUI (``meshdesigner`` without a subcommand, ``flow --format png``); the GUI never
# goes through the command line.
ALLOWED = {
    "model": set(),
    "compile": {"model"},
    "io": {"model", "compile"},
    "tls": {"model", "io"},
    "analysis": {"model", "compile", "io", "tls"},
    "export": {"model", "compile", "io", "tls"},
    "live": {"model", "compile", "io", "tls", "analysis", "export"},
    "cli": {"model", "compile", "io", "tls", "analysis", "export", "live", "gui"},
    "gui": {"model", "compile", "io", "tls", "analysis", "export", "live"},
}
TOP_LEVEL_MODULES = {"assets": "model", "__init__": "model", "__main__": "cli"}


def imported_modules(path: pathlib.Path) -> list[str]:
    """Absolute module names a file imports (relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(), str(path))
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                names.append(".".join(base + ([node.module] if node.module else [])))
            else:
                names.append(node.module or "")
    return names


def python_files(under: str = "") -> list[pathlib.Path]:
    return sorted((PACKAGE / under).rglob("*.py"))


def test_only_gui_imports_qt():
    offenders = []
    for path in python_files():
        if path.relative_to(PACKAGE).parts[0] == "gui":
            continue
        for name in imported_modules(path):
            if name.split(".")[0] in QT_MODULES:
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_model_imports_no_other_layer():
    offenders = []
    for path in python_files("model"):
        for name in imported_modules(path):
            parts = name.split(".")
            if parts[0] == "meshdesigner" and len(parts) > 1 and parts[1] in LAYERS:
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_no_core_layer_imports_the_gui():
    offenders = []
    for path in python_files():
        if path.relative_to(PACKAGE).parts[0] in ("gui", "cli") or path.name == "__main__.py":
            continue
        for name in imported_modules(path):
            if name.startswith("meshdesigner.gui"):
                offenders.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert offenders == []


def test_the_checker_sees_relative_imports(tmp_path):
    """The walker must resolve ``from ..gui import x`` or the tests above prove nothing."""
    sample = PACKAGE / "model" / "project.py"
    assert "meshdesigner.model.events" in imported_modules(sample)


def _package_of(path: pathlib.Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    return parts[0] if len(parts) > 1 else TOP_LEVEL_MODULES[path.stem]


def package_edges() -> dict[tuple[str, str], list[str]]:
    """(importer package, imported package) -> the files that make the edge."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in python_files():
        source = _package_of(path)
        for name in imported_modules(path):
            parts = name.split(".")
            if parts[0] != "meshdesigner" or len(parts) < 2:
                continue
            target = parts[1] if parts[1] in PACKAGES else TOP_LEVEL_MODULES.get(parts[1], "model")
            if target != source:
                edges.setdefault((source, target), []).append(str(path.relative_to(PACKAGE)))
    return edges


def test_every_package_is_in_the_matrix():
    on_disk = {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    on_disk |= {p.name for p in PACKAGE.iterdir() if p.is_dir() and any(p.glob("*.py"))}
    assert on_disk == set(PACKAGES)


def test_imports_follow_the_allowed_edges():
    offenders = [f"{source} -> {target} ({', '.join(sorted(set(files)))})"
                 for (source, target), files in sorted(package_edges().items())
                 if target not in ALLOWED[source]]
    assert offenders == []


def test_the_allowed_edges_have_no_cycle():
    """The matrix itself is acyclic (apart from cli starting the gui, which never imports cli)."""
    graph = {p: set(ALLOWED[p]) - ({"gui"} if p == "cli" else set()) for p in PACKAGES}
    state: dict[str, str] = {}

    def visit(node: str) -> None:
        state[node] = "open"
        for nxt in graph[node]:
            assert state.get(nxt) != "open", f"cycle through {node} -> {nxt}"
            if nxt not in state:
                visit(nxt)
        state[node] = "done"

    for package in PACKAGES:
        if package not in state:
            visit(package)
    assert "cli" not in ALLOWED["gui"]
