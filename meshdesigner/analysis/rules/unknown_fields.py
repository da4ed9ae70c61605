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
    if _holds_unknown(model):    # (the usual answer is no: found without building paths or order)
        _walk(model, (None, base) if base else None, out, _plan(type(model)))
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


class _Plan:
    """What a visit of a model class looks at: the fields that can hold models, ``(attribute, wire name)``
    in document order, and their attribute names."""

    __slots__ = ("fields", "holders")

    def __init__(self, cls: type[BaseModel]) -> None:
        self.fields = _fields(cls)
        self.holders = frozenset(name for name, _wire in self.fields)


_PLANS: dict[type, _Plan] = {}   # (per model class, not per object: nothing here depends on a design)


def _plan(cls: type) -> _Plan:
    plan = _PLANS.get(cls)
    if plan is None:
        plan = _PLANS[cls] = _Plan(cls)
    return plan


def _holds_unknown(model: WireModel) -> bool:
    """Whether ``model`` or a model below it has an unknown field. Only the written
    fields that can hold models are looked at (an unset field is its default: None, or a model built without
    unknown fields), in any order: usually a few of the class's many fields. (A loop over a stack of models
    to visit, not a recursion: one call per spec instead of one per model below it.)"""
    if model.__pydantic_extra__:
        return True
    plans = _PLANS
    pending = [model]
    while pending:
        model = pending.pop()
        holders = (plans.get(model.__class__) or _plan(model.__class__)).holders
        values = model.__dict__
        for name in model.__pydantic_fields_set__:
            if name not in holders:
                continue
            value = values[name]
            if isinstance(value, WireModel):
                items = (value,)
            elif isinstance(value, list):
                items = value
            elif isinstance(value, dict):
                items = value.values()
            else:
                continue
            for item in items:
                if isinstance(item, WireModel):
                    if item.__pydantic_extra__:
                        return True
                    # (a model whose class holds no models, most of them, is done with here)
                    below = plans.get(item.__class__) or _plan(item.__class__)
                    if below.holders and not below.holders.isdisjoint(item.__pydantic_fields_set__):
                        pending.append(item)
    return False


def _walk(model: WireModel, where, out: list, plan: _Plan) -> None:
    """Append the unknown fields of ``model`` (of the class of ``plan``) and of the models below it, in
    document order; only subtrees holding one are entered (the paths are built only for what is found)."""
    extra = model.__pydantic_extra__
    if extra:
        base = _parts(where)
        for field in extra:
            out.append((_join(base + (field,)), field))
    written = model.__pydantic_fields_set__
    values = model.__dict__
    for name, wire in plan.fields:   # document order
        value = values[name] if name in written else None
        if isinstance(value, WireModel):
            entries = [(value, (where, wire))]
        elif isinstance(value, list):
            entries = [(item, ((where, wire), f"[{i}]")) for i, item in enumerate(value)]
        elif isinstance(value, dict):
            entries = [(item, ((where, wire), f"[{key}]")) for key, item in value.items()]
        else:
            continue
        for item, item_where in entries:
            if isinstance(item, WireModel) and _holds_unknown(item):
                _walk(item, item_where, out, _plan(item.__class__))


@rule("unknown_fields.istio", codes=("MD0501",))
def unknown_fields(ctx, node):
    for res in node.held_resources():
        if not res.API_GROUP.endswith("istio.io"):
            continue  # the model of core Services is partial on purpose; the API server knows them
        for field in res.unknown_fields() if res.__pydantic_extra__ else ():
            yield m.UNKNOWN_FIELD.at(res.ref, field, field=field)
        yield from (m.UNKNOWN_FIELD.at(res.ref, path, field=field)
                    for path, field in unknown_field_paths(res.spec))
