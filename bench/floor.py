"""The floor: Python's sqlite3 running the same SQL with the least any migration tool must do.

Run as a script with the same Python as the tools (standard library only)::

    python bench/floor.py up DB DIR [--dry-run]   # each pending migration: BEGIN, its SQL, tracking row, COMMIT
    python bench/floor.py up DB DIR --keep-journal  # the same, with one rollback journal for the run
                                                  # (PERSIST, as vfmigrate keeps it), DELETE again at the end
    python bench/floor.py down DB DIR N           # the newest N: BEGIN, DOWN SQL, delete its row, COMMIT
    python bench/floor.py status DB DIR           # list the files, read the tracking table, print one line each

DIR holds ``NNNNN_name.up.sql`` / ``NNNNN_name.down.sql`` (plain statements separated by ``;``).
``status`` also reads a vfmigrate folder (``NNN_name.sql``): it only looks at the names.
No parsing, no checksums, no checks: that is what makes it a floor.
"""

import os
import sqlite3
import sys
import time

TABLE = ("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, "
         "applied_at TIMESTAMP, checksum TEXT, execution_time_ms INTEGER)")


def migration_files(folder):
    """{version: stem} for every migration file in ``folder``, in version order."""
    found = {}
    for name in os.listdir(folder):
        if not name.endswith(".sql") or name.endswith(".down.sql"):
            continue
        stem = name[:-7] if name.endswith(".up.sql") else name[:-4]
        found[int(stem.split("_", 1)[0])] = stem
    return dict(sorted(found.items()))


def statements(path):
    with open(path, encoding="utf-8") as handle:
        return [s for s in (part.strip() for part in handle.read().split(";")) if s]


def applied(conn):
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").fetchone() is None:
        return None
    return {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}


def up(db, folder, dry_run=False, keep_journal=False):
    """APPLY: each migration in its own transaction with its tracking row. Dry run: all of
    them in one transaction that is rolled back."""
    conn = sqlite3.connect(db, isolation_level=None)
    if keep_journal:
        conn.execute("PRAGMA journal_mode = PERSIST")
    done = applied(conn)
    has_table = done is not None
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    if dry_run:
        conn.execute("BEGIN")
    for version, stem in migration_files(folder).items():
        if done and version in done:
            continue
        sql = statements(os.path.join(folder, stem + ".up.sql"))
        if not dry_run:
            conn.execute("BEGIN")
        if not has_table:
            conn.execute(TABLE)
            has_table = True
        for stmt in sql:
            conn.execute(stmt)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?, ?, ?)", (version, stem, now, "", 0))
        if not dry_run:
            conn.execute("COMMIT")
    if dry_run:
        conn.execute("ROLLBACK")
    if keep_journal:
        conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()


def down(db, folder, steps):
    conn = sqlite3.connect(db, isolation_level=None)
    rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version DESC LIMIT ?", (steps,)).fetchall()
    for version, stem in rows:
        sql = statements(os.path.join(folder, stem + ".down.sql"))
        conn.execute("BEGIN")
        for stmt in sql:
            conn.execute(stmt)
        conn.execute("DELETE FROM schema_migrations WHERE version = ?", (version,))
        conn.execute("COMMIT")
    conn.close()


def status(db, folder):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    done = applied(conn) or set()
    conn.close()
    lines = [f"{version:05d}  {stem}  {'applied' if version in done else 'pending'}"
             for version, stem in migration_files(folder).items()]
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    command, db, folder, *rest = sys.argv[1:]
    if command == "up":
        up(db, folder, dry_run="--dry-run" in rest, keep_journal="--keep-journal" in rest)
    elif command == "down":
        down(db, folder, int(rest[0]))
    elif command == "status":
        status(db, folder)
    else:
        raise SystemExit(f"floor.py: unknown command {command!r}")
