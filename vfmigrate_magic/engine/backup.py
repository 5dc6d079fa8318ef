"""Backups: a consistent, synced copy of the database under a new name beside it, written
under the write lock before a ``down`` or a ``restore`` (a killed or failed backup leaves no
file that looks like one); listing them, restoring one, pruning the oldest.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import DatabaseError, UsageError
from .results import display_path, plural
from .sqlite import Transaction, database_path, integrity_check, journal_mode, uri_path


@dataclass(frozen=True, slots=True)
class BackupFile:
    """One backup beside a database: ``version`` the database was at, ``created_at`` (UTC,
    ISO 8601) from its name, ``size`` in bytes."""

    path: str
    version: int
    created_at: str
    size: int

    def __str__(self) -> str:
        return (f"{display_path(self.path)}  version {self.version}  {self.created_at.replace('T', ' ')[:19]} UTC  "
                f"{_size(self.size)}")


@dataclass(frozen=True, slots=True)
class RestoreResult:
    """What ``restore`` did: ``saved`` is the backup of the database as it was (None when
    there was nothing in it), ``pruned`` the old backups ``backup_keep`` removed."""

    database: str
    restored_from: str
    saved: str | None
    version_before: int
    version_after: int
    integrity: str
    pruned: tuple[str, ...] = ()
    duration_ms: float = 0.0

    def __str__(self) -> str:
        lines = [f"Backed up {display_path(self.database)} (version {self.version_before}) to {display_path(self.saved)}"
                 if self.saved else f"{display_path(self.database)} held nothing to back up"]
        lines.append(f"Restored {display_path(self.database)} from {display_path(self.restored_from)} "
                     f"(version {self.version_before} -> {self.version_after})")
        lines.append(f"integrity_check: {self.integrity}")
        lines.extend(f"Removed old backup {display_path(p)} (backup_keep)" for p in self.pruned)
        return "\n".join(lines)


def _size(n: float) -> str:
    if n < 1024:
        return plural(int(n), "byte")
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024 or unit == "GiB":
            break
    return f"{n:.1f} {unit}"


_ROLLBACK_JOURNAL_MODES = {"delete", "truncate", "persist"}
PARTIAL_SUFFIX = ".partial"


def backup(conn: sqlite3.Connection, target: Path, *, waiting: Callable[[float], None] | None = None) -> Path:
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
    # waiting: see Transaction. The copy is made under the write lock, so no one writes meanwhile.
    with Transaction(conn, db, rollback=True, waiting=waiting), written(target) as partial:
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
    return target


@contextlib.contextmanager
def written(target: Path) -> Iterator[Path]:
    """The file a backup is written to in the block: ``target`` + ``.partial``, then synced,
    renamed to ``target`` and the folder synced, so a killed or failed backup never leaves a
    file under a backup's name. When the block (or that) fails, the partial file and any
    journal of it are removed, and an OSError or sqlite3 error becomes one DatabaseError line."""
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    try:
        yield partial
        sync_path(partial)
        os.replace(partial, target)
        sync_path(target.parent)
    except BaseException as exc:
        partial.unlink(missing_ok=True)
        Path(f"{partial}-journal").unlink(missing_ok=True)
        if isinstance(exc, (OSError, sqlite3.Error)):
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise DatabaseError(
                f"{display_path(str(target))}: cannot write the backup ({reason}); free some space or fix the "
                "folder's permissions, or roll back without one (--no-backup). Nothing was changed."
            ) from exc
        raise


def sync_path(path: Path) -> None:
    """fsync a file or (on POSIX) a folder, so a rename into it survives a power cut."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def backup_path(db: Path, label: str) -> Path:
    """A new file name beside ``db`` for a backup: ``<db>.<UTC time>.<label>.bak``."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    candidate = db.with_name(f"{db.name}.{stamp}.{label}.bak")
    n = 1
    while candidate.exists():
        n += 1
        candidate = db.with_name(f"{db.name}.{stamp}.{label}.{n}.bak")
    return candidate


_NAME = re.compile(r"\.(\d{8}T\d{6}Z)\.v(\d+)(?:\.(\d+))?\.bak")


def list_backups(db: Path) -> list[BackupFile]:
    """The backups of ``db`` in its folder (files named as :func:`backup_path` names them),
    oldest first. A ``.partial`` file, left by a killed backup, is not one."""
    try:
        names = os.listdir(db.parent)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise DatabaseError(f"{display_path(str(db.parent))}: cannot list the folder ({exc.strerror or exc})") from exc
    found = []
    for name in names:
        match = _NAME.fullmatch(name[len(db.name):]) if name.startswith(db.name) else None
        if match is None:
            continue
        stamp, version, n = match.groups()
        path = db.with_name(name)
        try:
            info = path.stat()
        except OSError:
            continue  # removed while listing
        at = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        # Within one second of the name, the file's own time (then its number) says which came first.
        found.append((stamp, info.st_mtime_ns, int(n or 1), BackupFile(str(path), int(version), at.isoformat(),
                                                                      info.st_size)))
    return [entry for *_, entry in sorted(found, key=lambda item: item[:3])]


def prune(db: Path, keep: int | None, *, spare: Path | None = None) -> tuple[str, ...]:
    """Remove the oldest backups of ``db``, leaving ``keep`` (None: keep all); ``spare``
    (the backup just restored) is never removed. Returns the removed paths."""
    if keep is None:
        return ()
    backups = list_backups(db)
    excess = len(backups) - keep
    removable = [b for b in backups if spare is None or not _same_file(Path(b.path), spare)]
    removed = []
    for old in removable[:max(excess, 0)]:
        with contextlib.suppress(FileNotFoundError):  # a concurrent prune got there first
            os.unlink(old.path)
            removed.append(old.path)
    return tuple(removed)


def restore(db: Path, source: Path, *, busy_timeout: float, keep: int | None = None,
            base: Path | None = None) -> RestoreResult:
    """Replace the database ``db`` with the backup ``source``: first a backup of ``db`` as it
    is (under the write lock), then SQLite's backup API copies ``source`` into it, holding the
    write lock for the whole copy, which is one transaction (a kill leaves ``db`` as it was);
    then ``integrity_check``; then ``keep`` prunes old backups (never ``source``). ``base``:
    where the backups of ``db`` are kept (:attr:`.config.Target.base`; default beside it).

    Raises DatabaseError when ``source`` is not a sound SQLite database (nothing changed),
    DatabaseLocked when the lock is not granted. :func:`source_for` checks a user's argument.
    """
    from .sqlite import connect, translate

    _check_backup(source)
    base = db if base is None else base
    started = time.perf_counter()
    conn = connect(db, create=True, busy_timeout=busy_timeout)
    try:
        before = _version(conn)
        saved = str(backup(conn, backup_path(base, f"v{before}"))) if _has_content(conn) else None
        reader = sqlite3.connect(f"file:{uri_path(source)}?mode=ro", uri=True)
        try:
            reader.backup(conn)
        finally:
            reader.close()
        integrity = integrity_check(conn)
        after = _version(conn)
    except sqlite3.Error as exc:
        raise translate(exc, str(db), busy_timeout) from exc
    finally:
        conn.close()
    return RestoreResult(str(db), str(source), saved, before, after, integrity,
                         prune(base, keep, spare=source), (time.perf_counter() - started) * 1000)


def source_for(db: Path, argument: str, base: Path | None = None) -> Path:
    """The backup file a user named: a path, or the name of a file where the backups of ``db``
    are kept (beside it, or beside ``base``: :attr:`.config.Target.base`), as ``vfmigrate
    backups`` lists them. Raises UsageError when it is neither, or is ``db``."""
    source = Path(argument)
    folder = (db if base is None else base).parent
    if not source.exists() and not source.is_absolute() and (folder / argument).exists():
        source = folder / argument
    if not source.is_file():
        raise UsageError(f"{argument}: no such backup file; list them with 'vfmigrate backups'. Nothing was changed.")
    if _same_file(db, source):
        raise UsageError(f"{argument} is the database itself; name one of its backups ('vfmigrate backups')")
    return source


def _check_backup(source: Path) -> None:
    """Raises DatabaseError when ``source`` is not a sound SQLite database with tables."""
    shown = display_path(str(source))
    try:
        reader = sqlite3.connect(f"file:{uri_path(source)}?mode=ro", uri=True)
        try:
            result = integrity_check(reader)
            empty = not _has_content(reader)
        finally:
            reader.close()
    except sqlite3.Error as exc:
        raise DatabaseError(f"{shown}: is not a SQLite database or is corrupt ({exc}); "
                            "pick another backup. Nothing was changed.") from exc
    if empty:
        raise DatabaseError(f"{shown}: holds no tables, so it is not a backup; pick another. Nothing was changed.")
    if result != "ok":
        raise DatabaseError(f"{shown}: integrity_check says {result}; pick another backup. Nothing was changed.")


def _version(conn: sqlite3.Connection) -> int:
    from .tracker import VersionTracker

    return VersionTracker(conn).current_version()


def _has_content(conn: sqlite3.Connection) -> bool:
    """Whether the database holds anything worth a backup (a file just created does not)."""
    return conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0] > 0


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
