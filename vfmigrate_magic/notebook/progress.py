"""Following an ``up`` or ``down`` while it runs: a bar of migrations done and a line naming
the running migration, its statement and elapsed time, or the wait for the write lock.

:class:`RunProgress` supplies the engine's hooks (``on_start``, ``on_statement``, ``on_wait``,
``on_result``, SQLite's progress handler and the ``stop`` event). The progress handler is also
what makes a long statement stoppable by a kernel interrupt; :meth:`RunProgress.cancel` (a
Stop button) sets ``stop``: the engine cuts the statement or the lock wait short, rolls that
migration back and logs it as ``stopped``.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable

from ..engine.files import Migration
from ..engine.results import MigrationResult
from ..engine.statements import Statement

# SQLite virtual-machine steps between calls of the progress handler: often enough to stop
# a long statement within milliseconds, rarely enough to cost well under 1 %.
PROGRESS_EVERY = 10_000
# How a run ended, as the colour of its bar.
BAR_STYLES = {"done": "success", "dry run": "info", "stopped": "warning", "failed": "danger"}


class RunProgress:
    """Hooks for one run. ``bar`` (an ``IntProgress``) and ``label`` (an ``HTML`` widget, given
    plain text) are updated when given; ``echo`` is called with each finished migration's line (e.g. ``print``)."""

    def __init__(self, total: int = 0, *, bar=None, label=None, echo: Callable[[str], None] | None = None,
                 clock: Callable[[], float] = time.monotonic, every: float = 0.25) -> None:
        self.total = total
        self.bar = bar
        self.label = label
        self.echo = echo
        self.clock = clock
        self.every = every
        self.done = 0
        self.running: str | None = None  # label of the migration being run
        self.statement = ""  # "statement 2 of 6" while one runs
        self.waiting: float | None = None  # seconds waited for the write lock, while waiting
        self.stop = threading.Event()
        self._started = self._shown = clock()
        if bar is not None:
            bar.min, bar.max, bar.value, bar.bar_style = 0, max(total, 1), 0, ""

    @classmethod
    def widgets(cls, total: int, **kwargs) -> tuple[RunProgress, object]:
        """A RunProgress with a fresh bar and label, and the box holding them (to display)."""
        import ipywidgets as w

        bar = w.IntProgress(min=0, max=max(total, 1), value=0, description="migrations")
        label = w.HTML(value=f"0 of {total}")
        return cls(total, bar=bar, label=label, **kwargs), w.HBox([bar, label])

    def hooks(self) -> dict:
        """Keyword arguments for ``commands.up``/``commands.down``."""
        return {"on_start": self.on_start, "on_result": self.on_result, "on_statement": self.on_statement,
                "on_wait": self.on_wait, "stop": self.stop,
                "progress_handler": self.handler, "progress_every": PROGRESS_EVERY}

    def on_start(self, migration: Migration, direction: str) -> None:
        self.running = migration.label
        self.statement, self.waiting = "", None
        self._started = self._shown = self.clock()
        self._say(f"{'up' if direction == 'up' else 'down'} {migration.label} ({self.done + 1} of {self.total})")

    def on_statement(self, migration: Migration, stmt: Statement, direction: str) -> None:
        self.statement = f"statement {stmt.index} of {len(migration.statements(direction))}"
        self.waiting = None
        self._show_running(self.clock(), force=stmt.index == 1)

    def on_wait(self, waited: float) -> None:
        """The engine is waiting for another writer to release the database."""
        self.waiting = waited
        self._show_running(self.clock(), force=True)

    def describe(self, now: float | None = None) -> str:
        """What is happening now, in one line (the label's text while a migration runs)."""
        if self.running is None:
            return ""
        if self.waiting is not None:
            return f"{self.running}: waiting for the write lock ({self.waiting:.1f} s): another writer holds it"
        step = f"{self.statement}, " if self.statement else ""
        elapsed = self.elapsed if now is None else now - self._started
        return f"{self.running}: {step}running for {elapsed:.1f} s"

    def on_result(self, result: MigrationResult) -> None:
        self.done += 1
        self.running = None
        if self.bar is not None:
            self.bar.value = min(self.done, self.bar.max)
        self._say(str(result))
        if self.echo is not None:
            self.echo(str(result))

    @property
    def elapsed(self) -> float:
        """Seconds since the running (or last) migration started."""
        return self.clock() - self._started

    def handler(self) -> int:
        """SQLite's progress handler: a true return aborts the running statement."""
        try:
            self._show_running(self.clock())
            return 0
        except KeyboardInterrupt:  # the kernel's stop button, arriving inside SQLite
            return 1

    def _show_running(self, now: float, *, force: bool = False) -> None:
        if self.label is not None and self.running and (force or now - self._shown >= self.every):
            self._shown = now
            self._say(self.describe(now))

    def cancel(self) -> None:
        """Ask the run to stop: the running statement (or the wait for the lock) is cut short
        and its migration rolled back."""
        self.stop.set()

    def finish(self, outcome: str, text: str = "") -> None:
        """Fill the bar in the colour of ``outcome``: "done" green, "dry run" blue (nothing
        changed), "stopped" orange, "failed" red (full, so the colour shows even when nothing
        was done: the line beside it says how far the run got), and leave a last line."""
        self.running = None
        if self.bar is not None:
            self.bar.value = self.bar.max
            self.bar.bar_style = BAR_STYLES[outcome]
        self._say(text or f"{self.done} of {self.total} done")

    def _say(self, text: str) -> None:
        if self.label is not None:
            self.label.value = html.escape(text)
