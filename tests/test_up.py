"""up: order, atomicity per migration, tracking rows, refusals, and the dry run."""

from __future__ import annotations

import sqlite3

import pytest
from helpers import file_digest, tables, tracked

from vfmigrate_magic import ExecutionMode, MigrationRunner
from vfmigrate_magic.engine import commands
from vfmigrate_magic.engine.config import Target
from vfmigrate_magic.engine.errors import ChecksumMismatch, MigrationFailed, MigrationInterrupted, OutOfOrder
from vfmigrate_magic.engine.files import discover


@pytest.fixture
def three(migrations_dir):
    migrations_dir.add("001_users.sql", """
        CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
        CREATE INDEX idx_users_email ON users(email);
        """, "DROP INDEX idx_users_email;\nDROP TABLE users;")
    migrations_dir.add("002_seed.sql", "INSERT INTO users (email) VALUES ('a@x'), ('b@x'), ('c@x');",
                       "DELETE FROM users;")
    migrations_dir.add("003_roles.sql", """
        ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user';
        UPDATE users SET role = 'admin' WHERE email = 'a@x';
        """, "ALTER TABLE users DROP COLUMN role;")
    return migrations_dir


def schema(path):
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name != 'schema_migrations'"))
    finally:
        conn.close()


def test_up_applies_every_migration_in_order_with_checksums(three, db_path, run):
    code, out, err = run("up")
    assert (code, err) == (0, "")
    assert [line.split()[1] for line in out.splitlines()[:3]] == ["001_users", "002_seed", "003_roles"]
    files = {m.version: m.checksum for m in discover(three)}
    assert tracked(db_path) == sorted(files.items())
    with sqlite3.connect(db_path) as conn:
        cols = [r[1] for r in conn.execute("PRAGMA table_info(schema_migrations)")]
        assert cols == ["version", "name", "applied_at", "checksum", "execution_time_ms"]
        assert conn.execute("SELECT role FROM users ORDER BY id").fetchall() == [("admin",), ("user",), ("user",)]


def test_schema_matches_plain_sqlite3_running_the_same_sql(three, db_path, tmp_path, run):
    assert run("up")[0] == 0
    plain = tmp_path / "plain.db"
    conn = sqlite3.connect(plain, isolation_level=None)
    for m in discover(three):
        for stmt in m.up:
            conn.execute(stmt.sql)
    conn.close()
    assert schema(db_path) == schema(plain)


def test_up_twice_applies_nothing_the_second_time(three, db_path, run):
    run("up")
    before = file_digest(db_path)
    code, out, _ = run("up")
    assert code == 0 and "Already up to date" in out
    assert file_digest(db_path) == before


def test_up_to_stops_at_that_version(three, db_path, run):
    assert run("up", "--to", "2")[0] == 0
    assert [v for v, _ in tracked(db_path)] == [1, 2]


def test_failing_migration_is_rolled_back_whole_and_earlier_ones_stay(three, db_path, run):
    three.add("004_broken.sql", """
        CREATE TABLE audit (id INTEGER PRIMARY KEY);
        INSERT INTO audit (id) VALUES (1);
        UPDATE users SET emali = 'x';
        """, "DROP TABLE audit;")
    three.add("005_after.sql", "CREATE TABLE after_broken (x);", "DROP TABLE after_broken;")
    code, out, err = run("up")
    assert code == 1
    assert err == ("vfmigrate: error: 004_broken.sql, statement 3 (line 9): no such column: emali; "
                   "nothing from 004_broken.sql was applied; earlier migrations in this run stay: 1, 2, 3\n")
    assert "Applied 003_roles" in out
    assert [v for v, _ in tracked(db_path)] == [1, 2, 3]
    assert "audit" not in tables(db_path) and "after_broken" not in tables(db_path)


def test_failure_is_logged_in_history(three, db_path, run):
    three.add("004_broken.sql", "INSERT INTO nowhere VALUES (1);", "SELECT 1;")
    run("up")
    code, out, _ = run("history")
    assert code == 0
    assert "004_broken  failed" in out and "no such table: nowhere" in out


