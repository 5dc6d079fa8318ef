"""Running one migration's statements in one direction, shared by the runner and rollback.

The caller owns the transaction: for APPLY each migration gets its own (``Transaction``
around ``execute()`` plus its tracking row); a dry run wraps all of them in one that is rolled
back, so a later migration sees what the earlier ones did.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence

from .errors import MigrationFailed, MigrationInterrupted
from .files import Migration
from .records import Deferred
from .results import ExecutionMode, MigrationResult, StatementResult
from .sqlite import schema_objects, translate
from .statements import Statement


def execute(conn: sqlite3.Connection, migration: Migration, direction: str, mode: ExecutionMode,
            *, done: Sequence[MigrationResult] = (), describe: bool = False) -> MigrationResult:
    """Run the UP or DOWN statements of ``migration`` on ``conn``; returns what they did.

    Changes the database (within the caller's transaction, if any). ``describe`` also
    compares the schema before and after (the dry run's "creates"/"drops"). Raises
    :class:`MigrationFailed` naming the statement and line of the first error, and the
    migrations of ``done`` (this run's earlier results) that stay applied.
    """
    before = schema_objects(conn) if describe else None
    statements = migration.statements(direction)
    # Only the rows each statement changed are kept here; the StatementResult records (with
    # their one-line summaries) are made if the result's ``statements`` is ever read. This
    # loop runs once per migration between SQLite's own work, where every object counts.
    changed: list[int] = []
    run = conn.execute
    first = total = conn.total_changes
    start = time.perf_counter()
    for stmt in statements:
        try:
            run(stmt.sql)
        except sqlite3.Error as exc:
            reason = str(exc)
            # A KeyboardInterrupt raised in a progress handler reaches us as "interrupted".
            error = MigrationInterrupted if reason == "interrupted" else MigrationFailed
            if "database is locked" in reason or "readonly" in reason or "not a database" in reason:
                raise translate(exc, migration.filename) from exc
            applied = tuple(r.version for r in done if not r.skipped)
            raise error(migration.filename, stmt.index, stmt.line, reason,
                        direction=direction, sql=stmt.summary, applied=applied) from exc
        now = conn.total_changes
        changed.append(now - total)
        total = now
    duration = (time.perf_counter() - start) * 1000
    created = dropped = altered = ()
    if before is not None:
        after = schema_objects(conn)
        created = tuple(f"{kind} {name}" for kind, name in sorted(after.keys() - before.keys()) if name != "schema_migrations")
        dropped = tuple(f"{kind} {name}" for kind, name in sorted(before.keys() - after.keys()))
        altered = tuple(f"{kind} {name}" for kind, name in sorted(before.keys() & after.keys())
                        if before[kind, name] != after[kind, name])
    return MigrationResult(
        migration.version, migration.name, direction, mode, duration, total - first,
        Deferred(_statement_results, statements, changed), created, dropped, altered, False,
        migration.warnings,
    )


def _statement_results(statements: tuple[Statement, ...], changed: list[int]) -> tuple[StatementResult, ...]:
    return tuple(StatementResult(s.index, s.line, s.summary, n) for s, n in zip(statements, changed))
