"""The counts behind :mod:`.lint`'s findings: read-only queries on the run's connection, inside
its transaction (a rows-at-risk count on a failed statement writes only inside a savepoint it
rolls back)."""

from __future__ import annotations

import json
import re
import sqlite3

from .compare import fold, quote
from .schema import Index, read_table
from .statements import TRACKING_TABLE

def tables(conn: sqlite3.Connection) -> dict[str, str]:
    """``{folded name: name}`` of the main database's ordinary tables but the tracking table."""
    rows = conn.execute("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'")
    return {fold(n): n for (n,) in rows if fold(n) != TRACKING_TABLE and not fold(n).startswith("sqlite_")}


def count(conn: sqlite3.Connection, table: str, column: str | None = None) -> int:
    """The rows of ``table``, or the non-NULL values of its ``column``."""
    return conn.execute(f"SELECT count({'*' if column is None else quote(column)}) FROM {quote(table)}").fetchone()[0]


def columns(conn: sqlite3.Connection, table: str) -> dict[str, str]:
    """The columns of ``table`` (not generated ones), ``{folded name: name}``."""
    return {fold(name): name for (name,) in conn.execute("SELECT name FROM pragma_table_info(?)", (table,))}


def column_values(conn: sqlite3.Connection, table: str) -> tuple[int, dict[str, int]]:
    """The rows of ``table`` and the non-NULL values of each column, in one scan."""
    names = list(columns(conn, table).values())
    row = conn.execute(f"SELECT count(*){''.join(f', count({quote(c)})' for c in names)} FROM {quote(table)}").fetchone()
    return row[0], dict(zip(names, row[1:]))


def unique_fails(conn: sqlite3.Connection, target: str, source: str, index: Index) -> list[tuple[str, int]]:
    """The rows of ``source`` in groups that share a key of ``index`` (of ``target``) matched by
    column name (a NULL in the key never collides; an expression: nothing counted)."""
    have = columns(conn, source)
    key = [(have.get(fold(c.name or "")), c.collation or "BINARY") for c in index.columns]
    if any(name is None for name, _ in key):
        return []
    group = ", ".join(f"{quote(name)} COLLATE {quote(collation)}" for name, collation in key)
    where = " AND ".join(f"{quote(name)} IS NOT NULL" for name, _ in key)
    rows = conn.execute(f"SELECT total(n) FROM (SELECT count(*) AS n FROM {quote(source)} WHERE {where} "
                        f"GROUP BY {group} HAVING count(*) > 1)").fetchone()[0]
    return [(f"{target}({', '.join(c.name for c in index.columns)}) UNIQUE", int(rows))]


def fill_fails(conn: sqlite3.Connection, target: str, source: str) -> list[tuple[str, int]]:
    """The rows of ``source`` that would break a NOT NULL column or a unique key of
    ``target`` when copied into it column by column of the same name."""
    new, old = read_table(conn, target), read_table(conn, source)  # both ordinary tables
    nullable = [(c.name, o.name) for c in new.columns if c.notnull and not c.generated and c.name != new.rowid_alias
                and (o := old.column(c.name)) is not None and not o.notnull]
    nulls = conn.execute(f"SELECT {', '.join(f'total({quote(o)} IS NULL)' for _, o in nullable)} "
                         f"FROM {quote(old.name)}").fetchone() if nullable else ()
    found = [(f"{new.name}.{name} NOT NULL", int(n)) for (name, _), n in zip(nullable, nulls)]
    for index in new.indexes:
        if index.unique and not index.partial:
            found += unique_fails(conn, new.name, old.name, index)
    return found


def _keys_to(conn: sqlite3.Connection, parent: str) -> list[tuple[str, int, str, list[str], list[str | None]]]:
    """(child, key id, ON DELETE action, child columns, parent columns) of each foreign key to
    ``parent`` that deletes or changes its child rows when a parent row goes."""
    keys: dict[tuple[str, int], tuple[str, list[str], list[str | None]]] = {}
    for child, fk, action, frm, to in conn.execute(
            "SELECT m.name, f.id, upper(f.on_delete), f.\"from\", f.\"to\" FROM sqlite_schema AS m "
            "JOIN pragma_foreign_key_list(m.name) AS f WHERE m.type = 'table' AND f.\"table\" = ? COLLATE NOCASE "
            "AND upper(f.on_delete) IN ('CASCADE', 'SET NULL', 'SET DEFAULT') ORDER BY m.name, f.id, f.seq", (parent,)):
        entry = keys.setdefault((child, fk), (action, [], []))
        entry[1].append(frm)
        entry[2].append(to)
    return [(child, fk, action, frm, to) for (child, fk), (action, frm, to) in keys.items()]


def _fk_check(conn: sqlite3.Connection, child: str, parent: str, ids: set[int], what: str) -> sqlite3.Cursor:
    """``SELECT what`` over the rows of ``child`` that ``foreign_key_check`` finds without a
    parent in ``parent`` through the keys ``ids``."""
    return conn.execute(f"SELECT {what} FROM pragma_foreign_key_check(?) WHERE parent = ? COLLATE NOCASE "
                        f"AND fkid IN ({','.join(map(str, sorted(ids)))})", (child, parent))


