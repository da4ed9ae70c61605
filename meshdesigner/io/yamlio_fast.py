"""A fast reader for the plainest block YAML, which gives exactly what libyaml plus :mod:`.yamlio`'s
resolution give, or gives up.

A large manifest file (``kubectl get -o yaml`` of thousands of Services) is mostly lines like
``  name: web``, ``  - port: 80`` and ``---``. libyaml turns every scalar into a node with two marks
and calls back into Python to resolve it: most of a 20 MB file's reading time. This reader takes
a stream only when every line is one of

- a document separator ``---`` (alone on its line), a blank line or a whole-line comment;
- ``KEY:`` or ``KEY: VALUE``, optionally after ``- `` (a sequence item);
- ``- VALUE`` (a sequence item),

with printable ASCII only, no tabs, no carriage returns, and where a KEY is a plain word of
``[A-Za-z0-9_./-]`` (not starting with ``-``) or a quoted string on one line, and a VALUE is a quoted
string on one line, ``{}``, ``[]`` or a plain scalar on one line as libyaml's scanner reads one in block
context (``yaml_parser_scan_plain_scalar``, ``yaml_parser_fetch_next_token``): it does not start with an
indicator (``-`` only before a non-space), a ``:`` inside is followed by a non-space, a word after a
space does not start with ``#``. Quoted strings are read as libyaml reads them: ``''`` in single quotes
is one quote, and double quotes take libyaml's escapes (``\\n``, ``\\"``, ``\\xXX``, ``\\uXXXX``,
``\\UXXXXXXXX``, ``\\N``, ...; a surrogate or unknown escape is left to libyaml, which refuses it). Plain
scalars are resolved by the same function the libyaml path uses (go-yaml v2's rules), keys become text
the same way. The structure is block mappings and sequences by indentation, including the "indentless"
sequence under a key.

Anything else -- a tab, a flow collection, a continued scalar, a trailing comment, an anchor, a
tag, a duplicate key, a value that does not resolve, a line deeper than the grammar allows, a
document nesting more than 90 collections deep (``yamlio.MAX_DEPTH`` is 100) --
makes the whole stream fall back to libyaml, which then reads it (or refuses it with its
message and line). ``tests/hostile/test_yaml_fast_reader.py`` checks with hypothesis that what
this reader accepts equals what the libyaml path reads, documents, lines and spans included.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# Every character must be printable ASCII or a line feed: libyaml refuses some control characters,
# reads NEL/LS/PS as line breaks and tabs as separators; none of that is handled here.
_NOT_SIMPLE_TEXT = re.compile(r"[^\n -~]")
_SEPARATOR = re.compile(r"^---$", re.M)
_FIRST_CONTENT = re.compile(r"^ *(?=[^ \n#])", re.M)

# A plain scalar on one line in block context (libyaml's yaml_parser_scan_plain_scalar): the first character
# is not an indicator ("-" only before a non-space: "- " is a sequence entry); a ":" is followed by a
# non-space (": " and a final ":" end the scalar); a word after spaces does not start with "#" (a comment).
_REST = r"[!-9;-~]*(?::+[!-9;-~]+)*"  # printable ASCII; each run of ":" followed by more
_PLAIN = (r"(?:[^ \n\-?:,\[\]{}#&*!|>'\"%@`]|-(?=[!-~]))" + _REST
          + r"(?: +(?:[!\"$-9;-~]|:+[!-9;-~])" + _REST + ")*")
_QUOTED = r"\"(?:[^\"\\\n]|\\[^\n])*\"|'(?:[^'\n]|'')*'"  # on one line
_KEY = rf"[A-Za-z0-9_./][A-Za-z0-9_./-]*|{_QUOTED}"
_VALUE = rf"{_QUOTED}|\{{\}}|\[\]|{_PLAIN}"
# libyaml's escapes in double quotes (scanner.c, yaml_parser_scan_flow_scalar); "\x", "\u" and "\U" take
# 2, 4 and 8 hex digits; a surrogate or a code past U+10FFFF is an error there (left to it).
_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r",
            "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\", "N": "\x85", "_": "\xa0", "L": "\u2028",
            "P": "\u2029"}
_ESCAPE = re.compile(r"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))")
# One row per line: (indent, dash, spaces after the dash, key, value after the key, item value). Blank and
# comment lines match with every group empty; any other line does not match (the rows are then fewer
# than the lines: the stream is not simple).
_LINE = re.compile(
    rf"^(?:( *)(?:(-)( +))?(?:({_KEY}):(?: +({_VALUE}))?|({_VALUE})) *"  # content
    r"| *(?:#.*)?)$",  # blank or comment
    re.M)
_NOTHING = ("",) * 6  # the row of a blank or comment line
_MAX_KEY = 1000  # libyaml refuses implicit keys over 1,024 characters
# Documents nesting deeper are left to libyaml's path, which refuses those past yamlio.MAX_DEPTH (100) with
# its message: what this reader takes is never near that limit (and its recursion stays short).
_MAX_DEPTH = 90
_MEMO_ENTRIES, _MEMO_CHARS = 100_000, 64  # bounds of the memos of resolved scalars


class NotSimple(Exception):
    """The stream is not in this reader's subset: read it with libyaml."""


