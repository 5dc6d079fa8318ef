"""Everything SQLite-specific: opening a database, the transaction helper, locking, the
journal, schema snapshots and the integrity and foreign-key checks (backups: :mod:`.backup`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from .errors import DatabaseError, DatabaseLocked
from .results import display_path

DEFAULT_BUSY_TIMEOUT = 30.0
# Seconds of each try when a front end follows a wait for the write lock (Transaction.waiting).
WAIT_SLICE = 0.1


def connect(path: str | os.PathLike[str], *, create: bool = False, readonly: bool = False,
            busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> sqlite3.Connection:
    """Open ``path`` in autocommit mode (the engine issues BEGIN/COMMIT itself).

    Never creates a folder; creates the file only with ``create=True``. Raises DatabaseError
    with one line naming the file when it is missing, unreadable or not a SQLite database.
    """
    db = Path(path)
    require_folder(db)
    exists = db.exists()
    if exists and not db.is_file():
        raise DatabaseError(f"{display_path(str(db))}: is not a file; point --database at a SQLite file")
    if not create and not exists:
        raise DatabaseError(f"{display_path(str(db))}: no such database; run 'vfmigrate up' to create it, or fix "
                            "the path")
    if not readonly and exists and not os.access(db, os.W_OK):
        raise DatabaseError(f"{display_path(str(db))}: cannot write, the database is read-only (no write permission "
                            "on the file); check the file's permissions. Nothing was changed.")
    if not readonly and not os.access(db.parent, os.W_OK):
        raise DatabaseError(f"{display_path(str(db))}: cannot write, the folder {display_path(str(db.parent))} is "
                            "read-only (SQLite keeps its journal beside the database); check the folder's "
                            "permissions. Nothing was changed.")
    try:
        try:
            return _open(db, "ro" if readonly else ("rwc" if create else "rw"), busy_timeout)
        except sqlite3.Error as exc:
            # A crash left a hot journal: SQLite rolls it back on the first read, which a
            # read-only connection cannot do. Open it as any writer would, when we may write.
            if not (readonly and exc.sqlite_errorcode in _NEEDS_RECOVERY and _writable(db)):
                raise
            return _open(db, "rw", busy_timeout)
    except sqlite3.Error as exc:
        raise translate(exc, str(db), busy_timeout) from exc


# SQLITE_READONLY_ROLLBACK, SQLITE_READONLY_RECOVERY: a hot journal or WAL to recover first
_NEEDS_RECOVERY = {776, 264}


def _open(db: Path, mode: str, busy_timeout: float) -> sqlite3.Connection:
    uri = f"file:{uri_path(db.resolve())}?mode={mode}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=busy_timeout, check_same_thread=False)
    try:
        # Reading the schema proves this is a SQLite database before anything is written.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        conn.close()
        raise
    return conn


def _writable(db: Path) -> bool:
    return os.access(db, os.W_OK) and os.access(db.parent, os.W_OK)


def require_folder(db: Path) -> None:
    """Raise DatabaseError when the folder that holds (or would hold) ``db`` is missing."""
    if not db.parent.is_dir():
        raise DatabaseError(f"{db}: the folder {db.parent} does not exist; create it first or fix the path")


def uri_path(path: Path) -> str:
    """``path`` escaped for a ``file:`` URI (the characters SQLite's URI parser treats specially)."""
    return str(path).replace("%", "%25").replace("?", "%3f").replace("#", "%23")


def translate(exc: sqlite3.Error, path: str, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> DatabaseError:
    """Turn a sqlite3 error about the database file itself into a one-line DatabaseError
    (``path`` shown relative to the working folder when it lies inside it)."""
    text = str(exc)
    lowered = text.lower()
    shown = display_path(path)
    if getattr(exc, "sqlite_errorcode", None) in _NEEDS_RECOVERY:
        return DatabaseError(f"{shown}: a writer that crashed left a journal that SQLite must roll back "
                             "first, and this process may not write the file or its folder; run any "
                             "command (status will do) as a user who can write there, and it recovers")
    if "locked" in lowered or "busy" in lowered:
        return DatabaseLocked(path, busy_timeout)  # it shows the path itself
    if "not a database" in lowered or "malformed" in lowered or "encrypted" in lowered:
        return DatabaseError(f"{shown}: is not a SQLite database or is corrupt ({text}); check the path or "
                             "restore a backup")
    if "readonly" in lowered or "read-only" in lowered:
        return DatabaseError(f"{shown}: cannot write, the database is read-only ({text}); check the file's and "
                             "folder's permissions")
    if "unable to open" in lowered:
        return DatabaseError(f"{shown}: cannot open the database ({text}); check the path and permissions")
    return DatabaseError(f"{shown}: {text}")


def database_path(conn: sqlite3.Connection) -> str | None:
    """The file behind ``conn``'s main database, or None for an in-memory database."""
    for _, name, file in conn.execute("PRAGMA database_list"):
        if name == "main":
            return file or None
    return None


class Transaction:
    """One write transaction (``BEGIN IMMEDIATE``) as a ``with`` block.

    Commits when the block ends, unless ``rollback`` is set (dry run). Rolls back on any
    ``BaseException`` -- a KeyboardInterrupt too -- so a migration is all or nothing.
    ``BEGIN IMMEDIATE`` takes the write lock up front: two runners queue here (busy
    timeout) instead of both reading a version as pending. SQLite errors (a lock not granted
    in time, a read-only or corrupt file) leave the block as one-line errors naming ``label``.
    A class rather than a generator-based context manager: it is entered once per migration.
    """

    __slots__ = ("conn", "label", "rollback", "waiting")

    def __init__(self, conn: sqlite3.Connection, label: str, *, rollback: bool = False,
                 waiting: Callable[[float], None] | None = None) -> None:
        self.conn = conn
        self.label = label
        self.rollback = rollback
        self.waiting = waiting

    def __enter__(self) -> sqlite3.Connection:
        try:
            if self.waiting is None:
                self.conn.execute("BEGIN IMMEDIATE")
            else:
                self._begin_waiting()
        except sqlite3.Error as exc:
            raise self._translated(exc) from exc
        return self.conn

    def _begin_waiting(self) -> None:
        """``BEGIN IMMEDIATE`` retried in slices of WAIT_SLICE seconds up to the busy timeout,
        calling ``waiting(seconds waited)`` after each refused try: a front end shows the wait,
        and its callback may raise to stop waiting (SQLite's own wait cannot be cut short)."""
        conn = self.conn
        timeout_ms = conn.execute("PRAGMA busy_timeout").fetchone()[0]
        conn.execute(f"PRAGMA busy_timeout={min(timeout_ms, int(WAIT_SLICE * 1000))}")
        started = time.monotonic()
        try:
            while True:
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    waited = time.monotonic() - started
                    if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY or waited * 1000 >= timeout_ms:
                        raise
                    self.waiting(waited)
        finally:
            conn.execute(f"PRAGMA busy_timeout={timeout_ms}")

    def __exit__(self, kind, exc, traceback) -> bool:
        conn = self.conn
        if kind is None:
            try:
                conn.execute("ROLLBACK" if self.rollback else "COMMIT")
                return False
            except sqlite3.Error as failed:  # COMMIT not granted: nothing of the block stays
                exc = failed
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.Error):
            raise self._translated(exc) from exc
        return False

    def _translated(self, exc: sqlite3.Error) -> DatabaseError:
        return translate(exc, self.label, self.conn.execute("PRAGMA busy_timeout").fetchone()[0] / 1000)


def data_version(conn: sqlite3.Connection) -> int:
    """``PRAGMA data_version``: changes when another connection commits to the database
    (never for this connection's own commits), so an unchanged value means nothing else wrote."""
    return conn.execute("PRAGMA data_version").fetchone()[0]


def schema_objects(conn: sqlite3.Connection) -> dict[tuple[str, str], str]:
    """``{(type, name): sql}`` for every table, index, view and trigger (not internal ones)."""
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
    )
    return {(kind, name): sql or "" for kind, name, sql in rows}


