"""Certificates shared by the TLS tests (generated once per session: RSA key generation is slow)."""

from __future__ import annotations

import pytest

from meshdesigner.tls.generate import create_ca, create_server_cert


@pytest.fixture(scope="session")
def ca():
    return create_ca()


@pytest.fixture(scope="session")
def other_ca():
    return create_ca("Some other CA")


@pytest.fixture(scope="session")
def server(ca):
    return create_server_cert(ca, ["a.example.com", "*.b.example.com", "127.0.0.1"])
