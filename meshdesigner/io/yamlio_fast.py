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

Speed (the 20 MB validate of issue 15): each distinct recent line is matched once (:meth:`_Reader.rows`),
and documents whose lines have the structure of an earlier one are built from a :class:`_Plan` made for
that structure; the tests' "one shape" strategy checks that path against libyaml too.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from operator import itemgetter
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
# The row of a blank or comment line: _LINE's six groups, then the line's structure (see _Reader.rows).
_NOTHING = ("",) * 6 + (("",) * 4 + (False, False),)
_MAX_KEY = 1000  # libyaml refuses implicit keys over 1,024 characters
# Documents nesting deeper are left to libyaml's path, which refuses those past yamlio.MAX_DEPTH (100) with
# its message: what this reader takes is never near that limit (and its recursion stays short).
_MAX_DEPTH = 90
_MEMO_ENTRIES, _MEMO_CHARS = 100_000, 64  # bounds of the memos (emptied when full: recent entries matter)
_MEMO_LINE_CHARS = 200  # and of the memo of lines
_LINES_PER_PASS = 2048  # lines looked up in the memo in one pass (then its misses are matched and remembered)


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
        self.lines: dict[str, tuple] = {}  # line -> its row

    def rows(self, lines: list[str]) -> list[tuple] | None:
        """The row of each line, or None when a line is none of this reader's forms (a separator ``---``
        has a blank line's row: :func:`read_simple` finds separators itself). A row is ``_LINE``'s six
        groups (indent, dash, spaces after it, key, value after the key, item value) and then the line's
        structure: the row without its value (whether there is one kept), which is all the reader's
        decisions depend on (see :class:`_Plan`). Generated files repeat most of their lines verbatim
        (``kind: Service``, ``  - port: 80``): each distinct recent line is matched once."""
        known = self.lines
        rows: list[tuple] = []
        for begin in range(0, len(lines), _LINES_PER_PASS):
            part = lines[begin:begin + _LINES_PER_PASS]
            found_rows = list(map(known.get, part))
            if None in found_rows:
                at = -1
                for _ in range(found_rows.count(None)):
                    at = found_rows.index(None, at + 1)
                    line = part[at]
                    row = known.get(line)  # (met earlier in this pass)
                    if row is not None:
                        found_rows[at] = row
                        continue
                    found = _LINE.match(line)
                    if found is not None:
                        groups = found.groups("")
                        row = (*groups, (*groups[:4], bool(groups[4]), bool(groups[5])))
                    elif line == "---":
                        row = _NOTHING
                    else:
                        return None
                    found_rows[at] = row
                    if len(line) <= _MEMO_LINE_CHARS:
                        if len(known) >= _MEMO_ENTRIES:
                            known.clear()
                        known[line] = row
            rows += found_rows
        return rows

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
        if len(token) <= _MEMO_CHARS:
            if len(self.values) >= _MEMO_ENTRIES:
                self.values.clear()
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
        if len(self.keys) >= _MEMO_ENTRIES:
            self.keys.clear()
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
            _indent, _dash, spaces, key_token, _value, item_token, _structure = rows[i]
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


class _Slot:
    """Where a document's ``index``-th value goes, in a :class:`_Plan`'s template."""

    def __init__(self, index: int) -> None:
        self.index = index


class _Template(_Reader):
    """The reader that makes a plan's template: each value token is a marker ``"\\0<slot>"`` (a character no
    line of a simple stream holds), read as a :class:`_Slot`; keys are read as the stream's reader reads them."""

    def __init__(self, reader: _Reader) -> None:
        super().__init__(reader.resolve_plain)
        self.keys = reader.keys

    def value(self, token: str) -> Any:
        if token[0] == "\0":
            return _Slot(int(token[1:]))
        return super().value(token)


