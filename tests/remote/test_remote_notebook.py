"""The notebook layer's calls and frames on a remote database, unchanged: the engine returns the
same reports for a server as for a file (the magics call these same functions)."""

from __future__ import annotations

import pytest

from helpers import MigrationsDir

from .conftest import skip_without_tursodb

skip_without_tursodb()

from vfmigrate_magic.engine import commands  # noqa: E402
from vfmigrate_magic.notebook import actions, frames  # noqa: E402
from vfmigrate_magic.notebook.panel import MigrationPanel  # noqa: E402


def test_frames_of_a_remote_run(turso_server, tmp_path, monkeypatch):
    folder = MigrationsDir(tmp_path / "migrations")
    folder.add("001_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n"
                                "INSERT INTO users (email) VALUES ('a'), ('b');", "DROP TABLE users;")
    folder.add("002_index.sql", "UPDATE users SET email = upper(email);\nCREATE INDEX users_email ON users (email);",
               "DROP INDEX users_email;")
    monkeypatch.setenv("VFMIGRATE_AUTH_TOKEN", "from-the-environment")
    settings = actions.resolve(database=turso_server.url, migrations=str(folder))
    [target] = settings.targets
    assert (target.url, target.auth_token) == (turso_server.url, "from-the-environment")
    assert actions.planned(target, "up") == 2

    rehearsed = frames.statements_frame(actions.up(target, settings, dry_run=True))
    assert list(rehearsed["rows_changed"]) == [0, 2, 2, 0]
    applied = frames.run_frame(actions.up(target, settings))
    assert list(applied["version"]) == [1, 2] and list(applied["rows_changed"]) == [2, 2]
    status = frames.status_frame(commands.status(target))
    assert list(status["state"]) == ["applied", "applied"]
    assert status.attrs["current_version"] == 2
    history = frames.history_frame(commands.history(target))
    assert list(history["mode"]) == ["dry-run", "dry-run", "apply", "apply"]
    assert actions.planned(target, "down", all=True) == 2


def test_a_stop_asked_for_between_migrations_ends_the_run(turso_server, tmp_path):
    import threading

    from vfmigrate_magic.engine.config import Target
    from vfmigrate_magic.engine.errors import MigrationStopped

    folder = MigrationsDir(tmp_path / "migrations")
    folder.add("001_a.sql", "CREATE TABLE a (x);", "DROP TABLE a;")
    folder.add("002_b.sql", "CREATE TABLE b (x);", "DROP TABLE b;")
    stop = threading.Event()
    target = Target(None, folder.path, url=turso_server.url)
    with pytest.raises(MigrationStopped) as stopped:
        commands.up(target, stop=stop, on_result=lambda result: stop.set())
    assert str(stopped.value) == "002_b.sql: stopped before it started; nothing from 002_b.sql was applied; earlier " \
                                 "migrations in this run stay: 1"
    assert commands.status(target).current_version == 1
    assert [(e.version, e.status) for e in commands.history(target)] == [(1, "ok"), (2, "stopped")]


def test_the_panel_on_a_remote_database(turso_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = MigrationsDir(tmp_path / "migrations")
    folder.add("001_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);", "DROP TABLE users;")
    panel = MigrationPanel(database=turso_server.url, migrations=str(folder.path), threaded=False)
    assert panel.picker.value == turso_server.url
    assert panel.message.value == f"{turso_server.url}: version 0; 1 pending"
    assert panel.down.disabled and not panel.up.disabled
    panel.up.click()
    assert panel.result.value.count("1 migration applied") == 1, panel.result.value
    assert panel.frame["state"].tolist() == ["applied"]
    panel.down.click()  # users holds no rows: no question
    assert panel.frame["state"].tolist() == ["pending"]
    assert list((tmp_path / ".vfmigrate").glob("*.v1.bak"))  # the backup pulled first
