"""Errors in a notebook give the notebook's advice (``%%migration NAME``, ``%config
MigrateMagics.busy_timeout``, ``'%migrate up'``), never the command line's, and name paths
relative to the working folder. Each phrase of ``hints.PHRASES`` is checked here against an
error the real engine raises."""

from __future__ import annotations

import ast
import inspect
import re
import sqlite3
from pathlib import Path

import pytest
from IPython.core.error import UsageError

from nbhelpers import write_migration
import vfmigrate_magic.engine as engine_package
from vfmigrate_magic.engine import commands
from vfmigrate_magic.engine.backup import backup
from vfmigrate_magic.engine.config import Target
from vfmigrate_magic.engine.errors import DatabaseError, DatabaseLocked, RefusedByState
from vfmigrate_magic.engine.sqlite import connect
from vfmigrate_magic.notebook import hints


@pytest.fixture
def here(app, monkeypatch):
    """The working folder is the project: ``app.db`` and ``migrations/`` lie inside it."""
    monkeypatch.chdir(app)
    return app


@pytest.fixture
def on_app(ip, here):
    ip.run_line_magic("config", "MigrateMagics.database = 'app.db'")
    return ip


def usage_error(ip, line: str, cell: str | None = None) -> str:
    with pytest.raises(UsageError) as raised:
        if cell is None:
            ip.run_line_magic("migrate", line)
        else:
            ip.run_cell_magic("migration", line, cell)
    return str(raised.value)


@pytest.fixture
def write_lock(here):
    """Another connection holding ``app.db``'s write lock (BEGIN IMMEDIATE) for the test."""
    holder = sqlite3.connect(here / "app.db", isolation_level=None)
    holder.execute("CREATE TABLE other_app (x)")
    holder.execute("BEGIN IMMEDIATE")
    yield holder
    holder.execute("ROLLBACK")
    holder.close()


def test_a_locked_database_says_config_busy_timeout_not_the_command_line_flag(on_app, write_lock):
    on_app.run_line_magic("config", "MigrateMagics.busy_timeout = 0.05")  # the hint's own words, and they work
    message = usage_error(on_app, "up")
    assert message == ("app.db is locked by another process (waited 0.05 s); let the other writer finish or stop it, "
                       "or wait longer with %config MigrateMagics.busy_timeout = SECONDS (VFMIGRATE_BUSY_TIMEOUT). "
                       "Nothing was changed.")
    assert "--busy-timeout" not in message


def test_the_panel_names_its_own_busy_timeout_argument(here, write_lock):
    from vfmigrate_magic.notebook.panel import MigrationPanel

    with pytest.raises(DatabaseLocked) as raised:
        commands.up(Target(here / "app.db", here / "migrations"), busy_timeout=0.05)
    assert hints.for_notebook(raised.value, panel=True) == (
        "app.db is locked by another process (waited 0.05 s); let the other writer finish or stop it, or wait "
        "longer with MigrationPanel(busy_timeout=SECONDS) (VFMIGRATE_BUSY_TIMEOUT). Nothing was changed.")
    assert "busy_timeout" in inspect.signature(MigrationPanel).parameters


def test_the_engine_error_itself_keeps_the_command_line_advice_and_its_absolute_path(here, write_lock):
    with pytest.raises(DatabaseLocked) as raised:
        commands.up(Target(here / "app.db", here / "migrations"), busy_timeout=0.05)
    assert raised.value.path == str(here / "app.db")  # the field as the engine knows it
    assert "wait longer with --busy-timeout SECONDS" in str(raised.value)  # the CLI's words, once, in the engine


def test_a_duplicate_version_says_percent_percent_migration(on_app, here):
    write_migration(here / "migrations", "002_other.sql", "CREATE TABLE other (x);", "DROP TABLE other;")
    assert usage_error(on_app, "up") == ("002_other.sql: has the same version 2 as 002_add_email_index.sql; "
                                         "give one of them a new number (%%migration NAME picks the next)")


def test_a_misnumbered_file_says_percent_percent_migration(on_app, here):
    write_migration(here / "migrations", "99999999999999999999_huge.sql", "SELECT 1;")
    assert usage_error(on_app, "status") == (
        "99999999999999999999_huge.sql: the version number is larger than SQLite's largest integer "
        "(9223372036854775807); renumber it (%%migration NAME picks the next number)")


def test_a_changed_applied_file_says_percent_percent_migration(on_app, here):
    on_app.run_line_magic("migrate", "up")
    path = here / "migrations" / "002_add_email_index.sql"
    path.write_text(path.read_text().replace("idx_users_email ON", "idx_users_mail ON"))
    message = usage_error(on_app, "up")
    assert message.startswith("Checksum mismatch for migration 2 (002_add_email_index.sql): the file changed")
    assert message.endswith("restore the file and put the change in a new migration (%%migration NAME). "
                            "Nothing was changed.")


def test_a_missing_migrations_folder_is_relative_and_says_percent_percent_migration(on_app):
    assert usage_error(on_app, "up --migrations nowhere") == (
        "nowhere: the migrations folder does not exist; check --migrations / MIGRATIONS_DIR, "
        "or start one with '%%migration NAME'")


