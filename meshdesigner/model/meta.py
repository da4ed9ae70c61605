"""Kubernetes object metadata."""

from __future__ import annotations

from pydantic import StrictStr

from .base import WireModel

# Server-side fields that describe a live object, not a design; import drops them.
SERVER_SIDE_METADATA = frozenset(
    {"resourceVersion", "uid", "managedFields", "creationTimestamp", "generation", "selfLink",
     "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences"}
)
SERVER_SIDE_ANNOTATIONS = frozenset({"kubectl.kubernetes.io/last-applied-configuration"})

DEFAULT_NAMESPACE = "default"


class ObjectMeta(WireModel):
    name: StrictStr
    namespace: StrictStr = DEFAULT_NAMESPACE
    labels: dict[str, StrictStr] | None = None
    annotations: dict[str, StrictStr] | None = None

    @property
    def qualified(self) -> str:
        """``namespace/name``."""
        return f"{self.namespace}/{self.name}"


def clean_metadata(raw: dict) -> dict:
    """Metadata as a design keeps it: live-object fields and kubectl bookkeeping removed."""
    out = {k: v for k, v in raw.items() if k not in SERVER_SIDE_METADATA}
    annotations = out.get("annotations")
    if isinstance(annotations, dict):
        kept = {k: v for k, v in annotations.items() if k not in SERVER_SIDE_ANNOTATIONS}
        if kept:
            out["annotations"] = kept
        else:
            out.pop("annotations")
    return out
