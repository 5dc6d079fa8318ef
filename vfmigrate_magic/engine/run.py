"""The run loop shared by ``up`` and ``down``: the constructor both drivers share, the
connection set up for a run (autocommit, foreign keys off), the plan run in order with the
callbacks and the event log. One migration's transaction is :mod:`.step`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import BadMigrationFile, MigrationError, MigrationInterrupted, MigrationStopped, RefusedByState, UsageError
from .files import Migration
from .history import EventLog
from .locations import state_base
from .results import ExecutionMode, HistoryEvent, MigrationResult, RunReport
from .sqlite import (
    Transaction,
    database_path,
    described,
    foreign_key_check,
    foreign_keys_off,
    integrity_check,
    keep_journal,
    now_precise,
    release_journal,
)
from .statements import Statement
from .step import Guard, RunState, Watch, apply_one, execute, track
from .tracker import AppliedMigration, VersionTracker

TYPE_CHECKING = False  # threading is only named in annotations: not imported on every run
if TYPE_CHECKING:
    import threading

TX_MODES = ("file", "all")  # a transaction per migration file, or one for the whole run
ResultCallback = Callable[[MigrationResult], None]
StartCallback = Callable[[Migration, str], None]
# sqlite3 progress handler: called every ``progress_every`` VM steps; a true return aborts.
ProgressHandler = Callable[[], "int | None"]
StatementCallback = Callable[[Migration, Statement, str], None]
WaitCallback = Callable[[float], None]  # seconds waited so far for the write lock


@dataclass(frozen=True, slots=True)
class Hooks:
    """Optional callbacks a front end passes to follow a run."""

    on_start: StartCallback | None = None
    on_result: ResultCallback | None = None
    progress_handler: ProgressHandler | None = None
    progress_every: int = 1000
    watch: Watch | None = None  # told about each statement (a dry run's rows at risk)
    on_statement: StatementCallback | None = None  # before each statement: "statement 2 of 6"
    on_wait: WaitCallback | None = None  # while the write lock is waited for (every WAIT_SLICE s)
    # Set by the caller to stop the run: the running statement or lock wait is cut short, that
    # migration rolled back, MigrationStopped raised and the migration logged as "stopped".
    stop: threading.Event | None = None


class Migrator:
    """What :class:`~.runner.MigrationRunner` and :class:`~.rollback.RollbackManager` share:
    a migrations folder, a mode, the backup settings (``down`` only), the callbacks, and the
    folder for the event log and backups (``state_dir``; default: beside the database)."""

    def __init__(
        self,
        migrations_dir: str | os.PathLike[str],
        mode: ExecutionMode = ExecutionMode.APPLY,
        *,
        backup: bool = True,
        backup_keep: int | None = None,
        on_start: StartCallback | None = None,
        on_result: ResultCallback | None = None,
        progress_handler: ProgressHandler | None = None,
        progress_every: int = 1000,
        watch: Watch | None = None,
        on_statement: StatementCallback | None = None,
        on_wait: WaitCallback | None = None,
        stop: threading.Event | None = None,
        tx: str = "file",
        state_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        if tx not in TX_MODES:
            raise UsageError(f"tx must be one of {', '.join(TX_MODES)}, not {tx!r}")
        self.migrations_dir = Path(migrations_dir)
        self.mode = ExecutionMode(mode)
        self.backup = backup
        self.backup_keep = backup_keep  # down: keep only the newest N backups
        self.tx = tx
        self.state_dir = state_dir  # where the event log and backups are kept (locations.state_base)
        self.hooks = Hooks(on_start, on_result, progress_handler, progress_every, watch, on_statement, on_wait, stop)

    def _run(self, conn: sqlite3.Connection, database: str | None, direction: str,
             plan: Callable[[dict[int, AppliedMigration]], list[Migration]],
             before_run: Callable[[int, Migration], str | None] | None = None) -> RunReport:
        """What ``migrate_up`` and ``rollback`` share: set the connection up, ``plan(tracking rows)``
        (the rows read once for the version before and the plan; a refusal is logged), ``before_run(version, first migration)`` (the backup; returns its path), run
        the plan, and report, with the checks after a run that changed the database."""
        label = database or database_path(conn) or ":memory:"
        logged = None if label == ":memory:" else state_base(label, self.state_dir)
        with engine_connection(conn), EventLog(logged) as log:
            tracker = VersionTracker(conn)
            try:
                rows = tracker.applied()
                before = max(rows, default=0)
                migrations = plan(rows)
                if self.tx == "all" and self.mode is ExecutionMode.APPLY:
                    for m in migrations:
                        if not m.transactional:
                            raise BadMigrationFile(m.filename, "is a no-transaction migration, and --tx all runs the "
                                                   "whole run in one transaction", hint="run it with --tx file; nothing was run")
            except (RefusedByState, BadMigrationFile) as exc:
                log_refusal(log, label, direction, self.mode, exc)
                raise
            applying = self.mode is ExecutionMode.APPLY
            saved = None
            ran = PlanRun([])
            if migrations:
                log.open()  # a run that cannot be recorded does not start
                if applying and before_run is not None:
                    saved = before_run(before, migrations[0])
                ran = run_plan(conn, migrations, direction, self.mode, self.hooks, label, log, tx=self.tx)
            changed = applying and any(not r.skipped for r in ran.results)
            # What the last migration's transaction checked and recorded is what its COMMIT left:
            # a large database's foreign keys are not scanned once more (unless a no-transaction
            # migration ran last, which checked nothing).
            after, violations = before, ()
            if changed and ran.state is not None and ran.state.seen is not None:
                after, violations = max(ran.state.rows, default=0), described(ran.state.violations)
            elif changed:
                after, violations = tracker.current_version(), foreign_key_check(conn)
            elif applying:  # nothing ran here: another runner may have
                after = tracker.current_version()
            return RunReport(
                database=label,
                direction=direction,
                mode=self.mode,
                results=tuple(ran.results),
                version_before=before,
                version_after=after,
                backup_path=saved,
                integrity=integrity_check(conn) if changed and direction == "down" else "ok",
                foreign_key_violations=violations,
                warnings=tuple(f"{m.filename}: {w}" for m in migrations for w in m.warnings),
            )


@contextlib.contextmanager
def engine_connection(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A caller's connection set up for a run, and restored afterwards: autocommit (the
    engine issues BEGIN/COMMIT itself), foreign-key enforcement off, ``legacy_alter_table``."""
    if conn.in_transaction:
        raise UsageError("the connection has an open transaction; commit or roll back before migrating")
    saved = conn.isolation_level
    legacy = conn.execute("PRAGMA legacy_alter_table").fetchone()[0]
    conn.isolation_level = None
    try:
        with foreign_keys_off(conn):
            yield conn
    finally:
        # A generated table rebuild that failed half-way leaves it ON: put back what the caller had.
        conn.execute(f"PRAGMA legacy_alter_table={'ON' if legacy else 'OFF'}")
        conn.isolation_level = saved


