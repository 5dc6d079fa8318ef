"""Fixtures: real SQLite files under tmp_path and real migration files on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import MigrationsDir

from vfmigrate_magic import cli

@pytest.fixture
def migrations_dir(tmp_path: Path) -> MigrationsDir:
    return MigrationsDir(tmp_path / "migrations")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "app.db"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path: Path):
    """No stray settings: tests run in tmp_path with no DATABASE_PATH/MIGRATIONS_DIR."""
    for key in ("DATABASE_PATH", "MIGRATIONS_DIR", "VFMIGRATE_BUSY_TIMEOUT", "VFMIGRATE_BACKUP", "VFMIGRATE_BACKUP_KEEP",
                "VFMIGRATE_TX", "VFMIGRATE_STATE_DIR"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def run(capsys, db_path, migrations_dir):
    """Run the CLI in-process against db_path/migrations_dir; returns (code, stdout, stderr)."""

    def _run(*args: str, target: bool = True):
        argv = (["--database", str(db_path), "--migrations", str(migrations_dir)] if target else []) + list(args)
        code = cli.main(argv)
        out = capsys.readouterr()
        return code, out.out, out.err

    return _run


