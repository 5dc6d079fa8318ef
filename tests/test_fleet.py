"""Fleet mode: a --database pattern over tenant files, run by the real command line."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from helpers import MigrationsDir, file_digest, run_process
from vfmigrate_magic.engine import config, fleet


def applied(db: Path) -> list[int]:
    conn = sqlite3.connect(db)
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").fetchone():
            return []
        return [v for (v,) in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    finally:
        conn.close()


@pytest.fixture
def tenants(tmp_path: Path) -> Path:
    """Six tenant databases (each with a customers table), two migrations, and files beside the
    databases that a pattern must not take for databases."""
    folder = MigrationsDir(tmp_path / "migrations")
    folder.add("001_orders.sql", "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer INTEGER);",
               "DROP TABLE orders;")
    folder.add("002_vip.sql", "ALTER TABLE customers ADD COLUMN vip INTEGER NOT NULL DEFAULT 0;",
               "ALTER TABLE customers DROP COLUMN vip;")
    (tmp_path / "tenants").mkdir()
    for i in range(1, 7):
        conn = sqlite3.connect(tmp_path / "tenants" / f"t{i}.db")
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.commit()
        conn.close()
    (tmp_path / "tenants" / "t1.db.history.jsonl").write_text("")
    (tmp_path / "tenants" / "t2.db-journal").write_bytes(b"")
    return tmp_path


def vfm(cwd: Path, *args: str):
    return run_process("--database", "tenants/*.db", *args, cwd=cwd)


def test_a_pattern_is_every_database_file_it_matches_in_sorted_order(tenants, monkeypatch):
    monkeypatch.chdir(tenants)
    settings = config.resolve(database="tenants/t*.db*")
    assert settings.fleet
    assert [t.database.name for t in settings.targets] == [f"t{i}.db" for i in range(1, 7)]
    assert not config.resolve(database="tenants/t1.db").fleet


def test_a_pattern_that_matches_nothing_is_refused_in_one_line(tenants):
    done = run_process("--database", "elsewhere/*.db", "up", cwd=tenants)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "vfmigrate: error: elsewhere/*.db: no database file matches this pattern; check it (and quote it, so that "
        "the shell passes it as written)"]


def test_up_migrates_every_database_with_two_jobs_one_line_each_and_a_summary(tenants):
    done = vfm(tenants, "up", "--jobs", "2")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert sorted(lines[:-1]) == [f"tenants/t{i}.db: 2 migrations applied, version 0 -> 2" for i in range(1, 7)]
    assert lines[-1] == "6 databases: 6 migrated"
    assert all(applied(tenants / "tenants" / f"t{i}.db") == [1, 2] for i in range(1, 7))
    again = vfm(tenants, "up", "--jobs", "2")
    assert again.stdout.splitlines()[-1] == "6 databases: 6 up to date"


def test_a_bad_migration_file_is_refused_before_any_database_is_touched(tenants):
    MigrationsDir(tenants / "migrations").add("003_bad.sql", "CREATE TABLE oops (;", "DROP TABLE oops;")
    before = {p.name: file_digest(p) for p in (tenants / "tenants").glob("*.db")}
    done = vfm(tenants, "up", "--jobs", "2")
    assert done.returncode == 5
    assert "003_bad.sql" in done.stderr and done.stdout == ""
    assert {p.name: file_digest(p) for p in (tenants / "tenants").glob("*.db")} == before


def spoil(tenants: Path, name: str) -> None:
    """A tenant whose customers table already has vip: 002 fails there (and only there)."""
    conn = sqlite3.connect(tenants / "tenants" / name)
    conn.execute("ALTER TABLE customers ADD COLUMN vip INTEGER")
    conn.commit()
    conn.close()


def test_by_default_no_database_starts_after_the_first_failure(tenants):
    spoil(tenants, "t3.db")
    done = vfm(tenants, "up")  # one job: in sorted order
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[2].startswith("tenants/t3.db: failed: 002_vip.sql, statement 1 (line 7): duplicate column name: vip")
    assert lines[-1] == ("6 databases: 2 migrated, 1 failed; 3 not started: stopped at the first failure "
                         "(--keep-going runs every one)")
    assert applied(tenants / "tenants" / "t3.db") == [1]  # 001 stays, 002 was rolled back
    assert [applied(tenants / "tenants" / f"t{i}.db") for i in (4, 5, 6)] == [[], [], []]


def test_keep_going_runs_every_database_and_reports_each_failure(tenants):
    spoil(tenants, "t3.db")
    spoil(tenants, "t5.db")
    done = vfm(tenants, "up", "--keep-going", "--jobs", "2")
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1] == "6 databases: 4 migrated, 2 failed"
    failed = [line for line in done.stdout.splitlines() if ": failed: " in line]
    assert sorted(line.split(":")[0] for line in failed) == ["tenants/t3.db", "tenants/t5.db"]
    assert [len(applied(tenants / "tenants" / f"t{i}.db")) for i in range(1, 7)] == [2, 2, 1, 2, 1, 2]


def test_a_failing_canary_stops_the_fleet_and_a_good_one_lets_it_run(tenants):
    spoil(tenants, "t2.db")
    done = vfm(tenants, "up", "--canary", "2", "--jobs", "2")
    assert done.returncode == 1
    assert done.stdout.splitlines()[-1].endswith("4 not started: one of the first --canary databases failed")
    assert [applied(tenants / "tenants" / f"t{i}.db") for i in (3, 4, 5, 6)] == [[], [], [], []]
    (tenants / "tenants" / "t2.db").unlink()
    (tenants / "tenants" / "t2.db.history.jsonl").unlink()
    ok = vfm(tenants, "up", "--canary", "2")
    assert ok.returncode == 0
    assert ok.stdout.splitlines()[-1] == "5 databases: 4 migrated, 1 up to date"  # t1 ran in the first canary


def test_a_corrupt_tenant_is_reported_and_the_exit_code_is_the_worst(tenants):
    (tenants / "tenants" / "t4.db").write_bytes(b"this is not a database" * 100)
    spoil(tenants, "t2.db")
    done = vfm(tenants, "up", "--keep-going")
    assert done.returncode == 6  # an unusable database (6) is worse than a failed migration (1)
    corrupt = next(line for line in done.stdout.splitlines() if line.startswith("tenants/t4.db"))
    assert corrupt.startswith("tenants/t4.db: failed: tenants/t4.db: is not a SQLite database or is corrupt")
    assert done.stdout.splitlines()[-1] == "6 databases: 4 migrated, 2 failed"


def test_status_check_json_gives_one_document_with_every_database(tenants):
    assert vfm(tenants, "up", "--jobs", "2").returncode == 0
    MigrationsDir(tenants / "migrations").add("003_more.sql", "CREATE TABLE more (x);", "DROP TABLE more;")
    (tenants / "tenants" / "t6.db").write_bytes(b"garbage" * 200)
    done = run_process("--json", "--database", "tenants/*.db", "status", "--check", cwd=tenants)
    assert done.returncode == 6
    doc = json.loads(done.stdout)
    assert [Path(d["path"]).name for d in doc["databases"]] == [f"t{i}.db" for i in range(1, 7)]
    assert [d.get("current_version") for d in doc["databases"][:5]] == [2] * 5
    assert doc["databases"][5]["error"]["exit_code"] == 6
    assert doc["summary"] == {"databases": 6, "pending": 5, "failed": 1, "not started": 0}
    six = done.stderr.splitlines()  # the lines go to stderr with --json
    assert six[-1] == "6 databases: 5 pending, 1 failed"


def test_down_rolls_back_every_database_after_a_backup_each(tenants):
    assert vfm(tenants, "up").returncode == 0
    done = vfm(tenants, "down", "--jobs", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "6 databases: 6 rolled back"
    assert all(applied(tenants / "tenants" / f"t{i}.db") == [1] for i in range(1, 7))
    assert len(list((tenants / "tenants").glob("t*.db.*.v2.bak"))) == 6


def test_worst_orders_exit_codes_by_how_serious_they_are():
    assert fleet.worst([]) == 0
    assert fleet.worst([0, 8, 0]) == 8
    assert fleet.worst([8, 7, 1]) == 1
    assert fleet.worst([1, 6, 3]) == 6
    assert fleet.worst([6, 2]) == 2


def test_a_configured_path_may_be_a_pattern(tenants):
    (tenants / "pyproject.toml").write_text('[tool.vfmigrate.databases.tenants]\npath = "tenants/t[1-3].db"\n'
                                            'migrations = "migrations"\n', encoding="utf-8")
    done = run_process("--db", "tenants", "up", cwd=tenants)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "3 databases: 3 migrated"
    assert [len(applied(tenants / "tenants" / f"t{i}.db")) for i in range(1, 7)] == [2, 2, 2, 0, 0, 0]


def test_a_command_that_works_on_one_database_refuses_a_pattern_in_one_line(tenants):
    for command in (["create", "more"], ["restore", "x.bak"], ["schema", "--format", "sql"]):
        done = vfm(tenants, *command)
        assert done.returncode == 2, command
        assert done.stderr.splitlines() == [
            "vfmigrate: error: the --database pattern matches 6 database files, and this command works on one: "
            "name a single file (up, down, status, lint and verify take a pattern)"], command
    assert not (tenants / "migrations" / "003_more.sql").exists()
