"""The one YAML reader and the one YAML writer of the project.

Reading is defensive and reads what Kubernetes reads. ``kubectl`` and the API server read YAML
with sigs.k8s.io/yaml, i.e. go-yaml v2 (``resolve.go``), and then see JSON: so plain scalars
resolve as go-yaml v2 resolves them (``yes``/``y``/``on`` are booleans, ``0o17`` and ``1e3`` are
numbers, ``1:20`` is text), quoted scalars are always text, mapping keys become text, and a date
or time stays the text it was written as (Kubernetes turns it back into a string too). Tags other
than the JSON ones (``!!set``, ``!!binary``, ``!!timestamp``, ``!foo``) are refused with a message,
and so are tagged values that are not of their tag (``!!int web``), duplicate keys, recursive
aliases, and documents whose aliases expand past a size limit or that nest too deep.
Documents come back with the composed node tree so errors can name the line of any field.

Writing is canonical: block style, key order as given, no aliases, long lines unwrapped. The
project writer only writes what the reader reads back to the same data.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.events import CollectionEndEvent, CollectionStartEvent, StreamEndEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .errors import InputError
from .yamlio_fast import read_simple

try:  # the C implementation is 10x faster; fall back to pure Python where libyaml is missing
    from yaml import CSafeDumper as _BaseDumper
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 20 * 1024 * 1024
# Aliases may repeat a subtree: past these expanded sizes a document is refused (billion laughs,
# or one long string aliased many times). Without aliases the file size limit bounds both.
MAX_EXPANDED_NODES = 2_000_000
MAX_EXPANDED_CHARS = 2 * MAX_FILE_BYTES
# Kubernetes objects nest a few dozen levels at most (a CRD's schema); every reader and writer of
# the project, and libyaml's composer (which crashes past ~30,000 levels), stays far from its limits.
MAX_DEPTH = 100
_COMPOSER_SAFE_DEPTH = 5_000
_ANCHOR = re.compile(r"(^|[\s\[{,:-])&[^\s]")
_LEAF_FLOW = re.compile(r"[\[{][^\[\]{}\"'#\n]*[\]}]")
_COMPACT_LEVEL = r"(?:[-?][ \t]+(?:[&!][^ \t\n]*[ \t]+)*)"
_COMPACT_PAIR = re.compile(r"[-?][ \t][-?&! \t]")  # two block indicators in a row (one pass over the text)

# ----- scalar resolution as go-yaml v2 does it (gopkg.in/yaml.v2 resolve.go: resolveMapList, resolve) -----
_BOOL_VALUES = {**dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True),
                **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"),
                                False)}
_BOOL = re.compile("^(?:" + "|".join(_BOOL_VALUES) + ")$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
# strconv.ParseInt(s without "_", base 0): decimal, 0x, 0o / 0 octal, 0b
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|0o?[0-7_]+|0b[01_]+)$")
_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?"
                    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_TAG = "tag:yaml.org,2002:"
# Bounds of a loader's memo of resolved plain scalars (short ones repeat; long ones rarely do).
_MEMO_MAX_CHARS = 64
_MEMO_MAX_ENTRIES = 100_000


def _parse_int(text: str) -> int:
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-").replace("_", "")
    if digits.startswith(("0x", "0b", "0o")):
        return sign * int(digits, 0)
    if len(digits) > 1 and digits.startswith("0"):
        return sign * int(digits, 8)
    return sign * int(digits)


def _parse_float(text: str) -> float:
    lowered = text.lower()
    if lowered.endswith(".inf"):
        return float("-inf") if lowered.startswith("-") else float("inf")
    if lowered == ".nan":
        return float("nan")
    return float(text.replace("_", ""))


_STR, _SEQ, _MAP, _MERGE = _TAG + "str", _TAG + "seq", _TAG + "map", _TAG + "merge"


def _error(node: yaml.Node, message: str) -> ConstructorError:
    return ConstructorError(None, None, message, node.start_mark)


def _typed(pattern: re.Pattern, tag: str, parse):
    def convert(node: ScalarNode):
        if not pattern.match(node.value):
            raise _error(node, f"{node.value!r} is not a valid !!{tag}")
        return parse(node.value)
    return convert


def _to_float(node: ScalarNode) -> float:
    if _INT.match(node.value):  # !!float 1 is 1.0, as go-yaml v2 reads it
        value = float(_parse_int(node.value))
    else:
        value = _typed(_FLOAT, "float", _parse_float)(node)
    if not math.isfinite(value):  # sigs.k8s.io/yaml converts to JSON, which has no NaN or infinity
        raise _error(node, f"{node.value!r} is not a number Kubernetes can hold (JSON has no NaN or infinity)")
    return value


_SCALARS = {
    _TAG + "bool": _typed(_BOOL, "bool", _BOOL_VALUES.__getitem__),
    _TAG + "null": _typed(_NULL, "null", lambda _text: None),
    _TAG + "int": _typed(_INT, "int", _parse_int),
    _TAG + "float": _to_float,
}


def _refused(node: yaml.Node) -> ConstructorError:
    tag = node.tag.replace(_TAG, "!!")
    return _error(node, f"the tag {tag} is not supported here (Kubernetes objects hold only text, "
                        "numbers, booleans, null, lists and mappings)")


class StrictLoader(_BaseLoader):
    """libyaml's C parser and composer with go-yaml v2's scalar resolution (the resolvers below)."""

    yaml_implicit_resolvers: dict = {}

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        # Plain scalar -> its tag. Manifests repeat the same short keys and values (``name``, ``port``,
        # ``http``) hundreds of thousands of times: each is matched against the patterns once per stream.
        self._plain_tags: dict[str, str] = {}

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """No path resolvers here: skip PyYAML's bookkeeping of them (called for every node)."""

    def ascend_resolver(self) -> None:
        """See :meth:`descend_resolver`."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        """PyYAML's ``Resolver.resolve`` without path resolvers (it runs once per scalar: kept short)."""
        if kind is ScalarNode:
            if not implicit[0]:
                return _STR
            known = self._plain_tags.get(value)
            if known is not None:
                return known
            resolved = _STR
            for tag, pattern in self.yaml_implicit_resolvers.get(value[:1], ()):
                if pattern.match(value):
                    resolved = tag
                    break
            if len(value) <= _MEMO_MAX_CHARS and len(self._plain_tags) < _MEMO_MAX_ENTRIES:
                self._plain_tags[value] = resolved
            return resolved
        return _SEQ if kind is SequenceNode else _MAP