class _Plan:
    """How every document whose lines have one structure (the last item of each row, see
    :meth:`_Reader.rows`: everything of a line but its value) is built. The reader's decisions -- which rows
    are keys of which mapping, items of which sequence, duplicate keys, continued scalars, depth -- depend on
    that structure only, so they are taken once, on a template (the rows with markers for values), and
    written down as one expression that builds the document from its values (dict and list displays: fresh
    containers, keys in row order). A stream of ~100,000 Services has a handful of structures: reading one
    Service is then resolving its values (memoized) and one call. The expression holds only indexes into
    ``K`` (the keys) and ``V`` (the values), never text of the stream."""

    def __init__(self, slots: list[tuple[int, int]], build: Callable[[list], Any]) -> None:
        self.slots = slots  # (row, group) of each value token, in row order
        self.build_from = build

    @classmethod
    def make(cls, reader: _Reader, rows: list[tuple]) -> _Plan | None:
        """The plan of documents shaped like ``rows`` (already read once as they are), or None for a large
        or deep document (its expression would be long; such documents rarely repeat)."""
        if len(rows) > _PLAN_MAX_ROWS:
            return None
        slots: list[tuple[int, int]] = []
        marked = list(rows)
        for at, row in enumerate(rows):
            for group in (4, 5):
                if row[group]:
                    marked[at] = (*row[:group], f"\0{len(slots)}", *row[group + 1:])
                    slots.append((at, group))
        template = _parse(_Template(reader), marked)
        keys: list[str] = []
        expression = _expression(template, keys, 1)
        if expression is None:
            return None
        build = eval(f"lambda V: {expression}", {"__builtins__": {}, "K": tuple(keys)})  # indexes only
        return cls(slots, build)

    def build(self, reader: _Reader, rows: list[tuple]) -> Any:
        """The document of ``rows`` (lines of this plan's structure)."""
        known = reader.values.get
        resolved = [known(rows[at][group], _MISS) for at, group in self.slots]
        if _MISS in resolved:
            at = -1
            for _ in range(resolved.count(_MISS)):
                at = resolved.index(_MISS, at + 1)
                row, group = self.slots[at]
                token = rows[row][group]
                value = reader.values.get(token, _MISS)  # (met earlier in this document)
                resolved[at] = reader.value(token) if value is _MISS else value
        return self.build_from(resolved)


_MISS = object()
_STRUCTURE = itemgetter(6)
_PLAN_MAX_ROWS, _PLAN_MAX_DEPTH, _MAX_PLANS = 500, 30, 10_000


def _expression(template: Any, keys: list[str], depth: int) -> str | None:
    """Python source building ``template`` from ``V`` (its slots' values) and ``K`` (its keys, appended)."""
    if depth > _PLAN_MAX_DEPTH:
        return None
    parts = []
    if template.__class__ is dict:
        for key, item in template.items():
            keys.append(key)
            at = len(keys) - 1
            part = _expression(item, keys, depth + 1)
            if part is None:
                return None
            parts.append(f"K[{at}]: {part}")
        return "{" + ", ".join(parts) + "}"
    if template.__class__ is list:
        for item in template:
            part = _expression(item, keys, depth + 1)
            if part is None:
                return None
            parts.append(part)
        return "[" + ", ".join(parts) + "]"
    if template.__class__ is _Slot:
        return f"V[{template.index}]"
    assert template is None  # "key:" with nothing below
    return "None"


def _parse(reader: _Reader, rows: list[tuple]) -> Any:
    """The document of a segment's ``rows`` (blank and comment rows included), by the reader."""
    blank = rows.count(_NOTHING)
    if blank == 1 and rows[-1] == _NOTHING:  # only the empty "line" after the last line feed
        content = rows[:-1]
    else:
        content = [row for row in rows if row[3] or row[5]] if blank else rows
    data, used = reader.block(content, 0, 1)
    if used != len(content):  # a line less indented than the document's first
        raise NotSimple
    return data


_ONCE = object()  # a structure seen once: a plan is made when it comes again


def read_simple(text: str, resolve_plain: Callable[[str], Any]) -> list[tuple[Any, int, tuple[int, int]]] | None:
    """The documents of ``text`` as ``(data, first line, (start, end) offsets)``, as the libyaml path reads
    them (empty documents skipped), or None when the stream is not in this reader's subset."""
    if _NOT_SIMPLE_TEXT.search(text):
        return None
    reader = _Reader(resolve_plain)
    rows = reader.rows(text.split("\n"))  # every line's row at once (a separator's row is never used)
    if rows is None:  # a line that is none of the above
        return None
    plans: dict[tuple, Any] = {}  # structure of a segment's lines -> _ONCE, its _Plan, or None (no plan)
    documents = []
    start, line = 0, 1
    ends = [m.start() for m in _SEPARATOR.finditer(text)]
    ends.append(len(text))
    for end in ends:
        count = text.count("\n", start, end)  # the segment's lines: count + 1, the last one empty before a "---"
        first = _FIRST_CONTENT.search(text, start, end)
        if first is not None:
            if end == len(text):
                segment = rows[line - 1:line + count]
            else:
                segment = rows[line - 1:line - 1 + count]
                segment.append(_NOTHING)
            shape = tuple(map(_STRUCTURE, segment))
            plan = plans.get(shape)
            try:
                if plan.__class__ is _Plan:
                    data = plan.build(reader, segment)
                else:
                    data = _parse(reader, segment)
                    if plan is _ONCE:
                        plans[shape] = _Plan.make(reader, segment)
                    elif shape not in plans and len(plans) < _MAX_PLANS:
                        plans[shape] = _ONCE
            except NotSimple:
                return None
            at = first.end()
            documents.append((data, line + text.count("\n", start, at), (at, end)))
        if end == len(text):
            break
        line += count + 1
        start = end + 4  # past "---\n"
    return documents
