"""status states and create."""

from __future__ import annotations

import sqlite3

import pytest
from helpers import file_digest

from vfmigrate_magic.engine import commands
from vfmigrate_magic.engine.config import Target
from vfmigrate_magic.engine.results import MigrationState


def states(db_path, migrations_dir):
    report = commands.status(Target(db_path, migrations_dir.path))
    return {e.version: e.state for e in report.entries}, report


def test_status_shows_each_state(migrations_dir, db_path, run):
    for v in (1, 2, 3, 5):
        migrations_dir.add(f"00{v}_m{v}.sql", f"CREATE TABLE t{v} (x);", f"DROP TABLE t{v};")
    run("up")
    (migrations_dir.path / "001_m1.sql").write_text((migrations_dir.path / "001_m1.sql").read_text() + "-- edited\n")
    (migrations_dir.path / "002_m2.sql").unlink()
    migrations_dir.add("004_m4.sql", "CREATE TABLE t4 (x);", "DROP TABLE t4;")
    migrations_dir.add("006_m6.sql", "CREATE TABLE t6 (x);", "DROP TABLE t6;")
    found, report = states(db_path, migrations_dir)
    assert found == {1: MigrationState.MODIFIED, 2: MigrationState.MISSING, 3: MigrationState.APPLIED,
                     4: MigrationState.OUT_OF_ORDER, 5: MigrationState.APPLIED, 6: MigrationState.PENDING}
    assert report.current_version == 5
    applied = {e.version: e for e in report.entries}[3]
    assert applied.applied_at and applied.execution_time_ms is not None


def test_status_output_is_a_table_with_totals(migrations_dir, db_path, run):
    migrations_dir.add("001_users.sql", "CREATE TABLE users (x);", "DROP TABLE users;")
    migrations_dir.add("002_roles.sql", "CREATE TABLE roles (x);", "DROP TABLE roles;")
    run("up", "--to", "1")
    code, out, _ = run("status")
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == "app.db  (migrations: migrations)"
    assert lines[1] == "Current version: 1"
    assert lines[2].split() == ["VERSION", "NAME", "STATE", "APPLIED", "AT", "(UTC)", "TIME"]
    assert lines[3].split()[:4] == ["✓", "001", "users", "applied"]
    assert lines[4].split() == ["·", "002", "roles", "pending"]
    assert lines[5] == "1 applied, 1 pending"


def test_status_never_changes_or_creates_the_database(migrations_dir, db_path, run):
    migrations_dir.add("001_users.sql", "CREATE TABLE users (x);", "DROP TABLE users;")
    code, out, _ = run("status")
    assert code == 0 and "not created yet" in out and not db_path.exists()
    run("up")
    before = file_digest(db_path)
    run("status")
    assert file_digest(db_path) == before


def test_create_writes_the_next_zero_padded_version_with_a_header(migrations_dir, run, monkeypatch):
    monkeypatch.setenv("VFMIGRATE_AUTHOR", "Grace Hopper")
    migrations_dir.add("001_users.sql", "CREATE TABLE users (x);", "DROP TABLE users;")
    code, out, _ = run("create", "Add user roles")
    path = migrations_dir.path / "002_add_user_roles.sql"
    assert code == 0 and out == "Created migrations/002_add_user_roles.sql\n"
    text = path.read_text()
    assert text.startswith("-- Migration: 002_add_user_roles\n-- Description: Add user roles\n-- Author: Grace Hopper\n")
    assert "-- === UP MIGRATION ===" in text and "-- === DOWN MIGRATION ===" in text
    assert "-- Date: 20" in text


def test_create_in_a_new_folder_starts_at_001(tmp_path, capsys):
    from vfmigrate_magic.cli import main
    assert main(["--database", "x.db", "--migrations", "new/migs", "create", "init"]) == 0
    assert (tmp_path / "new/migs/001_init.sql").exists()


@pytest.mark.parametrize("name", ["../escape", "a/b", "a\\b", "", "1_starts_with_digit", "drop;table", "x.sql", "é"])
def test_create_refuses_names_that_are_not_plain(migrations_dir, run, name, tmp_path):
    code, _, err = run("create", name)
    assert code == 2
    assert err.startswith(f"vfmigrate: error: bad migration name {name!r}: use letters, digits and underscores")
    assert list(tmp_path.rglob("*.sql")) == []


def test_create_never_overwrites(migrations_dir):
    from vfmigrate_magic.engine.create import create_migration
    first = create_migration(migrations_dir.path, "one", up="CREATE TABLE a (x);")
    second = create_migration(migrations_dir.path, "one")
    assert first.path != second.path and "CREATE TABLE a" in open(first.path).read()


def test_created_file_is_a_valid_empty_migration(migrations_dir, db_path, run):
    run("create", "placeholder")
    code, out, err = run("up")
    assert code == 0 and "Applied 001_placeholder" in out
    assert "DOWN migration SQL is empty" in out
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT name FROM schema_migrations").fetchall() == [("placeholder",)]


def test_status_with_no_migrations_folder_yet_says_so(tmp_path, db_path, capsys):
    from vfmigrate_magic.cli import main
    assert main(["--database", str(db_path), "--migrations", str(tmp_path / "later"), "status"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "app.db  (migrations: later)  -- not created yet  -- the migrations folder does not exist yet"


def test_status_table_is_rendered_exactly():
    from vfmigrate_magic.engine.results import StatusEntry, StatusReport
    S = MigrationState
    report = StatusReport("app.db", "migrations", 1000, (
        StatusEntry(1, "create_users", S.APPLIED, "2025-10-27 09:00:00", 12, "a", "a", True),
        StatusEntry(2, "add_roles", S.MODIFIED, "2025-10-28 10:30:00", 0, "b", "c", False),
        StatusEntry(3, "a_much_longer_name_than_the_others", S.MISSING, "2025-10-29 11:00:00", 1500, "d", "d", None),
        StatusEntry(4, "late", S.OUT_OF_ORDER, checksum="e", reversible=True),
        StatusEntry(1000, "create_index", S.APPLIED, "2025-10-30 12:00:00", 7, "f", "f", True),
        StatusEntry(1001, "add_index", S.PENDING, checksum="g", reversible=True),
    ), db_name="settings")
    assert str(report) == """\
settings: app.db  (migrations: migrations)
Current version: 1000
   VERSION  NAME                                STATE         APPLIED AT (UTC)     TIME
✓  001      create_users                        applied       2025-10-27 09:00:00  12 ms
!  002      add_roles                           modified      2025-10-28 10:30:00  0 ms
?  003      a_much_longer_name_than_the_others  missing       2025-10-29 11:00:00  1500 ms
!  004      late                                out-of-order
✓  1000     create_index                        applied       2025-10-30 12:00:00  7 ms
·  1001     add_index                           pending
2 applied, 1 pending, 1 modified, 1 missing, 1 out-of-order"""


@pytest.mark.parametrize("enabled", [True, False])
def test_status_leaves_the_garbage_collector_as_it_found_it(migrations_dir, db_path, run, enabled):
    import gc
    migrations_dir.add("001_users.sql", "CREATE TABLE users (x);", "DROP TABLE users;")
    run("up")
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        states(db_path, migrations_dir)
        assert gc.isenabled() is enabled
        (migrations_dir.path / "002_bad name.sql").write_text("")
        with pytest.raises(Exception, match="not a migration file name"):
            states(db_path, migrations_dir)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
