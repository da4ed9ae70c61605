"""The ``meshdesigner`` command: the desktop app, and every producing action headless for CI.

Exit codes: 0 success, 1 the input has errors (diagnostics at or above the threshold),
2 bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import atexit
import difflib
import gc
import importlib
import os
import sys
import threading
from collections.abc import Sequence

from .. import __version__
from ..io.errors import InputError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE = 0, 1, 2

# Subcommand name -> module under meshdesigner.cli with ``add_parser(subparsers)`` and ``run(args)``.
# Modules are imported only when present, so each feature owns its own file.
SUBCOMMANDS = ("import", "export", "validate", "simulate", "test", "run-gateway", "cert", "flow")
# Commands that read a design, work on it and end: nearly everything they build (modules, the design, its
# findings) lives until the process exits. The cyclic garbage collector's passes over those objects are
# wasted work (up to a third of `validate`), and so is freeing them one by one at exit (~0.2 s on the
# 2,000-resource mesh): run as the program, these commands run with the collector paused and end the
# process as soon as their output is out (issue 16).
ONE_SHOT = frozenset({"validate", "export", "import"})


class UsageError(Exception):
    """Bad command-line usage; printed and exit code 2."""


def _module_name(command: str) -> str:
    return "meshdesigner.cli." + command.replace("-", "_") + "_cmd"


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand, or only of ``command``: a command imports only its own module (and
    what that needs), so ``meshdesigner validate`` does not pay for loading the Envoy exporter."""
    parser = argparse.ArgumentParser(
        prog="meshdesigner",
        description="Design the edge of an Istio service mesh. With no command (or a FILE) it opens the "
                    "desktop app; the commands below do the same work headless, for CI.")
    parser.add_argument("--version", action="version", version=f"meshdesigner {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS if command is None else (command,):
        try:
            module = importlib.import_module(_module_name(name))
        except ModuleNotFoundError as exc:
            if exc.name != _module_name(name):
                raise
            continue
        module.add_parser(sub)
    return parser


def _gui_main(argv: list[str]) -> int:
    try:
        from ..gui.app import main as gui_main
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("meshdesigner.gui"):
            print("meshdesigner: the desktop app is not built yet; use the commands "
                  "(meshdesigner --help).", file=sys.stderr)
            return EXIT_USAGE
        raise
    return gui_main(argv)


def unknown_command(word: str) -> str | None:
    """The error for a first word that is neither a command nor a file to open (``meshdesigner valdate``),
    or None. Without it a typo would start the desktop app on a file that does not exist."""
    if word.startswith("-") or os.path.exists(word) or word in SUBCOMMANDS:
        return None
    if os.sep in word or "." in word:  # looks like a path: the app reports the missing file itself
        return None
    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return (f"meshdesigner: error: unknown command '{word}'{hint}; commands: {', '.join(SUBCOMMANDS)}; "
            f"or give a FILE to open in the app")


def main(argv: Sequence[str] | None = None) -> int:
    """The program (``argv`` None: ``sys.argv``), or a command run in this process (tests: ``argv`` given,
    which never pauses the collector or ends the process)."""
    argv_given = argv is not None
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--version"]:  # what argparse's version action prints, without importing every command
        print(f"meshdesigner {__version__}")
        return EXIT_OK
    if argv and (problem := unknown_command(argv[0])):
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    if not argv or (argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help", "--version")):
        return _gui_main(argv)
    one_shot = not argv_given and argv[0] in ONE_SHOT
    if one_shot:
        gc.disable()  # from the imports on
    parser = build_parser(argv[0] if argv[0] in SUBCOMMANDS else None)
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    code = _run(args)
    if one_shot:
        _exit_now(code)  # returns only when the process cannot end early (another thread, output not flushed)
    return code


def _run(args) -> int:
    try:
        return int(args.run(args) or 0)
    except InputError as exc:
        print(f"meshdesigner: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"meshdesigner {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`... | head`): nothing more to say
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:  # a file or folder the user named cannot be read or written
        print(f"meshdesigner {args.command}: error: {describe_os_error(exc)}", file=sys.stderr)
        return EXIT_USAGE


def _exit_now(code: int) -> None:
    """End the process as Python's own exit would, minus freeing every object one by one: the exit
    handlers run and the output is flushed first. Returns (and lets Python exit normally) when another
    thread is still running or the output cannot be flushed."""
    if threading.active_count() > 1 or not _flushed():
        return  # Python's exit waits for the thread, or reports the output it cannot write, as always
    atexit._run_exitfuncs()
    if _flushed():
        os._exit(code)


def _flushed() -> bool:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):  # a closed pipe or file
        return False
    return True


def describe_os_error(exc: OSError) -> str:
    """``PATH: reason`` for an OSError (the path the user gave, and the system's reason)."""
    reason = exc.strerror or str(exc)
    if exc.filename is None:
        return reason
    where = str(exc.filename) + (f" -> {exc.filename2}" if exc.filename2 else "")
    return f"{where}: {reason}"
