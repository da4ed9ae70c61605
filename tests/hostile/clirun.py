"""Run the ``meshdesigner`` command in-process and tell how it ended (exit code, stdout, stderr, traceback)."""

from __future__ import annotations

import contextlib
import io
import traceback
from dataclasses import dataclass

from meshdesigner.cli import main


@dataclass
class Outcome:
    code: int | None
    out: str
    err: str
    crash: str | None  # the traceback of an exception main() let through


def run_cli(*args: str) -> Outcome:
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(list(args))
    except SystemExit as exc:  # argparse's usage errors
        return Outcome(exc.code if isinstance(exc.code, int) else 2, out.getvalue(), err.getvalue(), None)
    except BaseException:  # noqa: BLE001 - a crash is what the tests look for
        return Outcome(None, out.getvalue(), err.getvalue(), traceback.format_exc())
    return Outcome(code, out.getvalue(), err.getvalue(), None)
