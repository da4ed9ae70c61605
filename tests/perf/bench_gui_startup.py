"""Issue 16 budget: cold start of the desktop app to a shown window < 1 s, as a whole process.

``python -m meshdesigner`` (no file: the start page) runs with ``MESHDESIGNER_EXIT_WHEN_SHOWN=1``, which
prints the shared monotonic clock when the window is first painted and quits; the figure is that time
minus the time just before the process was started (the fastest of three, fresh settings each time).
The import times of the heavy packages (``python -X importtime``, cumulative, one run) go under "info":
they are where the start-up time goes.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

from bench import ROOT

HEAVY = ("PySide6.QtWidgets", "PySide6.QtCore", "pydantic", "meshdesigner.model", "networkx", "cryptography",
         "yaml", "meshdesigner.analysis", "meshdesigner.export", "pyqtgraph", "meshdesigner.gui.main_window")


def _environment(ctx) -> dict[str, str]:
    home = ctx.workdir / "startup-home"
    home.mkdir(exist_ok=True)
    env = dict(os.environ)
    # An installed app has its bytecode compiled (pip does it); a shell with PYTHONDONTWRITEBYTECODE would
    # compile every module again at each start (about 0.5 s): the first of the runs writes the .pyc files.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return dict(env, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
                QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"), XDG_CONFIG_HOME=str(home),
                MESHDESIGNER_RECOVERY_DIR=str(home / "recovery"), MESHDESIGNER_EXIT_WHEN_SHOWN="1")


def _cold_start(env) -> float:
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "meshdesigner"], env=env, capture_output=True, text=True,
                          timeout=120)
    found = re.search(r"^shown ([0-9.]+)$", done.stdout, re.MULTILINE)
    if done.returncode != 0 or not found:
        raise RuntimeError(f"the app did not show its window: exit {done.returncode}, {done.stderr[-500:]}")
    return float(found.group(1)) - start


def _import_times(env) -> dict[str, float]:
    """Cumulative import time (s) of each heavy package when the main window's module is imported."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", "import meshdesigner.gui.main_window"],
                          env=env, capture_output=True, text=True, timeout=120)
    out = {}
    for line in done.stderr.splitlines():
        parts = [p.strip() for p in line.removeprefix("import time:").split("|")]
        if len(parts) == 3 and parts[2] in HEAVY and parts[1].isdigit():
            out[parts[2]] = int(parts[1]) / 1e6
    return out


def run(ctx) -> dict:
    env = _environment(ctx)
    seconds = min(_cold_start(env) for _ in range(3))
    for package, imported in _import_times(env).items():
        ctx.info(f"gui.import_seconds.{package}", imported, "s")
    return {"gui.cold_start_to_window_seconds": ctx.metric(seconds, "s", ctx.budget(1.0, 1.0))}