StrictLoader.add_implicit_resolver(_TAG + "bool", _BOOL, list("yYnNtTfFoO"))
StrictLoader.add_implicit_resolver(_TAG + "null", _NULL, ["~", "n", "N", ""])
StrictLoader.add_implicit_resolver(_TAG + "int", _INT, list("-+0123456789"))
StrictLoader.add_implicit_resolver(_TAG + "float", _FLOAT, list("-+.0123456789"))
StrictLoader.add_implicit_resolver(_MERGE, re.compile(r"^<<$"), ["<"])


def plain_scalar_value(text: str) -> Any:
    """The value of a plain scalar as :class:`StrictLoader` and :class:`_Builder` read it (the fast reader
    of :mod:`.yamlio_fast` resolves with this); raises on a value Kubernetes cannot hold."""
    for tag, pattern in StrictLoader.yaml_implicit_resolvers.get(text[:1], ()):
        if pattern.match(text):
            convert = _SCALARS.get(tag)
            if convert is None:  # a merge key
                raise ValueError(f"{text!r} is not a plain value")
            return convert(ScalarNode(tag, text))
    return text


class _Builder:
    """Composed nodes to JSON-like data (dict, list, str, int, float, bool, None).

    Faster than PyYAML's generic constructor, and exact about types: any tag but the JSON ones is
    refused, keys become text, duplicate keys are refused (keys a merge ``<<`` brings in may be
    overridden, as YAML says). Recursive; callers bound the depth first."""

    def __init__(self, loader: StrictLoader, shares_nodes: bool, may_merge: bool = True) -> None:
        self.loader = loader
        self.built: dict[int, Any] | None = {} if shares_nodes else None  # an aliased node is built once
        # A merge key is a plain ``<<`` or an explicit tag: a stream with neither has no mapping to flatten.
        self.may_merge = may_merge

    def build(self, node: yaml.Node) -> Any:
        cls = node.__class__
        if cls is ScalarNode:
            if node.tag == _STR:
                return node.value
            convert = _SCALARS.get(node.tag)
            if convert is None:
                raise _refused(node)
            return convert(node)
        if self.built is not None and id(node) in self.built:
            return self.built[id(node)]
        if cls is SequenceNode and node.tag == _SEQ:
            result: Any = [self.build(item) for item in node.value]
        elif cls is MappingNode and node.tag == _MAP:
            result = self._mapping(node)
        else:
            raise _refused(node)
        if self.built is not None:
            self.built[id(node)] = result
        return result

    def _mapping(self, node: MappingNode) -> dict:
        if not self.may_merge:
            return self._plain_mapping(node)
        first_own = 0
        if any(key.tag == _MERGE for key, _ in node.value):
            own = sum(1 for key, _ in node.value if key.tag != _MERGE)
            self.loader.flatten_mapping(node)
            first_own = len(node.value) - own
        mapping: dict[str, Any] = {}
        own_keys: set[str] = set()
        for index, (key_node, value_node) in enumerate(node.value):
            if key_node.__class__ is ScalarNode and key_node.tag == _STR:
                key = key_node.value
            else:
                key = self._key(key_node)
            if index >= first_own:
                if key in own_keys:
                    raise _error(key_node, f"duplicate key {key!r}")
                own_keys.add(key)
            mapping[key] = self.build(value_node)
        return mapping

    def _plain_mapping(self, node: MappingNode) -> dict:
        """:meth:`_mapping` for a stream without merge keys (every key is the mapping's own): the hot
        loop of a large manifest, with text keys and text values taken directly."""
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.__class__ is ScalarNode and key_node.tag == _STR:
                key = key_node.value
            else:
                key = self._key(key_node)
            if key in mapping:
                raise _error(key_node, f"duplicate key {key!r}")
            if value_node.__class__ is ScalarNode and value_node.tag == _STR:
                mapping[key] = value_node.value
            else:
                mapping[key] = self.build(value_node)
        return mapping

    def _key(self, node: yaml.Node) -> str:
        """A key as JSON has it: Kubernetes (sigs.k8s.io/yaml) writes whole numbers and booleans as text."""
        key = self.build(node) if node.__class__ is ScalarNode else None
        if isinstance(key, bool):
            return "true" if key else "false"
        if isinstance(key, int):
            return str(key)
        if isinstance(key, str):
            return key
        raise _error(node, "a mapping key must be text, a whole number or a boolean")



