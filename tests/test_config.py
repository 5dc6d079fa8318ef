"""Settings: argument > environment > [tool.vfmigrate] > defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from vfmigrate_magic.engine.config import resolve
from vfmigrate_magic.engine.errors import ConfigError

PYPROJECT = """
[tool.vfmigrate]
busy_timeout = 7

[tool.vfmigrate.databases.settings]
path = "data/settings.db"
migrations = "migrations/settings"

[tool.vfmigrate.databases.ontology]
path = "data/ontology.db"
"""


@pytest.fixture
def project(tmp_path):
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "sub").mkdir()
    return tmp_path


CASES = [
    # (arguments, environment, expected [(database, migrations)] relative to the project)
    ({}, {}, [("data/settings.db", "migrations/settings"), ("data/ontology.db", "migrations/ontology")]),
    ({"db": "settings"}, {}, [("data/settings.db", "migrations/settings")]),
    ({"db": "settings"}, {"DATABASE_PATH": "env.db"}, [("data/settings.db", "migrations/settings")]),
    ({"db": "settings", "database": "arg.db"}, {}, [("arg.db", "migrations/settings")]),
    ({}, {"DATABASE_PATH": "env.db"}, [("env.db", "migrations")]),
    ({}, {"DATABASE_PATH": "env.db", "MIGRATIONS_DIR": "envm"}, [("env.db", "envm")]),
    ({"database": "arg.db"}, {"DATABASE_PATH": "env.db", "MIGRATIONS_DIR": "envm"}, [("arg.db", "envm")]),
    ({"database": "arg.db", "migrations": "argm"}, {"MIGRATIONS_DIR": "envm"}, [("arg.db", "argm")]),
    ({"database": "data/ontology.db"}, {}, [("data/ontology.db", "migrations/ontology")]),
]


@pytest.mark.parametrize("args, env, expected", CASES)
def test_precedence(project, args, env, expected):
    settings = resolve(env=env, cwd=project, **args)
    assert [(t.database, t.migrations) for t in settings.targets] == [
        (project / d, project / m) for d, m in expected]


def test_config_is_found_from_a_subfolder_and_paths_stay_relative_to_it(project):
    settings = resolve(env={}, cwd=project / "sub", db="ontology")
    assert settings.target.database == project / "data/ontology.db"
    assert settings.config_file == project / "pyproject.toml"


def test_busy_timeout_order(project):
    assert resolve(env={}, cwd=project).busy_timeout == 7
    assert resolve(env={"VFMIGRATE_BUSY_TIMEOUT": "3"}, cwd=project).busy_timeout == 3
    assert resolve(env={"VFMIGRATE_BUSY_TIMEOUT": "3"}, cwd=project, busy_timeout=1).busy_timeout == 1


def test_backup_order(project):
    assert resolve(env={}, cwd=project).backup is True
    assert resolve(env={"VFMIGRATE_BACKUP": "0"}, cwd=project).backup is False
    assert resolve(env={"VFMIGRATE_BACKUP": "0"}, cwd=project, backup=True).backup is True


def test_unknown_database_name_suggests_the_closest(project):
    with pytest.raises(ConfigError) as err:
        resolve(env={}, cwd=project, db="setings")
    assert str(err.value) == ("unknown database 'setings' in pyproject.toml "
                              "(did you mean 'settings'?); configured: settings, ontology")


def test_several_databases_and_a_single_target_command(project):
    with pytest.raises(ConfigError, match="choose one with --db NAME"):
        resolve(env={}, cwd=project).target


def test_nothing_configured_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError) as err:
        resolve(env={}, cwd=tmp_path)
    assert str(err.value).startswith("no database given: pass --database PATH (or set DATABASE_PATH)")


@pytest.mark.parametrize("text, message", [
    ("[tool.vfmigrate]\nbusy_timout = 3\n", "unknown key tool.vfmigrate.busy_timout (did you mean 'busy_timeout'?)"),
    ("[tool.vfmigrate.databases.x]\nmigrations = 'm'\n", "tool.vfmigrate.databases.x needs a path"),
    ("[tool.vfmigrate\n", "cannot read [tool.vfmigrate]"),
])
def test_bad_config_names_the_file(tmp_path, text, message):
    (tmp_path / "pyproject.toml").write_text(text)
    with pytest.raises(ConfigError) as err:
        resolve(env={}, cwd=tmp_path, database="x.db")
    assert str(err.value).startswith("pyproject.toml: ")
    assert message in str(err.value)


def test_repository_configures_the_three_reference_databases():
    root = Path(__file__).resolve().parents[1]
    settings = resolve(env={}, cwd=root)
    assert settings.names == ("settings", "knowledge_graph", "ontology")
    for t in settings.targets:
        assert t.migrations == root / "migrations" / t.name and t.database == root / "data" / f"{t.name}.db"
