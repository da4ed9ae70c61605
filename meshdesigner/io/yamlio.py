"""The one YAML reader and the one YAML writer of the project.

Reading is defensive: a size limit, strict UTF-8, a guard against alias bombs, and documents
returned with the composed node tree so errors can name the line of any field.
Writing is canonical: block style, key order as given, no aliases, long lines unwrapped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from .errors import InputError

try:  # the C implementation is 10x faster; fall back to pure Python where libyaml is missing
    from yaml import CSafeDumper as _BaseDumper
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 20 * 1024 * 1024
# An alias may repeat a subtree; past this many expanded nodes per document we refuse (billion laughs).
MAX_EXPANDED_NODES = 2_000_000
_ANCHOR = re.compile(r"(^|[\s\[{,:-])&[^\s]")


@dataclass
class Document:
    """One YAML document: its data, the file it came from, its first line and its node tree."""

    data: Any
    file: str
    line: int
    node: yaml.Node | None = None

    def line_of(self, path: tuple[str | int, ...]) -> int:
        """The 1-based line of the field at ``path`` (the nearest existing parent if absent)."""
        return line_of(self.node, path, self.line)


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
        raise InputError(f"file is too large ({len(raw) / 1e6:.1f} MB; the limit is "
                         f"{MAX_FILE_BYTES / 1e6:.0f} MB)", file=file)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
                         file=file, line=line) from None


def read_text(path: str) -> str:
    """Read a text file with the size limit and strict UTF-8."""
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(exc.strerror or str(exc), file=path) from None
    return decode(raw, path)


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """Nodes the tree has once every alias is expanded; stops counting past ``limit``."""
    memo: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in memo:
            return memo[key]
        memo[key] = 1  # guards recursive aliases
        if isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(v) for v in node.value)
        else:
            total = 1
        memo[key] = min(total, limit + 1)
        return memo[key]

    return size(root)


def load_documents(text: str, file: str, keep_nodes: bool = True) -> Iterator[Document]:
    """Parse every document of a YAML stream, with its first line; empty documents are skipped."""
    guard_aliases = bool(_ANCHOR.search(text))
    loader = _BaseLoader(text)
    try:
        while True:
            try:
                if not loader.check_node():
                    break
                node = loader.get_node()
                if node is None:
                    continue
                if guard_aliases and _expanded_size(node, MAX_EXPANDED_NODES) > MAX_EXPANDED_NODES:
                    raise InputError("YAML aliases expand to too many nodes (an alias bomb?)",
                                     file=file, line=node.start_mark.line + 1)
                data = loader.construct_document(node)
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                line = mark.line + 1 if mark else None
                problem = exc.problem or exc.context or "invalid YAML"
                raise InputError(f"invalid YAML: {problem}", file=file, line=line) from None
            except yaml.YAMLError as exc:
                raise InputError(f"invalid YAML: {exc}", file=file) from None
            except RecursionError:
                raise InputError("YAML nesting is too deep", file=file) from None
            if data is None:
                continue
            yield Document(data, file, node.start_mark.line + 1, node if keep_nodes else None)
    finally:
        loader.dispose()


class _FlowList(list):
    """A list written in flow style (``[x, y]``): positions and other short tuples."""


class CanonicalDumper(_BaseDumper):
    """Block style, no aliases, keys in the order given."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data and not data.endswith((" ", "\t")) and "\r" not in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


CanonicalDumper.add_representer(str, _represent_str)
CanonicalDumper.add_representer(
    _FlowList, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True))
CanonicalDumper.add_representer(
    tuple, lambda d, data: d.represent_sequence("tag:yaml.org,2002:seq", list(data)))


def flow(items) -> _FlowList:
    """Mark a short list to be written on one line."""
    return _FlowList(items)


def dump(data: Any) -> str:
    """One YAML document, canonical (PyYAML's emitter: manifests)."""
    return yaml.dump(data, Dumper=CanonicalDumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=4096, indent=2)


def dump_all(documents: list[Any]) -> str:
    """Several YAML documents separated by ``---``, canonical."""
    return yaml.dump_all(documents, Dumper=CanonicalDumper, sort_keys=False, default_flow_style=False,
                         allow_unicode=True, width=4096, indent=2, explicit_start=True)


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


def _emit(value: Any, indent: str, out: list[str]) -> None:
    """Append the lines of a mapping or sequence ``value`` at ``indent``."""
    if isinstance(value, dict):
        for key, item in value.items():
            out.append(f"{indent}{_scalar(str(key))}:")
            _emit_value(item, indent, out)
    else:
        for item in value:
            if isinstance(item, dict) and item:
                first = len(out)
                _emit(item, indent + "  ", out)
                out[first] = f"{indent}- " + out[first][len(indent) + 2:]
            elif isinstance(item, list) and item and not isinstance(item, _FlowList):
                out.append(f"{indent}-")
                _emit(item, indent + "  ", out)
            else:
                out.append(f"{indent}- {_inline(item)}")


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}" if not value else "{" + ", ".join(f"{_scalar(str(k))}: {_inline(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    return _scalar(value)


def _emit_value(item: Any, indent: str, out: list[str]) -> None:
    """The value after ``key:`` (already on the last line of ``out``)."""
    if isinstance(item, dict) and item:
        _emit(item, indent + "  ", out)
    elif isinstance(item, list) and item and not isinstance(item, _FlowList):
        _emit(item, indent, out)
    else:
        out[-1] += " " + _inline(item)


def dump_canonical(data: dict) -> str:
    """A mapping as canonical block YAML (the project-file writer)."""
    if not data:
        return "{}\n"
    out: list[str] = []
    _emit(data, "", out)
    return "\n".join(out) + "\n"


def load_fast(text: str, file: str) -> Any:
    """Parse one YAML document quickly (yaml-rs where installed); errors and anchors go through
    :func:`load_documents`, which names lines and guards against alias bombs."""
    if _yaml_rs is not None and not _ANCHOR.search(text):
        try:
            return _yaml_rs.loads(text)
        except Exception:  # noqa: BLE001 - the careful reader below reports the problem properly
            pass
    docs = list(load_documents(text, file, keep_nodes=False))
    if len(docs) != 1:
        raise InputError("expected exactly one YAML document", file=file)
    return docs[0].data


try:
    import yaml_rs as _yaml_rs
except ImportError:  # pragma: no cover - the pure PyYAML path still works, only slower
    _yaml_rs = None