@dataclass
class Document:
    """One YAML document: its data, the file it came from, its first line and its node tree."""

    data: Any
    file: str
    line: int
    node: yaml.Node | None = None
    # Read without its node tree (a large file): the stream and this document's span in it, to compose
    # just this document again, with line tracking, when a message needs the line of a field.
    text: str | None = field(default=None, repr=False, compare=False)
    span: tuple[int, int] | None = None

    def line_of(self, path: tuple[str | int, ...]) -> int:
        """The 1-based line of the field at ``path`` (the nearest existing parent if absent)."""
        if self.node is None and self.text is not None and self.span is not None:
            self.node = self._compose_again()
            self.text = None
        return line_of(self.node, path, self.line)

    def _compose_again(self) -> yaml.Node | None:
        start, end = self.span  # type: ignore[misc]
        line_start = self.text.rfind("\n", 0, start) + 1  # type: ignore[union-attr]
        padded = "\n" * (self.line - 1) + " " * (start - line_start) + self.text[start:end]  # type: ignore[index]
        try:
            loader = StrictLoader(padded)
            try:
                return loader.get_single_node()
            finally:
                loader.dispose()
        except yaml.YAMLError:  # e.g. a %TAG directive of the stream: the document's first line will do
            return None


def line_of(node: yaml.Node | None, path: tuple[str | int, ...], default: int) -> int:
    line = node.start_mark.line + 1 if node is not None else default
    for part in path:
        if isinstance(node, yaml.MappingNode):
            nxt = next((v for k, v in node.value if getattr(k, "value", None) == part), None)
            if nxt is None:
                key = next((k for k, _ in node.value if getattr(k, "value", None) == part), None)
                return key.start_mark.line + 1 if key is not None else line
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            return line
        line = node.start_mark.line + 1
    return line