def _quoted(token: str) -> str:
    """The text of a quoted scalar written on one line, as libyaml reads it."""
    inner = token[1:-1]
    if token[0] == "'":
        return inner.replace("''", "'")
    if "\\" not in inner:
        return inner
    return _ESCAPE.sub(_unescape, inner)


def _unescape(match: re.Match) -> str:
    code = match.group(1) or match.group(2) or match.group(3)
    if code is None:
        text = _ESCAPES.get(match.group(4))
        if text is None:
            raise NotSimple  # an unknown escape: libyaml's error, with its line
        return text
    value = int(code, 16)
    if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF:
        raise NotSimple
    return chr(value)


class _Reader:
    def __init__(self, resolve_plain: Callable[[str], Any]) -> None:
        # resolve_plain(text) -> the value of a plain scalar, raising on one Kubernetes cannot hold.
        self.resolve_plain = resolve_plain
        self.values: dict[str, Any] = {}  # scalar token -> value (immutable: shared safely); not {} or []
        self.keys: dict[str, str] = {}  # key token -> the key as text

    def value(self, token: str) -> Any:
        """The value of a scalar token (the hot paths look in ``self.values`` first)."""
        first = token[0]
        if first == "{":
            return {}
        if first == "[":
            return []
        if first == '"' or first == "'":
            value = _quoted(token)
        else:
            try:
                value = self.resolve_plain(token)
            except Exception:  # a value libyaml's path refuses (.inf, ...): let it say so, with the line
                raise NotSimple from None
        if len(self.values) < _MEMO_ENTRIES and len(token) <= _MEMO_CHARS:
            self.values[token] = value
        return value

    def key(self, token: str) -> str:
        """A key token as text, as the libyaml path makes it (the hot path looks in ``self.keys`` first)."""
        if len(token) > _MAX_KEY:
            raise NotSimple
        if token[0] == '"' or token[0] == "'":
            key = _quoted(token)
        else:
            value = self.value(token)
            if value is True or value is False:
                key = "true" if value else "false"
            elif value.__class__ is int or value.__class__ is str:
                key = str(value)
            else:  # null or a float as a key: the libyaml path refuses it
                raise NotSimple
        if len(self.keys) < _MEMO_ENTRIES:
            self.keys[token] = key
        return key

    def block(self, rows: list[tuple], i: int, depth: int) -> tuple[Any, int]:
        """The mapping or sequence whose first line is ``rows[i]``, ``depth`` collections deep (1: a
        document's root)."""
        row = rows[i]
        if row[1]:
            return self.sequence(rows, i, len(row[0]), depth)
        return self.mapping(rows, i, len(row[0]), depth)

    def mapping(self, rows: list[tuple], i: int, column: int, depth: int) -> tuple[dict, int]:
        """A block mapping with its keys at ``column``; ``rows[i]`` holds its first key (possibly after
        a ``- ``). Returns it and the index of the first row after it."""
        if depth > _MAX_DEPTH:
            raise NotSimple
        result: dict[str, Any] = {}
        end = len(rows)
        keys, values = self.keys, self.values
        while True:
            key_token, value_token = rows[i][3:5]
            if not key_token:
                raise NotSimple
            key = keys.get(key_token) or self.key(key_token)
            if key in result:
                raise NotSimple  # a duplicate key: the libyaml path names it
            i += 1
            below = len(rows[i][0]) if i < end else -1
            if value_token:
                value = values.get(value_token, values)  # (the memo itself stands for "not there")
                result[key] = self.value(value_token) if value is values else value
                if below > column:  # a continued scalar, or a nested block after a value
                    raise NotSimple
            elif below > column:
                result[key], i = self.block(rows, i, depth + 1)
            elif below == column and rows[i][1]:  # an indentless sequence: "key:" then "- item" below it
                result[key], i = self.sequence(rows, i, column, depth + 1)
            else:
                result[key] = None
            if i == end:
                return result, i
            row = rows[i]
            at = len(row[0])
            if at != column or row[1]:
                if at > column:
                    raise NotSimple
                return result, i  # the caller decides whether what follows may follow

    def sequence(self, rows: list[tuple], i: int, column: int, depth: int) -> tuple[list, int]:
        """A block sequence with its dashes at ``column``, starting at ``rows[i]``."""
        if depth > _MAX_DEPTH:
            raise NotSimple
        result: list[Any] = []
        end = len(rows)
        while True:
            _indent, _dash, spaces, key_token, _value, item_token = rows[i]
            if key_token:  # "- key: ...": a mapping whose keys are at the column of this key
                item, i = self.mapping(rows, i, column + 1 + len(spaces), depth + 1)
            else:
                item = self.value(item_token)
                i += 1
                if i < end and len(rows[i][0]) > column:  # a continued scalar
                    raise NotSimple
            result.append(item)
            if i == end:
                return result, i
            row = rows[i]
            at = len(row[0])
            if at != column or not row[1]:
                if at > column:
                    raise NotSimple
                return result, i


