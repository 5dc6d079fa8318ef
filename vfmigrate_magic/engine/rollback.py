"""RollbackManager: undoes applied migrations with their DOWN sections, after a backup."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .errors import BadMigrationFile, ChecksumMismatch, IrreversibleMigration, MissingMigrationFile, RefusedByState, UsageError
from .files import Migration, discover, validate_all
from .history import EventLog
from .results import ExecutionMode, RunReport
from .run import Migrator, engine_connection, label_of, refused, run_plan
from .sqlite import backup, backup_path, database_path, foreign_key_check, integrity_check
from .tracker import VersionTracker


class RollbackManager(Migrator):
    """Rolls back the newest applied migrations of one folder on a database connection."""

    def plan(self, conn: sqlite3.Connection, *, steps: int | None = None, to: int | None = None,
             all: bool = False) -> list[Migration]:
        """The migrations ``rollback`` would undo, newest first, after every check. Read-only.

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
        applied = sorted(VersionTracker(conn).applied().values(), key=lambda r: r.version, reverse=True)
        if steps is not None:
            if steps > len(applied):
                raise UsageError(
                    f"--steps {steps}: only {len(applied)} migrations are applied; "
                    "use --all to roll back every one. Nothing was changed."
                )
            targets = applied[:steps]
        elif to is not None:
            targets = [r for r in applied if r.version > to]
        elif all:
            targets = applied
        else:
            targets = applied[:1]
        files = {m.version: m for m in discover(self.migrations_dir)} if targets else {}
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
                 all: bool = False, database: str | None = None) -> RunReport:
        """Run the DOWN sections of the planned migrations, newest first, each in one
        transaction with the removal of its tracking row; then ``integrity_check`` and
        ``foreign_key_check``. ``database``: as for ``MigrationRunner.migrate_up``.

        In APPLY mode, and unless ``backup=False``, first writes a backup beside the database
        under the write lock (its path is in the report); a backup that cannot be written
        stops the run before any change. DRY_RUN runs them all and rolls back.
        """
        label = label_of(conn, database)
        with engine_connection(conn), EventLog(None if label == ":memory:" else label) as log:
            tracker = VersionTracker(conn)
            try:
                before = tracker.current_version()
                plan = self.plan(conn, steps=steps, to=to, all=all)
            except (RefusedByState, BadMigrationFile) as exc:
                refused(log, label, "down", self.mode, exc)
                raise
            db = database_path(conn)
            applying = self.mode is ExecutionMode.APPLY
            saved = None
            if plan:
                log.open()  # a run that cannot be recorded does not start
            if plan and applying and self.backup and db:
                saved = str(backup(conn, backup_path(Path(db), f"v{before}")))
            results = run_plan(conn, plan, "down", self.mode, self.hooks, label, log) if plan else []
            ran = any(not r.skipped for r in results)
            return RunReport(
                database=label,
                direction="down",
                mode=self.mode,
                results=tuple(results),
                version_before=before,
                version_after=tracker.current_version() if applying else before,
                backup_path=saved,
                integrity=integrity_check(conn) if ran and applying else "ok",
                foreign_key_violations=foreign_key_check(conn) if ran and applying else (),
                warnings=tuple(f"{m.filename}: {w}" for m in plan for w in m.warnings),
            )
