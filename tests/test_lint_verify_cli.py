"""`vfmigrate lint` and `vfmigrate verify` from the command line: the findings and the proof as a
user sees them, exit 7 when there is something to say and 0 when not, the database unchanged."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

from helpers import file_digest

USERS = """
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);
INSERT INTO users (email) VALUES ('Ann@X'), ('bob@x'), ('CY@X');
INSERT INTO audit (what) VALUES ('a'), ('b');
"""


def setup(migrations_dir, run):
    migrations_dir.add("001_users.sql", USERS, "DROP TABLE audit;\nDROP TABLE users;")
    assert run("up")[0] == 0


def test_lint_counts_rows_at_risk_on_the_real_data_and_changes_nothing(migrations_dir, run, db_path):
    setup(migrations_dir, run)
    migrations_dir.add("002_cleanup.sql", "DROP TABLE audit;\nALTER TABLE users DROP COLUMN email;",
                       "ALTER TABLE users ADD COLUMN email TEXT;\nCREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);")
    with closing(sqlite3.connect(db_path)) as conn:
        audit, emails = conn.execute("SELECT (SELECT count(*) FROM audit), (SELECT count(email) FROM users)").fetchone()
    digest = file_digest(db_path)
    code, out, _ = run("lint")
    assert code == 7
    assert f"002_cleanup.sql, statement 1 (line 7): drop-table audit: {audit} rows" in out
    assert f"002_cleanup.sql, statement 2 (line 8): drop-column users.email: {emails} rows" in out
    assert file_digest(db_path) == digest
    code, out, _ = run("up", "--dry-run")
    assert code == 0 and f"at risk: 002_cleanup.sql, statement 1 (line 7): drop-table audit: {audit} rows" in out
    assert file_digest(db_path) == digest


def test_lint_without_findings_exits_0(migrations_dir, run, db_path):
    setup(migrations_dir, run)
    migrations_dir.add("002_index.sql", "CREATE INDEX idx_users_email ON users(email);", "DROP INDEX idx_users_email;")
    code, out, _ = run("lint")
    assert code == 0 and "no rows at risk" in out


def test_lint_down_counts_what_every_down_would_drop(migrations_dir, run, db_path):
    setup(migrations_dir, run)
    code, out, _ = run("lint", "--down")
    assert code == 7 and "drop-table users: 3 rows" in out and "drop-table audit: 2 rows" in out


def test_verify_names_a_lossy_down_and_passes_a_reversible_one(migrations_dir, run, db_path):
    setup(migrations_dir, run)
    migrations_dir.add("002_lower.sql", "UPDATE users SET email = lower(email);", "SELECT 1;")
    migrations_dir.add("003_index.sql", "CREATE INDEX idx_users_email ON users(email);", "DROP INDEX idx_users_email;")
    with closing(sqlite3.connect(db_path)) as conn:
        changed = conn.execute("SELECT count(*) FROM users WHERE email <> lower(email)").fetchone()[0]
    digest = file_digest(db_path)
    code, out, _ = run("verify")
    assert code == 7
    assert f"✗ 002_lower: DOWN does not restore table users: {changed} rows differ" in out
    assert "✓ 003_index: DOWN reverses UP" in out
    assert file_digest(db_path) == digest
    # The outcomes are logged beside the database, and status's reversible column says them.
    code, out, _ = run("--json", "history")
    assert [(e["direction"], e["version"], e["status"]) for e in json.loads(out)["events"]][-2:] == [
        ("verify", 2, "failed"), ("verify", 3, "ok")]
    assert reversible(run) == {1: "not verified", 2: "fails verify", 3: "verified"}
    migrations_dir.add("003_index.sql", "CREATE INDEX idx_users_email ON users(email, id);",
                       "DROP INDEX idx_users_email;")  # edited: what was verified is not this file
    assert reversible(run)[3] == "not verified"
    migrations_dir.path.joinpath("002_lower.sql").unlink()
    code, out, _ = run("verify")
    assert code == 0 and "1 migration verified: 1 reverses" in out
    assert reversible(run) == {1: "not verified", 3: "verified"}


def reversible(run) -> dict[int, str]:
    code, out, _ = run("--json", "status")
    return {m["version"]: m["reversible"] for m in json.loads(out)["databases"][0]["migrations"]}


def test_verify_all_replays_every_migration_without_a_database(migrations_dir, run, db_path):
    migrations_dir.add("001_users.sql", USERS, "DROP TABLE audit;\nDROP TABLE users;")
    code, out, _ = run("verify", "--all")
    assert code == 0 and "✓ 001_users: DOWN reverses UP" in out and not db_path.exists()


def test_status_check_exit_codes_for_ci(migrations_dir, run, db_path):
    setup(migrations_dir, run)
    assert run("status", "--check")[0] == 0
    assert run("status")[0] == 0
    migrations_dir.add("002_index.sql", "CREATE INDEX idx_users_email ON users(email);", "DROP INDEX idx_users_email;")
    assert run("status", "--check")[0] == 8
    migrations_dir.add("001_users.sql", USERS + "\nSELECT 1;", "DROP TABLE audit;\nDROP TABLE users;")  # edited
    assert run("status", "--check")[0] == 3
    assert run("status")[0] == 0


def test_tx_all_is_all_or_nothing_and_the_ledger_records_the_failure(migrations_dir, run, db_path):
    setup(migrations_dir, run)
    migrations_dir.add("002_roles.sql", "CREATE TABLE roles (id INTEGER PRIMARY KEY);", "DROP TABLE roles;")
    migrations_dir.add("003_broken.sql", "INSERT INTO nowhere VALUES (1);", "SELECT 1;")
    digest = file_digest(db_path)
    code, _, err = run("up", "--tx", "all")
    assert code == 1 and "003_broken.sql" in err
    assert file_digest(db_path) == digest  # 002 was rolled back with it
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("SELECT max(version) FROM schema_migrations").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'roles'").fetchone() == (0,)
    log = (db_path.parent / (db_path.name + ".history.jsonl")).read_text().splitlines()
    assert '"status":"failed"' in log[-1] and '"version":3' in log[-1]
    assert not any('"version":2' in line and '"status":"ok"' in line for line in log)
    code, out, _ = run("up", "--tx", "file")  # per file: 002 stays, 003 fails
    assert code == 1
    with closing(sqlite3.connect(db_path)) as conn:
        assert conn.execute("SELECT max(version) FROM schema_migrations").fetchone() == (2,)


def test_tx_all_applies_everything_in_one_commit_and_refuses_a_no_transaction_file(migrations_dir, run, db_path,
                                                                                     monkeypatch):
    migrations_dir.add("001_users.sql", USERS, "DROP TABLE audit;\nDROP TABLE users;")
    migrations_dir.add("002_roles.sql", "CREATE TABLE roles (id INTEGER PRIMARY KEY);", "DROP TABLE roles;")
    code, out, _ = run("up", "--tx", "all")
    assert code == 0 and "Version 0 -> 2" in out and "Applied 002_roles" in out
    code, out, _ = run("down", "--all", "--tx", "all", "--no-backup")
    assert code == 0 and "Version 2 -> 0" in out
    migrations_dir.write("003_vacuum.sql", "-- vfmigrate: no-transaction\n-- === UP MIGRATION ===\nVACUUM;\n"
                         "-- === DOWN MIGRATION ===\nVACUUM;\n")
    digest = file_digest(db_path)
    monkeypatch.setenv("VFMIGRATE_TX", "all")
    code, _, err = run("up")
    assert code == 5 and "003_vacuum.sql" in err and "--tx file" in err
    assert file_digest(db_path) == digest
    monkeypatch.setenv("VFMIGRATE_TX", "some")
    code, _, err = run("up")
    assert code == 2 and "VFMIGRATE_TX" in err


def test_lint_reports_what_makes_a_migration_fail_and_stops_there(migrations_dir, run, db_path):
    setup(migrations_dir, run)
    migrations_dir.add("002_drop_audit.sql", "DROP TABLE audit;", "SELECT 1;")
    migrations_dir.add("003_unique.sql", "UPDATE users SET email = NULL WHERE id = 3;\n"
                       "CREATE TABLE u (email TEXT NOT NULL);\nINSERT INTO u SELECT email FROM users;", "DROP TABLE u;")
    migrations_dir.add("004_later.sql", "DELETE FROM users;", "SELECT 1;")
    digest = file_digest(db_path)
    code, out, err = run("--json", "lint")
    doc = json.loads(out)
    (database,) = doc["databases"]
    assert code == 7 and database["checked"] == 2
    assert database["failed"].startswith("003_unique.sql, statement 3 (line 9): NOT NULL constraint failed: u.email")
    assert [(f["version"], f["kind"], f["object"], f["rows"]) for f in doc["findings"]] == [
        (2, "drop-table", "audit", 2), (3, "constraint-fails", "u.email NOT NULL", 1)]  # 004 never ran
    assert "later migrations not checked" in err
    assert file_digest(db_path) == digest


def test_lint_exits_1_when_a_migration_fails_with_nothing_counted(migrations_dir, run, db_path):
    setup(migrations_dir, run)
    with closing(sqlite3.connect(db_path)) as conn:  # two emails of one length: the index cannot be built
        assert conn.execute("SELECT count(*) - count(DISTINCT length(email)) FROM users").fetchone()[0] > 0
    migrations_dir.add("002_unique.sql", "CREATE UNIQUE INDEX ux ON users(length(email));", "DROP INDEX ux;")
    digest = file_digest(db_path)
    code, out, err = run("lint")
    assert code == 1 and "no rows at risk" in out and "fails: 002_unique.sql, statement 1 (line 7): UNIQUE" in out
    assert file_digest(db_path) == digest