def read_simple(text: str, resolve_plain: Callable[[str], Any]) -> list[tuple[Any, int, tuple[int, int]]] | None:
    """The documents of ``text`` as ``(data, first line, (start, end) offsets)``, as the libyaml path reads
    them (empty documents skipped), or None when the stream is not in this reader's subset."""
    if _NOT_SIMPLE_TEXT.search(text):
        return None
    reader = _Reader(resolve_plain)
    documents = []
    start, line = 0, 1
    ends = [m.start() for m in _SEPARATOR.finditer(text)]
    ends.append(len(text))
    for end in ends:
        first = _FIRST_CONTENT.search(text, start, end)
        if first is not None:
            rows = _LINE.findall(text, start, end)
            if len(rows) != text.count("\n", start, end) + 1:  # a line that is none of the above
                return None
            blank = rows.count(_NOTHING)
            if blank == 1 and rows[-1] == _NOTHING:  # only the empty "line" after the last line feed
                rows.pop()
                content = rows
            else:
                content = [row for row in rows if row[3] or row[5]] if blank else rows
            try:
                data, used = reader.block(content, 0, 1)
            except NotSimple:
                return None
            if used != len(content):  # a line less indented than the document's first
                return None
            at = first.end()
            documents.append((data, line + text.count("\n", start, at), (at, end)))
        if end == len(text):
            break
        line += text.count("\n", start, end) + 1
        start = end + 4  # past "---\n"
    return documents