def test_edited_applied_migration_is_refused_before_anything_changes(three, db_path, run):
    run("up", "--to", "2")
    (three.path / "001_users.sql").write_text(
        (three.path / "001_users.sql").read_text().replace("email TEXT", "mail TEXT"))
    before = file_digest(db_path)
    code, _, err = run("up")
    assert code == 3
    assert err.startswith("vfmigrate: error: Checksum mismatch for migration 1 (001_users.sql)")
    assert file_digest(db_path) == before


def test_line_ending_conversion_of_applied_files_is_not_a_mismatch(three, db_path, run):
    run("up")
    for path in three.path.glob("*.sql"):
        path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    code, out, err = run("up")
    assert (code, err) == (0, "") and "Already up to date" in out


def test_pending_migration_below_current_version_is_refused(three, db_path, run):
    seed = three.path.joinpath("002_seed.sql").read_text()
    three.path.joinpath("002_seed.sql").unlink()
    run("up")
    three.write("002_seed.sql", seed)
    before = file_digest(db_path)
    code, _, err = run("up")
    assert code == 3
    assert err == ("vfmigrate: error: 002_seed.sql is pending but version 3 is already applied (out of order); "
                   "renumber it above 3, or roll back below 2 first. Nothing was changed.\n")
    assert file_digest(db_path) == before


def test_malformed_pending_file_is_refused_before_anything_runs(three, db_path, run):
    three.add("004_bad.sql", "CREATE TABLE x (a);\nINSERT INTO x VALUES ('oops);", "DROP TABLE x;")
    code, _, err = run("up")
    assert code == 5
    assert err.startswith("vfmigrate: error: 004_bad.sql, line 8: incomplete SQL statement")
    assert not db_path.exists()


def test_dry_run_reports_and_leaves_the_file_byte_for_byte_unchanged(three, db_path, run):
    run("up", "--to", "1")
    before = file_digest(db_path)
    code, out, _ = run("up", "--dry-run")
    assert code == 0
    assert "Dry run (up) 002_seed" in out and "1 statement, 3 rows changed" in out
    assert "Dry run (up) 003_roles" in out and "2 statements, 1 row changed" in out
    assert "the database was not changed (still at version 1)" in out
    assert file_digest(db_path) == before


def test_dry_run_reports_objects_created_and_dropped(migrations_dir, db_path):
    migrations_dir.add("001_a.sql", "CREATE TABLE a (x);\nCREATE INDEX ia ON a(x);", "DROP TABLE a;")
    migrations_dir.add("002_b.sql", "DROP INDEX ia;\nCREATE VIEW va AS SELECT x FROM a;", "DROP VIEW va;")
    report = commands.up(Target(db_path, migrations_dir.path), dry_run=True)
    first, second = report.results
    assert first.created == ("index ia", "table a") and first.dropped == ()
    assert second.created == ("view va",) and second.dropped == ("index ia",)
    assert not db_path.exists()  # a dry run never creates the database


def test_dry_run_from_python_as_in_the_seed(three, db_path):
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE keep (x)")
    conn.commit()
    before = file_digest(db_path)
    report = MigrationRunner(three, mode=ExecutionMode.DRY_RUN).migrate_up(conn)
    assert [r.version for r in report.results] == [1, 2, 3]
    assert report.mode is ExecutionMode.DRY_RUN
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'users'").fetchone() is None
    assert conn.isolation_level == ""  # the caller's connection is handed back as it was
    conn.close()
    assert file_digest(db_path) == before


def test_runner_applies_on_a_callers_connection(three, db_path):
    conn = sqlite3.connect(db_path)
    seen = []
    report = MigrationRunner(three, on_result=seen.append).migrate_up(conn)
    assert [r.version for r in seen] == [1, 2, 3] == [r.version for r in report.results]
    assert (report.version_before, report.version_after) == (0, 3)
    conn.close()
    assert [v for v, _ in tracked(db_path)] == [1, 2, 3]


def test_runner_refuses_a_connection_with_an_open_transaction(three, db_path):
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")  # opens an implicit transaction
    with pytest.raises(Exception, match="open transaction"):
        MigrationRunner(three).migrate_up(conn)


