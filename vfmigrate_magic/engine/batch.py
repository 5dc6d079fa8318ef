"""Running a planned list of migrations in one direction: the loop shared by ``up`` and
``down``, with its transactions, tracking rows, concurrency re-checks, callbacks and log.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable, Iterator

from . import history
from .errors import ChecksumMismatch, MigrationError
from .execute import execute
from .files import Migration
from .records import record
from .results import ExecutionMode, HistoryEvent, MigrationResult
from .sqlite import Transaction, data_version, database_path, keep_journal, now_iso, now_precise, release_journal
from .tracker import VersionTracker

ResultCallback = Callable[[MigrationResult], None]
StartCallback = Callable[[Migration, str], None]
# sqlite3 progress handler: called every ``progress_every`` VM steps; a true return aborts.
ProgressHandler = Callable[[], "int | None"]


@record
class Hooks:
    """Optional callbacks a front end passes to follow a run."""

    on_start: StartCallback | None = None
    on_result: ResultCallback | None = None
    progress_handler: ProgressHandler | None = None
    progress_every: int = 1000


@contextlib.contextmanager
def engine_connection(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Use a caller's connection in autocommit mode for the duration, then restore it."""
    if conn.in_transaction:
        raise MigrationError("the connection has an open transaction; commit or roll back before migrating")
    saved = conn.isolation_level
    conn.isolation_level = None
    try:
        yield conn
    finally:
        conn.isolation_level = saved


def run_batch(conn: sqlite3.Connection, plan: list[Migration], direction: str, mode: ExecutionMode,
              hooks: Hooks, *, log_as: str | None = None) -> list[MigrationResult]:
    """Run ``plan`` in order. APPLY: each migration with its tracking row in its own
    transaction. DRY_RUN: all of them in one transaction that is rolled back.

    Every run and failure is logged beside the database (or beside ``log_as``, the file an
    in-memory rehearsal stands for). Raises MigrationFailed (that migration rolled back;
    earlier ones stay in APPLY), ChecksumMismatch, or DatabaseError/DatabaseLocked.
    """
    db = log_as or database_path(conn)
    label = db or ":memory:"
    tracker = VersionTracker(conn)
    results: list[MigrationResult] = []
    events: list[HistoryEvent] = []
    log = history.EventLog(db)
    if hooks.progress_handler is not None:
        conn.set_progress_handler(hooks.progress_handler, hooks.progress_every)
    current: Migration | None = None
    started = 0.0
    on_start, on_result, log_ok = hooks.on_start, hooks.on_result, log.ok
    kept_journal = False
    try:
        if mode is ExecutionMode.DRY_RUN:
            if all(m.transactional for m in plan):
                scope: contextlib.AbstractContextManager = Transaction(conn, label, rollback=True)
                work = conn
            else:
                # A no-transaction migration cannot be rolled back: rehearse on a copy in memory.
                work = sqlite3.connect(":memory:", isolation_level=None)
                conn.backup(work)
                scope = contextlib.closing(work)
            with scope:
                work_tracker = VersionTracker(work)
                work_tracker.ensure_table()
                for current in plan:
                    started = time.perf_counter()
                    if on_start is not None:
                        on_start(current, direction)
                    result = execute(work, current, direction, mode, describe=True)
                    _track(work_tracker, current, direction, result)
                    results.append(result)
                    log_ok(label, result)
            current = None
            if on_result is not None:
                for result in results:
                    on_result(result)
        else:
            ensured = False
            applied = _AppliedRows(tracker)
            # One journal file for the whole run, not one created and deleted per migration.
            kept_journal = len(plan) > 1 and keep_journal(conn)
            for current in plan:
                started = time.perf_counter()
                if on_start is not None:
                    on_start(current, direction)
                if current.transactional:
                    with Transaction(conn, label):
                        if direction == "up" and not ensured:
                            tracker.ensure_table()  # in the first migration's transaction
                            ensured = True
                        result = _apply_one(conn, tracker, current, direction, results, applied.now(conn))
                else:
                    # '-- vfmigrate: no-transaction': statements run as written (autocommit),
                    # then the tracking row in a transaction of its own. Not atomic, by request.
                    result = execute(conn, current, direction, mode, done=results)
                    with Transaction(conn, label):
                        tracker.ensure_table()
                        _track(tracker, current, direction, result)
                    applied.forget()
                results.append(result)
                if not result.skipped:
                    log_ok(label, result)
                current = None  # done: an error in a callback is not this migration's failure
                if on_result is not None:
                    on_result(result)
        current = None
    except BaseException as exc:
        if current is not None:
            error = str(exc) or type(exc).__name__
            if isinstance(exc, KeyboardInterrupt):
                error = "interrupted (KeyboardInterrupt); rolled back"
            events.append(HistoryEvent(
                at=now_precise(), database=label, version=current.version, name=current.name,
                direction=direction, mode=mode.value, status="failed",
                duration_ms=round((time.perf_counter() - started) * 1000, 3), error=error,
            ))
        raise
    finally:
        if kept_journal:
            release_journal(conn)
        if hooks.progress_handler is not None:
            conn.set_progress_handler(None, 0)
        log.write(events)
        log.close()
    return results


class _AppliedRows:
    """The tracking rows as last read inside a migration's transaction, kept in step with this
    run's own writes. They are read again only when another connection has committed since
    (``PRAGMA data_version`` changed): another runner may have applied or rolled back any of
    the migrations still to come, not just the next one."""

    def __init__(self, tracker: VersionTracker) -> None:
        self.tracker = tracker
        self.rows: dict[int, tuple] = {}
        self.seen: int | None = None

    def now(self, conn: sqlite3.Connection) -> dict[int, tuple]:
        """The rows as of now; call inside the transaction, once the write lock is held."""
        version = data_version(conn)
        if version != self.seen:
            self.rows = self.tracker.applied_rows()
            self.seen = version
        return self.rows

    def forget(self) -> None:
        """Read the rows again at the next ``now`` (after writes made outside the loop)."""
        self.seen = None


def _apply_one(conn: sqlite3.Connection, tracker: VersionTracker, migration: Migration, direction: str,
               done: list[MigrationResult], applied: dict[int, tuple]) -> MigrationResult:
    """Inside the migration's transaction: re-check its state against ``applied`` (the rows as
    of now: another runner may have got there first while we waited for the lock), run it, and
    record it, in the table and in ``applied``."""
    row = applied.get(migration.version)
    if (direction == "up") == (row is not None):
        if row is not None and row[3] != migration.checksum:
            raise ChecksumMismatch(migration.version, migration.filename, row[3], migration.checksum)
        return MigrationResult(migration.version, migration.name, direction, ExecutionMode.APPLY, 0.0, skipped=True)
    if direction == "down" and max(applied) != migration.version:
        # A concurrent runner applied something newer: rolling this back would be out of order.
        raise MigrationError(
            f"{migration.filename}: another runner applied version {max(applied)} "
            "meanwhile; run 'vfmigrate status' and try again. Nothing more was rolled back."
        )
    result = execute(conn, migration, direction, ExecutionMode.APPLY, done=done)
    row = _track(tracker, migration, direction, result)
    if row is None:
        del applied[migration.version]
    else:
        applied[migration.version] = row
    return result


def _track(tracker: VersionTracker, migration: Migration, direction: str, result: MigrationResult) -> tuple | None:
    """Write (up) or delete (down) the migration's tracking row; returns the row written."""
    if direction == "up":
        row = (migration.version, migration.name, now_iso(), migration.checksum, round(result.duration_ms))
        tracker.record_row(row)
        return row
    tracker.remove(migration.version)
    return None
