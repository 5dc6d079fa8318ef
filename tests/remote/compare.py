"""Reading a database the same way on the server (over Hrana) and in a file (sqlite3), to
compare them: schema as ``PRAGMA table_info`` gives it (tursodb re-formats the stored SQL, so
never its text), tracking rows, row counts, and a whole snapshot."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from pathlib import Path

from vfmigrate_magic.engine.hrana import HranaClient

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "migrations"  # the reference application's folders ([tool.vfmigrate] in pyproject.toml)
REFERENCE_NAMES = ("settings", "knowledge_graph", "ontology")

Query = Callable[[str], list[tuple]]


def on_server(url: str) -> Query:
    client = HranaClient(url, timeout=10)
    return lambda sql: [tuple(row) for row in client.execute(sql).rows]


def in_file(path: Path) -> Query:
    def query(sql: str) -> list[tuple]:
        conn = sqlite3.connect(path)
        try:
            return [tuple(row) for row in conn.execute(sql).fetchall()]
        finally:
            conn.close()
    return query


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def schema_of(query: Query) -> dict:
    """Every table, index, view and trigger by type and name, and each table's columns as
    (name, type, notnull, in the primary key) from ``PRAGMA table_info`` (not defaults: they are
    SQL text; and tursodb 0.6.0 says pk 1 for each column of a composite key, SQLite 1, 2, ...)."""
    objects = sorted(query("SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'"))
    columns = {name: [(r[1], r[2], r[3], r[5] > 0) for r in query(f"PRAGMA table_info({quote(name)})")]
               for kind, name in objects if kind == "table"}
    return {"objects": objects, "columns": columns}


def tracking(query: Query) -> list[tuple]:
    """(version, name, checksum) of every tracking row."""
    return query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")


def row_counts(query: Query) -> dict[str, int]:
    names = [r[0] for r in query("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    return {name: query(f"SELECT count(*) FROM {quote(name)}")[0][0] for name in sorted(names)}


def snapshot(query: Query) -> dict:
    """Everything a change would show in: the stored schema and every table's rows."""
    objects = sorted(query("SELECT type, name, sql FROM sqlite_schema"))
    rows = {name: sorted(query(f"SELECT * FROM {quote(name)}"), key=repr)
            for kind, name, _ in objects if kind == "table"}
    return {"objects": objects, "rows": rows}


def plain_copy(name: str, dest: Path) -> Path:
    """A copy of the reference folder ``name`` without ``WITHOUT ROWID``: tursodb 0.6.0 refuses such
    a table ("an experimental feature"), and with its flag on cannot index one. Nothing else changes."""
    folder = dest / name
    folder.mkdir(parents=True)
    for file in sorted((REFERENCE / name).glob("*.sql")):
        (folder / file.name).write_text(re.sub(r"\)\s*WITHOUT ROWID", ")", file.read_text(encoding="utf-8")),
                                        encoding="utf-8")
    return folder