def test_interrupting_a_statement_rolls_back_the_running_migration(migrations_dir, db_path):
    migrations_dir.add("001_a.sql", "CREATE TABLE a (x);", "DROP TABLE a;")
    migrations_dir.add("002_long.sql", """
        CREATE TABLE big (n);
        WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c LIMIT 2000000) INSERT INTO big SELECT n FROM c;
        """, "DROP TABLE big;")
    calls = []

    def cancel_after_a_while():
        calls.append(1)
        return len(calls) > 50  # a true value asks SQLite to abort the statement

    with pytest.raises(MigrationInterrupted) as err:
        commands.up(Target(db_path, migrations_dir.path), progress_handler=cancel_after_a_while, progress_every=10000)
    assert str(err.value) == ("002_long.sql, statement 2 (line 8): interrupted; nothing from 002_long.sql was "
                              "applied; earlier migrations in this run stay: 1")
    assert [v for v, _ in tracked(db_path)] == [1]
    assert "big" not in tables(db_path)


def test_executescript_would_commit_the_open_transaction(tmp_path):
    """Why the engine never uses executescript: it COMMITs the transaction it is given."""
    path = tmp_path / "x.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("CREATE TABLE first (x)")
    conn.executescript("CREATE TABLE second (x);")
    assert not conn.in_transaction
    conn.execute("ROLLBACK") if conn.in_transaction else None
    assert tables(path) == {"first", "second"}  # 'first' was committed, not rolled back


def test_runner_never_uses_executescript():
    import inspect

    from vfmigrate_magic.engine import rollback, run, runner, sqlite
    for module in (run, sqlite, runner, rollback):
        assert "executescript(" not in inspect.getsource(module)


def test_migration_statement_errors_do_not_use_executescript_semantics(migrations_dir, db_path):
    """A failing statement after DDL leaves no DDL behind (alembic leaves it on SQLite)."""
    migrations_dir.add("001_two.sql", "CREATE TABLE one (x);\nCREATE TABLE one (x);", "DROP TABLE one;")
    with pytest.raises(MigrationFailed):
        commands.up(Target(db_path, migrations_dir.path))
    assert "one" not in tables(db_path)


def test_checksum_and_order_errors_are_engine_errors(three, db_path):
    commands.up(Target(db_path, three.path))
    three.add("001_users.sql", "CREATE TABLE changed (x);", "DROP TABLE changed;")
    with pytest.raises(ChecksumMismatch):
        commands.up(Target(db_path, three.path))
    three.path.joinpath("001_users.sql").unlink()
    three.add("000_early.sql", "SELECT 1;", "SELECT 1;")
    with pytest.raises(OutOfOrder):
        commands.up(Target(db_path, three.path))


def test_no_transaction_directive_runs_vacuum_and_records_it(migrations_dir, db_path, run):
    migrations_dir.add("001_a.sql", "CREATE TABLE a (x);\nINSERT INTO a VALUES (1);", "DROP TABLE a;")
    migrations_dir.write("002_vacuum.sql", "-- vfmigrate: no-transaction\n"
                         "-- === UP MIGRATION ===\nVACUUM;\n-- === DOWN MIGRATION ===\nSELECT 1;\n")
    run("up", "--to", "1")
    before = file_digest(db_path)
    code, out, _ = run("up", "--dry-run")  # rehearsed on a copy in memory
    assert code == 0 and "Dry run (up) 002_vacuum" in out
    assert file_digest(db_path) == before
    code, out, _ = run("up")
    assert code == 0 and "Applied 002_vacuum" in out
    assert [v for v, _ in tracked(db_path)] == [1, 2]


def test_file_wrapped_in_begin_commit_applies_as_one_migration(migrations_dir, db_path, run):
    migrations_dir.add("001_wrapped.sql", "BEGIN;\nCREATE TABLE a (x);\nCREATE TABLE b (y);\nCOMMIT;",
                       "BEGIN TRANSACTION;\nDROP TABLE b;\nDROP TABLE a;\nEND TRANSACTION;")
    code, out, _ = run("up")
    assert code == 0 and "warning: 001_wrapped.sql: BEGIN (line 7) and COMMIT (line 10) are ignored" in out
    assert {"a", "b"} <= tables(db_path)
    assert run("down")[0] == 0 and not {"a", "b"} & tables(db_path)


