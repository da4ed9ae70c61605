"""The one export both ``meshdesigner export`` and the editor's Export dialog call.

:func:`export_design(project, ExportOptions) -> ExportResult` gives every file (relative path -> text),
the file modes (Secrets are 0600) and warnings; :func:`write_export` writes them atomically (nothing
when anything fails) and removes files of an earlier export that the design no longer produces.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from ..compile import CompileOptions
from ..io.atomic import write_tree
from .envoy import EnvoyOptions, export_envoy_files
from .envoy.files import missing_files, missing_files_message
from .istio import export_files
from .secrets import file_modes, secret_files


@dataclass(frozen=True)
class ExportOptions:
    """What to export besides the Istio manifests.

    * ``api_version``: the ``networking.istio.io`` version written (v1, v1beta1, v1alpha3);
    * ``envoy``: also ``envoy/<labels>.yaml``, one Envoy config per gateway workload, with these Envoy
      options (None: no Envoy configs);
    * ``secrets_dir``: also ``secrets/`` Secrets from ``DIR/<credentialName>/tls.crt, tls.key`` (None: none);
    * ``compile``: the compiler's options (None: from the project's settings).
    """

    api_version: str = "v1"
    envoy: EnvoyOptions | None = None
    secrets_dir: str | None = None
    compile: CompileOptions | None = None


@dataclass
class ExportResult:
    files: dict[str, str]
    modes: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def missing_file_warnings(self, folder: str) -> list[str]:
        """One warning per Envoy config that names certificate files missing on this machine."""
        out = []
        for path in sorted(self.files):
            if path.startswith("envoy/") and (missing := missing_files(self.files[path])):
                out.append(missing_files_message(os.path.join(folder, path), missing))
        return out


def export_design(project, options: ExportOptions | None = None) -> ExportResult:
    """Every file of the export (pure apart from reading the Secrets' certificate files)."""
    options = options or ExportOptions()
    result = ExportResult(export_files(project, options.api_version))
    if options.envoy is not None:
        result.files.update(export_envoy_files(project, options.envoy, options.compile))
    if options.secrets_dir:
        secrets, warnings = secret_files(project, options.secrets_dir)
        result.files.update(secrets)
        result.modes.update(file_modes(secrets))
        result.warnings.extend(warnings)
    return result


def write_export(project, folder: str, options: ExportOptions | None = None) -> tuple[list[str], ExportResult]:
    """Write the export into ``folder`` atomically; returns the written paths and the result."""
    result = export_design(project, options)
    return write_tree(folder, result.files, modes=result.modes), result