def follow_lock_wait(hooks: Hooks, migration: Migration, direction: str, reason: str):
    """The ``waiting`` callback of a Transaction outside the run loop (a Down's backup): a set
    ``stop`` ends the wait for the lock (MigrationStopped, ``reason``), ``on_wait`` hears of it;
    None when the caller follows neither."""
    if hooks.stop is None and hooks.on_wait is None:
        return None

    def waiting(waited: float) -> None:
        if hooks.stop is not None and hooks.stop.is_set():
            raise MigrationStopped(migration.filename, reason=reason, direction=direction)
        if hooks.on_wait is not None:
            hooks.on_wait(waited)
    return waiting


def log_refusal(log: EventLog, label: str, direction: str, mode: ExecutionMode, exc: MigrationError) -> None:
    """Log a run refused before any SQL ran (a changed file, a bad one, out of order, ...)."""
    version = getattr(exc, "version", 0)
    name = getattr(exc, "name", "")
    try:
        log.write(HistoryEvent(now_precise(), label, version, name if isinstance(name, str) else "",
                               direction, mode.value, "refused", 0.0, error=str(exc)))
    except MigrationError:
        pass  # the log cannot be opened: the refusal itself is the news


@dataclass(frozen=True, slots=True)
class PlanRun:
    """What :func:`run_plan` did: each migration's result, and the run's state (tracking rows
    and foreign-key violations) as its last transaction left them (None: a dry run's)."""

    results: list[MigrationResult]
    state: RunState | None = None


