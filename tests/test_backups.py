"""`vfmigrate backups`, `restore BACKUP` and `backup_keep`: real files, real locks, and every
expected figure read back with plain sqlite3."""

from __future__ import annotations

import json
import sqlite3
import time

import pytest

from vfmigrate_magic.engine import config

USERS = ("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n"
         "INSERT INTO users (email) VALUES ('a@x'), ('b@x'), ('c@x');", "DROP TABLE users;")
ROLES = ("CREATE TABLE roles (id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO roles (name) VALUES ('admin');",
         "DROP TABLE roles;")
AUDIT = ("CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);", "DROP TABLE audit;")


@pytest.fixture
def three(migrations_dir, run):
    """A database at version 3 with three tables."""
    for name, (up, down) in zip(("001_users.sql", "002_roles.sql", "003_audit.sql"), (USERS, ROLES, AUDIT)):
        migrations_dir.add(name, up, down)
    assert run("up")[0] == 0


def tables(path) -> list[str]:
    with sqlite3.connect(path) as conn:
        return [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")]


def version(path) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def listed(run) -> list[dict]:
    code, out, _ = run("--json", "backups")
    assert code == 0
    return json.loads(out)["databases"][0]["backups"]


def test_backups_lists_each_down_backup_oldest_first_with_version_time_and_size(three, run, db_path, tmp_path):
    assert run("backups")[1] == f"{db_path}: no backups beside {db_path.name}\n".replace(f"{db_path}:", "app.db:")
    run("down")
    run("down")
    (tmp_path / "app.db.20990101T000000Z.v9.bak.partial").write_bytes(b"cut short")  # a killed backup
    (tmp_path / "other.db.20250101T000000Z.v1.bak").write_bytes(b"another database's")
    found = listed(run)
    assert [b["version"] for b in found] == [3, 2]  # the version the database was at
    for b in found:
        assert b["path"].startswith(str(tmp_path / "app.db.")) and b["path"].endswith(f".v{b['version']}.bak")
        with open(b["path"], "rb") as f:
            assert len(f.read()) == b["size"]
        assert abs(time.time() - time.mktime(time.strptime(b["created_at"][:19], "%Y-%m-%dT%H:%M:%S"))
                   + time.timezone) < 120  # written just now, in UTC
    assert tables(found[0]["path"]) == ["audit", "roles", "schema_migrations", "users"]
    assert tables(found[1]["path"]) == ["roles", "schema_migrations", "users"]
    code, out, _ = run("backups")
    assert code == 0 and out.count(".bak  version ") == 2 and ".partial" not in out and "other.db" not in out


def test_restore_backs_up_the_database_first_then_replaces_it(three, run, db_path):
    run("down", "--steps", "2")
    (at_three,) = listed(run)
    with sqlite3.connect(db_path) as conn:
        conn.execute("INSERT INTO users (email) VALUES ('written after the down')")
    code, out, err = run("restore", at_three["path"])
    assert code == 0, err
    saved = out.split(" to ", 1)[1].split("\n", 1)[0]
    assert f"(version 1 -> 3)" in out and "integrity_check: ok" in out
    assert version(db_path) == 3 and tables(db_path) == ["audit", "roles", "schema_migrations", "users"]
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM users").fetchone()[0] == 3
    # The database as it was before the restore, with the row written after the down.
    assert version(saved) == 1
    with sqlite3.connect(saved) as conn:
        assert conn.execute("SELECT email FROM users ORDER BY id DESC LIMIT 1").fetchone()[0] == "written after the down"
    assert [b["path"] for b in listed(run)] == [at_three["path"], str(db_path.parent / saved.split("/")[-1])]
    # A name as `backups` lists it works too, from any folder, and the restore is logged.
    code, out, err = run("restore", saved.split("/")[-1])
    assert code == 0 and version(db_path) == 1
    code, out, _ = run("--json", "history")
    restores = [e for e in json.loads(out)["events"] if e["direction"] == "restore"]
    assert [(e["version"], e["status"]) for e in restores] == [(3, "ok"), (1, "ok")]


@pytest.mark.parametrize("make, argument, exit_code, says", [
    (None, "missing.bak", 2, "missing.bak: no such backup file"),
    (None, "app.db", 2, "is the database itself"),
    (lambda p: p.write_text("not a database at all, just text"), "notes.bak", 6, "is not a SQLite database"),
    (lambda p: p.write_bytes(b""), "empty.bak", 6, "holds no tables"),
])
def test_a_bad_backup_is_refused_in_one_line_and_changes_nothing(three, run, db_path, tmp_path, make, argument,
                                                                 exit_code, says):
    if make is not None:
        make(tmp_path / argument)
    before = db_path.read_bytes()
    files = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run("restore", argument)
    assert code == exit_code and says in err and len(err.strip().splitlines()) == 1 and out == ""
    assert db_path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == files


def test_restore_waits_for_the_write_lock_and_gives_up_with_exit_4(three, run, db_path, tmp_path):
    run("down")
    (backup,) = listed(run)
    before = db_path.read_bytes()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        code, _, err = run("--busy-timeout", "0.2", "restore", backup["path"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 4 and "locked" in err
    assert db_path.read_bytes() == before and len(listed(run)) == 1  # no half-made backup either


def test_restore_into_a_wal_database(migrations_dir, run, db_path):
    migrations_dir.add("001_users.sql", *USERS)
    migrations_dir.add("002_roles.sql", *ROLES)
    run("up")
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    run("down")
    (backup,) = listed(run)
    reader = sqlite3.connect(db_path)  # a reader open throughout, as an application would be
    assert run("restore", backup["path"])[0] == 0
    assert reader.execute("SELECT count(*) FROM roles").fetchone()[0] == 1
    reader.close()
    assert version(db_path) == 2


def test_backup_keep_prunes_the_oldest_after_each_new_backup(three, run, db_path, tmp_path, monkeypatch):
    (tmp_path / "pyproject.toml").write_text(
        f'[tool.vfmigrate]\nbackup_keep = 2\n\n[tool.vfmigrate.databases.app]\npath = "app.db"\n'
        f'migrations = "migrations"\n')
    for _ in range(3):
        code, out, _ = run("--db", "app", "down", target=False)
        assert code == 0
    assert "Removed old backup" in out
    kept = listed(run)
    assert [b["version"] for b in kept] == [2, 1]  # the newest two; the one at version 3 is gone
    assert len(list(tmp_path.glob("app.db.*.bak"))) == 2
    # A restore keeps its source even when it is the oldest, and prunes the others.
    code, out, _ = run("--db", "app", "--json", "restore", kept[0]["path"], target=False)
    result = json.loads(out)["databases"][0]
    assert code == 0 and result["restored_from"] == kept[0]["path"] and result["pruned"] == [kept[1]["path"]]
    assert [b["path"] for b in listed(run)] == [kept[0]["path"], result["saved"]]
    # The environment wins over the file.
    monkeypatch.setenv("VFMIGRATE_BACKUP_KEEP", "1")
    assert config.resolve(db="app").backup_keep == 1


@pytest.mark.parametrize("value", ["0", "-1", "'3'", "true", "2.5"])
def test_a_bad_backup_keep_is_refused(tmp_path, value):
    (tmp_path / "pyproject.toml").write_text(f"[tool.vfmigrate]\nbackup_keep = {value}\n")
    with pytest.raises(config.ConfigError, match="backup_keep must be a whole number of 1 or more"):
        config.resolve(database="x.db")


@pytest.mark.parametrize("value", ["0", "three"])
def test_a_bad_backup_keep_in_the_environment_is_refused(value):
    with pytest.raises(config.ConfigError, match="VFMIGRATE_BACKUP_KEEP must be"):
        config.resolve(database="x.db", env={"VFMIGRATE_BACKUP_KEEP": value})


def test_tx_and_backup_keep_are_known_keys_of_the_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.vfmigrate]\ntx = "all"\nbackup_keep = 5\n')
    settings = config.resolve(database="x.db", env={})
    assert (settings.tx, settings.backup_keep) == ("all", 5)
