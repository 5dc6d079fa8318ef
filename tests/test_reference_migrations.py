"""The bundled migrations of the three reference databases: well-formed, reversible, round-trip clean."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from vfmigrate_magic.engine import commands
from vfmigrate_magic.engine.config import Target
from vfmigrate_magic.engine.files import discover

ROOT = Path(__file__).resolve().parents[1]
DATABASES = ("settings", "knowledge_graph", "ontology")


def snapshot(db: Path):
    conn = sqlite3.connect(db)
    try:
        objects = sorted(conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name != 'schema_migrations'"))
        data = {name: sorted(map(repr, conn.execute(f'SELECT * FROM "{name}"')))
                for kind, name, _, _ in objects if kind == "table"}
        return objects, data
    finally:
        conn.close()


@pytest.mark.parametrize("name", DATABASES)
def test_each_database_has_a_realistic_reversible_history(name):
    migrations = discover(ROOT / "migrations" / name)
    assert len(migrations) >= 4
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    for m in migrations:
        assert m.reversible and m.up and m.down and not m.warnings, m.filename
        assert m.description and m.author and m.date, m.filename


@pytest.mark.parametrize("name", DATABASES)
def test_every_step_round_trips_schema_and_data(name, tmp_path):
    folder = tmp_path / "migrations"
    shutil.copytree(ROOT / "migrations" / name, folder)
    target = Target(tmp_path / f"{name}.db", folder, name)
    count = len(discover(folder))
    for version in range(count):
        commands.up(target, to=version)
        before = snapshot(target.database)
        commands.up(target, to=version + 1)
        report = commands.down(target, backup=False)
        assert report.integrity == "ok" and report.foreign_key_violations == ()
        assert snapshot(target.database) == before, f"{name}: down of {version + 1} is not clean"
    commands.up(target)
    commands.down(target, all=True, backup=False)
    assert snapshot(target.database) == ([], {})


def test_the_set_has_a_data_migration_and_a_table_rebuild():
    texts = [m.path.read_text().upper() for d in DATABASES for m in discover(ROOT / "migrations" / d)]
    ups = [t.split("-- === DOWN MIGRATION ===")[0] for t in texts]
    assert any("UPDATE " in u or "INSERT INTO" in u and "SELECT" in u for u in ups)
    assert any("RENAME TO" in u and "DROP TABLE" in u for u in ups)
