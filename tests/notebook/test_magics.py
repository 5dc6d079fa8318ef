"""``%migrate`` in a real InteractiveShell: returned DataFrames, files and databases on disk."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from IPython.core.error import UsageError

from nbhelpers import objects, versions, write_migration
from vfmigrate_magic.engine.errors import MigrationFailed


@pytest.fixture
def on_app(ip, app):
    """The shell with ``app.db`` and ``migrations/`` picked through ``%config``."""
    ip.run_line_magic("config", "MigrateMagics.database = 'app.db'")
    return ip


def test_load_ext_registers_both_magics_and_unload_removes_them(_shell):
    _shell.run_line_magic("load_ext", "vfmigrate_magic")
    assert "migrate" in _shell.magics_manager.magics["line"]
    assert "migration" in _shell.magics_manager.magics["cell"]
    assert any(type(c).__name__ == "MigrateMagics" for c in _shell.configurables)
    _shell.run_line_magic("unload_ext", "vfmigrate_magic")
    assert "migrate" not in _shell.magics_manager.magics["line"]
    assert "migration" not in _shell.magics_manager.magics["cell"]
    assert not any(type(c).__name__ == "MigrateMagics" for c in _shell.configurables)
    with pytest.raises(UsageError, match="Line magic function `%migrate` not found"):
        _shell.run_line_magic("migrate", "status")


def test_config_lists_every_setting_with_its_help(ip, capsys):
    ip.run_line_magic("config", "MigrateMagics")
    out = capsys.readouterr().out
    for name in ("database", "db", "migrations", "busy_timeout", "backup", "short_errors", "progress"):
        assert f"MigrateMagics.{name}=" in out
    assert "seconds to wait for another writer's lock" in out


def test_status_is_a_frame_with_fixed_columns(on_app):
    df = on_app.run_line_magic("migrate", "status")
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == ["version", "name", "state", "applied_at", "execution_time_ms", "checksum", "reversible"]
    assert df[["version", "name", "state"]].values.tolist() == [[1, "create_users", "pending"],
                                                                [2, "add_email_index", "pending"]]
    assert df["applied_at"].isna().all() and df["execution_time_ms"].isna().all()
    assert df.attrs["current_version"] == 0
    assert not Path("app.db").exists()  # status never creates the database


def test_up_applies_everything_and_returns_what_ran(on_app, capsys):
    df = on_app.run_line_magic("migrate", "up")
    assert list(df.columns) == ["version", "name", "direction", "mode", "duration_ms", "rows_changed", "statements"]
    assert df[["version", "direction", "mode", "rows_changed", "statements"]].values.tolist() == [
        [1, "up", "apply", 3, 2], [2, "up", "apply", 0, 1]]
    assert (df["duration_ms"] >= 0).all()
    assert capsys.readouterr().out == "Version 0 -> 2\nforeign_key_check: ok\n"
    assert versions(Path("app.db")) == [1, 2]
    status = on_app.run_line_magic("migrate", "status")
    assert status["state"].tolist() == ["applied", "applied"]
    assert status["checksum"].tolist() == ["ok", "ok"]
    assert status["applied_at"].notna().all() and (status["execution_time_ms"] >= 0).all()


def test_assignment_captures_the_frame(on_app):
    on_app.run_cell("df = %migrate status")
    assert on_app.user_ns["df"]["state"].tolist() == ["pending", "pending"]


def test_trailing_semicolon_runs_the_command_and_shows_nothing(on_app, capsys):
    result = on_app.run_cell("%migrate up --to 1;")
    assert result.result is None
    assert versions(Path("app.db")) == [1]
    assert "Out[" not in capsys.readouterr().out


def test_python_values_are_expanded_in_the_line(ip, app):
    ip.user_ns["target"] = "other.db"
    ip.run_cell("%migrate up --database {target} --to 1")
    assert versions(app / "other.db") == [1]
    assert not (app / "app.db").exists()


def test_dry_run_reports_objects_and_leaves_the_file_byte_for_byte(on_app, capsys):
    on_app.run_line_magic("migrate", "up --to 1")
    before = Path("app.db").read_bytes()
    capsys.readouterr()
    df = on_app.run_line_magic("migrate", "up --dry-run")
    assert df[["version", "mode", "creates", "drops"]].values.tolist() == [[2, "dry-run", "index idx_users_email", ""]]
    assert Path("app.db").read_bytes() == before
    out = capsys.readouterr().out
    assert out.startswith("Dry run (up) 002_add_email_index in ")
    assert out.endswith(": 1 statement, 0 rows changed; creates index idx_users_email (rolled back)\n"
                        "Dry run: the database was not changed (still at version 1)\n")


def test_dry_run_shows_the_rows_at_risk_as_a_frame(on_app, capsys, monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    on_app.run_line_magic("migrate", "up")
    write_migration(Path("migrations"), "003_drop_users.sql", "DELETE FROM users WHERE id > 1;\nDROP TABLE users;",
                    "SELECT 1;")
    with sqlite3.connect("app.db") as conn:
        left = conn.execute("SELECT count(*) FROM users WHERE id <= 1").fetchone()[0]
    capsys.readouterr()
    df = on_app.run_line_magic("migrate", "up --dry-run")
    out = capsys.readouterr().out
    assert df["version"].tolist() == [3]
    assert "Rows at risk (2 findings, counted on the real data and rolled back):" in out
    assert "at risk: " not in out  # a frame, not lines
    (risk,) = [o for o in shown if isinstance(o, pd.DataFrame)]
    assert risk[["version", "statement", "kind", "object", "rows"]].values.tolist() == [
        [3, 1, "delete", "users", 2], [3, 2, "drop-table", "users", left]]


def test_down_rolls_back_the_last_one_after_a_backup(on_app, capsys):
    on_app.run_line_magic("migrate", "up")
    df = on_app.run_line_magic("migrate", "down")
    assert df[["version", "direction", "mode"]].values.tolist() == [[2, "down", "apply"]]
    assert versions(Path("app.db")) == [1]
    assert "idx_users_email" not in objects(Path("app.db"))
    backups = list(Path(".").glob("app.db.*.v2.bak"))
    assert len(backups) == 1 and df.attrs["backup_path"].endswith(backups[0].name)
    assert f"Backup written to {backups[0].name}" in capsys.readouterr().out
    assert versions(backups[0]) == [1, 2]


def test_backups_is_a_frame_and_restore_brings_one_back(on_app, capsys):
    on_app.run_line_magic("migrate", "up")
    on_app.run_line_magic("migrate", "down")
    df = on_app.run_line_magic("migrate", "backups")
    (backup,) = Path(".").glob("app.db.*.v2.bak")
    assert list(df.columns) == ["path", "version", "created_at", "size"]
    assert df[["path", "version", "size"]].values.tolist() == [[backup.name, 2, backup.stat().st_size]]
    assert str(df["created_at"].dtype).startswith("datetime64")
    capsys.readouterr()
    assert on_app.run_line_magic("migrate", f"restore {backup.name}") is None
    out = capsys.readouterr().out
    assert f"Restored app.db from {backup.name} (version 1 -> 2)" in out and "Backed up app.db (version 1) to " in out
    assert versions(Path("app.db")) == [1, 2] and len(on_app.run_line_magic("migrate", "backups")) == 2
    with pytest.raises(UsageError, match="nope.bak: no such backup file"):
        on_app.run_line_magic("migrate", "restore nope.bak")


def test_no_backup_from_config_or_the_line(on_app):
    on_app.run_line_magic("migrate", "up")
    on_app.run_line_magic("migrate", "down --no-backup")
    on_app.run_line_magic("config", "MigrateMagics.backup = False")
    on_app.run_line_magic("migrate", "down")
    assert versions(Path("app.db")) == []
    assert not list(Path(".").glob("*.bak"))


def test_history_lists_every_run_including_dry_runs_and_failures(on_app):
    on_app.run_line_magic("migrate", "up --to 1")
    on_app.run_line_magic("migrate", "up --dry-run")
    write_migration(Path("migrations"), "003_broken.sql", "UPDATE users SET nope = 1;")
    with pytest.raises(UsageError):
        on_app.run_line_magic("migrate", "up")
    on_app.run_line_magic("migrate", "down")
    df = on_app.run_line_magic("migrate", "history")
    assert list(df.columns) == ["at", "version", "name", "direction", "mode", "status", "duration_ms",
                                "rows_changed", "error"]
    assert df[["version", "direction", "mode", "status", "rows_changed"]].values.tolist() == [
        [1, "up", "apply", "ok", 3],
        [2, "up", "dry-run", "ok", 0],
        [2, "up", "apply", "ok", 0],
        [3, "up", "apply", "failed", 0],
        [2, "down", "apply", "ok", 0],
    ]
    assert df["error"].iloc[3] == ("003_broken.sql, statement 1 (line 7): no such column: nope; nothing from "
                                   "003_broken.sql was applied; earlier migrations in this run stay: 2")
    assert str(df["at"].dtype).startswith("datetime64")


def test_create_writes_the_next_file_and_returns_it(on_app):
    df = on_app.run_line_magic("migrate", "create 'Add user roles'")
    assert df.values.tolist() == [[3, "add_user_roles", str(Path("migrations/003_add_user_roles.sql"))]]
    text = Path("migrations/003_add_user_roles.sql").read_text()
    assert "-- === UP MIGRATION ===" in text and "-- === DOWN MIGRATION ===" in text


def test_check_counts_the_files(on_app):
    df = on_app.run_line_magic("migrate", "check")
    assert df[["files", "ok"]].values.tolist() == [[2, True]]


def test_a_failing_statement_is_one_usage_error_naming_file_statement_and_line(on_app):
    write_migration(Path("migrations"), "003_bad_update.sql",
                    "UPDATE users SET email = lower(email);\nUPDATE users SET emali = 'x';")
    with pytest.raises(UsageError) as raised:
        on_app.run_cell("%migrate up")
    assert type(raised.value) is UsageError  # IPython hides the traceback only for this exact class
    assert str(raised.value) == ("003_bad_update.sql, statement 2 (line 8): no such column: emali; nothing from "
                                 "003_bad_update.sql was applied; earlier migrations in this run stay: 1, 2")
    assert isinstance(raised.value.__cause__, MigrationFailed)
    assert versions(Path("app.db")) == [1, 2]
    conn = sqlite3.connect("app.db")
    assert conn.execute("SELECT email FROM users ORDER BY id").fetchall()[0] == ("a@example.com",)
    conn.close()


def test_short_errors_off_raises_the_engine_error_with_its_traceback(on_app):
    write_migration(Path("migrations"), "003_bad.sql", "UPDATE users SET emali = 'x';")
    on_app.run_line_magic("config", "MigrateMagics.short_errors = False")
    with pytest.raises(MigrationFailed, match="no such column: emali"):
        on_app.run_cell("%migrate up")


def test_a_usage_error_fails_the_cell_so_run_all_stops(on_app, capsys):
    from IPython.core.interactiveshell import InteractiveShell

    result = InteractiveShell.run_cell(on_app, "%migrate sideways")  # the shell's own, not re-raising
    assert result.success is False
    assert type(result.error_in_exec) is UsageError
    err = capsys.readouterr().err
    assert err.startswith("UsageError: %migrate: argument COMMAND: invalid choice: 'sideways'")
    assert "Traceback" not in err


@pytest.mark.parametrize("line, message", [
    ("sideways", "%migrate: argument COMMAND: invalid choice: 'sideways' (choose from 'up', 'down', "
                 "'status', 'create', 'history', 'check', 'lint', 'verify', 'schema', 'diff', 'backups', 'restore', 'panel', 'erd')"),
    ("up --to x", "%migrate up: argument --to: not a version number: 'x'"),
    ("down --steps 1 --all", "%migrate down: argument --all: not allowed with argument --steps"),
    ("", "%migrate: the following arguments are required: COMMAND"),
    ("status --database 'unclosed", "cannot read the arguments (No closing quotation): status --database 'unclosed"),
])
def test_bad_arguments_are_one_line_usage_errors(on_app, line, message):
    with pytest.raises(UsageError) as raised:
        on_app.run_line_magic("migrate", line)
    assert str(raised.value) == message


def test_help_prints_the_cli_usage_and_returns_nothing(on_app, capsys):
    assert on_app.run_line_magic("migrate", "down --help") is None
    out = capsys.readouterr().out
    assert out.startswith("usage: %migrate down [-h]")
    assert "--no-backup" in out and "--steps N" in out


def test_line_options_beat_config_which_beats_the_environment(ip, app, monkeypatch):
    monkeypatch.setenv("DATABASE_PATH", "env.db")
    ip.run_line_magic("migrate", "up --to 1")
    assert versions(app / "env.db") == [1]
    ip.run_line_magic("config", "MigrateMagics.database = 'config.db'")
    ip.run_line_magic("migrate", "up --to 1")
    assert versions(app / "config.db") == [1]
    ip.run_line_magic("migrate", "up --database line.db")
    assert versions(app / "line.db") == [1, 2]
    assert versions(app / "config.db") == [1]


def test_configured_databases_report_together_with_a_database_column(ip, two_databases, capsys):
    up = ip.run_line_magic("migrate", "up")
    assert up[["database", "version", "name"]].values.tolist() == [
        ["settings", 1, "create_settings"], ["graph", 1, "create_nodes"], ["graph", 2, "create_edges"]]
    assert capsys.readouterr().out == ("settings:\n  Version 0 -> 1\n  foreign_key_check: ok\n"
                                       "graph:\n  Version 0 -> 2\n  foreign_key_check: ok\n")
    ip.run_line_magic("migrate", "down --db graph")
    status = ip.run_line_magic("migrate", "status")
    assert status[["database", "version", "state"]].values.tolist() == [
        ["settings", 1, "applied"], ["graph", 1, "applied"], ["graph", 2, "pending"]]
    history = ip.run_line_magic("migrate", "history")
    assert history["database"].tolist().count("graph") == 3
    assert history["at"].is_monotonic_increasing


def test_down_needs_one_database_when_several_are_configured(ip, two_databases):
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("migrate", "down")
    assert str(raised.value) == ("2 databases are configured in pyproject.toml: "
                                 "choose one with --db NAME (settings, graph)")


def test_db_from_config_picks_a_configured_database(ip, two_databases):
    ip.run_line_magic("config", "MigrateMagics.db = 'graph'")
    df = ip.run_line_magic("migrate", "status")
    assert "database" not in df.columns and df["name"].tolist() == ["create_nodes", "create_edges"]
    with pytest.raises(UsageError, match=r"unknown database 'grph' .*did you mean 'graph'"):
        ip.run_line_magic("migrate", "status --db grph")


def test_state_dir_keeps_the_event_log_and_backups_away_from_the_database(on_app, app):
    on_app.run_line_magic("migrate", "up --state-dir state")
    on_app.run_line_magic("migrate", "down --state-dir state")
    kept = app / "state" / str(app.resolve()).lstrip("/")
    assert sorted(p.name for p in app.iterdir() if p.name.startswith("app.db")) == ["app.db"]
    assert (kept / "app.db.history.jsonl").is_file() and len(list(kept.glob("app.db.*.v2.bak"))) == 1
    df = on_app.run_line_magic("migrate", "history --state-dir state")
    assert df["direction"].tolist() == ["up", "up", "down"]
