"""Fields Kubernetes would prune silently (MD0501): what the model keeps verbatim but does not know."""

from __future__ import annotations

from pydantic import BaseModel

from ...model.base import WireModel
from .. import messages as m
from ..registry import rule


def unknown_field_paths(model: WireModel, base: str = "spec"):
    """``(path, field)`` of every unknown field below ``model``, depth first, in document order."""
    for field in model.unknown_fields():
        yield f"{base}.{field}" if base else field, field
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None:
            continue
        wire = info.alias or name
        path = f"{base}.{wire}" if base else wire
        if isinstance(value, BaseModel):
            yield from unknown_field_paths(value, path)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from unknown_field_paths(item, f"{path}[{i}]")
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    yield from unknown_field_paths(item, f"{path}[{key}]")


@rule("unknown_fields.istio", codes=("MD0501",))
def unknown_fields(ctx, node):
    for res in node.held_resources():
        if not res.API_GROUP.endswith("istio.io"):
            continue  # the model of core Services is partial on purpose; the API server knows them
        for field in res.unknown_fields():
            yield m.UNKNOWN_FIELD.at(res.ref, field, field=field)
        yield from (m.UNKNOWN_FIELD.at(res.ref, path, field=field)
                    for path, field in unknown_field_paths(res.spec))
