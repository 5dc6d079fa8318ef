"""A real IPython InteractiveShell for the magics (as jupysql's TestingShell): ``run_cell``
re-raises the cell's error, history is off, and the extension is loaded fresh for each test.
The top-level conftest already runs every test in its own ``tmp_path`` with a clean environment.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from IPython.core.interactiveshell import InteractiveShell
from traitlets.config import Config

from nbhelpers import write_migration

pytest.importorskip("pandas")
pytest.importorskip("ipywidgets")


class TestingShell(InteractiveShell):
    """``run_cell`` raises what the cell raised, so a test sees the UsageError itself."""

    def run_cell(self, raw_cell, *args, **kwargs):
        result = super().run_cell(raw_cell, *args, **kwargs)
        result.raise_error()
        return result


@pytest.fixture(scope="session")
def _shell():
    config = Config()
    config.HistoryAccessor.enabled = False  # no sqlite history file per test ("too many open files")
    shell = TestingShell.instance(config=config)
    shell.displayhook.flush = lambda: None  # its gc.collect() once hung pytest at exit
    yield shell
    TestingShell.clear_instance()


@pytest.fixture
def ip(_shell):
    """The shell with ``%load_ext vfmigrate_magic`` done; unloaded and namespace reset after."""
    _shell.run_line_magic("load_ext", "vfmigrate_magic")
    yield _shell
    _shell.run_line_magic("unload_ext", "vfmigrate_magic")
    _shell.config.pop("MigrateMagics", None)  # %config values outlive the instance: forget them
    _shell.reset(new_session=False)


@pytest.fixture
def app(tmp_path: Path):
    """``migrations/`` with two migrations (users with 3 rows, then an email index) for ``app.db``."""
    folder = tmp_path / "migrations"
    write_migration(folder, "001_create_users.sql",
                    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n"
                    "INSERT INTO users (email) VALUES ('a@example.com'), ('b@example.com'), ('c@example.com');",
                    "DROP TABLE users;")
    write_migration(folder, "002_add_email_index.sql",
                    "CREATE UNIQUE INDEX idx_users_email ON users(email);",
                    "DROP INDEX idx_users_email;")
    return tmp_path


@pytest.fixture
def two_databases(tmp_path):
    """A pyproject.toml naming two databases, each with its own migrations folder."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.vfmigrate.databases.settings]\npath = "data/settings.db"\nmigrations = "m/settings"\n\n'
        '[tool.vfmigrate.databases.graph]\npath = "data/graph.db"\nmigrations = "m/graph"\n', encoding="utf-8")
    (tmp_path / "data").mkdir()
    write_migration(tmp_path / "m/settings", "001_create_settings.sql", "CREATE TABLE settings (k TEXT, v TEXT);",
                    "DROP TABLE settings;")
    write_migration(tmp_path / "m/graph", "001_create_nodes.sql", "CREATE TABLE nodes (id INTEGER PRIMARY KEY);",
                    "DROP TABLE nodes;")
    write_migration(tmp_path / "m/graph", "002_create_edges.sql", "CREATE TABLE edges (a INTEGER, b INTEGER);",
                    "DROP TABLE edges;")
    return tmp_path