def decode(raw: bytes, file: str) -> str:
    """Strict UTF-8 (a BOM is allowed); the error names the line of the first bad byte."""
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(f"file is too large (more than {MAX_FILE_BYTES:,} bytes, the limit)", file=file)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                         file=file, line=line) from None


def read_text(path: str) -> str:
    """Read a regular text file with the size limit and strict UTF-8 (a FIFO or device is refused:
    reading it could block forever or never end)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except (OSError, ValueError) as exc:
        raise InputError(_os_reason(exc), file=path) from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise InputError("not a regular file", file=path)
        try:
            raw = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise InputError(_os_reason(exc), file=path) from None
    return decode(raw, path)


def _os_reason(exc: Exception) -> str:
    if isinstance(exc, ValueError):  # a NUL byte in the path
        return "not a valid file name"
    return getattr(exc, "strerror", None) or str(exc)


def _may_nest_deeper(text: str, levels: int) -> bool:
    """False when the documents of ``text`` surely nest at most ``levels`` deep (a cheap test).

    Every flow level needs an opening bracket, and a bracketed list without brackets, quotes or
    comments inside (``[40.0, 80.0]``) holds no deeper level; every block level needs more
    indentation, or one more ``- ``/``? `` on its line."""
    flow = text.count("[") + text.count("{") - len(_LEAF_FLOW.findall(text)) + 1
    if flow >= levels // 2:
        return True
    block = (levels - flow) // 4
    if "\n" + " " * block in text or text.startswith(" " * block):
        return True
    if not _COMPACT_PAIR.search(text):  # no two block indicators in a row anywhere
        return False
    return bool(re.search(rf"{_COMPACT_LEVEL}{{{block},}}", text))


def _event_depth(loader: _BaseLoader) -> int:
    """The real nesting depth, from libyaml's events (no recursion; slower than composing)."""
    depth = deepest = 0
    while True:
        event = loader.get_event()
        if isinstance(event, CollectionStartEvent):
            depth += 1
            deepest = max(deepest, depth)
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
        elif event is None or isinstance(event, StreamEndEvent):
            return deepest


def _check_depth(root: yaml.Node) -> str | None:
    """Too deep? Level by level over the collections of a tree without aliases (so without cycles)."""
    level = [root]
    for _ in range(MAX_DEPTH):
        below = []
        for node in level:
            if node.__class__ is MappingNode:
                below.extend(part for pair in node.value for part in pair if part.__class__ is not ScalarNode)
            elif node.__class__ is SequenceNode:
                below.extend(item for item in node.value if item.__class__ is not ScalarNode)
        if not below:
            return None
        level = below
    return f"YAML nests deeper than {MAX_DEPTH} levels"


