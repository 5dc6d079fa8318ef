"""The floor: Python's sqlite3 running the same SQL with the least any migration tool must do.
Run by the bench with the Python of its environment, so it pays the same interpreter start::

    python floor.py up DB DIR            # each pending migration: BEGIN, its SQL, tracking row, COMMIT
    python floor.py up --tx all DB DIR   # the same in one BEGIN ... COMMIT for the whole run
    python floor.py status DB DIR        # read the tracking table and every file (SHA-1), one line each

    python floor.py up --jobs 2 [--tx all] 'tenants/*.db' DIR   # a fleet: every matching file, in a
                                         # pool of 2 processes, the folder read once; BEGIN IMMEDIATE
    python floor.py status 'tenants/*.db' DIR   # every file hashed once; a line per database

    python floor.py up http://127.0.0.1:PORT DIR   # a Hrana server (tursodb): each pending migration
                                         # and its tracking row as ONE batch, as vfmigrate sends it

DIR holds ``NNNNN_name.sql``: the UP statements, separated by ``;`` (``status`` reads a vfmigrate
folder as well). A DB holding ``*``, ``?`` or ``[`` is a pattern over existing files, as for
vfmigrate. No parsing, no checks: that is what makes it a floor.
"""

import glob
import hashlib
import json
import multiprocessing
import os
import sqlite3
import sys
import time
import urllib.request


def migration_files(folder):
    """{version: file name} of every migration in ``folder``, in version order."""
    found = {}
    for name in os.listdir(folder):
        if name.endswith(".sql"):
            found[int(name.split("_", 1)[0])] = name
    return dict(sorted(found.items()))


def statements(folder, name):
    with open(os.path.join(folder, name), encoding="utf-8") as handle:
        return [s for s in (part.strip() for part in handle.read().split(";")) if s]


def applied(conn):
    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").fetchone() is None:
        return None
    return {v for (v,) in conn.execute("SELECT version FROM schema_migrations")}


def up(db, folder, tx="file", read=None, begin="BEGIN"):
    """``tx``: "file", a transaction per migration (vfmigrate's default); "all", one for the run.
    ``read``: {version: (name, statements)} of every migration of the folder, read already (a
    fleet reads it once); else each pending file is read as it comes. ``begin``: the fleet's
    ``BEGIN IMMEDIATE``."""
    each = tx == "file"
    conn = sqlite3.connect(db, isolation_level=None)
    done = applied(conn)
    now = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
    if not each:
        conn.execute(begin)
    for version, (name, sql) in (read or {v: (n, None) for v, n in migration_files(folder).items()}).items():
        if done is not None and version in done:
            continue
        if sql is None:
            sql = statements(folder, name)
        if each:
            conn.execute(begin)
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


def fleet(pattern):
    """The existing files ``pattern`` matches, in sorted order."""
    return sorted(glob.glob(pattern))


_FLEET = {}  # a worker's copy of the folder and the mode, set when it starts


def _start_worker(folder, read, tx):
    _FLEET.update(folder=folder, read=read, tx=tx)


def _up_one(db):
    up(db, _FLEET["folder"], _FLEET["tx"], _FLEET["read"], "BEGIN IMMEDIATE")
    return db


def fleet_up(pattern, folder, tx, jobs):
    """``up`` of every database ``pattern`` matches, ``jobs`` at a time in a pool of processes,
    each handed the folder (read once, here) when it starts; a database a task."""
    read = {v: (name, statements(folder, name)) for v, name in migration_files(folder).items()}
    with multiprocessing.Pool(jobs, _start_worker, (folder, read, tx)) as pool:
        for db in pool.imap_unordered(_up_one, fleet(pattern)):
            sys.stdout.write(f"{db}: done\n")


def fleet_status(pattern, folder):
    """Every file hashed once, then each database's tracking table read: a line per database."""
    files = migration_files(folder)
    for name in files.values():
        with open(os.path.join(folder, name), "rb") as handle:
            hashlib.sha1(handle.read()).hexdigest()
    lines = []
    for db in fleet(pattern):
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        done = applied(conn) or set()
        conn.close()
        pending = len(files.keys() - done)
        lines.append(f"{db}: version {max(done, default=0)}, " + (f"{pending} pending" if pending else "up to date"))
    sys.stdout.write("\n".join(lines) + "\n")


