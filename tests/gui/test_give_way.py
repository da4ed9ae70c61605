"""The checks worker gives way to the window (gui/give_way.py): it waits while the window takes a turn, pauses
every few milliseconds otherwise, and the engine asks it between nodes."""

from __future__ import annotations

import threading
import time

import pytest

from meshdesigner.analysis.engine import Analyzer
from meshdesigner.gui.give_way import LONGEST_WAIT_S, GiveWay

pytestmark = pytest.mark.gui


def test_a_worker_waits_while_the_window_takes_a_turn():
    give_way = GiveWay()
    passed = []

    def worker():
        give_way.between_nodes()
        passed.append(time.perf_counter())

    with give_way.window_turn():
        thread = threading.Thread(target=worker)
        thread.start()
        time.sleep(0.05)
        assert passed == []              # held back while the turn lasts
        turn_ended = time.perf_counter()
    thread.join(1)
    assert passed and passed[0] >= turn_ended


def test_a_turn_never_holds_a_worker_back_for_long():
    give_way = GiveWay()
    done = []
    with give_way.window_turn():   # (a turn that does not end, e.g. a modal dialog)
        thread = threading.Thread(target=lambda: (give_way.between_nodes(), done.append(1)))
        start = time.perf_counter()
        thread.start()
        thread.join(2)
        assert done and time.perf_counter() - start < LONGEST_WAIT_S + 0.5


def test_the_gui_thread_itself_never_waits():
    give_way = GiveWay()
    with give_way.window_turn():
        start = time.perf_counter()
        for _ in range(100):
            give_way.between_nodes()
        assert time.perf_counter() - start < 0.05


def test_the_engine_asks_between_every_node():
    calls = []
    seed = _seed_project()
    Analyzer(seed, between_nodes=lambda: calls.append(1)).refresh()
    assert len(calls) == len(seed.nodes) > 0


def _seed_project():
    import pathlib

    from meshdesigner.io.project_file import load_project

    return load_project(str(pathlib.Path(__file__).resolve().parents[2] / "examples" / "seed.mesh.yaml"))
