"""Backups before a ``down``: a consistent, synced copy of the database under a new name
beside it, written under the write lock; a killed or failed backup leaves no file that looks
like one.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from .errors import DatabaseError
from .sqlite import Transaction, uri_path, database_path, journal_mode

_ROLLBACK_JOURNAL_MODES = {"delete", "truncate", "persist"}
PARTIAL_SUFFIX = ".partial"


def backup(conn: sqlite3.Connection, target: Path) -> Path:
    """Write a consistent copy of ``conn``'s database to the new file ``target``, synced.

    Takes the write lock first (``BEGIN IMMEDIATE``, waiting out the busy timeout), so a
    locked database leaves no copy behind, and no one writes while the copy is made. The copy
    is written as ``target`` + ``.partial`` in the same folder, synced, then renamed to
    ``target`` and the folder synced: a killed or failed backup never leaves a file under a
    backup's name. With a rollback journal on POSIX the file itself is copied (at the
    kernel's speed); otherwise (WAL, whose recent commits live in the -wal file) SQLite's
    online backup API copies it page by page from a second, read-only connection.

    Raises DatabaseLocked when the lock is not granted, and DatabaseError (the partial file
    removed) when the copy cannot be written; the database is unchanged either way.
    """
    db = database_path(conn)
    if db is None:
        raise DatabaseError("an in-memory database cannot be backed up to a file")
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    with Transaction(conn, db, rollback=True):
        try:
            if os.name == "posix" and journal_mode(conn) in _ROLLBACK_JOURNAL_MODES:
                import shutil  # only a down with a backup needs it

                shutil.copyfile(db, partial)  # sendfile(2) on Linux
            else:
                source = sqlite3.connect(f"file:{uri_path(Path(db))}?mode=ro", uri=True)
                dest = sqlite3.connect(partial)
                try:
                    source.backup(dest)
                finally:
                    dest.close()
                    source.close()
            _sync(partial)
            os.replace(partial, target)
            _sync(target.parent)
        except BaseException as exc:
            partial.unlink(missing_ok=True)
            if isinstance(exc, (OSError, sqlite3.Error)):
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                raise DatabaseError(
                    f"{target}: cannot write the backup ({reason}); free some space or fix the "
                    "folder's permissions, or roll back without one (--no-backup). Nothing was changed."
                ) from exc
            raise
    return target


def _sync(path: Path) -> None:
    """fsync a file or (on POSIX) a folder, so a rename into it survives a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_path(db: Path, label: str) -> Path:
    """A new file name beside ``db`` for a backup: ``<db>.<UTC time>.<label>.bak``."""
    from datetime import datetime, timezone
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    candidate = db.with_name(f"{db.name}.{stamp}.{label}.bak")
    n = 1
    while candidate.exists():
        n += 1
        candidate = db.with_name(f"{db.name}.{stamp}.{label}.{n}.bak")
    return candidate
