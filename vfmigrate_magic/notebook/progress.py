"""Following an ``up`` or ``down`` while it runs: a bar of migrations done and a line naming
the running migration with its elapsed time.

:class:`RunProgress` supplies the engine's hooks (``on_start``, ``on_result`` and SQLite's
progress handler). The progress handler is also what makes a long statement stoppable: a
kernel interrupt, or :meth:`RunProgress.cancel` from a Stop button, aborts the statement and
the engine rolls that migration back.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from ..engine.files import Migration
from ..engine.results import MigrationResult

# SQLite virtual-machine steps between calls of the progress handler: often enough to stop
# a long statement within milliseconds, rarely enough to cost well under 1 %.
PROGRESS_EVERY = 10_000


class RunProgress:
    """Hooks for one run. ``bar`` (an ``IntProgress``) and ``label`` (a ``Label``) are updated
    when given; ``echo`` is called with each finished migration's line (e.g. ``print``)."""

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
        self.cancelled = False
        self.interrupted = False
        self._started = self._shown = clock()
        if bar is not None:
            bar.min, bar.max, bar.value, bar.bar_style = 0, max(total, 1), 0, ""

    @classmethod
    def widgets(cls, total: int, **kwargs) -> tuple[RunProgress, object]:
        """A RunProgress with a fresh bar and label, and the box holding them (to display)."""
        import ipywidgets as w

        bar = w.IntProgress(min=0, max=max(total, 1), value=0, description="migrations")
        label = w.Label(value=f"0 of {total}")
        return cls(total, bar=bar, label=label, **kwargs), w.HBox([bar, label])

    def hooks(self) -> dict:
        """Keyword arguments for ``commands.up``/``commands.down``."""
        return {"on_start": self.on_start, "on_result": self.on_result,
                "progress_handler": self.handler, "progress_every": PROGRESS_EVERY}

    def on_start(self, migration: Migration, direction: str) -> None:
        self.running = migration.label
        self._started = self._shown = self.clock()
        self._say(f"{'up' if direction == 'up' else 'down'} {migration.label} ({self.done + 1} of {self.total})")

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
            if self.cancelled:
                return 1
            now = self.clock()
            if self.label is not None and self.running and now - self._shown >= self.every:
                self._shown = now
                self.label.value = f"{self.running}: running for {now - self._started:.1f} s"
            return 0
        except KeyboardInterrupt:  # the kernel's stop button, arriving inside SQLite
            self.interrupted = True
            return 1

    def cancel(self) -> None:
        """Ask the run to stop: the running statement is aborted and its migration rolled back."""
        self.cancelled = True

    def finish(self, ok: bool, text: str = "") -> None:
        """Colour the bar (green, or red after an error) and leave a last line."""
        if self.bar is not None:
            if ok:
                self.bar.value = self.bar.max
            self.bar.bar_style = "success" if ok else "danger"
        self._say(text or f"{self.done} of {self.total} done")

    def _say(self, text: str) -> None:
        if self.label is not None:
            self.label.value = text
