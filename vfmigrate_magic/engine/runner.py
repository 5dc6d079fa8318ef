"""MigrationRunner: discovers migration files and applies the pending ones."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .batch import Hooks, ProgressHandler, ResultCallback, StartCallback, engine_connection, run_batch
from .errors import ChecksumMismatch, OutOfOrder
from .files import Migration, discover
from .results import ExecutionMode, RunReport
from .sqlite import database_path, foreign_key_check
from .tracker import VersionTracker


class MigrationRunner:
    """Applies the migrations of one folder to a database connection.

    ``MigrationRunner("migrations", mode=ExecutionMode.DRY_RUN).migrate_up(conn)`` runs every
    pending migration inside one transaction, reports what it did, and rolls it all back.
    """

    def __init__(
        self,
        migrations_dir: str | os.PathLike[str],
        mode: ExecutionMode = ExecutionMode.APPLY,
        *,
        on_start: StartCallback | None = None,
        on_result: ResultCallback | None = None,
        progress_handler: ProgressHandler | None = None,
        progress_every: int = 1000,
    ) -> None:
        self.migrations_dir = Path(migrations_dir)
        self.mode = ExecutionMode(mode)
        self.hooks = Hooks(on_start, on_result, progress_handler, progress_every)

    def with_mode(self, mode: ExecutionMode) -> MigrationRunner:
        """A runner like this one in another mode (the seed's builder call)."""
        runner = MigrationRunner(self.migrations_dir, mode)
        runner.hooks = self.hooks
        return runner

    def migrations(self) -> list[Migration]:
        """Every migration file in the folder, in version order (raises BadMigrationFile)."""
        return discover(self.migrations_dir)

    def plan(self, conn: sqlite3.Connection, to: int | None = None, *,
             migrations: list[Migration] | None = None) -> list[Migration]:
        """The migrations ``migrate_up`` would run, after every check it makes. Read-only.

        ``migrations`` is the folder's content if the caller has just read it (else it is read).

        Raises ChecksumMismatch (an applied file changed), OutOfOrder (a pending file sorts
        below the newest applied one) or BadMigrationFile (a pending file is malformed).
        """
        applied = VersionTracker(conn).applied()
        if migrations is None:
            migrations = self.migrations()
        for m in migrations:
            row = applied.get(m.version)
            if row is not None and row.checksum != m.checksum:
                raise ChecksumMismatch(m.version, m.filename, row.checksum, m.checksum)
        current = max(applied, default=0)
        pending = [m for m in migrations if m.version not in applied and (to is None or m.version <= to)]
        for m in pending:
            if m.version < current:
                raise OutOfOrder(m.filename, m.version, current)
            m.validate()
        return pending

    def migrate_up(self, conn: sqlite3.Connection, to: int | None = None, *,
                   migrations: list[Migration] | None = None, log_as: str | None = None) -> RunReport:
        """Apply every pending migration (up to and including version ``to``), each with its
        tracking row in one transaction; in DRY_RUN mode, run them all and roll back.

        ``migrations``: the folder's files if the caller has just read them; ``log_as``: the
        database file to log the run beside when ``conn`` is in memory.

        Changes the database in APPLY mode. Raises before changing anything on a bad file,
        checksum mismatch or out-of-order migration; raises MigrationFailed when a statement
        fails (that migration is rolled back, earlier ones stay applied).
        """
        with engine_connection(conn):
            tracker = VersionTracker(conn)
            before = tracker.current_version()
            plan = self.plan(conn, to, migrations=migrations)
            results = run_batch(conn, plan, "up", self.mode, self.hooks, log_as=log_as) if plan else []
            ran = any(not r.skipped for r in results)
            applying = self.mode is ExecutionMode.APPLY
            return RunReport(
                database=database_path(conn) or ":memory:",
                direction="up",
                mode=self.mode,
                results=tuple(results),
                version_before=before,
                version_after=tracker.current_version() if applying else before,
                foreign_key_violations=foreign_key_check(conn) if ran and applying else (),
                warnings=tuple(f"{m.filename}: {w}" for m in plan for w in m.warnings),
            )
