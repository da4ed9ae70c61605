"""The collector stays paused until the last of several threads' pauses ends."""

from __future__ import annotations

import gc
import threading

from meshdesigner.io.gcpause import gc_paused


def test_a_short_pause_ending_does_not_switch_the_collector_on_inside_another_threads_long_pause():
    assert gc.isenabled()
    started, finish, done = threading.Event(), threading.Event(), threading.Event()

    def long_pause() -> None:  # a worker reading or checking a large design
        with gc_paused():
            started.set()
            finish.wait(10)
        done.set()

    worker = threading.Thread(target=long_pause)
    try:
        with gc_paused():  # the GUI thread's slice of work, during which the worker's pause begins
            worker.start()
            assert started.wait(10)
        assert not gc.isenabled(), "still inside the worker's pause"
        with gc_paused():  # a later slice
            pass
        assert not gc.isenabled()
    finally:
        finish.set()
        worker.join(10)
    assert done.is_set() and gc.isenabled()


def test_a_collector_switched_off_before_stays_off():
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
