"""Export from the editor through the function ``meshdesigner export`` calls (same bytes)."""

from __future__ import annotations

from ..export.bundle import ExportOptions, export_design
from ..export.bundle import write_export as write_bundle
from ..export.envoy import EnvoyOptions
from ..model import Project


def export_options(api_version: str = "v1", envoy: bool = False) -> ExportOptions:
    """The options the dialog's fields stand for (Envoy configs with the defaults of ``--envoy``)."""
    return ExportOptions(api_version=api_version, envoy=EnvoyOptions() if envoy else None)


def planned_files(project: Project, api_version: str = "v1", envoy: bool = False) -> tuple[dict[str, str], dict[str, int]]:
    """Relative path -> text (and file modes), as the command line would write them."""
    result = export_design(project, export_options(api_version, envoy))
    return result.files, result.modes


def write_export(project: Project, folder: str, api_version: str = "v1", envoy: bool = False) -> list[str]:
    """Write the files atomically (nothing half-done); returns the written paths."""
    written, _result = write_bundle(project, folder, export_options(api_version, envoy))
    return written
