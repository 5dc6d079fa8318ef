"""A local backup of a remote database, before ``down``: a new SQLite file written from what
SELECTs over Hrana read (every table's CREATE from ``sqlite_schema`` and its rows, with their
rowids; ``sqlite_sequence``; then the indexes, views and triggers), so it opens with plain
``sqlite3`` and holds ``schema_migrations`` at the version before.

Everything is read in ONE batch inside ``BEGIN`` ... ``COMMIT``: one consistent snapshot, and no
transaction left open on the server between requests (on tursodb it would block every client).
The whole database travels in that one answer, so it must fit in memory. The file is written
as ``<name>.partial``, checked (``integrity_check``), synced and renamed, as a file's backup is
(:func:`.backup.backup`): a failed or killed backup never leaves a file under a backup's name.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from .backup import written
from .compare import quote
from .errors import DatabaseError
from .hrana import IS_AUTOCOMMIT, HranaClient, Result, ServerError, Step, and_, not_, ok
from .sqlite import integrity_check

SCHEMA = "SELECT type, name, tbl_name, sql FROM sqlite_schema"
_WITHOUT_ROWID = re.compile(r"\bWITHOUT\s+ROWID\b", re.I)


def pull(client: HranaClient, target: Path) -> Path:
    """Write the database ``client`` serves to the new file ``target``; returns it. Changes
    nothing on the server. Raises ServerError when the server cannot be read (or its schema
    changed while it was), DatabaseError (the partial file removed) when the copy cannot be
    written or holds a virtual table; the server is unchanged either way."""
    first = client.execute(SCHEMA).rows
    objects = [row for row in first if not row[1].startswith("sqlite_") and row[3]]
    for kind, name, _, sql in objects:
        if kind == "table" and sql.upper().startswith("CREATE VIRTUAL"):
            raise DatabaseError(f"{client.url}: cannot back up the virtual table {name} yet; back the database up "
                                "another way and roll back with --no-backup. Nothing was changed.")
    tables = [(name, sql, _rowid(sql)) for kind, name, _, sql in objects if kind == "table"]
    reads = [SCHEMA] + [f"SELECT {alias + ', ' if alias else ''}* FROM {quote(name)}" for name, _, alias in tables]
    sequence = any(row[1] == "sqlite_sequence" for row in first)
    if sequence:
        reads.append("SELECT name, seq FROM sqlite_sequence")
    steps = [Step("BEGIN")] + [Step(sql, condition=ok(i)) for i, sql in enumerate(reads)]
    steps += [Step("COMMIT", condition=ok(len(steps) - 1))]
    steps += [Step("ROLLBACK", condition=and_(ok(0), not_(ok(len(steps) - 1)), not_(IS_AUTOCOMMIT)))]
    result = client.batch(steps)
    failed = next((e.message for e in result.errors if e is not None), None)
    if failed is not None:
        raise ServerError(client.url, f"cannot read the database for the backup ({failed}); roll back without "
                                      "one (--no-backup) if you must. Nothing was changed.")
    snapshot = result.results[1:len(reads) + 1]
    if snapshot[0].rows != first:
        raise ServerError(client.url, "the schema changed while the backup was read (another runner?); run the "
                                      "command again. Nothing was changed.")
    rows = snapshot[1:len(tables) + 1]
    others = [sql for kind, _, _, sql in objects if kind != "table"]
    _write(target, tables, rows, snapshot[-1].rows if sequence else (), others)
    return target


def _rowid(sql: str) -> str | None:
    """A name that reads a table's rowid: the first of rowid, _rowid_ and oid that its CREATE
    does not mention (so no column has it); None for a WITHOUT ROWID table (or none free)."""
    if _WITHOUT_ROWID.search(sql):
        return None
    return next((a for a in ("rowid", "_rowid_", "oid") if not re.search(rf"\b{a}\b", sql, re.I)), None)


def _write(target: Path, tables: list[tuple[str, str, str | None]], rows: list[Result],
           sequence: tuple, others: list[str]) -> None:
    """The tables with their rows, ``sqlite_sequence``, then the other objects (so no trigger
    fires on the copied rows), in one transaction into ``target``, checked (:func:`.backup.written`:
    as ``.partial`` first, synced, renamed)."""
    with written(target) as partial:
        conn = sqlite3.connect(partial, isolation_level=None)
        try:
            conn.execute("BEGIN")
            for _, sql, _ in tables:
                conn.execute(sql)
            for (name, _, alias), found in zip(tables, rows):
                columns = [quote(c) for c in (found.columns[1:] if alias else found.columns)]
                columns = ([alias] if alias else []) + columns
                conn.executemany(f"INSERT INTO {quote(name)} ({', '.join(columns)}) "
                                 f"VALUES ({', '.join('?' * len(columns))})", found.rows)
            if sequence:  # copying AUTOINCREMENT rows filled it in already: the server's counters win
                conn.execute("DELETE FROM sqlite_sequence")
                conn.executemany("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", sequence)
            for sql in others:
                conn.execute(sql)
            conn.execute("COMMIT")
            integrity = integrity_check(conn)
        finally:
            conn.close()
        if integrity != "ok":
            raise sqlite3.DatabaseError(f"integrity_check says {integrity}")
