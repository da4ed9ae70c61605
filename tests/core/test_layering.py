"""The house rules of imports: Qt only in meshdesigner/gui; the model imports no other layer."""

from __future__ import annotations

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "meshdesigner"
QT_MODULES = ("PySide6", "shiboken6", "pyqtgraph")
LAYERS = ("analysis", "export", "io", "tls", "cli", "gui")


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
