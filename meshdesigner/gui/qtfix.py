"""A guard against a reference-count bug of PySide6 6.12 on CPython 3.11.

Many QPainter/QPainterPath methods (``drawRect``, ``drawRoundedRect``, ``addRoundedRect``,
``drawLines``, ...) release one reference to ``None`` per call without taking one. After some
tens of thousands of calls -- a few seconds of painting a large design -- CPython frees ``None``
and aborts ("none_dealloc: deallocating None"). CPython 3.12 made these singletons immortal; here
we do the same by hand, giving them a reference count no program can exhaust. Extra references to
a singleton are harmless (it is never freed anyway).
"""

from __future__ import annotations

import ctypes
import sys

_HEADROOM = 1 << 48


def immortalize_singletons() -> None:
    """Make ``None``, ``True``, ``False``, ``Ellipsis`` and ``NotImplemented`` effectively immortal."""
    if sys.version_info >= (3, 12) or getattr(sys, "_meshdesigner_singletons_guarded", False):
        return
    for obj in (None, True, False, Ellipsis, NotImplemented):
        ctypes.c_ssize_t.from_address(id(obj)).value += _HEADROOM
    sys._meshdesigner_singletons_guarded = True  # type: ignore[attr-defined]


def clear_clipboard_at_exit() -> None:
    """Empty the clipboard before the interpreter shuts down.

    A QMimeData handed to the clipboard from Python is freed twice at exit (by Qt and by Python's
    final collection) and the process ends with a segmentation fault. The copied data does not
    outlive the app on most desktops anyway.
    """
    if getattr(sys, "_meshdesigner_clipboard_guarded", False):
        return
    import atexit

    def clear() -> None:
        from PySide6.QtGui import QGuiApplication

        if QGuiApplication.instance() is not None:
            QGuiApplication.clipboard().clear()

    atexit.register(clear)
    sys._meshdesigner_clipboard_guarded = True  # type: ignore[attr-defined]