def run_plan(conn: sqlite3.Connection, plan: list[Migration], direction: str, mode: ExecutionMode,
             hooks: Hooks, label: str, log: EventLog, *, tx: str = "file") -> PlanRun:
    """Run ``plan`` in order. APPLY: each migration with its tracking row in its own
    transaction (``tx="all"``: the whole plan in one, committed at the end, so a failure
    leaves the database as before the run; each migration is logged and reported once the
    run has committed). DRY_RUN: all of them in one transaction that is rolled back.

    Inside each transaction, before COMMIT, ``foreign_key_check``: a migration that leaves
    rows with a missing parent that were not there before is rolled back. Each migration is
    logged in ``log`` as it ends. Raises MigrationFailed (that migration rolled back; earlier
    ones stay in APPLY), ForeignKeyViolations, ChecksumMismatch, or DatabaseError.
    """
    results: list[MigrationResult] = []
    handler = _handler(hooks)
    if handler is not None:
        conn.set_progress_handler(handler, hooks.progress_every)
    watch = hooks.watch if hooks.on_statement is None else _Told(hooks.watch, hooks.on_statement)
    guard = Guard()
    conn.set_authorizer(guard)
    current: Migration | None = None
    started = 0.0
    kept_journal = False

    def starting(migration: Migration) -> float:
        """Before ``migration``: a stop already asked for ends the run here."""
        if hooks.stop is not None and hooks.stop.is_set():
            raise MigrationStopped(migration.filename, reason="stopped before it started", direction=direction,
                                   applied=_applied(results if tx == "file" else [], mode))
        if hooks.on_start is not None:
            hooks.on_start(migration, direction)
        return time.perf_counter()

    def follow_wait(waited: float) -> None:
        """Between tries for the write lock: a stop ends the wait; the caller hears of it."""
        if hooks.stop is not None and hooks.stop.is_set():
            raise MigrationStopped(current.filename, reason="stopped while waiting for the write lock",
                                   direction=direction, applied=_applied(results if tx == "file" else [], mode))
        if hooks.on_wait is not None:
            hooks.on_wait(waited)
    # Only a caller who follows the wait or may stop pays for the lock asked for in slices.
    waiting = follow_wait if hooks.stop is not None or hooks.on_wait is not None else None
    try:
        if mode is ExecutionMode.DRY_RUN or tx == "all":
            # One transaction for the whole plan: rolled back (a dry run) or committed at the end.
            dry = mode is ExecutionMode.DRY_RUN
            if dry and not all(m.transactional for m in plan):
                # A no-transaction migration cannot be rolled back: rehearse on a copy in memory.
                work = sqlite3.connect(":memory:", isolation_level=None)
                conn.backup(work)
                work.set_authorizer(guard)
                scope: contextlib.AbstractContextManager = contextlib.closing(work)
            else:
                work, scope = conn, Transaction(conn, label, rollback=dry, waiting=waiting)
            current = plan[0]  # (named by a stop during the wait for the lock)
            with scope:
                tracker = VersionTracker(work)
                tracker.ensure_table()
                state = RunState(tracker, guard)
                for current in plan:
                    started = starting(current)
                    # done=[]: with --tx all nothing of this run stays applied if this migration fails.
                    results.append(apply_one(work, state, current, direction, mode, [], describe=dry, watch=watch))
                    if dry:  # a rehearsal is logged as it goes; a real run once it has committed
                        log.write(ok_event(label, results[-1]))
            current = None
            for result in results:
                if not dry and not result.skipped:
                    log.write(ok_event(label, result))
                if hooks.on_result is not None:
                    hooks.on_result(result)
            return PlanRun(results, None if dry else state)
        tracker = VersionTracker(conn)
        state = RunState(tracker, guard)
        ensured = False
        # One journal file for the whole run, not one created and deleted per migration.
        kept_journal = len(plan) > 1 and keep_journal(conn)
        for current in plan:
            started = starting(current)
            if current.transactional:
                with Transaction(conn, label, waiting=waiting):
                    if direction == "up" and not ensured:
                        tracker.ensure_table()  # in the first migration's transaction
                        ensured = True
                    result = apply_one(conn, state, current, direction, mode, results, watch=watch)
            else:
                # '-- vfmigrate: no-transaction': statements run as written (autocommit),
                # then the tracking row in a transaction of its own. Not atomic, by request.
                result = execute(conn, current, direction, mode, done=results, watch=watch)
                with Transaction(conn, label, waiting=waiting), guard.allowing():
                    tracker.ensure_table()
                    track(tracker, current, direction, result)
                state.forget()
            results.append(result)
            if not result.skipped:
                log.write(ok_event(label, result))
            current = None  # done: an error in a callback is not this migration's failure
            if hooks.on_result is not None:
                hooks.on_result(result)
        return PlanRun(results, state)
    except BaseException as exc:
        stopped = _stopped(exc, hooks)
        if current is not None:
            error = str(stopped or exc) or type(exc).__name__
            if isinstance(exc, KeyboardInterrupt):
                error = "interrupted (KeyboardInterrupt); rolled back"
            status = ("stopped" if stopped is not None else
                      "interrupted" if isinstance(exc, (MigrationInterrupted, KeyboardInterrupt)) else "failed")
            log.write(HistoryEvent(
                at=now_precise(), database=label, version=current.version, name=current.name,
                direction=direction, mode=mode.value, status=status,
                duration_ms=round((time.perf_counter() - started) * 1000, 3), error=error,
            ))
        if stopped is not None and stopped is not exc:
            raise stopped from exc
        raise
    finally:
        conn.set_authorizer(None)
        if kept_journal:
            release_journal(conn)
        if handler is not None:
            conn.set_progress_handler(None, 0)


