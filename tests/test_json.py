"""`vfmigrate --json`: stdout holds exactly one JSON document for every command (the human lines
go to stderr), with the documented fields; a failure is {"error": ...} with its exit code."""

from __future__ import annotations

import json

USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\nINSERT INTO users (email) VALUES ('a'), ('b');"


def doc(run, *args):
    code, out, err = run("--json", *args)
    return code, json.loads(out), err  # the whole of stdout parses


def test_every_command_prints_one_document(migrations_dir, run, db_path, tmp_path):
    migrations_dir.add("001_users.sql", USERS, "DROP TABLE users;")
    migrations_dir.add("002_drop.sql", "DROP TABLE users;", "SELECT 1;")
    code, d, err = doc(run, "up", "--to", "1")
    assert code == 0 and "Applied 001_users" in err
    (db,) = d["databases"]
    assert (db["version_before"], db["version_after"]) == (0, 1)
    assert db["results"] == [{"version": 1, "name": "users", "direction": "up", "mode": "apply", "status": "ok",
                              "duration_ms": db["results"][0]["duration_ms"], "rows_changed": 2}]
    code, d, _ = doc(run, "status")
    assert [(m["version"], m["state"]) for m in d["databases"][0]["migrations"]] == [(1, "applied"), (2, "pending")]
    assert d["databases"][0]["current_version"] == 1
    code, d, _ = doc(run, "lint")
    assert code == 7 and [(f["kind"], f["object"], f["rows"], f["statement"], f["line"]) for f in d["findings"]] == [
        ("drop-table", "users", 2, 1, 7)]
    code, d, _ = doc(run, "verify")
    assert code == 7 and d["migrations"][0]["version"] == 2 and d["migrations"][0]["ok"] is False
    code, d, _ = doc(run, "up", "--dry-run")
    assert code == 0 and d["databases"][0]["findings"][0]["kind"] == "drop-table"
    code, d, _ = doc(run, "history")
    assert [e["status"] for e in d["events"]][0] == "ok"
    code, d, _ = doc(run, "check")
    assert d["databases"][0]["files"] == 2
    code, d, _ = doc(run, "schema")
    assert d["databases"][0]["schema"]["tables"][0]["name"] == "users"
    (tmp_path / "want.sql").write_text("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, name TEXT);")
    code, d, _ = doc(run, "diff", "--want", "want.sql", "--print", "--from-database")
    assert d["diffs"][0]["changes"][0]["method"] == "alter" and d["diffs"][0]["path"] is None
    code, d, _ = doc(run, "create", "next_step")
    assert d["created"][0]["version"] == 3
    code, d, _ = doc(run, "down")
    assert d["databases"][0]["version_after"] == 0 and d["databases"][0]["backup_path"]
    code, d, _ = doc(run, "backups")
    (backup,) = d["databases"][0]["backups"]
    assert backup["version"] == 1 and backup["size"] > 0
    code, d, _ = doc(run, "restore", backup["path"])
    assert (d["databases"][0]["version_before"], d["databases"][0]["version_after"]) == (0, 1)
    assert d["databases"][0]["restored_from"] == backup["path"] and d["databases"][0]["integrity"] == "ok"


def test_a_failure_is_an_error_document_with_its_exit_code(migrations_dir, run, db_path):
    migrations_dir.add("001_bad.sql", "INSERT INTO nowhere VALUES (1);", "SELECT 1;")
    code, d, err = doc(run, "up")
    assert code == 1 and d["error"]["kind"] == "MigrationFailed" and "001_bad.sql" in d["error"]["message"]
    assert "vfmigrate: error:" in err


def test_each_row_names_its_database_the_same_way(migrations_dir, run, db_path):
    migrations_dir.add("001_users.sql", USERS, "DROP TABLE users;")
    code, d, err = doc(run, "lint")  # no database file yet: said, not passed off as a check of data
    assert code == 0 and d["databases"][0]["exists"] is False and "does not exist yet" in err
    run("up")
    code, d, _ = doc(run, "lint")
    assert d["databases"][0]["exists"] is True
    code, d, _ = doc(run, "verify", "--all")
    assert [m["database"] for m in d["migrations"]] == [str(db_path)]
    code, d, _ = doc(run, "history")
    assert {e["database"] for e in d["events"]} == {str(db_path)}
