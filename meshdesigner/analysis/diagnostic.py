"""One finding of the analysis: what is wrong, where (resource, field path, file and line) and how bad."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..model.resource import ResourceRef

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)
SEVERITY_RANK = {ERROR: 0, WARNING: 1, INFO: 2}

_PATH_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]|\[([^\]]*)\]")


@lru_cache(maxsize=65536)
def parse_path(path: str) -> tuple[str | int, ...]:
    """``spec.http[0].route[1].weight`` -> ``('spec', 'http', 0, 'route', 1, 'weight')``.

    ``metadata.annotations[meshdesigner.io/ignore]`` keeps the bracketed key as one string part.
    """
    parts: list[str | int] = []
    for name, index, key in _PATH_PART.findall(path or ""):
        if name:
            parts.append(name)
        elif index:
            parts.append(int(index))
        else:
            parts.append(key)
    return tuple(parts)


@lru_cache(maxsize=65536)
def _path_key(path: str) -> tuple[tuple[int, int | str], ...]:
    # Natural order: spec.http[2] before spec.http[10]; ints and names never compared with each other.
    return tuple((0, p) if isinstance(p, int) else (1, p) for p in parse_path(path))


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A finding. ``format()`` is one human line; ``to_json()`` the machine form."""

    code: str
    istio_code: str | None
    severity: str
    resource: ResourceRef
    node_id: str | None
    path: str
    message: str
    file: str | None = None
    line: int | None = None
    # computed on first use: the live checks sort the same findings again after every edit
    _sort_key: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def sort_key(self) -> tuple:
        """Severity (errors first), resource, field path, code; then the rest, so that only equal findings
        tie (the order never depends on the order they were found in)."""
        key = self._sort_key
        if key is None:
            key = (SEVERITY_RANK[self.severity], tuple(self.resource), _path_key(self.path), self.code,
                   self.message, self.istio_code or "", self.node_id or "", self.file or "", self.line or 0)
            object.__setattr__(self, "_sort_key", key)
        return key

    def format(self) -> str:
        """``error [MD0101/IST0106] (Gateway default/x) spec.servers[0].hosts[0]: ...`` (+ ``file:line``)."""
        codes = self.code + (f"/{self.istio_code}" if self.istio_code else "")
        where = f" {self.path}" if self.path else ""
        text = f"{self.severity} [{codes}] ({self.resource.kind} {self.resource.namespace}/" \
               f"{self.resource.name}){where}: {self.message}"
        if self.file:
            text += f" [{self.file}" + (f":{self.line}" if self.line else "") + "]"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "istio_code": self.istio_code,
            "severity": self.severity,
            "resource": {"kind": self.resource.kind, "namespace": self.resource.namespace,
                         "name": self.resource.name},
            "path": self.path,
            "message": self.message,
            "file": self.file,
            "line": self.line,
        }


def sort_diagnostics(diagnostics) -> list[Diagnostic]:
    """The deterministic order every caller sees."""
    return sorted(diagnostics, key=Diagnostic.sort_key)
