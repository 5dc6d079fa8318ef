"""The SQL every tool runs: the migration sets, and the checks that a tool did the work. A
migration is a version, a name and its UP and DOWN statements (without the closing ``;``);
each tool in :mod:`bench.tools` writes the same statements in its own file format."""

from __future__ import annotations

import sqlite3
from contextlib import closing
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
    return [Migration(v, f"create_t_{v:05d}", (
        f"CREATE TABLE t_{v:05d} (\n    id INTEGER PRIMARY KEY,\n    name TEXT NOT NULL,\n    email TEXT,\n"
        f"    score REAL DEFAULT 0,\n    created_at TEXT\n)", f"CREATE INDEX idx_t_{v:05d}_email ON t_{v:05d} (email)",
    ), (f"DROP INDEX idx_t_{v:05d}_email", f"DROP TABLE t_{v:05d}")) for v in range(1, count + 1)]


def many_migrations(count: int) -> list[Migration]:
    """``count`` migrations for ``status`` over many files: one table, then a row each (real long
    histories touch a bounded set of tables; 10,000 tables would make SQLite's own schema load
    dominate what is measured)."""
    return [Migration(1, "create_settings_kv", (
        "CREATE TABLE settings_kv (\n    key TEXT PRIMARY KEY,\n    value TEXT NOT NULL,\n    changed_at TEXT\n)",
    ), ("DROP TABLE settings_kv",))] + [Migration(v, f"set_setting_{v:05d}", (
        f"INSERT INTO settings_kv (key, value, changed_at)\nVALUES ('setting_{v:05d}', 'value {v}', '2026-01-01')",
    ), (f"DELETE FROM settings_kv WHERE key = 'setting_{v:05d}'",)) for v in range(2, count + 1)]


def count_small_tables(db: Path) -> int:
    """How many of the ``t_NNNNN`` tables exist."""
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name GLOB 't_[0-9]*'"
                            ).fetchone()[0]


def make_tenant_db(path: Path, rows: int = 20) -> None:
    """A small database, the one every tenant of a fleet starts from: ``accounts(id, name,
    email)`` with ``rows`` rows."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("CREATE TABLE accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT)")
        conn.execute("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?) "
                     "INSERT INTO accounts SELECT x, printf('Tenant user %d', x), printf('u%d@example.org', x) FROM n",
                     (rows,))


def fleet_not_migrated(tenants: Path, count: int, migrations: int) -> str:
    """What a fleet ``up`` left undone in ``tenants`` ("" when nothing): ``count`` databases, each
    with the ``migrations`` small tables and as many tracking rows."""
    found = sorted(tenants.glob("*.db"))
    if len(found) != count:
        return f"{len(found):,} of the {count:,} databases are there"
    for db in found:
        with closing(sqlite3.connect(db)) as conn:
            tables, tracked = conn.execute("SELECT total(name GLOB 't_[0-9]*'), total(name = 'schema_migrations') "
                                           "FROM sqlite_master WHERE type = 'table'").fetchone()
            if tracked:
                tracked = conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
        if (tables, tracked) != (migrations, migrations):
            return f"left {db.name} with {tables:.0f} of the {migrations} tables and {tracked:.0f} tracking rows"
    return ""


# The data migration: one ALTER and one UPDATE over every row of an existing table.
DATA_MIGRATION = Migration(1, "add_items_c2",
                           ("ALTER TABLE items ADD COLUMN c2 TEXT", "UPDATE items SET c2 = lower(c1)"),
                           ("ALTER TABLE items DROP COLUMN c2",))


def make_items_db(path: Path, rows: int, exists: bool = False) -> None:
    """A database with ``items(id, c1)`` holding ``rows`` rows of mixed-case text; with ``exists``,
    those rows go into the ``items(id, c1, c2)`` already in ``path``, ``c2`` a number."""
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        columns, values = "id, c1, c2", "x, printf('Item %07d Of The Catalogue', x), x % 1000"
        if not exists:
            conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, c1 TEXT NOT NULL)")
            columns, values = "id, c1", "x, printf('Item %07d Of The Catalogue', x)"
        conn.execute("WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < ?) "
                     f"INSERT INTO items ({columns}) SELECT {values} FROM n", (rows,))


def data_migrated(db: Path) -> bool:
    """Whether the data migration ran: its UPDATE is one statement, so the last row tells."""
    with closing(sqlite3.connect(db)) as conn:
        if "c2" not in [r[1] for r in conn.execute("PRAGMA table_info(items)")]:
            return False
        return conn.execute("SELECT c2 = lower(c1) FROM items ORDER BY id DESC LIMIT 1").fetchone() == (1,)


# The rebuild: c2 of items(id, c1, c2), with an index, becomes NOT NULL DEFAULT 0, which ALTER TABLE
# cannot do. vfmigrate's migration is the one `vfmigrate diff` writes from REBUILD_WANT; the floor's
# is the same rebuild by hand, in the order of sqlite.org/lang_altertable.html.
_ITEMS, _WANTED = "items (id INTEGER PRIMARY KEY, c1 TEXT NOT NULL, c2 INTEGER{})", " NOT NULL DEFAULT 0"
_INDEX = "CREATE INDEX idx_items_c1 ON items (c1)"
REBUILD_START = Migration(1, "create_items", ("CREATE TABLE " + _ITEMS.format(""), _INDEX), ("DROP TABLE items",))
REBUILD_WANT = f"CREATE TABLE {_ITEMS.format(_WANTED)};\n{_INDEX};\n"
REBUILD_BY_HAND = Migration(2, "rebuild_items", (
    "CREATE TABLE new_" + _ITEMS.format(_WANTED), "INSERT INTO new_items (id, c1, c2) SELECT id, c1, c2 FROM items",
    "DROP TABLE items", "ALTER TABLE new_items RENAME TO items", _INDEX), ())


def not_rebuilt(db: Path, rows: int) -> str:
    """What the rebuild left undone ("" when nothing): c2 NOT NULL DEFAULT 0, every row, the index."""
    with closing(sqlite3.connect(db)) as conn:
        if [r[3:5] for r in conn.execute("PRAGMA table_info(items)") if r[1] == "c2"] != [(1, "0")]:
            return "c2 is not NOT NULL DEFAULT 0"
        if (found := conn.execute("SELECT count(*) FROM items").fetchone()[0]) != rows:
            return f"{found:,} of the {rows:,} rows are there"
        objects = [n for (n,) in conn.execute("SELECT name FROM sqlite_master ORDER BY name")]
        return "" if objects == ["idx_items_c1", "items", "schema_migrations"] else f"left {', '.join(objects)}"
