"""Export from the editor through exactly the functions ``meshdesigner export`` calls (same bytes)."""

from __future__ import annotations

from ..cli import build_parser
from ..cli.export_cmd import _plugins
from ..export.istio import export_files
from ..io.atomic import write_tree
from ..model import Project


def export_args(folder: str, api_version: str = "v1", envoy: bool = False):
    """The parsed arguments of ``meshdesigner export DESIGN -o FOLDER`` with these options."""
    argv = ["export", "design", "-o", folder, "--api-version", api_version]
    if envoy:
        argv.append("--envoy")
    return build_parser().parse_args(argv)


def envoy_available() -> bool:
    return any(p.__name__.endswith("export_envoy") for p in _plugins())


def planned_files(project: Project, folder: str, api_version: str = "v1",
                  envoy: bool = False) -> tuple[dict[str, str], dict[str, int]]:
    """Relative path -> text (and file modes), as the command line would write them."""
    args = export_args(folder, api_version, envoy and envoy_available())
    files = export_files(project, api_version)
    modes: dict[str, int] = {}
    for plugin in _plugins():
        extra = plugin.extra_files(project, args)
        files.update(extra)
        modes.update(getattr(plugin, "file_modes", lambda _f: {})(extra))
    return files, modes


def write_export(project: Project, folder: str, api_version: str = "v1", envoy: bool = False) -> list[str]:
    """Write the files atomically (nothing half-done); returns the written paths."""
    files, modes = planned_files(project, folder, api_version, envoy)
    return write_tree(folder, files, modes=modes)