def _check_tree(root: yaml.Node) -> str | None:
    """What is wrong with a composed document that has aliases, if anything: a recursive alias,
    too deep, or aliases expanding past the size limits. Iterative, and memoised per node (an
    aliased node is one object however often it is used), so a bomb is measured, not expanded."""
    sizes: dict[int, tuple[int, int, int]] = {}  # id -> (nodes, characters, depth) once expanded
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    recursive = "a YAML alias refers to a node that contains it (a recursive alias)"
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            nodes, chars, depth = 1, 0, 0
            for child in _children(node):
                child_nodes, child_chars, child_depth = sizes[id(child)]
                nodes += child_nodes
                chars += child_chars
                depth = max(depth, child_depth)
                if nodes > MAX_EXPANDED_NODES:
                    return f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} nodes (an alias bomb?)"
                if chars > MAX_EXPANDED_CHARS:
                    return f"YAML aliases expand to more than {MAX_EXPANDED_CHARS:,} characters (an alias bomb?)"
            if depth + 1 > MAX_DEPTH:
                return f"YAML nests deeper than {MAX_DEPTH} levels"
            sizes[key] = (nodes, chars, depth + 1)
            continue
        if key in sizes:
            continue
        if isinstance(node, ScalarNode):
            sizes[key] = (1, len(node.value), 0)
            continue
        on_path.add(key)
        stack.append((node, True))
        pushed: set[int] = set()
        for child in _children(node):
            child_key = id(child)
            if child_key in on_path:
                return recursive
            if child_key not in sizes and child_key not in pushed:
                pushed.add(child_key)
                stack.append((child, False))
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, SequenceNode):
        return list(node.value)
    return []


def load_documents(text: str, file: str, keep_nodes: bool = True) -> Iterator[Document]:
    """Parse every document of a YAML stream, with its first line; empty documents are skipped."""
    has_anchors = "&" in text and bool(_ANCHOR.search(text))
    may_merge = "<<" in text or "!" in text  # a plain merge key, or any explicit tag (``!!merge``, %TAG)
    if not (keep_nodes or has_anchors or may_merge):
        # The plainest block YAML (a large generated file) is read without libyaml when it can be: the
        # same documents, lines and spans (tests/hostile/test_yaml_fast_reader.py); None: not that plain
        # (nor nested anywhere near MAX_DEPTH: that reader leaves deep documents to the checks below).
        simple = read_simple(text, plain_scalar_value)
        if simple is not None:
            for data, line, span in simple:
                yield Document(data, file, line, None, text, span)
            return
    may_be_too_deep = _may_nest_deeper(text, MAX_DEPTH)
    try:
        if may_be_too_deep and _may_nest_deeper(text, _COMPOSER_SAFE_DEPTH):
            scout = StrictLoader(text)
            try:
                if _event_depth(scout) > MAX_DEPTH:
                    raise InputError(f"YAML nests deeper than {MAX_DEPTH} levels", file=file)
            finally:
                scout.dispose()
        loader = StrictLoader(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file, text) from None
    try:
        while True:
            try:
                if not loader.check_node():
                    break
                node = loader.get_node()
                if node is None:
                    continue
                if has_anchors:
                    problem = _check_tree(node)
                elif may_be_too_deep:
                    problem = _check_depth(node)
                else:
                    problem = None
                if problem:
                    raise InputError(problem, file=file, line=node.start_mark.line + 1)
                data = _Builder(loader, shares_nodes=has_anchors, may_merge=may_merge).build(node)
            except yaml.YAMLError as exc:
                raise _yaml_error(exc, file, text) from None
            except RecursionError:
                raise InputError("YAML nesting is too deep", file=file) from None
            if data is None:
                continue
            if keep_nodes:
                yield Document(data, file, node.start_mark.line + 1, node)
            else:
                yield Document(data, file, node.start_mark.line + 1, None, text,
                               (node.start_mark.index, node.end_mark.index))
    finally:
        loader.dispose()


def _yaml_error(exc: yaml.YAMLError, file: str, text: str | None = None) -> InputError:
    if isinstance(exc, yaml.reader.ReaderError):
        line = text[: exc.position].count("\n") + 1 if text is not None else None
        return InputError(f"invalid YAML: the character #x{exc.character:04x} is not allowed", file=file, line=line)
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        problem = exc.problem or exc.context or "invalid YAML"
        return InputError(f"invalid YAML: {problem}", file=file, line=line)
    return InputError(f"invalid YAML: {exc}", file=file)


