"""Manifests as YAML text, byte for byte what :func:`meshdesigner.io.yamlio.dump_documents` writes (PyYAML's
representer and libyaml's emitter with the canonical options), for the common shape of a manifest, fast.

``dump_documents`` builds a PyYAML node per value and drives libyaml's emitter through it: ~0.45 s of CPU
for the 2,546 manifests of the bench mesh, most of an export's own time (issue 16). Manifests are JSON-like
and nearly all of their text is keys and short names: written directly here. Other text (spaces, quotes,
indicators, non-ASCII: a JWKS, a URL, ``/*``) is written as libyaml writes it, asked of libyaml once per
distinct text (:meth:`_Writer.as_libyaml_writes`). A document holding anything whose form depends on where
it stands (text with line breaks, a line long enough for libyaml to fold, keys over 128 characters, floats
that are not plain decimals) is left to ``dump_documents``, whole: :func:`dump_each` gives the same texts
either way (tested against it).

What libyaml does with the rest (``emitter.c``: ``yaml_emitter_analyze_scalar``,
``yaml_emitter_select_scalar_style``, ``yaml_emitter_check_simple_key``; PyYAML's ``Serializer`` and
``SafeRepresenter.represent_float``): block mappings ``key: value``; a list under a key is not indented;
a list item that is a mapping or a list starts on the ``- `` row; an empty mapping or list is ``{}`` /
``[]``; text of letters, digits and ``_./-`` is plain when a reader takes it back for text and it is not
``-`` or starts with ``---``/``...`` (else single-quoted, as is text starting with ``*``); keys are at most
128 characters (longer ones are written ``? key``, left to libyaml).

Why asking libyaml about one text is exact (``emitter.c``): a scalar's style depends only on its text, on
whether it is a simple key (``simple_key_context``: keys here) and on the flow level (always block here);
its bytes then depend on where it stands only through line breaks, which libyaml writes with the current
indentation (text holding a line break is left out), and through folding, which happens only at a space
once the column is past the width (``emitter->column > emitter->best_width``; never in a key): a row no
longer than the width is never folded, and a longer row is left to libyaml.
"""

from __future__ import annotations

import re
from typing import Any

from yaml.nodes import ScalarNode

from ...io.yamlio import CanonicalDumper, dump_documents

_SIMPLE = re.compile(r"\*?[A-Za-z0-9_./-]+")  # text libyaml writes plain or 'single-quoted', never escaped
_FLOAT_REPR = re.compile(r"-?[0-9]+\.[0-9]+(?:e[-+][0-9]+)?")
_STR_TAG, _FLOAT_TAG = "tag:yaml.org,2002:str", "tag:yaml.org,2002:float"
_MAX_SIMPLE_KEY = 128
_WIDTH = 4096  # yamlio's _DUMP_OPTIONS["width"]: libyaml folds text at a space past this column
_BREAKS = frozenset("\n\r\x85\u2028\u2029")  # what libyaml writes as a line break (then indents)


class _Unsupported(Exception):
    """A value whose text is left to libyaml."""


