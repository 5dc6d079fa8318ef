"""RollbackManager: undoes applied migrations with their DOWN sections, after a backup."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .batch import Hooks, ProgressHandler, ResultCallback, StartCallback, engine_connection, run_batch
from .errors import ChecksumMismatch, IrreversibleMigration, MigrationError, MissingMigrationFile
from .files import Migration, discover
from .results import ExecutionMode, RunReport
from .sqlite import backup, backup_path, database_path, foreign_key_check, integrity_check
from .tracker import VersionTracker


class RollbackManager:
    """Rolls back the newest applied migrations of one folder on a database connection."""

    def __init__(
        self,
        migrations_dir: str | os.PathLike[str],
        mode: ExecutionMode = ExecutionMode.APPLY,
        *,
        backup: bool = True,
        on_start: StartCallback | None = None,
        on_result: ResultCallback | None = None,
        progress_handler: ProgressHandler | None = None,
        progress_every: int = 1000,
    ) -> None:
        self.migrations_dir = Path(migrations_dir)
        self.mode = ExecutionMode(mode)
        self.backup = backup
        self.hooks = Hooks(on_start, on_result, progress_handler, progress_every)

    def plan(self, conn: sqlite3.Connection, *, steps: int | None = None, to: int | None = None,
             all: bool = False) -> list[Migration]:
        """The migrations ``rollback`` would undo, newest first, after every check. Read-only.

        Default: the last applied one. Raises MissingMigrationFile, ChecksumMismatch,
        IrreversibleMigration or BadMigrationFile before anything runs.
        """
        applied = sorted(VersionTracker(conn).applied().values(), key=lambda r: r.version, reverse=True)
        if (steps is not None) + (to is not None) + bool(all) > 1:
            raise MigrationError("give only one of --steps, --to and --all")
        if steps is not None:
            if steps < 1:
                raise MigrationError(f"--steps must be 1 or more, not {steps}")
            if steps > len(applied):
                raise MigrationError(
                    f"--steps {steps}: only {len(applied)} migrations are applied; "
                    "use --all to roll back every one. Nothing was changed."
                )
            targets = applied[:steps]
        elif to is not None:
            if to < 0:
                raise MigrationError(f"--to must be a version (0 or more), not {to}")
            targets = [r for r in applied if r.version > to]
        elif all:
            targets = applied
        else:
            targets = applied[:1]
        files = {m.version: m for m in discover(self.migrations_dir)}
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
        return plan

    def rollback(self, conn: sqlite3.Connection, *, steps: int | None = None, to: int | None = None,
                 all: bool = False) -> RunReport:
        """Run the DOWN sections of the planned migrations, newest first, each in one
        transaction with the removal of its tracking row; then ``integrity_check`` and
        ``foreign_key_check``.

        In APPLY mode, and unless ``backup=False``, first writes an online backup beside the
        database (its path is in the report). DRY_RUN runs them all and rolls back.
        """
        with engine_connection(conn):
            tracker = VersionTracker(conn)
            before = tracker.current_version()
            plan = self.plan(conn, steps=steps, to=to, all=all)
            db = database_path(conn)
            applying = self.mode is ExecutionMode.APPLY
            saved = None
            if plan and applying and self.backup and db:
                saved = str(backup(conn, backup_path(Path(db), f"v{before}")))
            results = run_batch(conn, plan, "down", self.mode, self.hooks) if plan else []
            ran = any(not r.skipped for r in results)
            return RunReport(
                database=db or ":memory:",
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