def load_one(text: str, file: str) -> Any:
    """Exactly one YAML document (a project file), read as :func:`load_documents` reads."""
    docs = list(load_documents(text, file, keep_nodes=False))
    if len(docs) != 1:
        raise InputError("expected exactly one YAML document", file=file)
    return docs[0].data


class _FlowList(list):
    """A list written in flow style (``[x, y]``): positions and other short tuples."""


class CanonicalDumper(_BaseDumper):
    """Block style, no aliases, keys in the order given. A string is written plain only when no
    reader takes it for anything else: neither ours (go-yaml v2's rules, as Kubernetes) nor a YAML
    1.1 reader (PyYAML's rules: dates, ``1:20``), so others are quoted."""

    yaml_implicit_resolvers = {
        first: [*StrictLoader.yaml_implicit_resolvers.get(first, []),
                *yaml.resolver.Resolver.yaml_implicit_resolvers.get(first, [])]
        for first in {*StrictLoader.yaml_implicit_resolvers, *yaml.resolver.Resolver.yaml_implicit_resolvers}}

    def __init__(self, stream: Any, scalar_tags: dict | None = None, **options: Any) -> None:
        super().__init__(stream, **options)
        # (value, implicit) -> tag: the emitter asks twice per scalar whether a reader would take the
        # text for another type; manifests repeat the same keys and values thousands of times.
        self._scalar_tags: dict[tuple[str, tuple[bool, bool]], str] = {} if scalar_tags is None else scalar_tags

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        """No path resolvers here: skip PyYAML's bookkeeping of them (called for every node)."""

    def ascend_resolver(self) -> None:
        """See :meth:`descend_resolver`."""

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        """PyYAML's ``Resolver.resolve`` (path resolvers aside, there are none), remembered per short scalar."""
        if kind is not ScalarNode or len(value) > _MEMO_MAX_CHARS:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = self._scalar_tags.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(self._scalar_tags) < _MEMO_MAX_ENTRIES:
                self._scalar_tags[key] = tag
        return tag

    def represent_data(self, data: Any) -> yaml.Node:
        """The nodes PyYAML's SafeRepresenter makes for JSON-like data (``default_flow_style=False``,
        no aliases), built directly; anything else (floats, flow lists, tuples) goes the generic way."""
        cls = data.__class__
        if cls is str:
            return _represent_str(self, data)
        if cls is dict:
            return MappingNode(_MAP, [(self.represent_data(k), self.represent_data(v)) for k, v in data.items()],
                               flow_style=False)
        if cls is list:
            return SequenceNode(_SEQ, [self.represent_data(item) for item in data], flow_style=False)
        if cls is bool:
            return ScalarNode(_TAG + "bool", "true" if data else "false")
        if cls is int:
            return ScalarNode(_TAG + "int", str(data))
        if data is None:
            return ScalarNode(_TAG + "null", "null")
        return super().represent_data(data)


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data and not data.endswith((" ", "\t")) and "\r" not in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


CanonicalDumper.add_representer(str, _represent_str)
CanonicalDumper.add_representer(
    _FlowList, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True))
