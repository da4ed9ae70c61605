"""What every Kubernetes resource in a design has: kind, metadata and a spec."""

from __future__ import annotations

from typing import ClassVar

from .base import WireModel
from .meta import ObjectMeta


class ResourceRef(tuple):
    """(kind, namespace, name): how diagnostics and references name a resource."""

    __slots__ = ()

    def __new__(cls, kind: str, namespace: str, name: str):
        return tuple.__new__(cls, (kind, namespace, name))

    @property
    def kind(self) -> str:
        return self[0]

    @property
    def namespace(self) -> str:
        return self[1]

    @property
    def name(self) -> str:
        return self[2]

    def __str__(self) -> str:
        return f"{self.kind} {self.namespace}/{self.name}"


class Resource(WireModel):
    """A Kubernetes object of a kind the model understands."""

    KIND: ClassVar[str] = ""
    API_GROUP: ClassVar[str] = ""  # "" for the core group (apiVersion "v1")

    metadata: ObjectMeta

    @property
    def name(self) -> str:
        return self.metadata.name

    @property
    def namespace(self) -> str:
        return self.metadata.namespace

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef(self.KIND, self.metadata.namespace, self.metadata.name)

    def manifest(self, api_version: str) -> dict:
        """The full manifest with ``apiVersion`` and ``kind`` first."""
        body = self.to_wire()
        return {"apiVersion": api_version, "kind": self.KIND, **body}
