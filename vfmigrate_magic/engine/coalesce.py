"""Writing what a run reports in batches: items gathered in memory and handed over together,
at the latest a fixed delay after the first of them.

``up`` of many small migrations reports each one (a line in the event log, a line on the
terminal). Formatting and writing that line between two of SQLite's commits cost as much as
the rest of a migration's bookkeeping; gathered and written together, a few times a second,
it costs next to nothing, and a reader still sees each line within the delay.
"""

from __future__ import annotations

import _thread  # threading would add a millisecond to the start of `vfmigrate up`
from collections.abc import Callable

DELAY = 0.1  # seconds an item may wait


class Coalescer:
    """Gathers items and calls ``write(items)`` with them: from a timer thread ``delay``
    seconds after the first of a batch, or at once on ``flush()``/``close()``.

    ``write`` runs under a lock, never twice at the same time, and always with the items in
    the order they were added. Call ``flush()`` before writing anything else that must come
    after them, and ``close()`` when done (later items are dropped). An exception raised by
    ``write`` in the timer thread (a closed pipe, say) is raised again by the next ``add``,
    ``flush`` or ``close``, in the caller's thread.
    """

    def __init__(self, write: Callable[[list], None], delay: float = DELAY) -> None:
        self._write = write
        self._delay = delay
        self._items: list = []
        self._lock = _thread.allocate_lock()
        # The timer of the batch waiting: a held lock that its thread waits on for ``delay``
        # seconds; releasing it cancels the timer.
        self._timer: _thread.LockType | None = None
        self._closed = False
        self._error: BaseException | None = None

    def add(self, item: object) -> None:
        if self._error is not None:
            self._raise_error()
        with self._lock:
            if self._closed:
                return
            self._items.append(item)
            if self._timer is None:
                timer = self._timer = _thread.allocate_lock()
                timer.acquire()
                _thread.start_new_thread(self._wait, (timer,))

    def flush(self) -> None:
        self._raise_error()
        with self._lock:
            self._cancel_timer()
            self._write_all()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            with self._lock:
                self._closed = True

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.release()  # wakes the waiting thread, which then does nothing
            self._timer = None

    def _wait(self, timer: _thread.LockType) -> None:
        """The timer thread: flush after ``delay`` seconds unless cancelled first."""
        if timer.acquire(timeout=self._delay):
            return  # cancelled: a flush came first
        with self._lock:
            if self._timer is not timer:
                return  # cancelled while this thread was waking up
            self._timer = None
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
