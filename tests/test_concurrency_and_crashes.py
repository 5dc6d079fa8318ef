"""Two runners at once, a held lock, SIGKILL and SIGINT in the middle of migrations."""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import time

import pytest
from helpers import run_process, tracked, vfmigrate_cmd

ROWS = 40_000


def slow_migrations(migrations_dir, count: int):
    """Migrations that each take a while: a table filled with ROWS rows, plus a run marker."""
    migrations_dir.add("001_runs.sql", "CREATE TABLE runs (version INTEGER, pid INTEGER);", "DROP TABLE runs;")
    for v in range(2, count + 1):
        migrations_dir.add(f"{v:03d}_fill_{v}.sql", f"""
            CREATE TABLE t{v} (n INTEGER, label TEXT);
            WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT {ROWS})
            INSERT INTO t{v} SELECT n, 'row ' || n FROM c;
            CREATE INDEX i{v} ON t{v}(label);
            INSERT INTO runs (version) VALUES ({v});
            """, f"DELETE FROM runs WHERE version = {v};\nDROP TABLE t{v};")


def _as_in_a_terminal():
    # A job started in the background (CI runners, `cmd &`) inherits SIGINT ignored, and Python
    # then keeps ignoring it; a runner started from a terminal has it at its default.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start(db_path, migrations_dir, *extra):
    return subprocess.Popen(vfmigrate_cmd("--database", str(db_path), "--migrations", str(migrations_dir), *extra, "up"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_as_in_a_terminal)


@pytest.mark.parametrize("trial", range(3))
def test_two_runners_apply_each_migration_exactly_once(migrations_dir, db_path, trial):
    slow_migrations(migrations_dir, 8)
    a, b = start(db_path, migrations_dir), start(db_path, migrations_dir)
    out_a, err_a = a.communicate(timeout=120)
    out_b, err_b = b.communicate(timeout=120)
    assert (a.returncode, err_a) == (0, "") and (b.returncode, err_b) == (0, "")
    assert [v for v, _ in tracked(db_path)] == list(range(1, 9))
    with sqlite3.connect(db_path) as conn:
        runs = conn.execute("SELECT version, count(*) FROM runs GROUP BY version ORDER BY version").fetchall()
        assert runs == [(v, 1) for v in range(2, 9)]
        for v in range(2, 9):
            assert conn.execute(f"SELECT count(*) FROM t{v}").fetchone() == (ROWS,)
    applied_lines = [line for line in (out_a + out_b).splitlines() if "Applied" in line]
    assert sorted(line.split()[1] for line in applied_lines) == sorted(
        ["001_runs"] + [f"{v:03d}_fill_{v}" for v in range(2, 9)])


def test_a_runner_rereads_every_row_when_another_runner_committed_while_it_waited(migrations_dir, db_path):
    """Runner A has planned 001-004. Before A's transaction for 002, runner B applies 002 and
    003. A must skip both, though it saw B's work only once (one data_version change), and
    apply 004; and the reverse for down."""
    from vfmigrate_magic.engine import commands
    from vfmigrate_magic.engine.config import Target

    for v in range(1, 5):
        migrations_dir.add(f"{v:03d}_t{v}.sql", f"CREATE TABLE t{v} (x);", f"DROP TABLE t{v};")
    target = Target(database=db_path, migrations=migrations_dir.path)
    commands.up(target, to=1)

    def other_runner_goes_first(migration, direction):
        if direction == "up" and migration.version == 2:
            commands.up(target, to=3)
        if direction == "down" and migration.version == 4:
            commands.down(target, steps=2, backup=False)

    report = commands.up(target, on_start=other_runner_goes_first)
    assert [(r.version, r.skipped) for r in report.results] == [(2, True), (3, True), (4, False)]
    assert [v for v, _ in tracked(db_path)] == [1, 2, 3, 4]

    report = commands.down(target, steps=3, backup=False, on_start=other_runner_goes_first)
    assert [(r.version, r.skipped) for r in report.results] == [(4, True), (3, True), (2, False)]
    assert [v for v, _ in tracked(db_path)] == [1]


def test_a_held_lock_is_waited_out_then_reported_in_words(migrations_dir, db_path, tmp_path):
    slow_migrations(migrations_dir, 2)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("CREATE TABLE other_app (x)")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO other_app VALUES (1)")
    started = time.monotonic()
    done = run_process("--database", str(db_path), "--migrations", str(migrations_dir), "--busy-timeout", "0.5", "up",
                       cwd=tmp_path)
    waited = time.monotonic() - started
    assert done.returncode == 4
    assert done.stderr == ("vfmigrate: error: app.db is locked by another process (waited 0.5 s); let the "
                           "other writer finish or stop it, or wait longer with --busy-timeout SECONDS "
                           "(VFMIGRATE_BUSY_TIMEOUT). Nothing was changed.\n")
    assert waited >= 0.5
    holder.execute("ROLLBACK")
    holder.close()
    assert "schema_migrations" not in {r[0] for r in sqlite3.connect(db_path).execute("SELECT name FROM sqlite_master")}


def test_a_lock_released_within_the_timeout_is_waited_for(migrations_dir, db_path, tmp_path):
    slow_migrations(migrations_dir, 2)
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("CREATE TABLE other_app (x)")
    holder.execute("BEGIN IMMEDIATE")
    proc = start(db_path, migrations_dir, "--busy-timeout", "20")
    time.sleep(0.8)
    holder.execute("COMMIT")
    out, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (0, "")
    assert [v for v, _ in tracked(db_path)] == [1, 2]


def check_all_or_nothing(db_path, count):
    conn = sqlite3.connect(db_path)  # opening rolls back a hot journal, as any reader would
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        versions = set()
        if "schema_migrations" in names:
            versions = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert ("runs" in names) == (1 in versions)
        for v in range(2, count + 1):
            if v in versions:
                assert conn.execute(f"SELECT count(*) FROM t{v}").fetchone() == (ROWS,)
                assert conn.execute("SELECT count(*) FROM runs WHERE version = ?", (v,)).fetchone() == (1,)
            else:
                assert f"t{v}" not in names
        return versions
    finally:
        conn.close()


def test_sigkill_at_any_moment_leaves_each_migration_all_or_nothing(migrations_dir, db_path):
    count = 12
    slow_migrations(migrations_dir, count)
    rng = random.Random(20261124)
    # How long a full run takes here, to spread the kills across it.
    began = time.monotonic()
    start(db_path, migrations_dir).wait(timeout=120)
    duration = max(time.monotonic() - began, 0.3)
    full = tracked(db_path)
    subprocess.run(vfmigrate_cmd("--database", str(db_path), "--migrations", str(migrations_dir), "down", "--all",
                                 "--no-backup"), check=True, capture_output=True)
    seen_partial = 0
    for _ in range(10):
        proc = start(db_path, migrations_dir)
        time.sleep(rng.uniform(0.05, duration))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        versions = check_all_or_nothing(db_path, count)
        seen_partial += 0 < len(versions) < count
        # Roll everything back for the next trial (a fresh runner completes whatever is left first).
        subprocess.run(vfmigrate_cmd("--database", str(db_path), "--migrations", str(migrations_dir), "up"),
                       check=True, capture_output=True)
        assert tracked(db_path) != [] and [v for v, _ in tracked(db_path)] == [v for v, _ in full]
        subprocess.run(vfmigrate_cmd("--database", str(db_path), "--migrations", str(migrations_dir), "down",
                                     "--all", "--no-backup"), check=True, capture_output=True)
    assert seen_partial >= 3  # the kills really landed in the middle of runs


def test_ctrl_c_rolls_back_the_running_migration_and_exits_130(migrations_dir, db_path):
    migrations_dir.add("001_a.sql", "CREATE TABLE a (x);", "DROP TABLE a;")
    migrations_dir.add("002_long.sql", """
        CREATE TABLE big (n);
        WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 6000000) INSERT INTO big SELECT n FROM c;
        """, "DROP TABLE big;")
    proc = start(db_path, migrations_dir)
    # The CLI prints each migration as it is committed: once 001 is reported, 002 is running.
    # (Reading the database instead would wait on 002's exclusive lock once its cache spills.)
    first = proc.stdout.readline()
    assert "Applied 001_a" in first, first
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert err == "vfmigrate: interrupted; the migration that was running was rolled back\n"
    assert [v for v, _ in tracked(db_path)] == [1]
    assert "big" not in {r[0] for r in sqlite3.connect(db_path).execute("SELECT name FROM sqlite_master")}
