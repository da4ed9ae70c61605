"""Passphrases of encrypted private keys, remembered for this session only.

The GUI asks for a key's passphrase once (``remember``); the certificate checks then decrypt the key
to compare it with its certificate. Passphrases live in memory only: they are never written to a
project file, an export or the settings.
"""

from __future__ import annotations

import os

_PASSPHRASES: dict[str, bytes] = {}


def _key(path: str) -> str:
    return os.path.realpath(path)


def remember(path: str, passphrase: str | bytes) -> None:
    """Keep ``passphrase`` for the key file at ``path`` until the program ends (or :func:`forget_all`)."""
    _PASSPHRASES[_key(path)] = passphrase.encode() if isinstance(passphrase, str) else bytes(passphrase)


def passphrase_for(path: str) -> bytes | None:
    """The remembered passphrase of the key at ``path``, if any."""
    return _PASSPHRASES.get(_key(path))


def forget_all() -> None:
    """Drop every remembered passphrase."""
    _PASSPHRASES.clear()