def test_dry_run_of_a_database_not_created_yet_is_in_its_history(migrations_dir, db_path, run):
    migrations_dir.add("001_a.sql", "CREATE TABLE a (x);", "DROP TABLE a;")
    assert run("up", "--dry-run")[0] == 0
    assert not db_path.exists()
    code, out, _ = run("history")
    assert code == 0 and "up   dry-run 001_a  ok" in out


def test_each_migration_is_logged_once_in_order_in_one_run(three, db_path, run):
    three.add("004_broken.sql", "INSERT INTO nowhere VALUES (1);", "SELECT 1;")
    run("up")
    from vfmigrate_magic.engine import history
    events = history.read(db_path)
    assert [(e.version, e.status) for e in events] == [(1, "ok"), (2, "ok"), (3, "ok"), (4, "failed")]
    assert history.log_path(db_path).read_text().count("\n") == 4


def test_each_logged_line_is_the_json_of_its_event_and_reads_back(tmp_path):
    import dataclasses
    import json

    from vfmigrate_magic.engine import history
    from vfmigrate_magic.engine.results import HistoryEvent

    label = str(tmp_path / 'a "quoted" dätabase.db')
    written = [HistoryEvent("2026-12-05 10:00:00.123", label, 7, "add_rôles", "up", "apply", "ok", 12.346, 3),
               HistoryEvent("2026-12-05 10:00:01.000", label, 8, "b", "down", "apply", "failed", 0.3, 0, "no\nsuch")]
    with history.EventLog(tmp_path / "x.db") as log:
        for event in written:
            log.write(event)
    lines = history.log_path(tmp_path / "x.db").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [dataclasses.asdict(e) for e in written]
    assert history.read(tmp_path / "x.db") == written


def test_each_migrations_line_is_written_when_it_commits(migrations_dir, db_path):
    """The ledger holds a migration's line before the run goes on to the next one, so a
    run killed later loses none of them."""
    from vfmigrate_magic.engine import history

    for n in (1, 2, 3):
        migrations_dir.add(f"00{n}_t{n}.sql", f"CREATE TABLE t{n} (x);", f"DROP TABLE t{n};")
    seen = []

    def look(result):
        seen.append(history.log_path(db_path).read_text().count("\n"))

    commands.up(Target(database=db_path, migrations=migrations_dir.path), on_result=look)
    assert seen == [1, 2, 3]
    assert [e.version for e in history.read(db_path)] == [1, 2, 3]


def test_the_statement_results_of_an_applied_migration_are_there_when_read(migrations_dir, db_path):
    migrations_dir.add("001_a.sql", "CREATE TABLE a (x);\n-- two rows\nINSERT INTO a VALUES (1), (2);",
                       "DROP TABLE a;")
    report = commands.up(Target(database=db_path, migrations=migrations_dir.path))
    (result,) = report.results
    assert result.rows_changed == 2
    first, second = result.statements
    assert (first.index, first.sql, first.rows_changed) == (1, "CREATE TABLE a (x);", 0)
    assert (second.index, second.line, second.sql, second.rows_changed) == (
        2, first.line + 2, "INSERT INTO a VALUES (1), (2);", 2)  # below its comment


def test_an_error_in_a_callback_after_a_migration_is_not_logged_as_its_failure(migrations_dir, db_path):
    migrations_dir.add("001_a.sql", "CREATE TABLE a (x);", "DROP TABLE a;")
    migrations_dir.add("002_b.sql", "CREATE TABLE b (x);", "DROP TABLE b;")
    target = Target(database=db_path, migrations=migrations_dir.path)

    def reader_gone(result):
        raise BrokenPipeError

    with pytest.raises(BrokenPipeError):
        commands.up(target, on_result=reader_gone)
    assert [(e.version, e.status) for e in commands.history(target)] == [(1, "ok")]
    assert [v for v, _ in tracked(db_path)] == [1]


def _journal(db_path):
    return db_path.with_name(db_path.name + "-journal")


def _journal_mode(db_path) -> str:
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()


