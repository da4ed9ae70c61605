"""``meshdesigner [FILE] [--screenshot OUT.png] [--theme light|dark|system]``: the desktop app."""

from __future__ import annotations

import argparse
import os
import sys


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="meshdesigner", description="The MeshDesigner desktop app.")
    parser.add_argument("file", nargs="?", metavar="FILE",
                        help="a .mesh.yaml design, or Istio manifests (a file or folder) to import")
    parser.add_argument("--screenshot", metavar="OUT.png", help="render the main window to a PNG and exit")
    parser.add_argument("--theme", choices=("system", "light", "dark"), help="colour theme (default: system)")
    parser.add_argument("--size", default="1600x1000", metavar="WxH", type=window_size,
                        help="window size for --screenshot, e.g. 1600x1000")
    parser.add_argument("--select", metavar="NAME", help="select the node with this name (with --screenshot; a large design focuses on it)")
    return parser


def window_size(text: str) -> tuple[int, int]:
    """``WxH`` -> (width, height); anything else is a usage error (argparse exits with status 2)."""
    width, sep, height = text.lower().partition("x")
    if not (sep and width.isdigit() and height.isdigit() and 200 <= int(width) <= 10000
            and 200 <= int(height) <= 10000):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT in pixels (200-10000), e.g. 1600x1000, "
                                         f"not {text!r}")
    return int(width), int(height)


NO_DISPLAY = ("meshdesigner: the desktop app needs a display (none found: DISPLAY and WAYLAND_DISPLAY are "
              "unset or unreachable); to get a picture without one run `meshdesigner FILE --screenshot out.png`, "
              "and see `meshdesigner --help` for the headless commands")


def missing_display(environ=os.environ) -> bool:
    """True when Qt would find no display to open a window on (Linux/BSD: no X11 or Wayland server).

    Qt aborts the process (exit 134, blaming an xcb library) in that case; we say so in one line first.
    An explicit ``QT_QPA_PLATFORM`` (offscreen, vnc, eglfs...) is the user's choice and is respected.
    """
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")) or environ.get("QT_QPA_PLATFORM"):
        return False
    if environ.get("WAYLAND_DISPLAY"):
        return False
    display = environ.get("DISPLAY", "")
    if not display:
        return True
    if display.startswith(":"):  # a local X server listens on its socket; a remote one (host:N) is not checked
        number = display[1:].split(".")[0]
        return number.isdigit() and not os.path.exists(f"/tmp/.X11-unix/X{number}")
    return False


def application():
    """The QApplication (created once), with names for QSettings."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        # The GUI thread gives the interpreter lock back at every call into Qt and must win it back after
        # each: while a worker computes (a check, an opening) it waited up to the default 5 ms switch
        # interval every time. Half a millisecond keeps the window's own work (painting, a sliced canvas
        # build) close to its speed without a worker (building the bench canvas beside a busy thread:
        # ~2 s -> ~1.3 s); the workers lose a little throughput.
        sys.setswitchinterval(0.0005)
    app.setOrganizationName("MeshDesigner")
    app.setApplicationName("MeshDesigner")
    app.setApplicationDisplayName("MeshDesigner")
    app.setDesktopFileName("meshdesigner")
    return app


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    elif missing_display():
        print(NO_DISPLAY, file=sys.stderr)
        return 2
    app = application()
    from . import settings
    from .main_window import MainWindow
    from .style import app_icon, apply_theme

    theme = args.theme or settings.theme()
    apply_theme(app, theme)
    app.setWindowIcon(app_icon())
    window = MainWindow(theme)
    if args.file:
        if not os.path.exists(args.file):
            print(f"meshdesigner: error: {args.file}: no such file or folder", file=sys.stderr)
            return 2
        if args.screenshot:
            from . import dialogs

            dialogs.error = lambda _p, title, message: print(f"meshdesigner: {title}: {message}",
                                                               file=sys.stderr)
            if not window.open_path(args.file):
                return 2
        else:  # the window shows at once; the design is read on a worker and drawn in slices
            window.show_start_page()
            window.open_in_background(args.file)
    elif args.screenshot or not window.offer_recovery():
        window.show_start_page()  # no file: the start page (a screenshot too; it never offers recovery)
    if args.screenshot:
        return screenshot(window, args)
    window.show()
    if os.environ.get("MESHDESIGNER_EXIT_WHEN_SHOWN"):
        exit_when_painted(window)
    return app.exec()


def exit_when_painted(window) -> None:
    """For the cold-start benchmark (``MESHDESIGNER_EXIT_WHEN_SHOWN=1``): when the window is first painted,
    print ``shown <time.monotonic()>`` (a clock shared by every process) and quit."""
    import time

    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication

    class FirstPaint(QObject):
        seen = False

        def eventFilter(self, _obj, event) -> bool:  # noqa: N802 - Qt's name
            if event.type() == QEvent.Type.Paint and not self.seen:
                self.seen = True
                print(f"shown {time.monotonic():.6f}", flush=True)
                QTimer.singleShot(0, QApplication.quit)
            return False

    window.first_paint = FirstPaint(window)
    window.installEventFilter(window.first_paint)


def screenshot(window, args) -> int:
    from PySide6.QtWidgets import QApplication

    window.resize(*args.size)
    window.show()
    for _ in range(3):
        QApplication.processEvents()
    window.settle_docks()  # the starting dock sizes again, now for this window size
    QApplication.processEvents()
    window.view.fit_all()
    if args.select:
        match = [n.id for n in window.document.project if n.name == args.select]
        if match and window.scene.navigator.enabled:
            window.view.focus_node(match[0])  # a large design: focus on its neighbourhood
        elif match:
            window.scene.select_only(match[:1])
    window.diagnostics.recheck()
    window.outline.rebuild()  # normally filled a moment after opening
    for _ in range(3):
        QApplication.processEvents()
    window.view.fit_all()  # again: the panels have settled, the canvas has its final size
    QApplication.processEvents()
    pixmap = window.grab()
    if not pixmap.save(args.screenshot):
        print(f"meshdesigner: error: cannot write {args.screenshot}", file=sys.stderr)
        return 2
    print(f"wrote {args.screenshot} ({pixmap.width()}x{pixmap.height()})")
    window.document.undo_stack.setClean()
    window.close()
    return 0