def orphans(conn: sqlite3.Connection, parent: str) -> dict[str, int]:
    """``{child: rows}``: the rows of each table whose CASCADING foreign key to ``parent`` finds
    no parent row (``foreign_key_check``; 0 for a foreign key mismatch)."""
    ids: dict[str, set[int]] = {}
    for child, fk, *_ in _keys_to(conn, parent):
        ids.setdefault(child, set()).add(fk)
    found = {}
    for child, keys in ids.items():
        try:  # rowid is NULL in a WITHOUT ROWID table: each of its violations counts as one row
            found[child] = _fk_check(conn, child, parent, keys,
                                     "count(DISTINCT rowid) + count(*) - count(rowid)").fetchone()[0]
        except sqlite3.Error as exc:
            if "mismatch" not in str(exc):
                raise
            found[child] = 0
    return found


def descendants(conn: sqlite3.Connection, child: str, parent: str) -> list[tuple[str, str, int]]:
    """The rows further down that an application with foreign keys on would lose with the
    rows of ``child`` now without a parent in ``parent`` (through ON DELETE CASCADE keys):
    ``(table, via, rows)``, each table's rows deleted or set NULL / DEFAULT through ``via``,
    level by level, each row counted once (a table that refers to itself too)."""
    ids = {fk for kid, fk, action, *_ in _keys_to(conn, parent) if kid == child and action == "CASCADE"}
    if not ids:
        return []
    seeds = {r for r, in _fk_check(conn, child, parent, ids, "DISTINCT rowid") if r is not None}
    gone: dict[str, set[int]] = {fold(child): set(seeds)}
    changed: dict[str, set[int]] = {}
    found: dict[tuple[str, str], int] = {}
    frontier = [(child, seeds)]
    while frontier:
        table, rowids = frontier.pop()
        key = [name for name, in conn.execute("SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", (table,))]
        for kid, _, action, frm, to in _keys_to(conn, table):
            wanted = [t or (key[i] if i < len(key) else "rowid") for i, t in enumerate(to)]
            try:
                hit = {r for r, in conn.execute(
                    f"SELECT rowid FROM {quote(kid)} WHERE ({', '.join(map(quote, frm))}) IN (SELECT "
                    f"{', '.join(map(quote, wanted))} FROM {quote(table)} WHERE rowid IN (SELECT value FROM json_each(?)))",
                    (json.dumps(sorted(rowids)),))}
            except sqlite3.Error:  # a WITHOUT ROWID child, a key that does not match: not followed
                continue
            new = hit - gone.setdefault(fold(kid), set())
            if action == "CASCADE":
                gone[fold(kid)] |= new
                if new:
                    frontier.append((kid, new))
            else:
                new -= changed.setdefault(fold(kid), set())
                changed[fold(kid)] |= new
            if new:
                found[kid, table] = found.get((kid, table), 0) + len(new)
    return [(kid, via, rows) for (kid, via), rows in found.items()]


_CONSTRAINT = re.compile(r"(NOT NULL|UNIQUE|CHECK) constraint failed(?:: (.*))?")
_ADD_COLUMN = re.compile(r"\bADD\s+(?:COLUMN\s+)?(\"(?:[^\"]|\"\")+\"|\[[^\]]+\]|`[^`]+`|[^\s(]+)", re.I)
_WRITE = re.compile(r"^((?:\s|--[^\n]*\n|/\*.*?\*/)*)(INSERT|UPDATE)\b(?!\s+OR\b)", re.I | re.S)


def failed_rows(conn: sqlite3.Connection, sql: str, table: str, message: str) -> tuple[str, int] | None:
    """``(constraint, rows)``: the rows of ``table`` that make ``sql`` fail with ``message``,
    a NOT NULL, UNIQUE or CHECK failure. ALTER TABLE ADD COLUMN: every row gets the new
    column's value. INSERT / UPDATE: run again as ``OR IGNORE`` in a savepoint rolled back,
    the rows a BEFORE trigger saw minus those written. None when it cannot be told."""
    match = _CONSTRAINT.match(message)
    if "Cannot add a NOT NULL column" in message:
        column = _ADD_COLUMN.search(sql)
        return f"{table}.{column.group(1).strip(chr(34)) if column else '?'} NOT NULL", count(conn, table)
    if match is None:
        return None
    kind, detail = match.groups()
    detail = detail or ""
    what = {"NOT NULL": f"{detail} NOT NULL", "CHECK": f"{table} CHECK" + (f" ({detail})" if detail else ""),
            "UNIQUE": f"{table}({', '.join(c.rpartition('.')[2] for c in detail.split(', '))}) UNIQUE"}[kind]
    if re.match(r"\s*ALTER\b", sql, re.I):
        return what, count(conn, table)
    write = _WRITE.match(sql)
    if write is None:
        return None
    seen = [0]
    conn.create_function("vfmigrate_lint_seen", 0, lambda: seen.__setitem__(0, seen[0] + 1))
    conn.execute("SAVEPOINT vfmigrate_lint")
    try:
        conn.execute(f"CREATE TEMP TRIGGER vfmigrate_lint_seen BEFORE {write.group(2).upper()} ON main.{quote(table)} "
                     "BEGIN SELECT vfmigrate_lint_seen(); END")
        written = conn.execute(write.group(1) + write.group(2) + " OR IGNORE" + sql[write.end():]).rowcount
    except sqlite3.Error:
        return None
    finally:
        conn.execute("ROLLBACK TO vfmigrate_lint")
        conn.execute("RELEASE vfmigrate_lint")
        conn.create_function("vfmigrate_lint_seen", 0, None)
    return what, seen[0] - written