def test_a_missing_database_in_a_read_command_says_percent_migrate_up(on_app):
    assert usage_error(on_app, "schema") == ("app.db: the database does not exist yet; '%migrate up' creates it, "
                                             "or read the migration files' schema with --at VERSION")
    assert usage_error(on_app, "down") == "app.db: no such database; run '%migrate up' to create it, or fix the path"
    assert not Path("app.db").exists()


def test_paths_are_relative_to_the_working_folder_however_they_were_given(ip, here):
    (here / "data").mkdir()
    assert usage_error(ip, "down --database data/app.db") == (
        "data/app.db: no such database; run '%migrate up' to create it, or fix the path")
    assert usage_error(ip, f"down --database '{here / 'data' / 'app.db'}'") == (
        "data/app.db: no such database; run '%migrate up' to create it, or fix the path")


def test_a_path_outside_the_working_folder_is_shown_in_full(ip, here, monkeypatch):
    (here / "notebooks").mkdir()
    monkeypatch.chdir(here / "notebooks")
    assert usage_error(ip, f"down --database '{here / 'app.db'}'") == (
        f"{here / 'app.db'}: no such database; run '%migrate up' to create it, or fix the path")


def test_a_missing_backup_says_percent_migrate_backups(on_app):
    on_app.run_line_magic("migrate", "up")
    assert usage_error(on_app, "restore nothing.bak") == (
        "nothing.bak: no such backup file; list them with '%migrate backups'. Nothing was changed.")


def test_two_configured_databases_name_the_settings_file_relative(ip, here):
    (here / "pyproject.toml").write_text('[tool.vfmigrate.databases.a]\npath = "a.db"\n\n'
                                         '[tool.vfmigrate.databases.b]\npath = "b.db"\n', encoding="utf-8")
    assert usage_error(ip, "down") == "2 databases are configured in pyproject.toml: choose one with --db NAME (a, b)"


def test_a_cell_in_a_broken_folder_gets_the_notebook_hint_too(ip, here):
    write_migration(here / "migrations", "002_other.sql", "CREATE TABLE other (x);", "DROP TABLE other;")
    message = usage_error(ip, "add_roles --database app.db", "ALTER TABLE users ADD COLUMN role TEXT;")
    assert message.endswith("give one of them a new number (%%migration NAME picks the next)")


def test_a_runner_that_changed_the_database_meanwhile_says_percent_migrate_status(here):
    target = Target(here / "app.db", here / "migrations")
    commands.up(target)

    def newer_applied_meanwhile(migration, direction):
        other = sqlite3.connect(here / "app.db")
        other.execute("INSERT INTO schema_migrations VALUES (99, 'newer', '2025-01-01 00:00:00', 'x', 0)")
        other.commit()
        other.close()

    with pytest.raises(RefusedByState) as raised:
        commands.down(target, backup=False, on_start=newer_applied_meanwhile)
    assert hints.for_notebook(raised.value) == (
        "002_add_email_index.sql: another runner applied version 99 meanwhile; run '%migrate status' and try "
        "again. Nothing more was rolled back.")


def test_a_backup_that_cannot_be_written_keeps_no_backup_in_a_notebook_and_names_the_panel_argument(here):
    from vfmigrate_magic.notebook.panel import MigrationPanel

    commands.up(Target(here / "app.db", here / "migrations"))
    conn = connect(here / "app.db")
    try:
        with pytest.raises(DatabaseError) as raised:
            backup(conn, here / "gone" / "app.db.v2.bak")
    finally:
        conn.close()
    start = "gone/app.db.v2.bak: cannot write the backup (No such file or directory); free some space or fix the "
    assert hints.for_notebook(raised.value) == (
        start + "folder's permissions, or roll back without one (--no-backup). Nothing was changed.")
    assert hints.for_notebook(raised.value, panel=True) == (
        start + "folder's permissions, or roll back without one (MigrationPanel(backup=False)). Nothing was changed.")
    assert "backup" in inspect.signature(MigrationPanel).parameters


def test_the_users_own_words_in_a_failed_statement_are_not_reworded(on_app, here):
    write_migration(here / "migrations", "003_guard.sql",
                    "CREATE TRIGGER guard BEFORE INSERT ON users BEGIN "
                    "SELECT RAISE(ABORT, 'ask for --busy-timeout SECONDS or ''vfmigrate up'''); END;\n"
                    "INSERT INTO users (email) VALUES ('d@example.com');",
                    "DROP TRIGGER guard;")
    assert usage_error(on_app, "up") == (
        "003_guard.sql, statement 2 (line 8): ask for --busy-timeout SECONDS or 'vfmigrate up'; "
        "nothing from 003_guard.sql was applied; earlier migrations in this run stay: 1, 2")


def test_a_message_given_as_text_is_reworded_too():
    assert hints.for_notebook("x.db: no such database; run 'vfmigrate up' to create it") == (
        "x.db: no such database; run '%migrate up' to create it")


def _engine_strings() -> list[str]:
    found = []
    for path in Path(engine_package.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.append(node.value)
    return found


def test_no_command_line_advice_in_the_engine_escapes_the_table():
    """A new ``'vfmigrate WORD'`` in an engine message needs its notebook phrase in hints.PHRASES."""
    advice = re.compile(r"'vfmigrate [a-z]+|vfmigrate create NAME|--busy-timeout SECONDS")
    leftover = {m for text in _engine_strings() for m in advice.findall(hints.for_notebook(text))}
    assert leftover == set()
