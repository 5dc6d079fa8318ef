"""Writing what a run reports in batches: items gathered in memory and handed over together,
within a short delay while items keep coming, and within a second when they stop coming.

``up`` of many small migrations reports each one (a line in the event log, a line on the
terminal). Formatting and writing that line between two of SQLite's commits cost as much as
the rest of a migration's bookkeeping; gathered and written together, a few times a second,
it costs next to nothing, and a reader still sees each line within the delay (within about
a second while a long migration runs).
"""

from __future__ import annotations

import _thread  # threading would add a millisecond to the start of `vfmigrate up`
import time
from collections.abc import Callable

DELAY = 0.1  # seconds an item may wait while items keep coming
PATIENCE = 1.0  # seconds an item may wait when none follow (a long migration is running)


class Coalescer:
    """Gathers items and calls ``write(items)`` with them: from ``add`` once the first of the
    batch has waited ``delay`` seconds, from a watcher thread within ``patience`` seconds when
    nothing is added after it (the next migration takes long), or at once on
    ``flush()``/``close()``.

    One watcher thread serves the whole run and wakes once every ``patience`` seconds. A
    thread started for every batch and woken after ``delay`` (ten a second) made ``up`` of 500
    small migrations on disk about 20 ms (3 %) slower on a 2-CPU VM (median of 60 paired
    runs). Why is not pinned down: each start and wake-up hands the GIL between threads.

    ``write`` runs under a lock, never twice at the same time, and always with the items in
    the order they were added. Call ``flush()`` before writing anything else that must come
    after them, and ``close()`` when done (later items are dropped). An exception raised by
    ``write`` in the watcher thread (a closed pipe, say) is raised again by the next ``add``,
    ``flush`` or ``close``, in the caller's thread.
    """

    def __init__(self, write: Callable[[list], None], delay: float = DELAY, patience: float = PATIENCE) -> None:
        self._write = write
        self._delay = delay
        self._patience = max(patience, delay)
        self._items: list = []
        self._since = 0.0  # when the first item of the waiting batch was added (time.monotonic)
        self._lock = _thread.allocate_lock()
        # Held while the watcher runs; ``close()`` releases it, which ends the watcher.
        self._stop: _thread.LockType | None = None
        self._closed = False
        self._error: BaseException | None = None

    def add(self, item: object) -> None:
        if self._error is not None:
            self._raise_error()
        with self._lock:
            if self._closed:
                return
            now = time.monotonic()
            if not self._items:
                self._since = now
            self._items.append(item)
            if now - self._since >= self._delay:
                self._write_all()
            elif self._stop is None:
                stop = self._stop = _thread.allocate_lock()
                stop.acquire()
                _thread.start_new_thread(self._watch, (stop,))

    def flush(self) -> None:
        self._raise_error()
        with self._lock:
            self._write_all()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            with self._lock:
                self._closed = True
                if self._stop is not None:
                    self._stop.release()  # wakes the watcher, which ends
                    self._stop = None

    def _watch(self, stop: _thread.LockType) -> None:
        """The watcher thread: every ``patience`` seconds until closed, writes a batch that
        has waited ``delay`` or more (``add`` would have written it: none came since)."""
        while not stop.acquire(timeout=self._patience):
            with self._lock:
                if self._closed:
                    return
                if self._items and time.monotonic() - self._since >= self._delay:
                    try:
                        self._write_all()
                    except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                        self._error = exc

    def _write_all(self) -> None:
        """Hand every waiting item to ``write`` (the lock held)."""
        items, self._items = self._items, []
        if items:
            self._write(items)

    def _raise_error(self) -> None:
        error, self._error = self._error, None
        if error is not None:
            raise error
