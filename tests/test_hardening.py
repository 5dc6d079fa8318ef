"""Failure paths: each class of bad input, crash or race refused in one line with its exit
code, and nothing a user wrote lost. Black-box where it can be (the CLI in-process or as a
process), on real files."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers import file_digest, migration_text, run_process, tables, tracked, vfmigrate_cmd

from vfmigrate_magic import cli
from vfmigrate_magic.engine import MigrationRunner, RollbackManager, commands, history
from vfmigrate_magic.engine.config import Target


def one_line_error(err: str) -> bool:
    return err.startswith("vfmigrate: error: ") and err.count("\n") == 1 and "Traceback" not in err


@pytest.fixture
def family(migrations_dir):
    migrations_dir.add("001_parents.sql", "CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT);",
                       "DROP TABLE parents;")
    migrations_dir.add("002_children.sql", """
        CREATE TABLE children (id INTEGER PRIMARY KEY,
                               parent_id INTEGER REFERENCES parents(id) ON DELETE CASCADE);
        INSERT INTO parents VALUES (1, 'a'), (2, 'b');
        INSERT INTO children VALUES (10, 1), (11, 1), (20, 2);
        """, "DROP TABLE children;\nDELETE FROM parents;")
    return migrations_dir


REBUILD = ("""
    CREATE TABLE parents_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');
    INSERT INTO parents_new SELECT id, coalesce(name, '') FROM parents;
    DROP TABLE parents;
    ALTER TABLE parents_new RENAME TO parents;
    """, """
    CREATE TABLE parents_old (id INTEGER PRIMARY KEY, name TEXT);
    INSERT INTO parents_old SELECT id, name FROM parents;
    DROP TABLE parents;
    ALTER TABLE parents_old RENAME TO parents;
    """)


def count(db, table):
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# --- 1. Backups -----------------------------------------------------------------------------

def test_a_backup_that_cannot_be_written_leaves_no_file_and_changes_nothing(family, db_path, tmp_path):
    """A file-size limit makes the copy fail half-way, as a full disk does."""
    family.add("003_big.sql", "CREATE TABLE big (x);\nINSERT INTO big SELECT randomblob(1000) FROM "
               "(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 2000) SELECT n FROM c);",
               "DROP TABLE big;")
    assert run_process("--database", str(db_path), "--migrations", str(family), "up").returncode == 0
    before = file_digest(db_path)
    code = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (500_000, 500_000)); "
            "from vfmigrate_magic.cli import main; sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", code, "--database", str(db_path), "--migrations", str(family), "down"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 6, done.stderr
    assert one_line_error(done.stderr)
    assert "cannot write the backup (File too large)" in done.stderr and "Nothing was changed." in done.stderr
    assert file_digest(db_path) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("app.db")) == ["app.db",
                                                                                        "app.db.history.jsonl"]


def test_a_locked_database_gets_no_backup(family, db_path, tmp_path):
    assert run_process("--database", str(db_path), "--migrations", str(family), "up").returncode == 0
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        done = run_process("--database", str(db_path), "--migrations", str(family), "--busy-timeout", "0.2", "down")
    finally:
        holder.execute("ROLLBACK")
    assert done.returncode == 4 and one_line_error(done.stderr)
    assert not [p for p in tmp_path.iterdir() if ".bak" in p.name]
    assert [v for v, _ in tracked(db_path)] == [1, 2]


def test_a_down_killed_during_its_backup_leaves_no_file_that_looks_like_a_backup(migrations_dir, db_path, tmp_path):
    migrations_dir.add("001_big.sql", "CREATE TABLE big (x);\nINSERT INTO big SELECT randomblob(4000) FROM "
                       "(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 40000) SELECT n FROM c);",
                       "DROP TABLE big;")
    assert run_process("--database", str(db_path), "--migrations", str(migrations_dir), "up").returncode == 0
    for delay in (0.05, 0.15, 0.3):
        proc = subprocess.Popen(vfmigrate_cmd("--database", str(db_path), "--migrations", str(migrations_dir), "down"),
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for bak in tmp_path.glob("app.db.*.bak"):  # a file under a backup's name is a whole copy
            with sqlite3.connect(bak) as conn:
                assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
                assert conn.execute("SELECT count(*) FROM big").fetchone() == (40000,)
        if tracked(db_path) == []:  # the down finished before the kill: apply again
            assert run_process("--database", str(db_path), "--migrations", str(migrations_dir), "up").returncode == 0


# --- 2. A hot journal ------------------------------------------------------------------------

def test_status_works_on_a_database_a_crash_left_with_a_hot_journal(migrations_dir, db_path, run):
    migrations_dir.add("001_t.sql", "CREATE TABLE t (x);\nINSERT INTO t VALUES (1);", "DROP TABLE t;")
    assert run("up")[0] == 0
    crash = ("import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
             "c.execute('PRAGMA cache_size=1'); c.execute('BEGIN IMMEDIATE'); "
             "c.execute('INSERT INTO t SELECT randomblob(5000) FROM (WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL "
             "SELECT i + 1 FROM r WHERE i < 500) SELECT i FROM r)'); os._exit(0)")
    subprocess.run([sys.executable, "-c", crash, str(db_path)], check=True)
    assert Path(str(db_path) + "-journal").exists()
    code, out, err = run("status")
    assert (code, err) == (0, "")
    assert "Current version: 1" in out and "1 applied, 0 pending" in out
    assert count(db_path, "t") == 1  # the crashed writer's rows were rolled back


# --- 3. Foreign keys -------------------------------------------------------------------------

def test_a_rebuild_on_a_library_connection_with_foreign_keys_on_keeps_every_child_row(family, db_path):
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA foreign_keys=ON")
    MigrationRunner(family).migrate_up(conn)
    family.add("003_rebuild_parents.sql", *REBUILD)
    report = MigrationRunner(family).migrate_up(conn)
    assert report.foreign_key_violations == ()
    assert conn.execute("SELECT count(*) FROM children").fetchone() == (3,)
    RollbackManager(family, backup=False).rollback(conn)
    assert conn.execute("SELECT count(*) FROM children").fetchone() == (3,)
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)  # restored for the application
    conn.close()


def test_a_migration_that_adds_violations_is_rolled_back_naming_table_row_and_parent(family, db_path, run):
    family.add("003_orphan.sql", "INSERT INTO children VALUES (30, 99);", "DELETE FROM children WHERE id = 30;")
    code, out, err = run("up")
    assert code == 1
    assert err == ("vfmigrate: error: 003_orphan.sql: foreign_key_check: 1 row with a missing parent that was not "
                   "there before (children rowid 30 -> parents); nothing from 003_orphan.sql was applied; "
                   "earlier migrations in this run stay: 1, 2\n")
    assert [v for v, _ in tracked(db_path)] == [1, 2]
    assert count(db_path, "children") == 3
    assert [e.status for e in history.read(db_path)][-1] == "failed"


def test_violations_already_in_old_data_do_not_block_an_unrelated_migration(family, db_path, run):
    assert run("up")[0] == 0
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO children VALUES (40, 77)")  # old data with a missing parent
    family.add("003_rebuild_parents.sql", *REBUILD)
    family.add("004_notes.sql", "CREATE TABLE notes (x);", "DROP TABLE notes;")
    code, out, err = run("up")
    assert (code, err) == (0, "")
    assert "foreign_key_check: 1 violations\n    children rowid 40 -> parents" in out


def test_a_dry_run_fails_as_the_real_run_would_on_new_violations(family, db_path, run):
    assert run("up")[0] == 0
    family.add("003_orphan.sql", "DELETE FROM parents WHERE id = 2;", "SELECT 1;")
    before = file_digest(db_path)
    code, _, err = run("up", "--dry-run")
    assert code == 1 and "children rowid 20 -> parents" in err
    assert file_digest(db_path) == before


# --- 4. Syntax errors before anything runs ---------------------------------------------------

def test_a_syntax_error_in_the_third_file_refuses_the_whole_plan(migrations_dir, db_path, run):
    migrations_dir.add("001_a.sql", "CREATE TABLE a (x);", "DROP TABLE a;")
    migrations_dir.add("002_b.sql", "CREATE TABLE b (x);\nINSERT INTO missing_table VALUES (1);", "DROP TABLE b;")
    migrations_dir.add("003_c.sql", "CREATE TABLE c (x);\nCREAT TABLE d (y);", "DROP TABLE c;")
    for command in ("up", "check"):
        code, _, err = run(command)
        assert code == 5
        assert err == ('vfmigrate: error: 003_c.sql, line 8: statement 2 is not valid SQL (near "CREAT": '
                       "syntax error); fix it; nothing was run\n")
    assert not db_path.exists()


@pytest.mark.parametrize("up", ["CREATE TABLE a (x;", "SELECT 'a' || ;", "CREATE TABLE a (x) WITHOUT;",
                                "INSERT INTO a VALUES (1) RETURNING;", "SELECT @;"])
def test_malformed_sql_is_a_bad_file_and_a_missing_table_is_not(migrations_dir, run, up):
    migrations_dir.add("001_a.sql", up, "SELECT 1;")
    code, _, err = run("check")
    assert code == 5 and "statement 1 is not valid SQL" in err and one_line_error(err)


def test_a_syntax_error_in_a_down_section_is_found_before_the_up_runs(family, db_path, run):
    assert run("up")[0] == 0
    family.add("003_c.sql", "CREATE TABLE c (x);", "DROP TABEL c;")
    before = file_digest(db_path)
    code, _, err = run("up")
    assert code == 5
    assert err == ('vfmigrate: error: 003_c.sql, line 10: DOWN statement 1 is not valid SQL (near "TABEL": '
                   "syntax error); fix it; nothing was run\n")
    assert file_digest(db_path) == before


@pytest.mark.parametrize("sql", ["DROP TABLE schema_migrations;", "DELETE FROM schema_migrations;",
                                 "ALTER TABLE schema_migrations RENAME TO old;",
                                 "UPDATE schema_migrations SET checksum = 'x';",
                                 "CREATE TRIGGER t AFTER INSERT ON schema_migrations BEGIN SELECT 1; END;"])
def test_a_migration_that_changes_the_tracking_table_is_refused_naming_its_file(family, db_path, run, sql):
    assert run("up")[0] == 0
    family.add("003_meddle.sql", sql, "SELECT 1;")
    before = file_digest(db_path)
    code, _, err = run("up")
    assert code == 5
    assert err.startswith("vfmigrate: error: 003_meddle.sql, line 7: statement 1 changes schema_migrations")
    assert file_digest(db_path) == before


def test_a_trigger_that_would_change_the_tracking_table_at_run_time_is_denied(family, db_path, run):
    family.add("003_trap.sql", "CREATE TRIGGER trap AFTER INSERT ON parents BEGIN DELETE FROM schema_migrations; END;",
               "DROP TRIGGER trap;")
    family.add("004_spring.sql", "INSERT INTO parents VALUES (3, 'c');", "DELETE FROM parents WHERE id = 3;")
    code, _, err = run("up")
    assert code == 1
    assert "004_spring.sql, statement 1 (line 7): it would change schema_migrations" in err
    assert [v for v, _ in tracked(db_path)] == [1, 2, 3]


# --- 5. One line, not a traceback -------------------------------------------------------------

@pytest.mark.parametrize("argv, message", [
    (["down", "--steps", "0"], "argument --steps: a number of steps is 1 or more, not 0"),
    (["down", "--steps", "-1"], "argument --steps: a number of steps is 1 or more, not -1"),
    (["up", "--to", str(2**63)], f"argument --to: a version is a whole number from 0 to {2**63 - 1}"),
    (["--busy-timeout", "inf", "status"], "argument --busy-timeout: a number of seconds from 0 to 86400"),
    (["--busy-timeout", "nan", "status"], "argument --busy-timeout: a number of seconds from 0 to 86400"),
    (["--busy-timeout", "1e300", "status"], "argument --busy-timeout: a number of seconds from 0 to 86400"),
])
def test_bad_arguments_are_usage_errors_in_one_line(family, db_path, argv, message):
    done = run_process("--database", str(db_path), "--migrations", str(family), *argv)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not db_path.exists()


def test_a_nul_byte_in_a_migration_file_is_named(migrations_dir, run):
    migrations_dir.write("001_nul.sql", migration_text("CREATE TABLE a (x);\nSELECT 'a\x00b';", "DROP TABLE a;"))
    for command in ("up", "check"):
        code, _, err = run(command)
        assert code == 5
        assert err == ("vfmigrate: error: 001_nul.sql, line 8: holds a NUL byte; remove it (save the file as plain "
                       "UTF-8 text); nothing was run\n")


def test_a_version_above_sqlites_largest_integer_is_refused(migrations_dir, run):
    migrations_dir.add(f"{2**63}_huge.sql", "CREATE TABLE a (x);", "DROP TABLE a;")
    code, _, err = run("up")
    assert code == 5 and err.startswith(f"vfmigrate: error: {2**63}_huge.sql: the version number is larger")


@pytest.mark.parametrize("tamper, message", [
    ("UPDATE schema_migrations SET checksum = NULL WHERE version = 2", "row of version 2 has no checksum (None)"),
    ("UPDATE schema_migrations SET name = NULL WHERE version = 1", "row of version 1 has no name (None)"),
    ("ALTER TABLE schema_migrations RENAME TO sm_old; CREATE TABLE schema_migrations (version TEXT, name TEXT, "
     "applied_at TIMESTAMP, checksum TEXT, execution_time_ms INTEGER); INSERT INTO schema_migrations SELECT "
     "'v' || version, name, applied_at, checksum, execution_time_ms FROM sm_old",
     "holds a row whose version is 'v1', not a whole number"),
    ("ALTER TABLE schema_migrations RENAME TO sm_old; CREATE TABLE schema_migrations (version, name TEXT, "
     "applied_at TIMESTAMP, checksum TEXT, execution_time_ms INTEGER); INSERT INTO schema_migrations SELECT * "
     "FROM sm_old; INSERT INTO schema_migrations SELECT * FROM sm_old", "holds version 1 twice"),
])
def test_tracking_rows_edited_by_hand_are_refused_naming_the_row(family, db_path, run, tamper, message):
    assert run("up")[0] == 0
    with sqlite3.connect(db_path) as conn:
        conn.executescript(tamper)
    before = file_digest(db_path)
    for command in ("up", "status", "down", "up --dry-run"):
        code, _, err = run(*command.split())
        assert code == 3, command
        assert one_line_error(err) and message in err and "Nothing was changed." in err
    assert file_digest(db_path) == before


@pytest.mark.parametrize("content", [
    b'{"at": "2026-12-05 10:00:00.000", "database": "x", "version": 1, "na',  # cut mid-line by a crash
    b"[1, 2, 3]\nnot json at all\n\"a string\"\n{\"version\": \"one\"}\n",
    b'{"at": 5, "database": [], "version": null, "name": {}, "direction": 1, "mode": 2, "status": 3, '
    b'"duration_ms": "x"}\n',
    b"\xff\xfe\x00garbage",
])
def test_an_event_log_with_lines_that_are_not_events_is_read_around_them(family, db_path, run, content):
    history.log_path(db_path).write_bytes(content)
    assert run("up")[0] == 0
    code, out, err = run("history")
    assert (code, err) == (0, "")
    assert "001_parents  ok" in out and "002_children  ok" in out
    assert [e.version for e in history.read(db_path)] == [1, 2]


def test_a_line_cut_by_a_crash_does_not_swallow_the_next_event(family, db_path, run):
    history.log_path(db_path).write_text('{"at": "2026-12-05 10:00:00.000", "database": "x", "vers')
    assert run("up", "--to", "1")[0] == 0
    assert [e.version for e in history.read(db_path)] == [1]
    lines = history.log_path(db_path).read_text().splitlines()
    assert json.loads(lines[-1])["version"] == 1


def test_an_event_log_that_is_a_folder_refuses_the_run_and_history(family, db_path, run):
    history.log_path(db_path).mkdir()
    code, _, err = run("up")
    assert code == 6 and one_line_error(err) and "cannot open the event log (Is a directory)" in err
    assert not db_path.exists()
    code, _, err = run("history")
    assert code == 6 and one_line_error(err) and "cannot read the event log (Is a directory)" in err


@pytest.mark.parametrize("toml, message", [
    ('path = 5', "tool.vfmigrate.databases.app.path must be a path in quotes, not 5"),
    ('path = "app.db"\nmigrations = ["a", "b"]', "tool.vfmigrate.databases.app.migrations must be a path in quotes"),
    ('path = "app.db"\n[tool.vfmigrate]\nbackup = "false"', "tool.vfmigrate.backup must be true or false"),
    ('path = "app.db"\n[tool.vfmigrate]\nbusy_timeout = true', "tool.vfmigrate.busy_timeout must be a number"),
    ('path = "app.db"\n[tool.vfmigrate]\nbusy_timeout = inf', "from 0 to 86400 (one day), not inf"),
    ('path = "app.db"\n[tool.vfmigrate]\nbusy_timeout = -1', "from 0 to 86400 (one day), not -1"),
])
def test_wrong_types_in_pyproject_are_refused_in_one_line(tmp_path, capsys, toml, message):
    # The databases table comes first so that a [tool.vfmigrate] after it still parses.
    (tmp_path / "pyproject.toml").write_text("[tool.vfmigrate.databases.app]\n" + toml + "\n")
    code = cli.main(["status"])
    err = capsys.readouterr().err
    assert code == 2 and one_line_error(err) and message in err


@pytest.mark.parametrize("value", ["inf", "nan", "1e9", "-2", "soon"])
def test_a_bad_busy_timeout_in_the_environment_is_refused(family, db_path, run, monkeypatch, value):
    monkeypatch.setenv("VFMIGRATE_BUSY_TIMEOUT", value)
    code, _, err = run("status")
    assert code == 2 and "VFMIGRATE_BUSY_TIMEOUT must be a number of seconds from 0 to 86400" in err


def test_an_unclear_backup_variable_is_refused_not_read_as_yes(family, db_path, run, monkeypatch):
    monkeypatch.setenv("VFMIGRATE_BACKUP", "maybe")
    code, _, err = run("status")
    assert code == 2 and "VFMIGRATE_BACKUP must be 1/true/yes/on or 0/false/no/off, not 'maybe'" in err


# --- 6. Concurrency --------------------------------------------------------------------------

def test_creators_at_the_same_moment_never_write_the_same_version(migrations_dir, tmp_path):
    procs = [subprocess.Popen(vfmigrate_cmd("--migrations", str(migrations_dir), "create", f"step_{i}"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path) for i in range(8)]
    assert all(p.wait(timeout=60) == 0 for p in procs)
    versions = sorted(int(p.name[:3]) for p in migrations_dir.path.glob("*.sql"))
    assert versions == list(range(1, 9))


def test_a_runner_whose_work_another_runner_did_reports_the_head(migrations_dir, db_path, tmp_path):
    for v in range(1, 4):
        migrations_dir.add(f"{v:03d}_slow_{v}.sql", f"CREATE TABLE t{v} (n);\nWITH RECURSIVE c(n) AS (SELECT 1 UNION "
                           f"ALL SELECT n + 1 FROM c LIMIT 300000) INSERT INTO t{v} SELECT n FROM c;", f"DROP TABLE t{v};")
    first = subprocess.Popen(vfmigrate_cmd("--database", str(db_path), "--migrations", str(migrations_dir), "up"),
                             stdout=subprocess.PIPE, text=True)
    while not db_path.exists() or "t1" not in tables(db_path):  # the first runner is in its second migration
        time.sleep(0.01)
    second = run_process("--database", str(db_path), "--migrations", str(migrations_dir), "up")
    first.wait(timeout=60)
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    assert "Already up to date (version 3)" in second.stdout or "Version " in second.stdout
    assert "(version 0)" not in second.stdout and "(version 1)" not in second.stdout
    assert [v for v, _ in tracked(db_path)] == [1, 2, 3]


# --- 7. The ledger ---------------------------------------------------------------------------

@pytest.mark.parametrize("command, setup", [
    ("up", lambda d, db: (d.path / "001_parents.sql").write_text(
        (d.path / "001_parents.sql").read_text().replace("name TEXT", "label TEXT"))),
    ("down", lambda d, db: d.add("003_forever.sql", "CREATE TABLE f (x);", "")),
])
def test_refused_runs_are_in_the_ledger(family, db_path, run, command, setup):
    assert run("up")[0] == 0
    setup(family, db_path)
    if command == "down":
        assert run("up")[0] == 0
    code, _, err = run(command)
    assert code == 3
    last = history.read(db_path)[-1]
    assert (last.status, last.direction) == ("refused", command)
    assert last.error == err.removeprefix("vfmigrate: error: ").rstrip("\n")


def test_a_killed_run_keeps_the_ledger_line_of_every_migration_it_committed(migrations_dir, db_path):
    for v in range(1, 9):
        migrations_dir.add(f"{v:03d}_m{v}.sql", f"CREATE TABLE t{v} (n);\nWITH RECURSIVE c(n) AS (SELECT 1 UNION "
                           f"ALL SELECT n + 1 FROM c LIMIT 100000) INSERT INTO t{v} SELECT n FROM c;", f"DROP TABLE t{v};")
    proc = subprocess.Popen(vfmigrate_cmd("--database", str(db_path), "--migrations", str(migrations_dir), "up"),
                            stdout=subprocess.DEVNULL)
    while not db_path.exists() or len(tracked_or_empty(db_path)) < 5:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    applied = [v for v, _ in tracked(db_path)]
    logged = [e.version for e in history.read(db_path) if e.status == "ok"]
    assert len(applied) >= 5
    assert logged == applied or logged == applied[:-1]  # at most the line of the killed moment


def tracked_or_empty(db):
    try:
        return tracked(db)
    except sqlite3.Error:
        return []


def test_history_through_a_symlink_shows_the_same_events(family, db_path, tmp_path, run):
    assert run("up")[0] == 0
    link = tmp_path / "link.db"
    link.symlink_to(db_path)
    via_link = cli.main(["--database", str(link), "--migrations", str(family), "history"])
    assert via_link == 0
    assert history.read(link) == history.read(db_path) and len(history.read(db_path)) == 2


# --- 8. First steps --------------------------------------------------------------------------

def test_create_needs_no_database(tmp_path, capsys):
    assert cli.main(["create", "add_users"]) == 0
    assert capsys.readouterr().out == f"Created {Path('migrations') / '001_add_users.sql'}\n"
    assert [p.name for p in (tmp_path / "migrations").iterdir()] == ["001_add_users.sql"]
    assert not list(tmp_path.glob("*.db"))


def test_check_needs_no_database_and_prints_relative_paths(family, tmp_path, capsys):
    assert cli.main(["--migrations", str(family), "check"]) == 0
    assert capsys.readouterr().out == "migrations: 2 migration files in migrations are well-formed\n"


def test_down_with_too_many_steps_says_steps(family, db_path, run):
    assert run("up", "--to", "1")[0] == 0
    code, _, err = run("down", "--steps", "2")
    assert code == 2 and err.startswith("vfmigrate: error: --steps 2: only 1 migrations are applied")


def test_down_steps_zero_in_the_library_is_a_usage_error(family, db_path, run):
    from vfmigrate_magic.engine.errors import UsageError
    assert run("up")[0] == 0
    with pytest.raises(UsageError, match="--steps must be a whole number of 1 or more, not 0"):
        commands.down(Target(db_path, family.path), steps=0)
    assert [v for v, _ in tracked(db_path)] == [1, 2]


def test_exit_codes_are_the_documented_ones(family, db_path, run):
    """One case per code: the README's table."""
    assert run("up")[0] == 0
    (family.path / "001_parents.sql").write_text((family.path / "001_parents.sql").read_text() + "\n-- edited\nSELECT 1;")
    assert run("up")[0] == 3
    os.environ.pop("VFMIGRATE_BUSY_TIMEOUT", None)
    db_path.write_bytes(b"not a database" * 300)
    assert run("status")[0] == 6