def test_a_run_of_several_migrations_keeps_one_journal_file_and_removes_it_at_the_end(three, db_path):
    seen = []
    target = Target(database=db_path, migrations=three.path)
    commands.up(target, on_result=lambda r: seen.append(_journal(db_path).exists()))
    # In DELETE mode the journal would be gone after every commit; kept, it stays between them.
    assert seen == [True, True, True]
    assert not _journal(db_path).exists()
    assert _journal_mode(db_path) == "delete"
    assert [v for v, _ in tracked(db_path)] == [1, 2, 3]


def test_a_single_migration_and_a_wal_database_keep_their_journal_as_it_was(three, db_path):
    target = Target(database=db_path, migrations=three.path)
    seen = []
    commands.up(target, to=1, on_result=lambda r: seen.append(_journal(db_path).exists()))
    assert seen == [False]  # one migration: SQLite's own DELETE mode, nothing to gain
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    commands.up(target)
    assert _journal_mode(db_path) == "wal" and not _journal(db_path).exists()
    assert [v for v, _ in tracked(db_path)] == [1, 2, 3]


def test_a_failing_migration_in_a_run_leaves_no_journal_behind(three, db_path, run):
    three.add("004_broken.sql", "INSERT INTO nowhere VALUES (1);", "SELECT 1;")
    code, out, err = run("up")
    assert code == 1 and "004_broken.sql" in err
    assert [v for v, _ in tracked(db_path)] == [1, 2, 3]
    assert not _journal(db_path).exists()


def test_a_journal_left_by_a_run_killed_between_migrations_is_inert(three, db_path):
    import os
    import subprocess
    import sys

    # Killed right after its second migration committed: the kept journal, header zeroed, stays.
    script = ("import os, sys\n"
              "from pathlib import Path\n"
              "from vfmigrate_magic.engine import commands\n"
              "from vfmigrate_magic.engine.config import Target\n"
              "done = []\n"
              "def after(r):\n"
              "    done.append(r)\n"
              "    if len(done) == 2:\n"
              "        os._exit(9)\n"
              "commands.up(Target(database=Path(sys.argv[1]), migrations=Path(sys.argv[2])), on_result=after)\n")
    killed = subprocess.run([sys.executable, "-c", script, str(db_path), str(three.path)], env=os.environ)
    assert killed.returncode == 9
    assert _journal(db_path).exists() and _journal(db_path).read_bytes()[:28] == bytes(28)
    conn = sqlite3.connect(db_path)  # not a hot journal: nothing is rolled back
    assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    assert [v for v, _ in tracked(db_path)] == [1, 2]
    commands.up(Target(database=db_path, migrations=three.path))
    assert [v for v, _ in tracked(db_path)] == [1, 2, 3]
    assert not _journal(db_path).exists()


@pytest.fixture
def orphaned(db_path, migrations_dir):
    """A database whose orders already point at a missing user (a violation from before)."""
    conn = sqlite3.connect(db_path)
    conn.executescript("CREATE TABLE users (id INTEGER PRIMARY KEY);"
                       "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id));"
                       "INSERT INTO orders VALUES (1, 99);")
    conn.close()
    migrations_dir.add("001_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY);", "DROP TABLE notes;")
    return Target(db_path, migrations_dir.path)


def test_the_report_names_violations_that_were_there_before_as_the_last_transaction_saw_them(orphaned, migrations_dir):
    migrations_dir.add("002_tags.sql", "CREATE TABLE tags (id INTEGER PRIMARY KEY);", "DROP TABLE tags;")
    for tx in ("file", "all"):
        report = commands.up(orphaned, tx=tx)
        assert (report.version_after, report.foreign_key_violations) == (2, ("orders rowid 1 -> users",))
        commands.down(orphaned, all=True, backup=False)


def test_after_a_no_transaction_migration_the_report_checks_the_database_itself(orphaned, migrations_dir):
    # Run as written, outside any transaction: nothing checked it, so the final check must.
    migrations_dir.write("002_more_orphans.sql", "-- vfmigrate: no-transaction\n-- === UP MIGRATION ===\n"
                         "INSERT INTO orders VALUES (2, 98);\n-- === DOWN MIGRATION ===\n"
                         "DELETE FROM orders WHERE id = 2;\n")
    report = commands.up(orphaned)
    assert report.version_after == 2
    assert report.foreign_key_violations == ("orders rowid 1 -> users", "orders rowid 2 -> users")
