"""The installable app (issue 16, point 3): ``packaging/build`` makes a one-folder bundle that runs with no
Python environment, and a .deb that installs it with a command link, a menu entry, an icon and the MIME type
of ``*.mesh.yaml``.

The build takes minutes, so the bundle in ``dist/`` is reused while it is newer than every source it is made
of. Without PyInstaller the test skips (``pip install -e '.[packaging]'``), except under ``CI``: there it
must run, and ``.ci/run`` installs the packaging extra.
"""

from __future__ import annotations

import importlib.util
import io
import os
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tomllib
import xml.etree.ElementTree as ET

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
BUNDLE = ROOT / "dist" / f"meshdesigner-{VERSION}"
DEB = ROOT / "dist" / f"meshdesigner_{VERSION}_amd64.deb"
SOURCES = ("meshdesigner", "resources", "ui", "examples", "packaging", "docs/diagnostics.md", "pyproject.toml")
IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")

pytestmark = [pytest.mark.slow, pytest.mark.gui]


def newest_source() -> float:
    times = []
    for name in SOURCES:
        path = ROOT / name
        files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
        times += [p.stat().st_mtime for p in files]
    return max(times)


def fresh() -> bool:
    executable = BUNDLE / "meshdesigner"
    return (executable.is_file() and DEB.is_file() and DEB.stat().st_mtime >= executable.stat().st_mtime
            >= newest_source())


@pytest.fixture(scope="module")
def built() -> tuple[pathlib.Path, pathlib.Path]:
    """(bundle folder, .deb), built by packaging/build unless a fresh build is already in dist/."""
    if not fresh():
        if importlib.util.find_spec("PyInstaller") is None:
            message = "PyInstaller is not installed (pip install -e '.[packaging]'): cannot build the app bundle"
            if IN_CI:
                pytest.fail(f"{message}; under CI it must run (.ci/run installs the packaging extra)")
            pytest.skip(message)
        if shutil.which("dpkg-deb") is None:
            pytest.fail("dpkg-deb is missing: packaging/build needs it for the .deb")
        result = subprocess.run([sys.executable, str(ROOT / "packaging" / "build")], cwd=ROOT,
                                capture_output=True, text=True, timeout=1800)
        assert result.returncode == 0, result.stdout + result.stderr
    return BUNDLE, DEB


def run_without_python(tmp_path: pathlib.Path, *args: str) -> subprocess.CompletedProcess:
    """The bundle's executable with an empty environment: no PYTHONPATH/PYTHONHOME, no python on PATH."""
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir(exist_ok=True)
    env = {"PATH": str(empty_bin), "HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run([str(BUNDLE / "meshdesigner"), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_bundle_runs_the_commands_without_python(built, tmp_path):
    version = run_without_python(tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"meshdesigner {VERSION}", version.stderr
    bundled = BUNDLE / "_internal" / "examples"
    assert sorted(p.name for p in bundled.glob("*.mesh.yaml")) == sorted(
        p.name for p in (ROOT / "examples").glob("*.mesh.yaml"))
    # bookinfo: a clean design (no finding at warning or above) -> exit 0
    validate = run_without_python(tmp_path, "validate", str(bundled / "bookinfo.mesh.yaml"))
    assert validate.returncode == 0, validate.stdout + validate.stderr
    export = run_without_python(tmp_path, "export", str(bundled / "bookinfo.mesh.yaml"), "-o", str(tmp_path / "out"))
    assert export.returncode == 0, export.stderr
    istio = (tmp_path / "out" / "istio.yaml").read_text(encoding="utf-8")
    assert "kind: Gateway" in istio and "kind: VirtualService" in istio


def test_the_bundle_renders_an_example(built, tmp_path):
    from PySide6.QtGui import QImage

    out = tmp_path / "shot.png"
    example = BUNDLE / "_internal" / "examples" / "bookinfo.mesh.yaml"
    result = run_without_python(tmp_path, str(example), "--screenshot", str(out), "--size", "1200x800")
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.stat().st_size > 30_000  # a rendered window with text and cards, not an empty frame
    image = QImage(str(out)).convertToFormat(QImage.Format.Format_ARGB32)
    assert (image.width(), image.height()) == (1200, 800)
    pixels = bytes(image.constBits())
    assert len(set(memoryview(pixels).cast("I"))) > 200  # anti-aliased text and icons: many colours
    # bookinfo has an ingress gateway: its card is drawn in the ingress colour #0072B2 (ARGB32: B, G, R, A).
    assert pixels.count(bytes([0xB2, 0x72, 0x00, 0xFF])) > 100


def deb_members(deb: pathlib.Path) -> tuple[dict[str, tarfile.TarInfo], bytes]:
    tar_bytes = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        return {member.name.removeprefix("./"): member for member in tar.getmembers()}, tar_bytes


def read_member(tar_bytes: bytes, name: str) -> str:
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
        return tar.extractfile("./" + name).read().decode("utf-8")


def test_the_deb_installs_the_app_with_desktop_integration(built):
    fields = subprocess.run(["dpkg-deb", "--field", str(DEB), "Package", "Version", "Architecture"],
                            capture_output=True, text=True, check=True).stdout
    assert fields.split() == ["Package:", "meshdesigner", "Version:", VERSION, "Architecture:", "amd64"]
    members, tar_bytes = deb_members(DEB)
    link = members["usr/bin/meshdesigner"]
    assert link.issym() and link.linkname == "/opt/meshdesigner/meshdesigner"
    executable = members["opt/meshdesigner/meshdesigner"]
    assert executable.isfile() and executable.mode & 0o111 and executable.uname == "root"
    for name in ("opt/meshdesigner/_internal/examples/seed.mesh.yaml", "opt/meshdesigner/_internal/ui",
                 "opt/meshdesigner/_internal/resources/icons",
                 "opt/meshdesigner/_internal/PySide6/Qt/plugins/platforms/libqxcb.so",
                 "opt/meshdesigner/_internal/PySide6/Qt/plugins/platforms/libqoffscreen.so",
                 "opt/meshdesigner/_internal/PySide6/Qt/plugins/iconengines/libqsvgicon.so",
                 "usr/share/icons/hicolor/scalable/apps/meshdesigner.svg"):
        assert name in members, name
    desktop = read_member(tar_bytes, "usr/share/applications/meshdesigner.desktop")
    assert "Exec=meshdesigner %F" in desktop and "Icon=meshdesigner" in desktop
    assert "MimeType=application/x-meshdesigner-project;" in desktop
    mime = ET.fromstring(read_member(tar_bytes, "usr/share/mime/packages/meshdesigner.xml"))
    namespace = "{http://www.freedesktop.org/standards/shared-mime-info}"
    mime_type = mime.find(f"{namespace}mime-type")
    assert mime_type.get("type") == "application/x-meshdesigner-project"
    assert [glob.get("pattern") for glob in mime_type.findall(f"{namespace}glob")] == ["*.mesh.yaml"]
