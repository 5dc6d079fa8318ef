"""The state of every migration against one database: ``status``."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .files import summarize
from .results import MigrationState, StatusEntry, StatusReport
from .tracker import VersionTracker


def migration_status(conn: sqlite3.Connection | None, migrations_dir: str | os.PathLike[str], *,
                     database: str = ":memory:", db_name: str | None = None) -> StatusReport:
    """Compare the folder's files with ``schema_migrations``. Read-only.

    ``conn`` may be None for a database that does not exist yet (everything is pending). A
    migrations folder that does not exist yet holds no migrations (the report says so).
    Raises BadMigrationFile for a malformed folder.
    """
    folder_exists = Path(migrations_dir).is_dir()
    files = {m.version: m for m in summarize(migrations_dir)} if folder_exists else {}
    applied = VersionTracker(conn).applied() if conn is not None else {}
    current = max(applied, default=0)
    entries = []
    for version in sorted(files.keys() | applied.keys()):
        m, row = files.get(version), applied.get(version)
        if m is not None and row is not None:
            state = MigrationState.APPLIED if m.checksum == row.checksum else MigrationState.MODIFIED
        elif m is not None:
            state = MigrationState.OUT_OF_ORDER if version < current else MigrationState.PENDING
        else:
            state = MigrationState.MISSING
        entries.append(StatusEntry(
            version=version,
            name=m.name if m is not None else row.name,
            state=state,
            applied_at=row.applied_at if row else None,
            execution_time_ms=row.execution_time_ms if row else None,
            checksum=m.checksum if m is not None else row.checksum,
            recorded_checksum=row.checksum if row else None,
            reversible=m.reversible if m is not None else None,
        ))
    return StatusReport(
        database=database,
        migrations_dir=str(migrations_dir),
        current_version=current,
        entries=tuple(entries),
        exists=conn is not None,
        db_name=db_name,
        folder_exists=folder_exists,
    )
