"""One migration inside its transaction: the re-check of the tracking rows (another runner
may have got there first), its statements, the foreign-key check, its tracking row; and the
authorizer that keeps every other statement away from ``schema_migrations``.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator

from .errors import ChecksumMismatch, ForeignKeyViolations, MigrationFailed, MigrationInterrupted, RefusedByState
from .files import Migration
from .results import ExecutionMode, MigrationResult, StatementResult
from .sqlite import added_violations, data_version, now_iso, schema_objects, translate, violations
from .statements import TRACKING_TABLE, WATCHED_ACTIONS, Statement, guard_tracking_table
from .tracker import AppliedMigration, VersionTracker


class Watch:
    """Told about each statement of a run, before and after it runs inside the migration's
    transaction (:class:`.lint.RiskMeter` counts the rows a statement puts at risk). This
    base class does nothing."""

    def before(self, conn: sqlite3.Connection, migration: Migration, stmt: Statement, direction: str) -> None:
        pass

    def after(self, conn: sqlite3.Connection, migration: Migration, stmt: Statement, direction: str,
              rows_changed: int) -> None:
        pass

    def failed(self, conn: sqlite3.Connection, migration: Migration, stmt: Statement, direction: str,
               reason: str) -> None:
        """The statement failed with ``reason`` (undone by SQLite); the transaction is still open."""


class Guard:
    """The authorizer a run sets on its connection: it denies every change to
    ``schema_migrations`` (see ``guard_tracking_table``) but the engine's own, made with
    ``allowed`` set. Set once for the run: setting an authorizer discards every prepared
    statement of the connection."""

    def __init__(self) -> None:
        self.allowed = False

    def __call__(self, action: int, arg1: str | None, arg2: str | None, db: str | None, source: str | None) -> int:
        if self.allowed or action not in WATCHED_ACTIONS:
            return sqlite3.SQLITE_OK
        return guard_tracking_table(action, arg1, arg2, db, source)

    @contextlib.contextmanager
    def allowing(self) -> Iterator[None]:
        self.allowed = True
        try:
            yield
        finally:
            self.allowed = False


class RunState:
    """The tracking rows and the foreign-key violations as last read inside a migration's
    transaction, kept in step with this run's own writes. They are read again only when
    another connection has committed since (``PRAGMA data_version`` changed): another runner
    may have applied or rolled back any of the migrations still to come."""

    def __init__(self, tracker: VersionTracker, guard: Guard) -> None:
        self.tracker = tracker
        self.guard = guard
        self.rows: dict[int, AppliedMigration] = {}
        self.violations: list[tuple] = []
        self.seen: int | None = None

    def refresh(self, conn: sqlite3.Connection) -> None:
        """Call inside the transaction, once the write lock is held."""
        version = data_version(conn)
        if version != self.seen:
            self.rows = self.tracker.applied()
            self.violations = violations(conn)
            self.seen = version

    def forget(self) -> None:
        self.seen = None


def apply_one(conn: sqlite3.Connection, state: RunState, migration: Migration, direction: str,
               mode: ExecutionMode, done: list[MigrationResult], *, describe: bool = False,
               watch: Watch | None = None) -> MigrationResult:
    """Inside the migration's transaction: re-check its state (another runner may have got
    there first while we waited for the lock), run it, check foreign keys, record it."""
    state.refresh(conn)
    row = state.rows.get(migration.version)
    if (direction == "up") == (row is not None):
        if row is not None and row.checksum != migration.checksum:
            raise ChecksumMismatch(migration.version, migration.filename, row.checksum, migration.checksum)
        return MigrationResult(migration.version, migration.name, direction, mode, 0.0, skipped=True)
    if direction == "down" and max(state.rows) != migration.version:
        # A concurrent runner applied something newer: rolling this back would be out of order.
        raise RefusedByState(
            f"{migration.filename}: another runner applied version {max(state.rows)} "
            "meanwhile; run 'vfmigrate status' and try again. Nothing more was rolled back."
        )
    result = execute(conn, migration, direction, mode, done=done, describe=describe, watch=watch)
    after = violations(conn)
    added = added_violations(state.violations, after)
    if added:
        raise ForeignKeyViolations(migration.filename, added, direction=direction,
                                   applied=tuple(r.version for r in done if not r.skipped and mode is ExecutionMode.APPLY))
    state.violations = after
    with state.guard.allowing():
        row = track(state.tracker, migration, direction, result)
    if row is None:
        del state.rows[migration.version]
    else:
        state.rows[migration.version] = row
    return result


def track(tracker: VersionTracker, migration: Migration, direction: str,
           result: MigrationResult) -> AppliedMigration | None:
    """Write (up) or delete (down) the migration's tracking row; returns the row written."""
    if direction == "up":
        row = AppliedMigration(migration.version, migration.name, now_iso(), migration.checksum,
                               round(result.duration_ms))
        tracker.record(row.version, row.name, row.applied_at, row.checksum, row.execution_time_ms)
        return row
    tracker.remove(migration.version)
    return None


