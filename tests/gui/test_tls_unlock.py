"""Encrypted private keys: the TLS section asks for the passphrase once per session, never saves it."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QWidget

from meshdesigner.gui import dialogs
from meshdesigner.gui.panels.tls_tools import locked_key, unlock_key
from meshdesigner.tls import passphrases
from meshdesigner.tls.generate import create_ca, create_server_cert, write_pair


@pytest.fixture
def locked(tmp_path):
    ca = create_ca()
    _cert, key = write_pair(create_server_cert(ca, ["a.example.com"]), tmp_path, name="locked", passphrase="pw")
    yield key
    passphrases.forget_all()


def test_a_locked_key_is_unlocked_with_the_right_passphrase(qtbot, locked, monkeypatch):
    widget = QWidget()
    qtbot.addWidget(widget)
    assert locked_key(locked) is not None
    monkeypatch.setattr(dialogs, "ask_passphrase", lambda *_: "wrong")
    message = unlock_key(widget, locked)
    assert message.startswith("Not unlocked") and passphrases.passphrase_for(locked) is None
    monkeypatch.setattr(dialogs, "ask_passphrase", lambda *_: "pw")
    message = unlock_key(widget, locked)
    assert message.startswith("Unlocked") and passphrases.passphrase_for(locked) == b"pw"
    assert locked_key(locked) is None  # the button hides once the session knows the passphrase


def test_cancelling_the_prompt_changes_nothing(qtbot, locked, monkeypatch):
    widget = QWidget()
    qtbot.addWidget(widget)
    monkeypatch.setattr(dialogs, "ask_passphrase", lambda *_: None)
    assert unlock_key(widget, locked) is None
    assert passphrases.passphrase_for(locked) is None


def test_plain_and_missing_keys_need_no_unlocking(tmp_path):
    _cert, key = write_pair(create_server_cert(create_ca(), ["a.example.com"]), tmp_path)
    assert locked_key(key) is None
    assert locked_key(str(tmp_path / "missing.key")) is None
    assert locked_key(None) is None