def integrity_check(conn: sqlite3.Connection) -> str:
    """``PRAGMA integrity_check``: ``"ok"`` or the problems found, joined by '; '."""
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check")]
    return "; ".join(rows)


def foreign_key_check(conn: sqlite3.Connection) -> tuple[str, ...]:
    """``PRAGMA foreign_key_check`` as readable lines; empty when every reference resolves."""
    return described(conn.execute("PRAGMA foreign_key_check"))


def described(rows) -> tuple[str, ...]:
    """Rows of ``PRAGMA foreign_key_check`` as readable lines: ``orders rowid 7 -> users``."""
    return tuple(_describe(row) for row in rows)


def _describe(row: tuple) -> str:
    table, rowid, parent, _ = row
    return f"{table} rowid {rowid} -> {parent}"


def violations(conn: sqlite3.Connection) -> list[tuple]:
    """The rows of ``PRAGMA foreign_key_check``: (table, rowid, parent, constraint index)."""
    return conn.execute("PRAGMA foreign_key_check").fetchall()


def added_violations(before: list[tuple], after: list[tuple]) -> tuple[str, ...]:
    """The violations of ``after`` that ``before`` did not have, as readable lines.

    Counted per (table, parent): a rebuild may renumber the rows of a table whose old data
    already broke a reference, and those rows are not new. Named are the rows of ``after``
    that are not in ``before``.
    """
    if not after or after == before:  # the common case: no violation, or none new
        return ()
    from collections import Counter

    grown = Counter((t, p) for t, _, p, _ in after) - Counter((t, p) for t, _, p, _ in before)
    if not grown:
        return ()
    old = {(t, r, p) for t, r, p, _ in before}
    named = [row for row in after if (row[0], row[2]) in grown and (row[0], row[1], row[2]) not in old]
    return tuple(_describe(row) for row in named or after)


