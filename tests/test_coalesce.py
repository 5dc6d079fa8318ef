"""engine.coalesce: items reported in batches, each within the delay."""

from __future__ import annotations

import _thread
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


def test_the_watcher_writes_what_waits_when_nothing_follows_from_another_thread():
    written = threading.Event()
    threads = []

    def write(items):
        threads.append((items, threading.current_thread() is not threading.main_thread()))
        written.set()

    c = Coalescer(write, delay=0.05, patience=0.05)
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

    c = Coalescer(write, delay=0.01, patience=0.01)
    c.add(1)
    deadline = time.monotonic() + 5
    while c._error is None and time.monotonic() < deadline:
        time.sleep(0.01)
    with pytest.raises(BrokenPipeError):
        c.add(2)
    c.close()  # raised once, not again


def test_while_items_keep_coming_add_writes_them_once_the_first_has_waited_the_delay():
    batches = []
    c = Coalescer(batches.append, delay=0.05, patience=60)
    c.add(1)
    c.add(2)
    assert batches == []
    time.sleep(0.06)
    c.add(3)  # the batch waited long enough: written here, in this thread
    assert batches == [[1, 2, 3]]
    c.add(4)
    c.close()
    assert batches == [[1, 2, 3], [4]]


def test_one_watcher_thread_serves_every_batch_and_ends_at_close(monkeypatch):
    started, ended = [], threading.Event()
    real = _thread.start_new_thread

    def start(function, args):
        def run(*a):
            try:
                function(*a)
            finally:
                ended.set()

        started.append(function)
        return real(run, args)

    monkeypatch.setattr(_thread, "start_new_thread", start)
    batches = []
    c = Coalescer(batches.append, delay=0.005, patience=60)
    for n in range(20):
        c.add(n)
        time.sleep(0.006)
    assert len(batches) >= 2 and [x for b in batches for x in b] == list(range(20))
    assert len(started) == 1  # not a thread per batch
    assert not ended.is_set()
    c.close()
    assert ended.wait(5)  # close() ends it, long before its 60 s wait is up
