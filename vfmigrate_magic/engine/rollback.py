"""RollbackManager: undoes applied migrations with their DOWN sections, after a backup."""

from __future__ import annotations

import sqlite3
from dataclasses import replace

from .errors import ChecksumMismatch, IrreversibleMigration, MissingMigrationFile, UsageError
from .files import Migration, discover, validate_all
from .results import RunReport
from .run import Migrator, follow_lock_wait
from .backup import backup, backup_path, prune
from .locations import state_base
from .sqlite import database_path
from .tracker import AppliedMigration, VersionTracker


class RollbackManager(Migrator):
    """Rolls back the newest applied migrations of one folder on a database connection."""

    def plan(self, conn: sqlite3.Connection, *, steps: int | None = None, to: int | None = None,
             all: bool = False, migrations: list[Migration] | None = None,
             applied: dict[int, AppliedMigration] | None = None) -> list[Migration]:
        """The migrations ``rollback`` would undo, newest first, after every check. Read-only.
        ``migrations`` and ``applied``: as for ``MigrationRunner.plan``.

        Default: the last applied one. Raises UsageError for steps or a version that name
        nothing; MissingMigrationFile, ChecksumMismatch, IrreversibleMigration or
        BadMigrationFile before anything runs.
        """
        if (steps is not None) + (to is not None) + bool(all) > 1:
            raise UsageError("give only one of --steps, --to and --all")
        if steps is not None and (type(steps) is not int or steps < 1):
            raise UsageError(f"--steps must be a whole number of 1 or more, not {steps!r}")
        if to is not None and (type(to) is not int or to < 0):
            raise UsageError(f"--to must be a version (0 or more), not {to!r}")
        if applied is None:
            applied = VersionTracker(conn).applied()
        newest_first = sorted(applied.values(), key=lambda r: r.version, reverse=True)
        if steps is not None:
            if steps > len(newest_first):
                raise UsageError(
                    f"--steps {steps}: only {len(newest_first)} migrations are applied; "
                    "use --all to roll back every one. Nothing was changed."
                )
            targets = newest_first[:steps]
        elif to is not None:
            targets = [r for r in newest_first if r.version > to]
        elif all:
            targets = newest_first
        else:
            targets = newest_first[:1]
        if targets and migrations is None:
            migrations = discover(self.migrations_dir)
        files = {m.version: m for m in migrations or ()}
        plan = []
        for row in targets:
            m = files.get(row.version)
            if m is None:
                raise MissingMigrationFile(row.version, row.name, str(self.migrations_dir))
            if m.checksum != row.checksum:
                raise ChecksumMismatch(m.version, m.filename, row.checksum, m.checksum)
            if not m.reversible:
                raise IrreversibleMigration(m.version, m.filename)
            plan.append(m)
        validate_all(plan)
        return plan

    def rollback(self, conn: sqlite3.Connection, *, steps: int | None = None, to: int | None = None,
                 all: bool = False, database: str | None = None,
                 migrations: list[Migration] | None = None) -> RunReport:
        """Run the DOWN sections of the planned migrations, newest first, each in one
        transaction with the removal of its tracking row; then ``integrity_check`` and
        ``foreign_key_check``. ``database``: as for ``MigrationRunner.migrate_up``.

        In APPLY mode, and unless ``backup=False``, first writes a backup beside the database
        under the write lock (its path is in the report); a backup that cannot be written
        stops the run before any change; after the run, ``backup_keep`` removes the oldest
        backups beyond that many. DRY_RUN runs them all and rolls back.
        """
        db = database_path(conn)

        def back_up(version: int, first: Migration) -> str | None:
            if not (self.backup and db):
                return None
            waiting = follow_lock_wait(self.hooks, first, "down", "stopped while waiting for the write lock to back up")
            # Its folder exists: the event log, opened first, lives there too (and made it).
            return str(backup(conn, backup_path(state_base(db, self.state_dir), f"v{version}"), waiting=waiting))

        report = self._run(conn, database, "down",
                           lambda rows: self.plan(conn, steps=steps, to=to, all=all, migrations=migrations, applied=rows),
                           back_up)
        if report.backup_path and self.backup_keep is not None:
            report = replace(report, pruned_backups=prune(state_base(db, self.state_dir), self.backup_keep))
        return report