@contextlib.contextmanager
def foreign_keys_off(conn: sqlite3.Connection) -> Iterator[None]:
    """Foreign-key enforcement off for the block, as it was afterwards. Call it outside any
    transaction: SQLite ignores ``PRAGMA foreign_keys`` inside one. With enforcement on, a
    table rebuilt the SQLite way (create, copy, drop the old, rename) cascades its ON DELETE
    actions to every child row; checking is done by ``foreign_key_check`` instead."""
    was = conn.execute("PRAGMA foreign_keys").fetchone()[0]
    if was:
        conn.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        # A no-transaction migration may have switched it: put back what the caller had.
        if not conn.in_transaction and conn.execute("PRAGMA foreign_keys").fetchone()[0] != was:
            conn.execute(f"PRAGMA foreign_keys={'ON' if was else 'OFF'}")


def journal_mode(conn: sqlite3.Connection) -> str:
    return str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()


def keep_journal(conn: sqlite3.Connection) -> bool:
    """Before a run of several transactions: on a database in SQLite's default journal mode
    (DELETE), switch this connection to PERSIST. The rollback journal is then created once
    and its header zeroed at each commit, instead of created (with a sync of the folder) and
    deleted at every commit: ``up`` of 500 small migrations on ext4 took 3-8 % less time.

    Nothing else changes: a migration commits at the same point with the same syncs, a
    journal with a zeroed header is not "hot" (no connection rolls anything back from it),
    the mode is this connection's own (other connections keep theirs), and WAL or any other
    mode the database was given is left alone. Returns whether it switched; call
    :func:`release_journal` when done.
    """
    if journal_mode(conn) != "delete":
        return False
    conn.execute("PRAGMA journal_mode=PERSIST")
    return True


def release_journal(conn: sqlite3.Connection) -> None:
    """Back to DELETE, which removes the journal file kept by :func:`keep_journal` (if
    another connection is writing at that moment, its own commit removes it). Never raises:
    what the run did stands either way, and a leftover journal with a zeroed header is inert."""
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error:
        pass


def now_precise() -> str:
    """The current UTC time with milliseconds, for the event log: ``YYYY-MM-DD HH:MM:SS.mmm``."""
    ns = time.time_ns()
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ns // 1_000_000_000)) + ".%03d" % (ns // 1_000_000 % 1000)


def now_iso() -> str:
    """The current UTC time as stored in ``applied_at``: ``YYYY-MM-DD HH:MM:SS``."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
