"""engine.coalesce: items reported in batches, each within the delay."""

from __future__ import annotations

import threading
import time

import pytest

from vfmigrate_magic.engine.coalesce import Coalescer


def test_items_added_together_are_written_together_in_order():
    batches = []
    c = Coalescer(batches.append, delay=10)
    for n in range(5):
        c.add(n)
    assert batches == []  # waiting for the timer
    c.flush()
    assert batches == [[0, 1, 2, 3, 4]]
    c.flush()
    assert batches == [[0, 1, 2, 3, 4]]  # nothing twice
    c.close()


def test_a_timer_writes_what_waits_within_the_delay_from_another_thread():
    written = threading.Event()
    threads = []

    def write(items):
        threads.append((items, threading.current_thread() is not threading.main_thread()))
        written.set()

    c = Coalescer(write, delay=0.05)
    started = time.monotonic()
    c.add("a")
    assert written.wait(5)
    assert threads == [(["a"], True)] and time.monotonic() - started < 2
    c.close()


def test_close_writes_the_rest_and_later_items_are_dropped():
    batches = []
    c = Coalescer(batches.append, delay=10)
    c.add(1)
    c.close()
    c.add(2)
    c.flush()
    assert batches == [[1]]


def test_an_error_in_the_timer_thread_is_raised_in_the_callers_thread():
    def write(items):
        raise BrokenPipeError

    c = Coalescer(write, delay=0.01)
    c.add(1)
    deadline = time.monotonic() + 5
    while c._error is None and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(BrokenPipeError):
        c.add(2)
    c.close()  # raised once, not again
