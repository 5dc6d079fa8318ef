"""The SQL every tool runs: migration sets, and the databases some workloads start from.

A migration is a version, a name and its UP and DOWN statements (without the closing ``;``);
each tool in :mod:`bench.tools` writes the same statements in its own file format.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    up: tuple[str, ...]
    down: tuple[str, ...]


def small_migrations(count: int) -> list[Migration]:
    """``count`` migrations, each a table with five columns and an index."""
    out = []
    for v in range(1, count + 1):
        table = f"t_{v:05d}"
        out.append(Migration(
            version=v,
            name=f"create_{table}",
            up=(
                f"CREATE TABLE {table} (\n    id INTEGER PRIMARY KEY,\n    name TEXT NOT NULL,\n"
                f"    email TEXT,\n    score REAL DEFAULT 0,\n    created_at TEXT\n)",
                f"CREATE INDEX idx_{table}_email ON {table} (email)",
            ),
            down=(f"DROP INDEX idx_{table}_email", f"DROP TABLE {table}"),
        ))
    return out


def many_migrations(count: int) -> list[Migration]:
    """``count`` migrations for ``status`` over many files: one table, then one row each.

    Real histories of thousands of migrations touch a bounded set of tables; 10,000 tables
    would make SQLite's own schema load (about 100 ms here) dominate what is measured.
    """
    out = [Migration(1, "create_settings_kv", (
        "CREATE TABLE settings_kv (\n    key TEXT PRIMARY KEY,\n    value TEXT NOT NULL,\n    changed_at TEXT\n)",
    ), ("DROP TABLE settings_kv",))]
    for v in range(2, count + 1):
        key = f"setting_{v:05d}"
        out.append(Migration(
            version=v,
            name=f"set_{key}",
            up=(f"INSERT INTO settings_kv (key, value, changed_at)\nVALUES ('{key}', 'value {v}', '2026-01-01')",),
            down=(f"DELETE FROM settings_kv WHERE key = '{key}'",),
        ))
    return out


def count_small_tables(db: Path) -> int:
    """How many of the ``t_NNNNN`` tables exist: checks that a tool really did the work."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name GLOB 't_[0-9]*'").fetchone()[0]
    finally:
        conn.close()


# The data migration: one ALTER and one UPDATE over every row of an existing table.
DATA_MIGRATION = Migration(
    version=1,
    name="add_items_c2",
    up=("ALTER TABLE items ADD COLUMN c2 TEXT", "UPDATE items SET c2 = lower(c1)"),
    down=("ALTER TABLE items DROP COLUMN c2",),
)


def make_items_db(path: Path, rows: int) -> None:
    """A database with ``items(id, c1)`` holding ``rows`` rows of mixed-case text."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, c1 TEXT NOT NULL)")
        conn.execute(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?) "
            "INSERT INTO items (id, c1) SELECT x, printf('Item %07d Of The Catalogue', x) FROM n",
            (rows,),
        )
    finally:
        conn.close()


def items_with_c2(db: Path) -> int:
    """Rows whose ``c2`` was filled by the data migration (0 when the column is absent)."""
    conn = sqlite3.connect(db)
    try:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(items)")]
        if "c2" not in columns:
            return 0
        return conn.execute("SELECT count(*) FROM items WHERE c2 = lower(c1)").fetchone()[0]
    finally:
        conn.close()


# The database for `down` with a backup: a big table, and a small last migration to undo.
BIG_MIGRATIONS = [
    Migration(1, "create_notes", ("CREATE TABLE notes (id INTEGER PRIMARY KEY, title TEXT, body BLOB)",),
              ("DROP TABLE notes",)),
    Migration(2, "create_tags", (
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, note_id INTEGER REFERENCES notes (id), tag TEXT NOT NULL)",
        "CREATE INDEX idx_tags_note ON tags (note_id)",
    ), ("DROP INDEX idx_tags_note", "DROP TABLE tags")),
]


def fill_notes(path: Path, megabytes: float) -> None:
    """Add about ``megabytes`` MB of rows to ``notes`` (1 KB random blobs)."""
    rows = max(1, int(megabytes * 1024 * 1024 / 1070))
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        conn.execute(
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?) "
            "INSERT INTO notes (title, body) SELECT 'note ' || x, randomblob(1000) FROM n",
            (rows,),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()
