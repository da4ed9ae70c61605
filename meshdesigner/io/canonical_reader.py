"""A fast reader for the YAML that :func:`yamlio.dump_canonical` writes (project files), with the line of
every value.

Project files are plain block YAML from one small emitter: one ``key: value`` or ``- item`` per line,
indentation by spaces, strings plain or JSON-quoted, short flow lists (``[40.0, 80.0]``). Reading that with
libyaml is most of the time of opening a large project (events, nodes, then data: ~0.4 s of CPU for the
2,000-resource bench project; issue 16). This reader takes the lines as they are written and gives the same
data as :func:`yamlio.load_one`, or None as soon as a line is anything else (a comment, an anchor, a block
string, tabs, a number or word a YAML reader might take for something other than what it looks like, a
duplicate key, deep nesting): the caller then reads the file with the full reader, which also words every
error. So a file edited by hand is read exactly as before, only slower.

Scalars are resolved as the full reader resolves them (go-yaml v2's rules, ``yamlio``), for the forms
accepted here only: ``null``, ``true``, ``false``, decimal integers, decimals with a fraction, JSON-quoted
text, and plain text that no YAML 1.1 or 1.2 reader takes for anything but text (the project writer's own
rule, :data:`yamlio._PLAIN` minus the reserved words).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .yamlio import MAX_DEPTH, Document

# Any character a YAML reader refuses in a stream or reads as a line break other than "\n" (tab and CR
# included: the writer never writes them, and they would make indentation or line numbers ambiguous).
_UNSAFE = re.compile("[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]")
_PLAIN = r"[A-Za-z/][A-Za-z0-9_./-]*(?::[A-Za-z0-9_./-]+)*"
# JSON's escapes but "\/" (json.dumps never writes it, and older libyaml refuses it)
_QUOTED = r'"(?:[^"\\\x00-\x1f\x7f-\x9f]|\\["\\bfnrt]|\\u[0-9a-fA-F]{4})*"'
_PLAIN_TEXT = re.compile(_PLAIN)
_QUOTED_TEXT = re.compile(_QUOTED)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_KEY = re.compile(rf"({_PLAIN}|{_QUOTED}):(?: (.*))?")
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+(?:e[-+][0-9]+)?")
# A flow list's item: JSON-quoted, or plain without ":" (which libyaml reads differently in flow context).
_FLOW_ITEM = re.compile(rf"(?:{_QUOTED}|[^,:\[\]{{}}\"]*)")
# Words some YAML reader takes for a boolean, null or number (yamlio's writer quotes them): never plain text.
_RESERVED = frozenset(
    w for word in ("true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf")
    for w in (word, word.upper(), word.capitalize()))
_MAX_SIMPLE_KEY = 1000  # as the writer: a longer key is written "? key" (which this reader leaves to libyaml)
_WORDS: dict[str, Any] = {"null": None, "true": True, "false": False}


class _NotCanonical(Exception):
    """The text is not in the form the project writer writes: read it with the full reader."""


class LinedDocument(Document):
    """A :class:`yamlio.Document` read by this module: the line of every value is kept per container
    (``id(container)`` -> its children's lines, or one line for a flow list written on one line)."""

    def __init__(self, data: Any, file: str, lines: dict[int, Any]) -> None:
        super().__init__(data, file, 1)
        self._lines = lines

    def line_of(self, path: tuple[str | int, ...]) -> int:
        """The 1-based line of the field at ``path`` (the nearest existing parent if absent), as
        :func:`yamlio.line_of` finds it in a composed node tree."""
        value, line = self.data, self.line
        for part in path:
            if isinstance(value, dict):
                if part not in value:
                    return line
            elif not (isinstance(value, list) and isinstance(part, int) and 0 <= part < len(value)):
                return line
            lines = self._lines[id(value)]
            line = lines if isinstance(lines, int) else lines[part]
            value = value[part]
        return line


def read_canonical(text: str, file: str, with_lines: bool = False) -> LinedDocument | None:
    """The one document of ``text`` (a mapping), as :func:`yamlio.load_one` reads it, when the text is in
    the project writer's form; else None. ``with_lines``: the document can tell the line of any value."""
    if not text.endswith("\n") or _UNSAFE.search(text):
        return None
    rows = text.split("\n")
    rows.pop()  # after the final newline
    reader = _Reader(rows, with_lines)
    try:
        if not rows or rows[0].startswith(" "):
            return None
        data, end = reader.block(0, 0, 1)
        if end != len(rows) or not isinstance(data, dict):
            return None
    except _NotCanonical:
        return None
    except RecursionError:  # pragma: no cover - MAX_DEPTH keeps far from it
        return None
    return LinedDocument(data, file, reader.lines)


class _Reader:
    """One pass over the rows (recursive per container; :data:`MAX_DEPTH` bounds it)."""

    def __init__(self, rows: list[str], with_lines: bool) -> None:
        self.bodies = [row.lstrip(" ") for row in rows]
        self.indents = [len(row) - len(body) for row, body in zip(rows, self.bodies, strict=True)]
        self.lines: dict[int, Any] = {}
        self.with_lines = with_lines
        # Key text -> key, value text -> value: a project repeats the same few hundred keys and many values.
        self.keys: dict[str, str] = {}
        self.scalars: dict[str, Any] = {}

    def block(self, i: int, indent: int, depth: int) -> tuple[Any, int]:
        """The block mapping or sequence starting at row ``i`` (indented ``indent``), and the row after it."""
        if depth > MAX_DEPTH - 5:  # near the limit the full reader decides (and words the refusal)
            raise _NotCanonical
        body = self.bodies[i]
        if body == "-" or body.startswith("- "):
            return self.sequence(i, indent, depth)
        return self.mapping(i, indent, None, depth)

    def entry(self, body: str) -> tuple[str, str | None]:
        """``key: value`` -> (key, value text); ``key:`` -> (key, None)."""
        if body.startswith('"'):
            match = _KEY.fullmatch(body)
            if match is None:
                raise _NotCanonical
            return _key(match.group(1)), match.group(2)
        colon = body.find(": ")
        if colon >= 0:
            text, rest = body[:colon], body[colon + 2:]
        elif body.endswith(":"):
            text, rest = body[:-1], None
        else:
            raise _NotCanonical
        key = self.keys.get(text)
        if key is None:
            if not _PLAIN_TEXT.fullmatch(text):
                raise _NotCanonical
            key = self.keys[text] = _key(text)
        return key, rest

    def mapping(self, i: int, indent: int, first: str | None, depth: int) -> tuple[dict, int]:
        """A block mapping at ``indent`` from row ``i``; ``first`` is the text of its first entry when it
        shares its row with a sequence's ``- ``."""
        bodies, indents, n = self.bodies, self.indents, len(self.bodies)
        result: dict[str, Any] = {}
        lines: dict[str, int] = {}
        while True:
            if first is not None:
                body, first = first, None
            else:
                if i >= n:
                    break
                at = indents[i]
                if at != indent:
                    if at > indent:
                        raise _NotCanonical
                    break
                body = bodies[i]
                if body == "-" or body.startswith("- "):
                    break  # the end of a mapping that is a sequence's item (checked by the sequence)
            key, rest = self.entry(body)
            if key in result:
                raise _NotCanonical  # a duplicate: the full reader refuses it, with its line
            if rest is None:  # "key:" and the value on the rows below
                nxt = i + 1
                if nxt >= n:
                    raise _NotCanonical
                at = indents[nxt]
                if at > indent:
                    value, i = self.block(nxt, at, depth + 1)
                elif at == indent and (bodies[nxt] == "-" or bodies[nxt].startswith("- ")):
                    value, i = self.sequence(nxt, indent, depth + 1)
                else:
                    raise _NotCanonical  # an empty value (null): never written so
                lines[key] = nxt + 1
            else:
                value = self.inline(rest, i + 1)
                lines[key] = i + 1
                i += 1
            result[key] = value
        if self.with_lines:
            self.lines[id(result)] = lines
        return result, i

    def sequence(self, i: int, indent: int, depth: int) -> tuple[list, int]:
        bodies, indents, n = self.bodies, self.indents, len(self.bodies)
        result: list[Any] = []
        lines: list[int] = []
        while i < n:
            at = indents[i]
            if at != indent:
                if at > indent:
                    raise _NotCanonical
                break
            body = bodies[i]
            if body == "-":  # the item on the rows below
                nxt = i + 1
                if nxt >= n or indents[nxt] <= indent:
                    raise _NotCanonical
                value, i = self.block(nxt, indents[nxt], depth + 1)
                lines.append(nxt + 1)
            elif body.startswith("- "):
                rest = body[2:]
                lines.append(i + 1)
                if (_KEY.fullmatch(rest) is not None if rest.startswith('"')
                        else ": " in rest or rest.endswith(":")):  # "- key: ...": a mapping sharing the row
                    value, i = self.mapping(i, indent + 2, rest, depth + 1)
                else:
                    value = self.inline(rest, i + 1)
                    i += 1
            else:
                break
            result.append(value)
        if self.with_lines:
            self.lines[id(result)] = lines
        return result, i

    def inline(self, text: str, line: int) -> Any:
        """A value written on its row: a scalar, ``{}``, ``[]`` or a flow list of scalars."""
        known = self.scalars.get(text, _UNKNOWN)
        if known is not _UNKNOWN:
            return known
        if text.startswith("["):
            if text == "[]":
                value: list = []
            elif text.endswith("]"):
                value = [_scalar(item) for item in _flow_items(text[1:-1])]
            else:
                raise _NotCanonical
            if self.with_lines:
                self.lines[id(value)] = line
            return value
        if text == "{}":
            empty: dict = {}
            if self.with_lines:
                self.lines[id(empty)] = line
            return empty
        scalar = self.scalars[text] = _scalar(text)
        return scalar


_UNKNOWN = object()


def _flow_items(inner: str) -> list[str]:
    """The items of a one-line flow list ``[a, "b, c", 1.0]`` (scalars only), split at ``", "``."""
    items = []
    at, end = 0, len(inner)
    while True:
        match = _FLOW_ITEM.match(inner, at)
        item = match.group()  # type: ignore[union-attr]
        items.append(item)
        at += len(item)
        if at == end:
            return items
        if not inner.startswith(", ", at):
            raise _NotCanonical
        at += 2


def _scalar(text: str) -> Any:
    if text in _WORDS:
        return _WORDS[text]
    first = text[:1]
    if first == '"':
        return _quoted(text)
    if first.isdigit() or first == "-":
        if _INT.fullmatch(text):
            return int(text)
        if _FLOAT.fullmatch(text):
            value = float(text)
            if math.isfinite(value):
                return value
        raise _NotCanonical
    if _PLAIN_TEXT.fullmatch(text) and text not in _RESERVED:
        return text
    raise _NotCanonical


def _quoted(text: str) -> str:
    if not _QUOTED_TEXT.fullmatch(text) or ("\\u" in text and _SURROGATE_ESCAPE.search(text)):
        raise _NotCanonical
    return json.loads(text)


def _key(text: str) -> str:
    if len(text) > _MAX_SIMPLE_KEY:
        raise _NotCanonical  # YAML readers refuse implicit keys past 1,024 characters
    if text.startswith('"'):
        return _quoted(text)
    if text in _RESERVED:
        raise _NotCanonical  # read as a boolean or null, which a key becomes as text ("y" -> "true")
    return text
