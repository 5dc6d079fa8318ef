"""The floor: Python's sqlite3 running the same SQL with the least any migration tool must do.
Run by the bench with the Python of its environment, so it pays the same interpreter start::

    python floor.py up DB DIR            # each pending migration: BEGIN, its SQL, tracking row, COMMIT
    python floor.py up --tx all DB DIR   # the same in one BEGIN ... COMMIT for the whole run
    python floor.py status DB DIR        # read the tracking table and every file (SHA-1), one line each

DIR holds ``NNNNN_name.sql``: the UP statements, separated by ``;`` (``status`` reads a vfmigrate
folder as well). No parsing, no checks: that is what makes it a floor.
"""

import hashlib
import os
import sqlite3
import sys
import time


def migration_files(folder):
    """{version: file name} of every migration in ``folder``, in version order."""
    found = {}
    for name in os.listdir(folder):
        if name.endswith(".sql"):
            found[int(name.split("_", 1)[0])] = name
    return dict(sorted(found.items()))


def applied(conn):
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").fetchone() is None:
        return None
    return {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}


def up(db, folder, tx="file"):
    """``tx``: "file", a transaction per migration (vfmigrate's default); "all", one for the run."""
    each = tx == "file"
    conn = sqlite3.connect(db, isolation_level=None)
    done = applied(conn)
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    if not each:
        conn.execute("BEGIN")
    for version, name in migration_files(folder).items():
        if done is not None and version in done:
            continue
        with open(os.path.join(folder, name), encoding="utf-8") as handle:
            sql = [s for s in (part.strip() for part in handle.read().split(";")) if s]
        if each:
            conn.execute("BEGIN")
        if done is None:
            conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, "
                         "applied_at TIMESTAMP, checksum TEXT, execution_time_ms INTEGER)")
            done = set()
        for statement in sql:
            conn.execute(statement)
        conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?, ?, ?)", (version, name, now, "", 0))
        if each:
            conn.execute("COMMIT")
    if not each:
        conn.execute("COMMIT")
    conn.close()


def status(db, folder):
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    done = applied(conn) or set()
    conn.close()
    lines = []
    for version, name in migration_files(folder).items():
        with open(os.path.join(folder, name), "rb") as handle:
            digest = hashlib.sha1(handle.read()).hexdigest()[:8]
        lines.append(f"{version:05d}  {name}  {digest}  {'applied' if version in done else 'pending'}")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    tx = "file"
    if command == "up" and rest[:1] == ["--tx"]:  # as vfmigrate's `up --tx file|all`; no argparse to import
        tx, rest = rest[1], rest[2:]
        if tx not in ("file", "all"):
            sys.exit(f"floor.py: --tx {tx}: file or all")
    db, folder = rest
    {"up": lambda: up(db, folder, tx), "status": lambda: status(db, folder)}[command]()