# A Hrana server's up: the batch of vfmigrate_magic/engine/remote_batch.py (MigrationBatch, up,
# not a dry run), its shape copied here step for step, so that the floor imports nothing of
# vfmigrate: BEGIN IMMEDIATE; CREATE TABLE IF NOT EXISTS; the tracking row (the claim); a clock
# step; each statement followed by a clock step; the elapsed time into the row; COMMIT; ROLLBACK
# when the COMMIT did not succeed. Each step runs only when the one before it succeeded.
TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT,
    applied_at TIMESTAMP,
    checksum TEXT,
    execution_time_ms INTEGER
)"""
CLOCK = "SELECT total_changes(), julianday('now') * 86400000"
CLAIM = ("INSERT INTO schema_migrations (version, name, applied_at, checksum, execution_time_ms) "
         "VALUES (?, ?, strftime('%Y-%m-%d %H:%M:%S', 'now'), ?, julianday('now') * 86400000)")
TIME = ("UPDATE schema_migrations SET execution_time_ms = CAST(round(julianday('now') * 86400000 - "
        "execution_time_ms) AS INTEGER) WHERE version = ? RETURNING applied_at, execution_time_ms")


def _text(value):
    return {"type": "integer", "value": str(value)} if isinstance(value, int) else {"type": "text", "value": value}


def _batch(version, name, checksum, sql):
    steps = [("BEGIN IMMEDIATE", ()), (TABLE, ()), (CLAIM, (version, name, checksum)), (CLOCK, ())]
    for statement in sql:
        steps += [(statement + ";", ()), (CLOCK, ())]  # vfmigrate sends each with its ";"
    steps += [(TIME, (version,)), ("COMMIT", ())]
    out = [{"stmt": {"sql": q, "args": [_text(a) for a in args]}} for q, args in steps]
    for i, step in enumerate(out[1:], 1):
        step["condition"] = {"type": "ok", "step": i - 1}
    out.append({"stmt": {"sql": "ROLLBACK", "args": []}, "condition": {"type": "and", "conds": [
        {"type": "ok", "step": 0}, {"type": "not", "cond": {"type": "ok", "step": len(out) - 1}},
        {"type": "not", "cond": {"type": "is_autocommit"}}]}})
    return out


def remote_up(url, folder):
    """Read the applied versions (one request; none when the table is missing), then each pending
    migration as one batch in one request, as vfmigrate sends them. Exits when a step failed."""
    endpoint = url.rstrip("/") + "/v2/pipeline"

    def send(request):
        body = json.dumps({"baton": None, "requests": [request]}).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        with urllib.request.urlopen(urllib.request.Request(endpoint, body, headers), timeout=60) as response:
            return json.loads(response.read())["results"][0]

    read = send({"type": "execute", "stmt": {"sql": "SELECT version FROM schema_migrations"}})
    done = set() if read["type"] == "error" else {int(r[0]["value"]) for r in read["response"]["result"]["rows"]}
    for version, name in migration_files(folder).items():
        if version in done:
            continue
        with open(os.path.join(folder, name), "rb") as handle:
            checksum = hashlib.sha1(handle.read()).hexdigest()  # vfmigrate: SHA-1 hex, of the sections
        answer = send({"type": "batch", "batch": {"steps": _batch(version, name, checksum, statements(folder, name))}})
        failed = [e for e in answer["response"]["result"]["step_errors"] if e] if answer["type"] == "ok" else [answer]
        if failed:
            sys.exit(f"floor.py: {name}: {failed[0]}")


if __name__ == "__main__":
    command, *rest = sys.argv[1:]
    tx, jobs = "file", 1
    while rest[:1] in (["--tx"], ["--jobs"]):  # as vfmigrate's `up --tx file|all --jobs N`; no argparse to import
        if rest[0] == "--tx":
            tx = rest[1]
        else:
            jobs = int(rest[1])
        rest = rest[2:]
    if tx not in ("file", "all"):
        sys.exit(f"floor.py: --tx {tx}: file or all")
    db, folder = rest
    if db.startswith(("http://", "https://")):
        remote_up(db, folder)
    elif any(c in db for c in "*?["):
        {"up": lambda: fleet_up(db, folder, tx, jobs), "status": lambda: fleet_status(db, folder)}[command]()
    else:
        {"up": lambda: up(db, folder, tx), "status": lambda: status(db, folder)}[command]()