CanonicalDumper.add_representer(
    tuple, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", list(data)))


_CONTROL = re.compile("[\\x00-\\x1f\\x7f-\\x9f\\u2028\\u2029\\ufeff]")


def comment_line(text: str) -> str:
    """A generated ``# ...`` comment line that user text (names, hosts) cannot end early: control
    characters and line separators are written as ``\\xNN``/``\\uNNNN`` escapes."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def flow(items) -> _FlowList:
    """Mark a short list to be written on one line."""
    return _FlowList(items)


_DUMP_OPTIONS = {"sort_keys": False, "default_flow_style": False, "allow_unicode": True, "width": 4096, "indent": 2}


def dump(data: Any) -> str:
    """One YAML document, canonical (PyYAML's representer and libyaml's emitter: manifests)."""
    return dump_documents([data], together=False)[1][0]


def dump_all(documents: list[Any]) -> str:
    """Several YAML documents separated by ``---``, canonical."""
    return dump_documents(documents, alone=False)[0]


def dump_documents(documents: list[Any], together: bool = True, alone: bool = True) -> tuple[str, list[str]]:
    """``(dump_all(documents), [dump(d) for d in documents])`` with each document turned into nodes once
    (that, not libyaml's emitting, is most of the time): the same bytes as dumping twice, since it is
    what ``yaml.dump_all`` and ``yaml.dump`` do with the same nodes. ``together``/``alone`` False skips
    that form (``""`` / ``[]``)."""
    scalar_tags: dict = {}  # shared by every emitter below: the same scalars recur across documents
    builder = CanonicalDumper(None, scalar_tags=scalar_tags, **_DUMP_OPTIONS)
    nodes = []  # kept only for the stream of them all (holding every tree makes the collector work hard)
    alone_texts = []
    for document in documents:
        node = builder.represent_data(document)
        builder.represented_objects, builder.object_keeper, builder.alias_key = {}, [], None
        if alone:
            alone_texts.append(_serialize([node], scalar_tags))
        if together:
            nodes.append(node)
    builder.dispose()
    together_text = _serialize(nodes, scalar_tags, explicit_start=True) if together else ""
    return together_text, alone_texts


def _serialize(nodes: list[yaml.Node], scalar_tags: dict, explicit_start: bool = False) -> str:
    """``yaml.serialize_all`` with the canonical dumper's options."""
    stream = io.StringIO()
    dumper = CanonicalDumper(stream, scalar_tags=scalar_tags, explicit_start=explicit_start, **_DUMP_OPTIONS)
    try:
        dumper.open()
        for node in nodes:
            dumper.serialize(node)
        dumper.close()
    finally:
        dumper.dispose()
    return stream.getvalue()


# ----- the fast canonical emitter for project files --------------------------------------------
# Project files are written by this small emitter rather than PyYAML's: it is ~10x faster, and its
# output is plain block YAML that every YAML 1.1 and 1.2 parser reads the same way (strings that
# could be read as anything else are double-quoted with JSON escapes, which YAML shares).

# Plain (unquoted) only when every YAML 1.1 and 1.2 reader sees text: a letter or "/" first, then
# letters, digits and ._/- , with ":" allowed inside (never at the end, never before a space).
_PLAIN = re.compile(r"^[A-Za-z/][A-Za-z0-9_./-]*(?::[A-Za-z0-9_./-]+)*$")
_RESERVED = frozenset(
    w for word in ("true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf")
    for w in (word, word.upper(), word.capitalize()))
# Characters YAML may not hold raw, or reads as line breaks (NEL, LS, PS): written as \\u escapes.
_NEEDS_ESCAPE = re.compile("[\\x7f-\\x9f\\u2028\\u2029\\ud800-\\udfff\\ufffe\\uffff]")


_MAX_SIMPLE_KEY = 1000


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        mantissa, e, exponent = text.partition("e")
        if "." not in mantissa:
            mantissa += ".0"  # YAML 1.1 reads 1e+20 as text; 1.0e+20 is a float everywhere
        return mantissa + e + exponent
    if isinstance(value, str):
        if _PLAIN.fullmatch(value) and value not in _RESERVED:  # fullmatch: "$" would allow a final newline
            return value
        quoted = json.dumps(value, ensure_ascii=False)  # JSON escapes are valid YAML double-quoted escapes
        return _NEEDS_ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)
    raise TypeError(f"cannot write {type(value).__name__} to a project file")


class _Anchors:
    """Mappings written once under a name (``&name``) and referred to after that (``*name``)."""

    def __init__(self, names: dict[int, str]) -> None:
        self.names = names            # id(mapping) -> anchor name
        self.written: set[int] = set()

    def mark(self, item: dict) -> str | None:
        """``&name`` the first time ``item`` is written, ``*name`` after; None when it is not shared."""
        name = self.names.get(id(item))
        if name is None:
            return None
        if id(item) in self.written:
            return "*" + name
        self.written.add(id(item))
        return "&" + name


class _CanonicalEmitter:
    """Appends the lines of block YAML to ``out``. Each distinct string is turned into its YAML text once
    per dump (``scalars``): a large Envoy config repeats the same keys and values tens of thousands of
    times, and the cache made its dump ~40% faster."""

    def __init__(self, anchors: _Anchors | None) -> None:
        self.anchors = anchors
        self.scalars: dict[str, str] = {}
        self.out: list[str] = []

    def scalar(self, value: Any) -> str:
        if value.__class__ is not str:
            return _scalar(value)
        text = self.scalars.get(value)
        if text is None:
            text = self.scalars[value] = _scalar(value)
        return text

    def _mark(self, item: dict) -> str | None:
        anchors = self.anchors
        # (the membership test first: a method call per mapping slowed a large config by ~10%)
        return anchors.mark(item) if anchors is not None and id(item) in anchors.names else None

    def emit(self, value: Any, indent: str) -> None:
        """Append the lines of a mapping or sequence ``value`` at ``indent``."""
        out = self.out
        if isinstance(value, dict):
            for key, item in value.items():
                key_text = self.scalar(key if key.__class__ is str else str(key))
                if len(key_text) <= _MAX_SIMPLE_KEY:
                    out.append(f"{indent}{key_text}:")
                    self.emit_value(item, indent)
                else:  # YAML readers refuse implicit keys over 1,024 characters: an explicit "? key"
                    out.append(f"{indent}? {key_text}")
                    out.append(f"{indent}:")
                    self.emit_value(item, indent + "  " if isinstance(item, list) else indent)
            return
        for item in value:
            if isinstance(item, dict) and item:
                mark = self._mark(item)
                if mark is None:
                    first = len(out)
                    self.emit(item, indent + "  ")
                    out[first] = f"{indent}- " + out[first][len(indent) + 2:]
                else:
                    out.append(f"{indent}- {mark}")
                    if mark[0] == "&":
                        self.emit(item, indent + "  ")
            elif isinstance(item, list) and item and not isinstance(item, _FlowList):
                out.append(f"{indent}-")
                self.emit(item, indent + "  ")
            else:
                out.append(f"{indent}- {self.inline(item)}")

    def inline(self, value: Any) -> str:
        if isinstance(value, dict):
            if not value:
                return "{}"
            return "{" + ", ".join(f"{self.scalar(str(k))}: {self.inline(v)}" for k, v in value.items()) + "}"
        if isinstance(value, (list, tuple)):
            return "[" + ", ".join(self.inline(v) for v in value) + "]"
        return self.scalar(value)

    def emit_value(self, item: Any, indent: str) -> None:
        """The value after ``key:`` (already on the last line of ``out``)."""
        if isinstance(item, dict) and item:
            mark = self._mark(item)
            if mark is not None:
                self.out[-1] += " " + mark
                if mark[0] == "*":
                    return
            self.emit(item, indent + "  ")
        elif isinstance(item, list) and item and not isinstance(item, _FlowList):
            self.emit(item, indent)
        else:
            self.out[-1] += " " + self.inline(item)


def dump_canonical(data: dict, shared: dict[int, str] | None = None) -> str:
    """A mapping as canonical block YAML (the project-file writer). ``shared`` maps ``id()`` of mappings
    that occur several times in ``data`` to an anchor name: the first occurrence is written with
    ``&name``, the others as the alias ``*name`` (what a YAML reader, Envoy's included, reads back as
    the same mapping)."""
    if not data:
        return "{}\n"
    emitter = _CanonicalEmitter(_Anchors(shared) if shared else None)
    emitter.emit(data, "")
    return "\n".join(emitter.out) + "\n"
