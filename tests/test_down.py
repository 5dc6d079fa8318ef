"""down: last / --steps / --to / --all, backups, checks, refusals."""

from __future__ import annotations

import sqlite3

import pytest
from helpers import file_digest, tables, tracked

from vfmigrate_magic import ExecutionMode, RollbackManager
from vfmigrate_magic.engine import commands
from vfmigrate_magic.engine.config import Target


@pytest.fixture
def applied(migrations_dir, db_path, run):
    migrations_dir.add("001_parents.sql", "CREATE TABLE parents (id INTEGER PRIMARY KEY, name TEXT);",
                       "DROP TABLE parents;")
    migrations_dir.add("002_children.sql", """
        CREATE TABLE children (id INTEGER PRIMARY KEY,
                               parent_id INTEGER REFERENCES parents(id) ON DELETE CASCADE);
        """, "DROP TABLE children;")
    migrations_dir.add("003_data.sql", """
        INSERT INTO parents (id, name) VALUES (1, 'p1'), (2, 'p2');
        INSERT INTO children (id, parent_id) VALUES (10, 1), (11, 1), (20, 2);
        """, "DELETE FROM children;\nDELETE FROM parents;")
    migrations_dir.add("004_rebuild_parents.sql", """
        CREATE TABLE parents_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL CHECK (length(name) > 0));
        INSERT INTO parents_new (id, name) SELECT id, name FROM parents;
        DROP TABLE parents;
        ALTER TABLE parents_new RENAME TO parents;
        """, """
        CREATE TABLE parents_old (id INTEGER PRIMARY KEY, name TEXT);
        INSERT INTO parents_old (id, name) SELECT id, name FROM parents;
        DROP TABLE parents;
        ALTER TABLE parents_old RENAME TO parents;
        """)
    assert run("up")[0] == 0
    return migrations_dir


def count(db, table):
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_down_rolls_back_only_the_last_migration_by_default(applied, db_path, run):
    code, out, err = run("down")
    assert (code, err) == (0, "")
    assert "Rolled back 004_rebuild_parents" in out and "Version 4 -> 3" in out
    assert [v for v, _ in tracked(db_path)] == [1, 2, 3]


def test_table_rebuild_does_not_cascade_delete_child_rows(applied, db_path, run):
    # DROP TABLE parents inside 004 (up and down) would delete children with foreign keys on.
    assert count(db_path, "children") == 3
    run("down")
    assert count(db_path, "children") == 3 and count(db_path, "parents") == 2


def test_down_writes_an_online_backup_first_and_prints_its_path(applied, db_path, run, tmp_path):
    before = file_digest(db_path)
    code, out, _ = run("down")
    backups = list(tmp_path.glob("app.db.*.v4.bak"))
    assert len(backups) == 1
    assert f"Backup written to {backups[0].name}" in out  # printed relative to the working folder
    assert tracked(backups[0]) == tracked(db_path) + [(4, tracked(backups[0])[-1][1])]
    with sqlite3.connect(backups[0]) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert before != file_digest(db_path)


def test_backup_waits_for_the_write_lock_and_leaves_nothing_when_it_is_not_granted(tmp_path):
    from vfmigrate_magic.engine.errors import DatabaseLocked
    from vfmigrate_magic.engine.backup import backup

    db = tmp_path / "app.db"
    with sqlite3.connect(db) as setup:
        setup.execute("CREATE TABLE t (x)")
        setup.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(1000)])
    writer = sqlite3.connect(db, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(5000)])  # not committed
    conn = sqlite3.connect(db, isolation_level=None, timeout=0.2)
    with pytest.raises(DatabaseLocked):
        backup(conn, tmp_path / "app.db.bak")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["app.db", "app.db-journal"]
    writer.execute("COMMIT")
    copy = backup(conn, tmp_path / "app.db.bak")
    assert count(copy, "t") == 6000
    with sqlite3.connect(copy) as check:
        assert check.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    writer.execute("INSERT INTO t VALUES (1)")  # the backup released its lock


def test_backup_of_a_wal_database_holds_what_is_still_in_the_wal_file(tmp_path):
    from vfmigrate_magic.engine.backup import backup

    db = tmp_path / "app.db"
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    assert (tmp_path / "app.db-wal").stat().st_size > 0
    copy = backup(conn, tmp_path / "app.db.bak")
    assert count(copy, "t") == 100


def test_no_backup_skips_it(applied, run, tmp_path):
    assert run("down", "--no-backup")[0] == 0
    assert list(tmp_path.glob("*.bak")) == []


def test_down_reports_integrity_and_foreign_key_checks(applied, run):
    _, out, _ = run("down")
    assert "foreign_key_check: ok; integrity_check: ok" in out


def test_violations_already_in_the_data_do_not_block_a_down_and_are_reported_after(applied, db_path, run):
    with sqlite3.connect(db_path) as conn:
        conn.execute("DELETE FROM parents WHERE id = 1")  # old data: children 10 and 11 lose their parent
    code, out, _ = run("down")
    assert code == 0
    assert "Version 4 -> 3" in out
    assert "foreign_key_check: 2 violations\n    children rowid 10 -> parents\n    children rowid 11 -> parents" in out


