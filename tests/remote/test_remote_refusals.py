"""What a remote database refuses, in one line, before the server is changed (or asked)."""

from __future__ import annotations

import json
import time


from vfmigrate_magic import cli

from .compare import on_server, plain_copy
from .conftest import skip_without_tursodb

skip_without_tursodb()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_restore_is_refused_in_one_line(turso_server, tmp_path, capsys):
    folder = plain_copy("settings", tmp_path / "plain")
    code, out, err = run(capsys, "--database", turso_server.url, "--migrations", str(folder), "restore", "some.bak")
    assert (code, out, err) == (2, "", f"vfmigrate: error: {turso_server.url}: restore is not supported for a remote "
                                       "database yet\n")
    assert on_server(turso_server.url)("SELECT name FROM sqlite_schema") == []


def test_commands_that_need_no_database_work_with_a_url(turso_server, tmp_path, capsys):
    folder = plain_copy("settings", tmp_path / "plain")
    target = ["--database", turso_server.url, "--migrations", str(folder)]
    assert run(capsys, *target, "check")[0] == 0
    code, out, _ = run(capsys, *target, "schema", "--at", "1", "--format", "sql")
    assert code == 0 and out.startswith("CREATE TABLE users")
    code, out, _ = run(capsys, *target, "verify", "--all")
    assert code == 0 and out.endswith("6 migrations verified: 6 reverse, 0 do not\n")
    code, out, _ = run(capsys, *target, "status")
    assert code == 0
    code, out, _ = run(capsys, "--json", *target, "status")
    assert {m["reversible"] for m in json.loads(out)["databases"][0]["migrations"]} == {"verified"}
    assert on_server(turso_server.url)("SELECT name FROM sqlite_schema") == []


def test_no_transaction_migration_is_refused_before_anything_runs(turso_server, tmp_path, capsys, migrations_dir):
    migrations_dir.add("001_a.sql", "CREATE TABLE a (x);", "DROP TABLE a;")
    migrations_dir.write("002_outside.sql", "-- vfmigrate: no-transaction\n-- === UP MIGRATION ===\n"
                                            "CREATE TABLE b (x);\n-- === DOWN MIGRATION ===\nDROP TABLE b;\n")
    for dry in ([], ["--dry-run"], ["--tx", "all"]):
        code, out, err = run(capsys, "--database", turso_server.url, "--migrations", str(migrations_dir), "up", *dry)
        assert (code, out) == (5, "")
        assert err == ("vfmigrate: error: 002_outside.sql: is a no-transaction migration, and a remote database runs "
                       "each migration as one batch (one transaction); remove its '-- vfmigrate: no-transaction' "
                       "line, or run it on a SQLite file; nothing was run\n")
    assert on_server(turso_server.url)("SELECT name FROM sqlite_schema") == []
    code, out, _ = run(capsys, "--database", turso_server.url, "--migrations", str(migrations_dir), "up", "--to", "1")
    assert code == 0 and "Applied 001_a" in out  # what comes before it runs


def test_vacuum_is_refused_before_anything_runs(turso_server, capsys, migrations_dir):
    migrations_dir.add("001_a.sql", "CREATE TABLE a (x);", "DROP TABLE a;")
    migrations_dir.add("002_vacuum.sql", "DELETE FROM a;\nVACUUM;")
    code, out, err = run(capsys, "--database", turso_server.url, "--migrations", str(migrations_dir), "up")
    assert (code, out) == (5, "")
    assert err == ("vfmigrate: error: 002_vacuum.sql, line 8: VACUUM cannot run on a remote database (each migration "
                   "runs as one batch, one transaction); remove it; nothing was run\n")
    assert on_server(turso_server.url)("SELECT name FROM sqlite_schema") == []


