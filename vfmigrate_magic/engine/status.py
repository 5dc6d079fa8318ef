"""The state of every migration against one database: ``status``."""

from __future__ import annotations

import contextlib
import gc
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from .files import summarize
from .results import MigrationState, StatusEntry, StatusReport
from .tracker import VersionTracker


def migration_status(conn: sqlite3.Connection | None, migrations_dir: str | os.PathLike[str], *,
                     database: str = ":memory:", db_name: str | None = None) -> StatusReport:
    """Compare the folder's files with ``schema_migrations``. Changes neither the database nor
    the folder (a big folder's checksums are kept in the user's cache: see :mod:`.summary_cache`).

    ``conn`` may be None for a database that does not exist yet (everything is pending). A
    migrations folder that does not exist yet holds no migrations (the report says so).
    Raises BadMigrationFile for a malformed folder.
    """
    folder_exists = Path(migrations_dir).is_dir()
    with _gc_paused():
        return _status(conn, migrations_dir, folder_exists, database, db_name)


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector, as Mercurial's ``util.nogc`` does while it builds
    big containers. Status makes tens of thousands of small objects, none in a cycle (reference
    counting frees them), yet each 700 start a collection and some of those a full one: in a
    notebook, whose heap (pandas, IPython) a full collection walks, that took 40-60 ms in
    every other ``%migrate status`` over ten thousand files.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _status(conn: sqlite3.Connection | None, migrations_dir: str | os.PathLike[str], folder_exists: bool,
            database: str, db_name: str | None) -> StatusReport:
    files = {f[0]: f for f in summarize(migrations_dir)} if folder_exists else {}
    applied = VersionTracker(conn).applied_rows() if conn is not None else {}
    current = max(applied, default=0)
    entries = []
    for version in sorted(files.keys() | applied.keys()):
        file, row = files.get(version), applied.get(version)
        if row is None:
            _, name, checksum, reversible = file
            state = MigrationState.OUT_OF_ORDER if version < current else MigrationState.PENDING
            entry = StatusEntry(version, name, state, None, None, checksum, None, reversible)
        elif file is None:
            _, name, applied_at, recorded, time_ms = row
            entry = StatusEntry(version, name, MigrationState.MISSING, applied_at, time_ms, recorded, recorded, None)
        else:
            _, name, checksum, reversible = file
            _, _, applied_at, recorded, time_ms = row
            state = MigrationState.APPLIED if checksum == recorded else MigrationState.MODIFIED
            entry = StatusEntry(version, name, state, applied_at, time_ms, checksum, recorded, reversible)
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
