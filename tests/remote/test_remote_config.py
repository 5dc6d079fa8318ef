"""A server's URL in the settings: ``--database``, ``DATABASE_PATH`` or a configured ``path``,
never expanded or joined to a folder; the token from ``--auth-token`` or ``VFMIGRATE_AUTH_TOKEN``;
and where the event log of a remote database lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from vfmigrate_magic import cli
from vfmigrate_magic.engine.config import Target, resolve
from vfmigrate_magic.engine.errors import ConfigError
from vfmigrate_magic.engine.remote import local_base

TOKEN = "cfg-Token-123"
PYPROJECT = """
[tool.vfmigrate.databases.remote]
path = "libsql://db-org.turso.io"
migrations = "migrations/remote"

[tool.vfmigrate.databases.local]
path = "data/local.db"
"""


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    return tmp_path


@pytest.mark.parametrize("args, env, url, migrations, name", [
    ({"database": "http://127.0.0.1:8080"}, {}, "http://127.0.0.1:8080", "migrations", None),
    ({}, {"DATABASE_PATH": "https://db.example.com"}, "https://db.example.com", "migrations", None),
    ({"database": "http://h:1"}, {"DATABASE_PATH": "other.db"}, "http://h:1", "migrations", None),
    ({"db": "remote"}, {}, "libsql://db-org.turso.io", "migrations/remote", "remote"),
    ({"database": "libsql://db-org.turso.io"}, {}, "libsql://db-org.turso.io", "migrations/remote", "remote"),
    ({"db": "local", "database": "http://h:1"}, {}, "http://h:1", "migrations/local", "local"),
    ({"db": "remote", "migrations": "m"}, {}, "libsql://db-org.turso.io", "m", "remote"),
    ({"database": "http://h:1", "migrations": "m"}, {"MIGRATIONS_DIR": "n"}, "http://h:1", "m", None),
])
def test_a_url_is_a_remote_target_never_a_path(project, args, env, url, migrations, name):
    [target] = resolve(**args, env=env, cwd=project).targets
    assert (target.database, target.url, target.migrations, target.name) == (None, url, project / migrations, name)


def test_a_file_beside_a_url_stays_a_file(project):
    [target] = resolve(db="remote", database="data/other.db", env={}, cwd=project).targets
    assert (target.database, target.url) == (project / "data/other.db", None)
    remote, local = resolve(env={}, cwd=project).targets
    assert (remote.url, remote.database, local.url, local.database) == ("libsql://db-org.turso.io", None, None,
                                                                        project / "data/local.db")


@pytest.mark.parametrize("argument, env, token", [
    (TOKEN, {}, TOKEN),
    (None, {"VFMIGRATE_AUTH_TOKEN": TOKEN}, TOKEN),
    (TOKEN, {"VFMIGRATE_AUTH_TOKEN": "env-token"}, TOKEN),
    ("  ", {"VFMIGRATE_AUTH_TOKEN": f" {TOKEN}\n"}, TOKEN),
    (None, {}, None),
    (None, {"VFMIGRATE_AUTH_TOKEN": ""}, None),
])
def test_the_token_comes_from_the_argument_then_the_environment(tmp_path, argument, env, token):
    [target] = resolve(database="http://h:1", auth_token=argument, env=env, cwd=tmp_path).targets
    assert target.auth_token == token
    assert TOKEN not in repr(target) and TOKEN not in repr(resolve(database="http://h:1", auth_token=argument,
                                                                   env=env, cwd=tmp_path))


def test_a_file_target_gets_no_token(tmp_path):
    [target] = resolve(database="app.db", auth_token=TOKEN, env={}, cwd=tmp_path).targets
    assert target.auth_token is None


@pytest.mark.parametrize("args, env, message", [
    ({"database": "ftp://host"}, {}, "--database: ftp://host: not a server URL; use http://HOST:PORT, https://HOST or "
                                     "libsql://HOST"),
    ({}, {"DATABASE_PATH": "http://h:port"}, "DATABASE_PATH: http://h:port: not a server URL (Port could not be "
                                             "cast to integer value as 'port'); use http://HOST:PORT, https://HOST "
                                             "or libsql://HOST"),
    ({"database": f"https://u:{TOKEN}@h"}, {}, "--database: https://h: the URL carries credentials or a query; give "
                                               "the server's URL alone and the token with --auth-token or "
                                               "VFMIGRATE_AUTH_TOKEN"),
    ({"database": "http://h:1/tenants/*"}, {}, "--database: http://h:1/tenants/* is a URL, and a URL cannot be a "
                                               "pattern (a fleet is a pattern over database files)"),
    ({"database": "http://h:1", "auth_token": "two words"}, {}, "--auth-token holds a space, a line break or a "
                                                                "character outside ASCII, so it is not a token; check "
                                                                "how it was copied"),
    ({"database": "http://h:1"}, {"VFMIGRATE_AUTH_TOKEN": "tok\nen"}, "VFMIGRATE_AUTH_TOKEN holds a space, a line "
                                                                     "break or a character outside ASCII, so it is "
                                                                     "not a token; check how it was copied"),
])
def test_an_unusable_url_or_token_is_refused_in_one_line(tmp_path, args, env, message):
    with pytest.raises(ConfigError) as refused:
        resolve(**args, env=env, cwd=tmp_path)
    assert str(refused.value) == message
    assert TOKEN not in str(refused.value)


def test_a_configured_url_that_cannot_be_used_names_its_key(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.vfmigrate.databases.r]\npath = "wss://h"\n')
    with pytest.raises(ConfigError) as refused:
        resolve(env={}, cwd=tmp_path)
    assert str(refused.value) == ("pyproject.toml: tool.vfmigrate.databases.r.path: wss://h: not a server URL; use "
                                  "http://HOST:PORT, https://HOST or libsql://HOST")


@pytest.mark.parametrize("url, base", [
    ("http://127.0.0.1:8080", "127.0.0.1_8080"),
    ("libsql://db-org.turso.io", "db-org.turso.io_443"),
    ("https://db.example.com/v1/", "db.example.com_443_v1"),
    ("http://[::1]:9000", "__1_9000"),
])
def test_a_remote_database_keeps_its_log_and_backups_in_dot_vfmigrate(tmp_path, monkeypatch, url, base):
    monkeypatch.chdir(tmp_path)
    assert local_base(Target(None, tmp_path, url=url)) == tmp_path / ".vfmigrate" / base


def test_label_and_location_show_the_url(tmp_path):
    target = Target(None, tmp_path / "m", url="https://u:secret@h.example.com/db?authToken=secret", auth_token="t")
    assert (target.location, target.label) == ("https://h.example.com/db", "https://h.example.com/db")
    assert Target(None, tmp_path / "m", name="prod", url="http://h:1").label == "prod"


def test_a_configured_url_runs_from_the_project_folder(turso_server, tmp_path, capsys, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(f'[tool.vfmigrate.databases.remote]\npath = "{turso_server.url}"\n')
    (tmp_path / "migrations" / "remote").mkdir(parents=True)
    (tmp_path / "migrations" / "remote" / "001_a.sql").write_text(
        "-- === UP MIGRATION ===\nCREATE TABLE a (x);\n-- === DOWN MIGRATION ===\nDROP TABLE a;\n")
    assert cli.main(["--db", "remote", "up"]) == 0
    assert capsys.readouterr().out.startswith(f"remote: {turso_server.url}\n  Applied 001_a in ")
    monkeypatch.setenv("DATABASE_PATH", turso_server.url)
    assert cli.main(["history"]) == 0
    assert capsys.readouterr().out.startswith("remote: " + turso_server.url + "\n  ")
    log = tmp_path / ".vfmigrate" / f"127.0.0.1_{turso_server.port}.history.jsonl"
    assert '"database":"' + turso_server.url + '","version":1,"name":"a","direction":"up"' in log.read_text()
