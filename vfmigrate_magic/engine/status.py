"""The state of every migration against one database: ``status``."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path

from .files import Migration, discover
from .results import MigrationState, StatusEntry, StatusReport
from .tracker import VersionTracker


def migration_status(conn: sqlite3.Connection | None, migrations_dir: str | os.PathLike[str], *,
                     database: str = ":memory:", db_name: str | None = None,
                     verified: Mapping[str, bool] | None = None,
                     migrations: list[Migration] | None = None) -> StatusReport:
    """Compare the folder's files with ``schema_migrations``. Changes neither the database nor
    the folder. ``verified``: checksum -> the last ``verify`` outcome of a file with it;
    ``migrations``: the folder's files when the caller has read them already (a fleet).

    ``conn`` may be None for a database that does not exist yet (everything is pending); a
    remote database's is the adapter its tracking rows are read through (``remote._Rows``). A
    migrations folder that does not exist yet holds no migrations (the report says so).
    Raises BadMigrationFile for a malformed folder, TrackingTableError for a tracking table
    edited by hand.
    """
    folder_exists = migrations is not None or Path(migrations_dir).is_dir()
    if migrations is None:
        migrations = discover(migrations_dir) if folder_exists else []
    files = {m.version: m for m in migrations}
    applied = VersionTracker(conn).applied() if conn is not None else {}
    current = max(applied, default=0)
    verified = verified or {}
    entries = []
    for version in sorted(files.keys() | applied.keys()):
        file, row = files.get(version), applied.get(version)
        if row is None:
            state = MigrationState.OUT_OF_ORDER if version < current else MigrationState.PENDING
            entry = StatusEntry(version, file.name, state, None, None, file.checksum, None, file.reversible,
                                verified.get(file.checksum))
        elif file is None:
            entry = StatusEntry(version, row.name, MigrationState.MISSING, row.applied_at, row.execution_time_ms,
                                row.checksum, row.checksum, None)
        else:
            state = MigrationState.APPLIED if file.checksum == row.checksum else MigrationState.MODIFIED
            entry = StatusEntry(version, file.name, state, row.applied_at, row.execution_time_ms, file.checksum,
                                row.checksum, file.reversible, verified.get(file.checksum))
        entries.append(entry)
    return StatusReport(
        database=database,
        migrations_dir=str(migrations_dir),
        current_version=current,
        entries=tuple(entries),
        exists=conn is not None,
        db_name=db_name,
        folder_exists=folder_exists,
    )
