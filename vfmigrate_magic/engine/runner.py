"""MigrationRunner: applies the pending migrations of a folder."""

from __future__ import annotations

import sqlite3

from .errors import ChecksumMismatch, OutOfOrder
from .files import Migration, discover, validate_all
from .results import ExecutionMode, RunReport
from .run import Migrator
from .tracker import AppliedMigration, VersionTracker


class MigrationRunner(Migrator):
    """Applies the migrations of one folder to a database connection.

    ``MigrationRunner("migrations", mode=ExecutionMode.DRY_RUN).migrate_up(conn)`` runs every
    pending migration inside one transaction, reports what it did, and rolls it all back.
    """

    def with_mode(self, mode: ExecutionMode) -> MigrationRunner:
        """A runner like this one in another mode (the seed's builder call)."""
        runner = MigrationRunner(self.migrations_dir, mode)
        runner.hooks, runner.tx, runner.state_dir = self.hooks, self.tx, self.state_dir
        return runner

    def migrations(self) -> list[Migration]:
        """Every migration file in the folder, in version order (raises BadMigrationFile)."""
        return discover(self.migrations_dir)

    def plan(self, conn: sqlite3.Connection, to: int | None = None, *,
             migrations: list[Migration] | None = None,
             applied: dict[int, AppliedMigration] | None = None) -> list[Migration]:
        """The migrations ``migrate_up`` would run, after every check it makes. Read-only.

        ``migrations`` is the folder's content and ``applied`` the tracking rows if the caller
        has just read them (else they are read).

        Raises ChecksumMismatch (an applied file changed), OutOfOrder (a pending file sorts
        below the newest applied one), BadMigrationFile (a pending file is malformed or has a
        syntax error) or TrackingTableError (``schema_migrations`` edited by hand).
        """
        if applied is None:
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
        validate_all(pending)
        return pending

    def migrate_up(self, conn: sqlite3.Connection, to: int | None = None, *,
                   migrations: list[Migration] | None = None, database: str | None = None) -> RunReport:
        """Apply every pending migration (up to and including version ``to``), each with its
        tracking row in one transaction; in DRY_RUN mode, run them all and roll back.

        ``migrations``: the folder's files if the caller has just read them; ``database``: the
        file the run is for, in messages, the report and the event log (default: ``conn``'s).

        Changes the database in APPLY mode. Raises before changing anything on a bad file,
        checksum mismatch or out-of-order migration (the refusal is logged); raises
        MigrationFailed when a statement fails or foreign_key_check finds new violations
        (that migration is rolled back, earlier ones stay applied).
        """
        return self._run(conn, database, "up", lambda rows: self.plan(conn, to, migrations=migrations, applied=rows))
