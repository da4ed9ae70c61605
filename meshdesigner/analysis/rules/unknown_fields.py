"""Fields Kubernetes would prune silently (MD0501): what the model keeps verbatim but does not know."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel

from ...model.base import WireModel
from .. import messages as m
from ..registry import rule


@cache
def _fields(cls: type[BaseModel]) -> tuple[tuple[str, str], ...]:
    """``(attribute, wire name)`` of the fields of a model class that can hold models (cached: pydantic's
    per-instance access is slow, and plain-value fields need no visit)."""
    return tuple((name, info.alias or name) for name, info in cls.model_fields.items()
                 if _may_hold_model(info.annotation))


def _may_hold_model(annotation) -> bool:
    if isinstance(annotation, type):
        return issubclass(annotation, BaseModel)
    return any(_may_hold_model(arg) for arg in getattr(annotation, "__args__", ()) or ())


def unknown_field_paths(model: WireModel, base: str = "spec") -> list[tuple[str, str]]:
    """``(path, field)`` of every unknown field below ``model``, depth first, in document order."""
    out: list[tuple[str, str]] = []
    _walk(model, (None, base) if base else None, out)
    return out


def _join(parts: tuple) -> str:
    text = ""
    for part in parts:
        text += part if part.startswith("[") or not text else "." + part
    return text


def _parts(where) -> tuple:
    """The path parts of ``where``, kept as nested ``(parent, part)`` pairs while walking (most models have
    no unknown field, so most paths are never needed)."""
    parts = []
    while where is not None:
        where, part = where
        parts.append(part)
    return tuple(reversed(parts))


@cache
def _holders(cls: type[BaseModel]) -> frozenset[str]:
    return frozenset(name for name, _wire in _fields(cls))


def _walk(model: WireModel, where, out: list, written=None) -> None:
    extra = model.__pydantic_extra__
    if extra:
        base = _parts(where)
        for field in extra:
            out.append((_join(base + (field,)), field))
    # only the fields given a value that can hold models are visited: an unset field is its default (None, or
    # a model built without unknown fields)
    if written is None:
        written = model.__pydantic_fields_set__ & _holders(type(model))
    if not written:
        return
    values = model.__dict__
    for name, wire in _fields(type(model)):   # document order
        if name not in written:
            continue
        value = values[name]
        if value is None:
            continue
        # a model below is visited only when it may hold an unknown field: its own, or below a written field
        if isinstance(value, WireModel):
            below = value.__pydantic_fields_set__ & _holders(type(value))
            if below or value.__pydantic_extra__:
                _walk(value, (where, wire), out, below)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, WireModel):
                    below = item.__pydantic_fields_set__ & _holders(type(item))
                    if below or item.__pydantic_extra__:
                        _walk(item, ((where, wire), f"[{i}]"), out, below)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, WireModel):
                    below = item.__pydantic_fields_set__ & _holders(type(item))
                    if below or item.__pydantic_extra__:
                        _walk(item, ((where, wire), f"[{key}]"), out, below)


@rule("unknown_fields.istio", codes=("MD0501",))
def unknown_fields(ctx, node):
    for res in node.held_resources():
        if not res.API_GROUP.endswith("istio.io"):
            continue  # the model of core Services is partial on purpose; the API server knows them
        for field in res.unknown_fields() if res.__pydantic_extra__ else ():
            yield m.UNKNOWN_FIELD.at(res.ref, field, field=field)
        yield from (m.UNKNOWN_FIELD.at(res.ref, path, field=field)
                    for path, field in unknown_field_paths(res.spec))