def _handler(hooks: Hooks) -> ProgressHandler | None:
    """The progress handler of a run: the caller's, and a set ``stop`` aborts the statement."""
    given, stop = hooks.progress_handler, hooks.stop
    if stop is None:
        return given

    def handler() -> int:
        return 1 if stop.is_set() else (given() if given is not None else 0)
    return handler


def _stopped(exc: BaseException, hooks: Hooks) -> MigrationStopped | None:
    """``exc`` as the MigrationStopped it is when the caller's ``stop`` cut the statement short."""
    if isinstance(exc, MigrationStopped):
        return exc
    if isinstance(exc, MigrationInterrupted) and hooks.stop is not None and hooks.stop.is_set():
        return MigrationStopped(exc.file, exc.statement, exc.line, "stopped", direction=exc.direction,
                                sql=exc.sql, applied=exc.applied)
    return None


def _applied(results: list[MigrationResult], mode: ExecutionMode) -> tuple[int, ...]:
    """The versions this run applied so far (none in a dry run): they stay when it stops."""
    return tuple(r.version for r in results if not r.skipped and mode is ExecutionMode.APPLY)


class _Told(Watch):
    """The run's watch (if any), with the caller's ``on_statement`` told before each statement."""

    def __init__(self, watch: Watch | None, on_statement: StatementCallback) -> None:
        self.watch, self.on_statement = watch, on_statement

    def before(self, conn, migration, stmt, direction) -> None:
        self.on_statement(migration, stmt, direction)
        if self.watch is not None:
            self.watch.before(conn, migration, stmt, direction)

    def after(self, conn, migration, stmt, direction, rows_changed) -> None:
        if self.watch is not None:
            self.watch.after(conn, migration, stmt, direction, rows_changed)

    def failed(self, conn, migration, stmt, direction, reason) -> None:
        if self.watch is not None:
            self.watch.failed(conn, migration, stmt, direction, reason)


def ok_event(label: str, result: MigrationResult) -> HistoryEvent:
    return HistoryEvent(now_precise(), label, result.version, result.name, result.direction, result.mode.value,
                        "ok", round(result.duration_ms, 3), result.rows_changed)
