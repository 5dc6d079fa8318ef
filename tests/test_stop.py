"""Following and stopping a run from its caller: ``stop`` (an Event), ``on_wait`` while the write
lock is held by another writer, ``on_statement`` before each statement; what the event log
records for a stop (``stopped``) apart from an interrupt and a failure."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from helpers import MigrationsDir
from vfmigrate_magic.engine import commands
from vfmigrate_magic.engine.config import Target
from vfmigrate_magic.engine.errors import DatabaseLocked, MigrationStopped

SLOW = """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000000)
INSERT INTO ticks SELECT i FROM n;"""


@pytest.fixture
def target(tmp_path: Path) -> Target:
    folder = MigrationsDir(tmp_path / "migrations")
    folder.add("001_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n"
                                "INSERT INTO users (email) VALUES ('a'), ('b');", "DROP TABLE users;")
    folder.add("002_slow.sql", "CREATE TABLE ticks (i INTEGER);\n" + SLOW, "DROP TABLE ticks;")
    return Target(database=tmp_path / "app.db", migrations=folder.path)


def applied(db: Path) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [v for (v,) in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]


def statuses(target: Target) -> list[tuple[int, str]]:
    return [(e.version, e.status) for e in commands.history(target)]


def test_a_set_stop_cuts_a_long_statement_short_and_is_logged_as_stopped(target):
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    with pytest.raises(MigrationStopped) as raised:
        commands.up(target, stop=stop)
    assert time.monotonic() - started < 10
    assert raised.value.exit_code == 130
    assert str(raised.value) == ("002_slow.sql, statement 2 (line 8): stopped; nothing from 002_slow.sql was "
                                 "applied; earlier migrations in this run stay: 1")
    assert applied(target.database) == [1]
    assert statuses(target) == [(1, "ok"), (2, "stopped")]


def test_a_stop_while_waiting_for_the_lock_ends_the_wait_at_once(target):
    commands.up(target, to=1)
    waits: list[float] = []
    stop = threading.Event()

    def on_wait(waited: float) -> None:
        waits.append(waited)
        if waited > 0.3:
            stop.set()

    other = sqlite3.connect(target.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
    try:
        started = time.monotonic()
        with pytest.raises(MigrationStopped) as raised:
            commands.up(target, busy_timeout=30, on_wait=on_wait, stop=stop)
        took = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert took < 2, took  # not the 30 s busy timeout
    assert len(waits) >= 3 and waits == sorted(waits)
    assert str(raised.value) == ("002_slow.sql: stopped while waiting for the write lock; nothing from 002_slow.sql "
                                 "was applied")
    assert applied(target.database) == [1]
    assert statuses(target)[-1] == (2, "stopped")


def test_a_followed_lock_wait_still_ends_at_the_busy_timeout(target):
    commands.up(target, to=1)
    waits: list[float] = []
    other = sqlite3.connect(target.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(DatabaseLocked) as raised:
            commands.up(target, busy_timeout=0.5, on_wait=waits.append)
        took = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert 0.5 <= took < 3, took
    assert waits and max(waits) < 0.5
    assert "locked by another process (waited 0.5 s)" in str(raised.value)
    assert applied(target.database) == [1]
    # The connection's own busy timeout is back as it was for what follows (the status read).
    assert commands.status(target, busy_timeout=0.5).current_version == 1


def test_a_stop_asked_for_between_migrations_runs_no_more(target):
    stop = threading.Event()
    (target.migrations / "002_slow.sql").unlink()
    MigrationsDir(target.migrations).add("002_quick.sql", "CREATE TABLE quick (x);", "DROP TABLE quick;")
    results = []

    def on_result(result) -> None:
        results.append(result.version)
        stop.set()  # asked for as 001 ends

    with pytest.raises(MigrationStopped) as raised:
        commands.up(target, on_result=on_result, stop=stop)
    assert str(raised.value) == ("002_quick.sql: stopped before it started; nothing from 002_quick.sql was applied; "
                                 "earlier migrations in this run stay: 1")
    assert results == [1] and applied(target.database) == [1]


def test_on_statement_is_told_before_each_statement_also_in_a_dry_run(target):
    (target.migrations / "002_slow.sql").unlink()
    MigrationsDir(target.migrations).add("002_two.sql", "CREATE TABLE a (x);\nCREATE TABLE b (x);",
                                         "DROP TABLE b;\nDROP TABLE a;")
    seen = []
    report = commands.up(target, dry_run=True, on_statement=lambda m, s, d: seen.append((m.version, s.index, d)))
    assert seen == [(1, 1, "up"), (1, 2, "up"), (2, 1, "up"), (2, 2, "up")]
    assert report.findings == ()  # the dry run's own watch still counted (nothing at risk here)
    commands.up(target)
    seen.clear()
    report = commands.down(target, steps=2, dry_run=True, on_statement=lambda m, s, d: seen.append((m.version, s.index, d)))
    assert seen == [(2, 1, "down"), (2, 2, "down"), (1, 1, "down")]
    # A dry run of a down counts the rows its DOWN statements put at risk, as up's does.
    assert [(f.kind, f.object, f.rows) for f in report.findings] == [("drop-table", "users", 2)]


def test_a_stop_while_a_down_waits_to_back_up_ends_the_wait_at_once(target):
    (target.migrations / "002_slow.sql").unlink()
    commands.up(target)
    stop = threading.Event()
    other = sqlite3.connect(target.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock the backup needs
    try:
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        with pytest.raises(MigrationStopped) as raised:
            commands.down(target, busy_timeout=30, stop=stop)
        took = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert took < 2, took  # not the 30 s busy timeout
    assert str(raised.value) == ("001_users.sql (DOWN): stopped while waiting for the write lock to back up; "
                                 "001_users.sql stays applied")
    assert applied(target.database) == [1]
    assert not list(target.database.parent.glob("*.bak"))  # no backup, no half-written one