def execute(conn: sqlite3.Connection, migration: Migration, direction: str, mode: ExecutionMode,
            *, done: list[MigrationResult] = (), describe: bool = False, watch: Watch | None = None) -> MigrationResult:
    """Run the UP or DOWN statements of ``migration`` on ``conn``; returns what they did.

    Changes the database (within the caller's transaction, if any); the run's authorizer
    denies a statement that would change ``schema_migrations``. ``describe`` also compares
    the schema before and after (the dry run's "creates"/"drops"); ``watch`` is told about each
    statement before and after it runs (the dry run's rows at risk, :mod:`.lint`). Raises :class:`MigrationFailed` naming the
    statement and line of the first error, and the migrations of ``done`` (this run's
    earlier results) that stay applied.
    """
    before = schema_objects(conn) if describe else None
    statements = migration.statements(direction)
    changed: list[int] = []
    first = total = conn.total_changes
    start = time.perf_counter()
    for stmt in statements:
        if watch is not None:
            watch.before(conn, migration, stmt, direction)
        try:
            conn.execute(stmt.sql)
        except sqlite3.Error as exc:
            reason = str(exc)
            if "database is locked" in reason or "readonly" in reason or "not a database" in reason:
                raise translate(exc, migration.filename) from exc
            if reason == "not authorized":
                reason = f"it would change {TRACKING_TABLE}, where vfmigrate records what is applied"
            # A KeyboardInterrupt raised in a progress handler reaches us as "interrupted".
            error = MigrationInterrupted if reason == "interrupted" else MigrationFailed
            if watch is not None and error is MigrationFailed:
                watch.failed(conn, migration, stmt, direction, reason)
            applied = tuple(r.version for r in done if not r.skipped and mode is ExecutionMode.APPLY)
            raise error(migration.filename, stmt.index, stmt.line, reason,
                        direction=direction, sql=stmt.summary, applied=applied) from exc
        changed.append(conn.total_changes - total)
        total = conn.total_changes
        if watch is not None:
            watch.after(conn, migration, stmt, direction, changed[-1])
    duration = (time.perf_counter() - start) * 1000
    created = dropped = altered = ()
    if before is not None:
        after = schema_objects(conn)
        created = tuple(f"{kind} {name}" for kind, name in sorted(after.keys() - before.keys()) if name != TRACKING_TABLE)
        dropped = tuple(f"{kind} {name}" for kind, name in sorted(before.keys() - after.keys()))
        altered = tuple(f"{kind} {name}" for kind, name in sorted(before.keys() & after.keys())
                        if before[kind, name] != after[kind, name])
    return MigrationResult(
        migration.version, migration.name, direction, mode, duration, total - first,
        tuple(StatementResult(s.index, s.line, s.one_line, n) for s, n in zip(statements, changed)),
        created, dropped, altered, False, migration.warnings,
    )
