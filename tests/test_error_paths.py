"""The command line's error messages name databases, folders and settings files relative to the
working folder (as the notebook's do), and keep the command line's own advice. The event log
still records the database's full path."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from helpers import MigrationsDir
from vfmigrate_magic import cli
from vfmigrate_magic.engine.history import log_path


@pytest.fixture
def here(tmp_path: Path, monkeypatch, migrations_dir: MigrationsDir) -> Path:
    """The working folder holds ``migrations/`` with one migration; ``app.db`` is not made yet."""
    migrations_dir.add("001_create_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def error(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    return code, capsys.readouterr().err


def test_a_missing_database_is_named_as_given_with_the_command_line_hint(here, capsys):
    assert error(capsys, "--database", "app.db", "down") == (
        6, "vfmigrate: error: app.db: no such database; run 'vfmigrate up' to create it, or fix the path\n")


def test_an_absolute_path_inside_the_working_folder_is_shown_relative(here, capsys):
    (here / "data").mkdir()
    assert error(capsys, "--database", str(here / "data" / "app.db"), "schema") == (
        6, "vfmigrate: error: data/app.db: the database does not exist yet; 'vfmigrate up' creates it, "
           "or read the migration files' schema with --at VERSION\n")


def test_a_path_outside_the_working_folder_is_shown_in_full(here, capsys, monkeypatch):
    (here / "elsewhere").mkdir()
    monkeypatch.chdir(here / "elsewhere")
    assert error(capsys, "--database", str(here / "app.db"), "--migrations", str(here / "migrations"), "down") == (
        6, f"vfmigrate: error: {here / 'app.db'}: no such database; run 'vfmigrate up' to create it, or fix the path\n")


def test_a_missing_migrations_folder_is_relative_with_the_command_line_hint(here, capsys):
    assert error(capsys, "--database", "app.db", "--migrations", str(here / "nowhere"), "up") == (
        5, "vfmigrate: error: nowhere: the migrations folder does not exist; check --migrations / MIGRATIONS_DIR, "
           "or start one with 'vfmigrate create NAME'\n")


def test_a_bad_settings_file_is_named_relative(here, capsys):
    (here / "pyproject.toml").write_text("[tool.vfmigrate]\nbusy_timout = 3\n", encoding="utf-8")
    assert error(capsys, "--database", "app.db", "status") == (
        2, "vfmigrate: error: pyproject.toml: unknown key tool.vfmigrate.busy_timout (did you mean 'busy_timeout'?)\n")


def test_a_locked_database_is_relative_and_keeps_the_busy_timeout_flag_and_the_log_keeps_the_full_path(
        here, capsys, migrations_dir):
    cli.main(["--database", "app.db", "up"])
    migrations_dir.add("002_more.sql", "CREATE TABLE more (x);", "DROP TABLE more;")
    capsys.readouterr()
    holder = sqlite3.connect(here / "app.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, err = error(capsys, "--database", "app.db", "--busy-timeout", "0.05", "up")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (code, err) == (4, "vfmigrate: error: app.db is locked by another process (waited 0.05 s); let the other "
                              "writer finish or stop it, or wait longer with --busy-timeout SECONDS "
                              "(VFMIGRATE_BUSY_TIMEOUT). Nothing was changed.\n")
    events = [json.loads(line) for line in log_path(here / "app.db").read_text().splitlines()]
    assert {e["database"] for e in events} == {str(here / "app.db")}
    assert events[-1]["status"] == "failed" and events[-1]["version"] == 2


def test_json_errors_carry_the_same_relative_message(here, capsys):
    code = cli.main(["--json", "--database", "app.db", "down"])
    assert code == 6
    assert json.loads(capsys.readouterr().out) == {"error": {
        "kind": "DatabaseError",
        "message": "app.db: no such database; run 'vfmigrate up' to create it, or fix the path"}}


def test_a_missing_backup_keeps_the_command_line_hint(here, capsys):
    cli.main(["--database", "app.db", "up"])
    capsys.readouterr()
    assert error(capsys, "--database", "app.db", "restore", "nothing.bak") == (
        2, "vfmigrate: error: nothing.bak: no such backup file; list them with 'vfmigrate backups'. "
           "Nothing was changed.\n")


def test_a_missing_applied_file_names_its_folder_relative(here, capsys):
    cli.main(["--database", "app.db", "up"])
    capsys.readouterr()
    (here / "migrations" / "001_create_users.sql").unlink()
    assert error(capsys, "--database", "app.db", "down") == (
        3, "vfmigrate: error: Migration 1 (create_users) is applied but its file is missing from migrations; "
           "restore the file to roll it back. Nothing was changed.\n")
