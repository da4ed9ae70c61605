"""The message type: a code's severity, template, explanation and Istio equivalent.

The catalogue itself is :mod:`meshdesigner.analysis.messages`; this module only defines its shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..model.resource import ResourceRef
from .diagnostic import SEVERITIES, Diagnostic

CODE_PATTERN = re.compile(r"^MD\d{4}$")
ISTIO_CODE_PATTERN = re.compile(r"^IST\d{4}$")


@dataclass(frozen=True)
class MessageType:
    """One entry of the catalogue. Call :meth:`at` to make a :class:`Diagnostic`."""

    code: str
    name: str
    severity: str
    template: str
    explain: str
    istio: str | None = None

    def __post_init__(self) -> None:
        if not CODE_PATTERN.match(self.code):
            raise ValueError(f"bad code {self.code!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.code}: bad severity {self.severity!r}")
        if self.istio is not None and not ISTIO_CODE_PATTERN.match(self.istio):
            raise ValueError(f"{self.code}: bad Istio code {self.istio!r}")

    def at(self, resource: ResourceRef, path: str = "", **args) -> Diagnostic:
        """A diagnostic of this type on ``resource`` at field ``path`` (manifest names, e.g.
        ``spec.servers[0].tls``); ``args`` fill the template. A finding a rule cannot confirm gets its own
        info-level code rather than a lowered severity, so every code has one severity."""
        return Diagnostic(self.code, self.istio, self.severity, resource, None, path, self.template.format(**args))