class _Writer:
    def __init__(self) -> None:
        self._resolver = CanonicalDumper(None)  # only its resolve(): what a reader takes plain text for
        self._texts: dict[str, str | None] = {}  # text -> as written after "key: " or "- " (None: left out)
        self._keys: dict[str, str | None] = {}  # text -> as written as a key
        self._floats: dict[float, str] = {}

    def close(self) -> None:
        self._resolver.dispose()

    def text(self, value: str) -> str:
        """``value`` as libyaml writes it after ``key: `` or ``- ``."""
        written = self._texts.get(value, "")
        if written == "":
            written = self._texts[value] = (self.plain_or_quoted(value) if _SIMPLE.fullmatch(value)
                                            else self.as_libyaml_writes(value, key=False))
        if written is None:
            raise _Unsupported
        return written

    def key(self, value: str) -> str:
        """``value`` as libyaml writes it as a mapping key (before ``:``)."""
        written = self._keys.get(value, "")
        if written == "":
            if len(value) > _MAX_SIMPLE_KEY:
                written = None  # libyaml writes it "? key" (bytes, not characters, count there: also > 128)
            elif _SIMPLE.fullmatch(value):
                written = self.plain_or_quoted(value)
            else:
                written = self.as_libyaml_writes(value, key=True)
            self._keys[value] = written
        if written is None:
            raise _Unsupported
        return written

    def plain_or_quoted(self, value: str) -> str:
        """Text of ``_SIMPLE``'s characters: plain, or single-quoted where a reader would take it for
        something else or it starts like an indicator or a document marker."""
        plain = (not value.startswith(("*", "---", "...")) and value != "-"
                 and self._resolver.resolve(ScalarNode, value, (True, False)) == _STR_TAG)
        return value if plain else f"'{value}'"

    @staticmethod
    def as_libyaml_writes(value: str, key: bool) -> str | None:
        """What libyaml writes for ``value`` as a key or as a value in block context, or None when that
        depends on where it stands (see the module's docstring): a one-entry document, read back."""
        if _BREAKS.intersection(value):
            return None
        document = {value: None} if key else {"k": value}
        written = dump_documents([document], together=False)[1][0]
        if key:
            if written.startswith("? ") or not written.endswith(": null\n"):
                return None
            written = written[:-len(": null\n")]
        else:
            if not written.startswith("k: ") or not written.endswith("\n"):
                return None
            written = written[3:-1]
        if _BREAKS.intersection(written) or 4 + len(written) > _WIDTH:
            return None
        return written

    def scalar(self, value: Any) -> str:
        cls = value.__class__
        if cls is str:
            return self.text(value)
        if value is None:
            return "null"
        if cls is bool:
            return "true" if value else "false"
        if cls is int:
            return str(value)
        if cls is float:
            return self.number(value)
        raise _Unsupported

    def number(self, value: float) -> str:
        """``SafeRepresenter.represent_float`` for finite floats that a reader takes back for floats."""
        written = self._floats.get(value) if value else None  # (0.0 == -0.0: zeros are not remembered)
        if written is None:
            text = repr(value).lower()
            if "." not in text and "e" in text:
                text = text.replace("e", ".0e", 1)
            if (not _FLOAT_REPR.fullmatch(text)
                    or self._resolver.resolve(ScalarNode, text, (True, False)) != _FLOAT_TAG):
                raise _Unsupported  # inf, nan, or a form whose tag libyaml would have to write
            written = text
            if value:
                self._floats[value] = text
        return written

    def mapping(self, data: dict, indent: str, out: list[str]) -> None:
        """The rows of a non-empty mapping, each at ``indent``."""
        for key, value in data.items():
            if key.__class__ is not str:
                raise _Unsupported
            head = f"{indent}{self.key(key)}:"
            cls = value.__class__
            if cls is dict and value:
                out.append(head)
                self.mapping(value, indent + "  ", out)
            elif cls is list and value:
                out.append(head)
                self.sequence(value, indent, out)
            else:
                row = f"{head} {self.inline(value)}"
                if len(row) > _WIDTH:
                    raise _Unsupported  # libyaml might fold it
                out.append(row)

    def sequence(self, data: list, indent: str, out: list[str]) -> None:
        """The rows of a non-empty list, each item at ``indent`` after ``- ``."""
        for item in data:
            cls = item.__class__
            if (cls is dict or cls is list) and item:
                first = len(out)
                if cls is dict:
                    self.mapping(item, indent + "  ", out)
                else:
                    self.sequence(item, indent + "  ", out)
                out[first] = f"{indent}- {out[first][len(indent) + 2:]}"
            else:
                row = f"{indent}- {self.inline(item)}"
                if len(row) > _WIDTH:
                    raise _Unsupported  # libyaml might fold it
                out.append(row)

    def inline(self, value: Any) -> str:
        if value.__class__ is dict:
            return "{}"
        if value.__class__ is list:
            return "[]"
        return self.scalar(value)


def dump_each(documents: list[Any]) -> list[str]:
    """``dump_documents(documents, together=False)[1]``: each document's text, the same bytes."""
    writer = _Writer()
    texts: list[str | None] = []
    left: list[int] = []
    try:
        for document in documents:
            out: list[str] = []
            try:
                if document.__class__ is not dict or not document:
                    raise _Unsupported
                writer.mapping(document, "", out)
            except _Unsupported:
                left.append(len(texts))
                texts.append(None)
                continue
            texts.append("\n".join(out) + "\n")
    finally:
        writer.close()
    if left:
        for index, text in zip(left, dump_documents([documents[i] for i in left], together=False)[1],
                               strict=True):
            texts[index] = text
    return texts  # type: ignore[return-value]
