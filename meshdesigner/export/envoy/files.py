"""The certificate, key, CA and JWKS files an Envoy bootstrap reads, and which of them are missing here.

A bootstrap names files as ``{"filename": path}`` (TLS secrets, trusted CAs, local JWKS); Envoy refuses
to load a configuration when one of them does not exist, so exports and ``run-gateway`` check them.
"""

from __future__ import annotations

import os
import re

import yaml

_SCALAR_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # one scalar: the JSON/YAML 1.1 types agree

PROVIDE_HINT = ("provide them with --credentials DIR (DIR/<credentialName>/tls.crt, tls.key, ca.crt), "
                "--files-root DIR (files named by absolute paths are read under DIR), "
                "or create test certificates with `meshdesigner cert create --hosts HOSTS --out DIR/<credentialName>`")


def referenced_files(bootstrap) -> list[str]:
    """Every ``filename`` the bootstrap (a dict, or the YAML text of one) refers to, sorted, once each."""
    if isinstance(bootstrap, str):
        return _referenced_in_text(bootstrap)
    found: set[str] = set()
    stack = [bootstrap]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            name = item.get("filename")
            if isinstance(name, str):
                found.add(name)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return sorted(found)


# ``filename: VALUE`` as a block mapping entry (possibly the first key of a list item). Our dumpers write
# one scalar per line (width 4096), so the value is on this line; it is read as a YAML scalar (quotes).
_FILENAME_LINE = re.compile(r"^[ -]*filename: (.+)$", re.MULTILINE)


def _referenced_in_text(text: str) -> list[str]:
    """The files a bootstrap's YAML text names, without parsing the whole document: ``export --envoy``
    lists them for every config it wrote, and a full parse of 100 configs took ~15 s (issue 16).
    A large config names the same few files thousands of times: each distinct value is read once, by
    libyaml (the pure-Python reader took ~0.2 s per config of the 2,000-resource mesh)."""
    if "filename" not in text:
        return []
    found = set()
    for written in set(_FILENAME_LINE.findall(text)):
        value = yaml.load(written, Loader=_SCALAR_LOADER)
        if isinstance(value, str):
            found.add(value)
    return sorted(found)


def missing_files(bootstrap) -> list[str]:
    """The referenced files that do not exist on this machine (relative ones from the current folder)."""
    return [path for path in referenced_files(bootstrap) if not os.path.isfile(path)]


def missing_files_message(config: str, missing: list[str]) -> str:
    """One readable warning: which files ``config`` needs that are missing, and how to provide them."""
    listed = "".join(f"\n  {path}" for path in missing)
    return (f"{config} refers to {len(missing)} certificate/key/CA file(s) missing on this machine, "
            f"so Envoy cannot load it here:{listed}\n  {PROVIDE_HINT}.")