def test_a_down_that_adds_violations_is_rolled_back_naming_table_row_and_parent(applied, db_path, run, migrations_dir):
    migrations_dir.add("005_more_parents.sql", "INSERT INTO parents (id, name) VALUES (3, 'p3');",
                       "DELETE FROM parents WHERE id = 2;")  # a wrong DOWN: orphans child 20
    assert run("up")[0] == 0
    code, out, err = run("down")
    assert code == 1
    assert err == ("vfmigrate: error: 005_more_parents.sql (DOWN): foreign_key_check: 1 row with a missing parent "
                   "that was not there before (children rowid 20 -> parents); the rollback of 005_more_parents.sql "
                   "was undone, it stays applied\n")
    assert [v for v, _ in tracked(db_path)] == [1, 2, 3, 4, 5]
    assert count(db_path, "children") == 3


def test_steps_to_and_all(applied, db_path, run):
    assert run("down", "--steps", "2")[0] == 0
    assert [v for v, _ in tracked(db_path)] == [1, 2]
    run("up")
    assert run("down", "--to", "1")[0] == 0
    assert [v for v, _ in tracked(db_path)] == [1]
    run("up")
    assert run("down", "--all")[0] == 0
    assert tracked(db_path) == []
    assert tables(db_path) == {"schema_migrations"}


def test_more_steps_than_applied_is_refused(applied, db_path, run):
    before = file_digest(db_path)
    code, _, err = run("down", "--steps", "9")
    assert code == 2
    assert err == ("vfmigrate: error: --steps 9: only 4 migrations are applied; use --all to roll back "
                   "every one. Nothing was changed.\n")
    assert file_digest(db_path) == before


def test_steps_and_to_together_are_a_usage_error(applied, run):
    with pytest.raises(SystemExit) as exit_:
        run("down", "--steps", "1", "--to", "2")
    assert exit_.value.code == 2


def test_irreversible_migration_is_refused_with_a_clear_message(applied, db_path, run, migrations_dir):
    migrations_dir.add("005_irreversible.sql", "DELETE FROM children WHERE id = 20;", "-- cannot be undone")
    run("up")
    before = file_digest(db_path)
    code, _, err = run("down")
    assert code == 3
    assert err == ("vfmigrate: error: Migration 5 (005_irreversible.sql) cannot be rolled back: its DOWN "
                   "migration SQL is empty; write a DOWN section or restore from a backup. Nothing was changed.\n")
    assert file_digest(db_path) == before


def test_down_needs_the_file_of_the_migration(applied, db_path, run, migrations_dir):
    (migrations_dir.path / "004_rebuild_parents.sql").unlink()
    code, _, err = run("down")
    assert code == 3 and "applied but its file is missing" in err
    assert [v for v, _ in tracked(db_path)] == [1, 2, 3, 4]


def test_failing_down_is_undone_and_the_migration_stays_applied(applied, db_path, run, migrations_dir):
    migrations_dir.add("005_bad_down.sql", "CREATE TABLE extra (x);", "DROP TABLE extra;\nDROP TABLE nope;")
    run("up")
    code, _, err = run("down")
    assert code == 1
    assert err == ("vfmigrate: error: 005_bad_down.sql (DOWN), statement 2 (line 11): no such table: nope; "
                   "the rollback of 005_bad_down.sql was undone, it stays applied\n")
    assert "extra" in tables(db_path) and [v for v, _ in tracked(db_path)][-1] == 5


def test_dry_run_down_changes_nothing(applied, db_path, run, tmp_path):
    before = file_digest(db_path)
    code, out, _ = run("down", "--steps", "2", "--dry-run")
    assert code == 0
    assert "Dry run (down) 004_rebuild_parents" in out and "Dry run (down) 003_data" in out
    assert "5 rows changed" in out
    assert file_digest(db_path) == before
    assert list(tmp_path.glob("*.bak")) == []


def test_down_up_round_trip_restores_the_schema(applied, db_path, run):
    def snapshot():
        with sqlite3.connect(db_path) as conn:
            return sorted(conn.execute("SELECT type, name, sql FROM sqlite_master WHERE name != 'schema_migrations'"))

    before = snapshot()
    run("down", "--all")
    run("up")
    assert snapshot() == before


def test_rollback_manager_on_a_callers_connection(applied, db_path, migrations_dir):
    conn = sqlite3.connect(db_path)
    report = RollbackManager(migrations_dir, ExecutionMode.APPLY, backup=False).rollback(conn, steps=2)
    assert [r.version for r in report.results] == [4, 3]
    assert report.integrity == "ok" and report.backup_path is None
    conn.close()


def test_down_on_a_missing_database_is_a_clear_error(migrations_dir, tmp_path):
    with pytest.raises(Exception) as err:
        commands.down(Target(tmp_path / "nope.db", migrations_dir.path))
    assert str(err.value) == "nope.db: no such database; run 'vfmigrate up' to create it, or fix the path"
