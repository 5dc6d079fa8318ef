"""%migrate over a fleet (a --database pattern): one frame with a database column."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from IPython.core.error import UsageError

from nbhelpers import versions, write_migration


@pytest.fixture
def tenants(tmp_path: Path) -> Path:
    write_migration(tmp_path / "migrations", "001_orders.sql", "CREATE TABLE orders (id INTEGER PRIMARY KEY);",
                    "DROP TABLE orders;")
    write_migration(tmp_path / "migrations", "002_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY);",
                    "DROP TABLE notes;")
    (tmp_path / "tenants").mkdir()
    for name in ("a", "b", "c"):
        sqlite3.connect(tmp_path / "tenants" / f"{name}.db").close()
    return tmp_path


def test_status_of_a_fleet_is_one_frame_with_a_database_column(ip, tenants, capsys):
    ip.run_line_magic("migrate", "up --database tenants/*.db --to 1 --jobs 2")
    assert capsys.readouterr().out.splitlines()[-1] == "3 databases: 3 migrated"
    df = ip.run_line_magic("migrate", "status --database tenants/*.db")
    assert df["database"].tolist() == ["tenants/a.db"] * 2 + ["tenants/b.db"] * 2 + ["tenants/c.db"] * 2
    assert df["state"].tolist() == ["applied", "pending"] * 3
    assert capsys.readouterr().out.splitlines()[-1] == "3 databases: 3 pending"


def test_a_failed_tenant_stops_run_all_after_every_line_is_said(ip, tenants, capsys):
    conn = sqlite3.connect(tenants / "tenants" / "b.db")
    conn.execute("CREATE TABLE notes (x)")
    conn.close()
    with pytest.raises(UsageError) as raised:
        ip.run_line_magic("migrate", "up --database tenants/*.db --keep-going")
    assert str(raised.value) == "3 databases: 2 migrated, 1 failed"
    out = capsys.readouterr().out
    assert "tenants/b.db: failed: 002_notes.sql, statement 1 (line 7): table notes already exists" in out
    assert [versions(tenants / "tenants" / f"{n}.db") for n in "abc"] == [[1, 2], [1], [1, 2]]