def test_changed_and_out_of_order_files_are_refused_before_any_change(turso_server, capsys, migrations_dir):
    first = migrations_dir.add("001_a.sql", "CREATE TABLE a (x);", "DROP TABLE a;")
    migrations_dir.add("003_c.sql", "CREATE TABLE c (x);", "DROP TABLE c;")
    target = ["--database", turso_server.url, "--migrations", str(migrations_dir)]
    assert run(capsys, *target, "up")[0] == 0
    migrations_dir.add("002_b.sql", "CREATE TABLE b (x);", "DROP TABLE b;")
    code, _, err = run(capsys, *target, "up")
    assert (code, err) == (3, "vfmigrate: error: 002_b.sql is pending but version 3 is already applied (out of "
                              "order); renumber it above 3, or roll back below 2 first. Nothing was changed.\n")
    (migrations_dir.path / "002_b.sql").unlink()
    first.write_text(first.read_text().replace("a (x)", "a (y)"))
    for command in (["up"], ["down", "--all"]):
        code, _, err = run(capsys, *target, *command)
        assert code == 3 and err.startswith("vfmigrate: error: Checksum mismatch for migration 1 (001_a.sql)")
    assert [r[0] for r in on_server(turso_server.url)("SELECT version FROM schema_migrations")] == [1, 3]


def test_a_server_that_is_not_there_is_one_line(tmp_path, capsys):
    from .conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    code, out, err = run(capsys, "--database", url, "status")
    assert (code, out) == (6, "")
    assert err == (f"vfmigrate: error: {url}: cannot reach the server ([Errno 111] Connection refused); check the URL "
                   "and that the server runs\n")
    assert not (tmp_path / ".vfmigrate").exists()  # status writes nothing


def test_lint_and_verify_run_on_a_copy_of_the_servers_data(turso_server, tmp_path, capsys, migrations_dir):
    migrations_dir.add("001_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n"
                                        "INSERT INTO users (email) VALUES ('a'), ('b'), ('c');", "DROP TABLE users;")
    target = ["--database", turso_server.url, "--migrations", str(migrations_dir)]
    assert run(capsys, *target, "up")[0] == 0
    migrations_dir.add("002_drop_email.sql", "ALTER TABLE users DROP COLUMN email;",
                       "ALTER TABLE users ADD COLUMN email TEXT;")
    code, out, _ = run(capsys, *target, "lint")
    assert code == 7  # findings
    assert "drop-column users.email: 3 rows" in out, out
    code, out, _ = run(capsys, "--json", *target, "lint", "--down")
    assert code == 7 and json.loads(out)["findings"][0]["kind"] == "drop-table"
    code, out, _ = run(capsys, *target, "verify")
    assert code == 7 and "002_drop_email" in out, out  # the DOWN brings the column back, not its values
    # Nothing changed on the server, and the outcome is in the remote database's local log.
    assert on_server(turso_server.url)("SELECT version FROM schema_migrations") == [(1,)]
    code, out, _ = run(capsys, "--json", *target, "status")
    states = {m["version"]: m["reversible"] for m in json.loads(out)["databases"][0]["migrations"]}
    assert states[2] == "fails verify"


def test_no_answer_in_time_says_the_server_decides_and_status_tells(turso_server, capsys, migrations_dir, monkeypatch):
    """A migration that outlasts the client's wait: the server goes on and commits it whole; the
    message says to ask status, and status then says it is applied."""
    from vfmigrate_magic.engine import hrana

    migrations_dir.add("001_big.sql", "CREATE TABLE big (x INTEGER);\nINSERT INTO big VALUES " +
                       ", ".join(f"({i})" for i in range(1, 31)) + ";\n"
                       "INSERT INTO big SELECT a.x FROM big a, big b, big c, big d;", "DROP TABLE big;")
    # The 810,000 rows take tursodb about 1.5 s here; the reads before them take a few ms each.
    monkeypatch.setattr(hrana, "DEFAULT_TIMEOUT", 0.25)
    argv = ("--database", turso_server.url, "--migrations", str(migrations_dir.path))
    code, out, err = run(capsys, *argv, "up")
    assert code == 6
    assert err == (f"vfmigrate: error: {turso_server.url}: 001_big.sql: the server did not answer within 0.25 s "
                   "while it ran it; the server runs a migration whole or not at all: run 'vfmigrate status' to "
                   "see which\n")
    monkeypatch.setattr(hrana, "DEFAULT_TIMEOUT", 10.0)
    deadline = time.monotonic() + 30
    while (version := json.loads(run(capsys, *argv, "--json", "status")[1])["databases"][0]["current_version"]) == 0 \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    assert version == 1
    assert on_server(turso_server.url)("SELECT count(*) FROM big") == [(810_030,)]  # applied whole
    history = json.loads(run(capsys, *argv, "--json", "history")[1])["events"]
    assert [(e["version"], e["status"]) for e in history] == [(1, "failed")]
