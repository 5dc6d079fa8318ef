"""The engine calls behind both front ends of the notebook layer, the magics and the panel:
settings, the planned count for a progress bar, and ``up``/``down`` with interrupts
explained. Nothing here prints or displays.
"""

from __future__ import annotations

from ..engine import commands, config
from ..engine.config import Settings, Target
from ..engine.errors import MigrationError, MigrationInterrupted, MigrationStopped
from ..engine.results import RunReport, StatusReport
from ..engine.sqlite import DEFAULT_BUSY_TIMEOUT
from .progress import RunProgress


class RunInterrupted(MigrationError):
    """A run was interrupted (kernel stop, Ctrl-C, a Stop button): what was rolled back and
    where the database stands, in one line. ``stopped``: by a Stop (not an interrupt)."""

    def __init__(self, message: str, *, stopped: bool = False) -> None:
        super().__init__(message)
        self.stopped = stopped


def resolve(*, database=None, migrations=None, db=None, busy_timeout=None, backup=None, tx=None,
            need_database: bool = True, state_dir=None) -> Settings:
    """``config.resolve`` with empty strings taken as "not given" (as ``%config`` may leave them)."""
    def given(value):
        return None if value == "" else value
    return config.resolve(database=given(database), migrations=given(migrations), db=given(db),
                          busy_timeout=busy_timeout, backup=backup, tx=tx, need_database=need_database,
                          state_dir=given(state_dir))


def planned(target: Target, direction: str, *, to: int | None = None, steps: int | None = None,
            all: bool = False, busy_timeout: float = DEFAULT_BUSY_TIMEOUT, report: StatusReport | None = None) -> int:
    """How many migrations an ``up``/``down`` would run, for sizing a progress bar (the run
    itself checks everything again). Read-only; ``report``: the status already read (else it is)."""
    if report is None:
        report = commands.status(target, busy_timeout=busy_timeout)
    if direction == "up":
        return sum(1 for e in report.pending if to is None or e.version <= to)
    applied = report.applied
    if steps is not None:
        return min(steps, len(applied))
    if to is not None:
        return sum(1 for e in applied if e.version > to)
    return len(applied) if all else min(1, len(applied))


def up(target: Target, settings: Settings, *, to: int | None = None, dry_run: bool = False,
       progress: RunProgress | None = None) -> RunReport:
    """``commands.up`` with the progress hooks; raises RunInterrupted after a stop."""
    hooks = progress.hooks() if progress is not None else {}
    with _interrupts(target, progress, settings.busy_timeout):
        return commands.up(target, to=to, dry_run=dry_run, busy_timeout=settings.busy_timeout, tx=settings.tx, **hooks)


def down(target: Target, settings: Settings, *, steps: int | None = None, to: int | None = None,
         all: bool = False, dry_run: bool = False, progress: RunProgress | None = None) -> RunReport:
    """``commands.down`` (backing up first as the settings say); raises RunInterrupted."""
    hooks = progress.hooks() if progress is not None else {}
    with _interrupts(target, progress, settings.busy_timeout):
        return commands.down(target, steps=steps, to=to, all=all, dry_run=dry_run, backup=settings.backup,
                             backup_keep=settings.backup_keep,
                             busy_timeout=settings.busy_timeout, tx=settings.tx, **hooks)


class _interrupts:
    """Turn an interrupted statement, or a KeyboardInterrupt between statements, into one
    line saying what was rolled back and where the database stands."""

    def __init__(self, target: Target, progress: RunProgress | None, busy_timeout: float) -> None:
        self.target, self.progress, self.busy_timeout = target, progress, busy_timeout

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None:
            return False
        verb = "stopped" if isinstance(exc, MigrationStopped) else "interrupted"
        if isinstance(exc, MigrationInterrupted):
            where = (f"rolled back {exc.file} at statement {exc.statement} (line {exc.line})" if exc.statement
                     else f"{exc.file} was not run ({exc.reason})")
            earlier = f"; earlier migrations in this run stay: {', '.join(map(str, exc.applied))}" if exc.applied else ""
        elif isinstance(exc, KeyboardInterrupt):
            running = self.progress.running if self.progress is not None else None
            where = f"rolled back {running}" if running else "rolled back the running migration"
            earlier = ""
        else:
            return False
        raise RunInterrupted(f"{verb}: {where}{earlier}; {self._now()}", stopped=verb == "stopped") from exc

    def _now(self) -> str:
        try:
            version = commands.status(self.target, busy_timeout=self.busy_timeout).current_version
        except (MigrationError, OSError):
            return "run status to see where the database stands"
        return f"{self.target.label} is at version {version}"
