"""Building edited nodes from field paths: how every property edit becomes a new frozen node.

A *path* names a field inside a node's stored form, e.g.
``("gateway", "spec", "servers", 0, "port", "number")``. Setting ``None`` removes the field (and
any mapping it leaves empty). The result is validated by the model, so a value the model cannot
hold raises :class:`EditError` with a readable reason instead of reaching the project.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from ..model import NodeBase, node_from_dict

Path = tuple[str | int, ...]

# Node attribute holding each resource kind (for diagnostics, which name resources by kind).
RESOURCE_ATTRS = {"Gateway": "gateway", "VirtualService": "virtual_service", "ServiceEntry": "service_entry",
                  "DestinationRule": "destination_rule"}


class EditError(ValueError):
    """An edit the model refuses; ``str()`` is the reason to show beside the field."""


def node_data(node: NodeBase) -> dict[str, Any]:
    """The node as a plain mapping (camelCase inside resources, like project files)."""
    return node.model_dump(by_alias=True, exclude_none=True, mode="json")


def get_in(data: Any, path: Sequence[str | int], default: Any = None) -> Any:
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return default
    return data


def set_in(data: dict[str, Any], path: Sequence[str | int], value: Any) -> None:
    """Set (or with ``None`` remove) ``path`` in ``data`` in place, creating containers on the way."""
    parents: list[tuple[Any, str | int]] = []
    cursor: Any = data
    for key, next_key in zip(path[:-1], path[1:], strict=True):
        if isinstance(cursor, list):
            while len(cursor) <= int(key):
                cursor.append({})
        elif key not in cursor or cursor[key] is None:
            if value is None:
                return
            cursor[key] = [] if isinstance(next_key, int) else {}
        parents.append((cursor, key))
        cursor = cursor[key]
    last = path[-1]
    if value is None:
        if isinstance(cursor, dict):
            cursor.pop(last, None)
        elif isinstance(cursor, list) and int(last) < len(cursor):
            cursor.pop(int(last))
        # Drop mappings the removal left empty, so an emptied ``rewrite`` is not exported as ``{}``.
        for parent, key in reversed(parents):
            child = parent[key]
            if isinstance(child, dict) and not child and isinstance(parent, dict):
                del parent[key]
            else:
                break
    elif isinstance(cursor, list):
        while len(cursor) <= int(last):
            cursor.append(None)
        cursor[int(last)] = value
    else:
        cursor[last] = value


def validation_reason(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()) if not str(p).startswith("function"))
    return f"{first.get('msg', 'invalid value')}" + (f" ({where})" if where else "")


def rebuild(data: dict[str, Any]) -> NodeBase:
    try:
        return node_from_dict(data)
    except ValidationError as exc:
        raise EditError(validation_reason(exc)) from None


def with_value(node: NodeBase, path: Path, value: Any) -> NodeBase:
    """A copy of ``node`` with the field at ``path`` set to ``value`` (``None`` removes it)."""
    data = node_data(node)
    set_in(data, path, copy.deepcopy(value))
    return rebuild(data)


def with_values(node: NodeBase, changes: Sequence[tuple[Path, Any]]) -> NodeBase:
    data = node_data(node)
    for path, value in changes:
        set_in(data, path, copy.deepcopy(value))
    return rebuild(data)


def path_text(path: Path) -> str:
    """``("virtual_service", "spec", "http", 0, "timeout")`` -> ``spec.http[0].timeout`` (resource-relative)."""
    out = ""
    for key in path[1:]:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out
