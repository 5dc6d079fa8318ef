"""The commands on a remote database, against a real ``tursodb --sync-server`` (``turso_server``
in conftest.py), each compared with the same run on a local SQLite file."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from helpers import MigrationsDir, run_process, vfmigrate_cmd

from vfmigrate_magic import cli
from vfmigrate_magic.engine import commands
from vfmigrate_magic.engine.config import Target
from vfmigrate_magic.engine.files import discover

from .compare import (
    REFERENCE, REFERENCE_NAMES, in_file, on_server, plain_copy, row_counts, schema_of, snapshot, tracking,
)
from .conftest import skip_without_tursodb

skip_without_tursodb()


def applied_lines(stdout: str) -> list[tuple[str, str]]:
    """(what, rows) of each "Applied"/"Rolled back" line, without the time."""
    return re.findall(r"^  ((?:Applied|Rolled back) \S+) in [\d.]+ ms(.*)$", stdout, re.M)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def events(folder: Path, port: int) -> list[dict]:
    log = folder / ".vfmigrate" / f"127.0.0.1_{port}.history.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()]


# -- the reference migrations -------------------------------------------------------------------

@pytest.mark.parametrize("name", REFERENCE_NAMES)
def test_reference_migrations_give_a_local_runs_schema_and_tracking_rows(turso_server, tmp_path, name):
    folder = plain_copy(name, tmp_path / "plain")
    local = tmp_path / f"{name}.db"
    on_remote = run_process("--database", turso_server.url, "--migrations", str(folder), "up", cwd=tmp_path)
    on_file = run_process("--database", str(local), "--migrations", str(folder), "up", cwd=tmp_path)
    assert (on_remote.returncode, on_remote.stderr, on_file.returncode, on_file.stderr) == (0, "", 0, "")
    assert len(applied_lines(on_remote.stdout)) == 6
    assert applied_lines(on_remote.stdout) == applied_lines(on_file.stdout)  # rows changed too
    assert "Version 0 -> 6\n  foreign_key_check: not run on a remote database\n" in on_remote.stdout
    server, file = on_server(turso_server.url), in_file(local)
    assert tracking(server) == tracking(file) == [(m.version, m.name, m.checksum) for m in discover(folder)]
    assert schema_of(server) == schema_of(file)
    assert row_counts(server) == row_counts(file)

    on_remote = run_process("--database", turso_server.url, "--migrations", str(folder), "down", "--all", cwd=tmp_path)
    on_file = run_process("--database", str(local), "--migrations", str(folder), "down", "--all", cwd=tmp_path)
    assert (on_remote.returncode, on_file.returncode) == (0, 0)
    assert applied_lines(on_remote.stdout) == applied_lines(on_file.stdout)
    assert tracking(server) == tracking(file) == []
    assert schema_of(server) == schema_of(file) == {"objects": [("table", "schema_migrations")],
                                                    "columns": schema_of(file)["columns"]}


@pytest.mark.parametrize("name", REFERENCE_NAMES)
def test_bundled_reference_migrations_stop_cleanly_where_tursodb_refuses_without_rowid(turso_server, tmp_path, name):
    """tursodb 0.6.0 refuses WITHOUT ROWID tables, which each reference folder has: the run
    stops there, names file, statement and line, and leaves what a local ``up --to`` leaves."""
    folder = REFERENCE / name
    bad, stmt = next((m, s) for m in discover(folder) for s in m.up if "WITHOUT ROWID" in s.sql.upper())
    before = [m.version for m in discover(folder) if m.version < bad.version]
    on_remote = run_process("--database", turso_server.url, "--migrations", str(folder), "up", cwd=tmp_path)
    assert on_remote.returncode == 1
    stays = f"; earlier migrations in this run stay: {', '.join(map(str, before))}" if before else ""
    assert on_remote.stderr == (
        f"vfmigrate: error: {bad.filename}, statement {stmt.index} (line {stmt.line}): Parse error: WITHOUT ROWID "
        "tables are an experimental feature. Enable with --experimental-without-rowid flag; nothing from "
        f"{bad.filename} was applied{stays}\n")
    local = tmp_path / "local.db"
    run_process("--database", str(local), "--migrations", str(folder), "up", "--to", str(bad.version - 1),
                cwd=tmp_path)
    server, file = on_server(turso_server.url), in_file(local)
    assert tracking(server) == tracking(file)
    assert schema_of(server) == schema_of(file)


# -- a failing statement, a dry run -------------------------------------------------------------

@pytest.fixture
def breaking(tmp_path) -> MigrationsDir:
    folder = MigrationsDir(tmp_path / "breaking")
    folder.add("001_create_items.sql", "CREATE TABLE items (id INTEGER PRIMARY KEY);", "DROP TABLE items;")
    folder.add("002_break.sql", """
        CREATE TABLE later (x);
        INSERT INTO items (id) VALUES (1);
        INSERT INTO missing VALUES (1);
    """, "DROP TABLE later;")
    return folder


def test_failing_statement_leaves_nothing_and_names_file_statement_and_line(turso_server, tmp_path, capsys, breaking):
    code, out, err = run(capsys, "--database", turso_server.url, "--migrations", str(breaking), "up")
    assert code == 1
    assert applied_lines(out) == [("Applied 001_create_items", "")] and len(out.splitlines()) == 1
    assert err == ("vfmigrate: error: 002_break.sql, statement 3 (line 9): Parse error: no such table: missing; "
                   "nothing from 002_break.sql was applied; earlier migrations in this run stay: 1\n")
    server = on_server(turso_server.url)
    assert schema_of(server)["objects"] == [("table", "items"), ("table", "schema_migrations")]  # no "later"
    assert server("SELECT count(*) FROM items") == [(0,)]
    assert [v for v, _, _ in tracking(server)] == [1]
    assert [(e["version"], e["status"]) for e in events(tmp_path, turso_server.port)] == [(1, "ok"), (2, "failed")]
    assert events(tmp_path, turso_server.port)[1]["error"] == err[len("vfmigrate: error: "):-1]


def test_failing_statement_with_tx_all_leaves_nothing_of_the_run(turso_server, capsys, breaking):
    code, out, err = run(capsys, "--database", turso_server.url, "--migrations", str(breaking), "up", "--tx", "all")
    assert (code, out) == (1, "")
    assert err == ("vfmigrate: error: 002_break.sql, statement 3 (line 9): Parse error: no such table: missing; "
                   "nothing from 002_break.sql was applied\n")
    assert on_server(turso_server.url)("SELECT name FROM sqlite_schema") == []


def test_tx_all_applies_the_plan_as_one_batch(turso_server, tmp_path, capsys):
    folder = plain_copy("settings", tmp_path / "plain")
    code, out, _ = run(capsys, "--database", turso_server.url, "--migrations", str(folder), "up", "--tx", "all")
    assert code == 0 and len(applied_lines(out)) == 6 and "Version 0 -> 6" in out
    assert [v for v, _, _ in tracking(on_server(turso_server.url))] == [1, 2, 3, 4, 5, 6]


def test_dry_run_reports_rows_per_statement_as_a_local_one_and_changes_nothing(turso_server, tmp_path, capsys):
    folder = plain_copy("settings", tmp_path / "plain")
    local = tmp_path / "local.db"
    remote, file = Target(None, folder, url=turso_server.url), Target(local, folder)
    commands.up(remote, to=2)
    commands.up(file, to=2)
    server = on_server(turso_server.url)
    before = snapshot(server)

    code, out, err = run(capsys, "--database", turso_server.url, "--migrations", str(folder), "up", "--dry-run")
    assert (code, err) == (0, "")
    assert out.count("(rolled back)") == 4
    assert out.endswith("Dry run: the database was not changed (still at version 2)\n")
    assert snapshot(server) == before

    rehearsed, on_file = commands.up(remote, dry_run=True), commands.up(file, dry_run=True)

    def seen(report):
        return [(r.label, r.mode.value, r.rows_changed, r.created, r.dropped,
                 [(s.index, s.line, s.sql, s.rows_changed) for s in r.statements]) for r in report.results]
    assert seen(rehearsed) == seen(on_file)
    assert sum(s.rows_changed for r in rehearsed.results for s in r.statements) == 14  # the settings rows, twice
    code, out, _ = run(capsys, "--database", turso_server.url, "--migrations", str(folder), "down", "--all",
                       "--dry-run")
    assert code == 0 and out.count("(rolled back)") == 2
    assert snapshot(server) == before
    assert not list((tmp_path / ".vfmigrate").glob("*.bak"))  # a dry run takes no backup
    assert [e["mode"] for e in events(tmp_path, turso_server.port)][-6:] == ["dry-run"] * 6


# -- two runners ----------------------------------------------------------------------------------

def test_two_concurrent_runners_apply_each_migration_once(turso_server, tmp_path):
    folder = MigrationsDir(tmp_path / "many")
    folder.add("001_create_runs.sql", "CREATE TABLE runs (version INTEGER);", "DROP TABLE runs;")
    for v in range(2, 31):
        folder.add(f"{v:03d}_run_{v}.sql", f"INSERT INTO runs VALUES ({v});", f"DELETE FROM runs WHERE version = {v};")
    argv = vfmigrate_cmd("--database", turso_server.url, "--migrations", str(folder), "up")
    runners = [subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(2)]
    outputs = [runner.communicate(timeout=120) for runner in runners]
    assert [runner.returncode for runner in runners] == [0, 0]
    assert [err for _, err in outputs] == ["", ""]
    applied = Counter(label for out, _ in outputs for label, _ in applied_lines(out))
    assert sorted(applied) == [f"Applied {v:03d}_{'create_runs' if v == 1 else f'run_{v}'}" for v in range(1, 31)]
    assert set(applied.values()) == {1}
    server = on_server(turso_server.url)
    assert server("SELECT count(*), count(DISTINCT version) FROM runs") == [(29, 29)]
    assert [v for v, _, _ in tracking(server)] == list(range(1, 31))
    logged = Counter(e["version"] for e in events(tmp_path, turso_server.port) if e["status"] == "ok")
    assert logged == Counter(range(1, 31))


# -- down and its backup -------------------------------------------------------------------------

def test_down_writes_a_backup_that_is_the_database_at_the_version_before(turso_server, tmp_path, capsys):
    folder = plain_copy("settings", tmp_path / "plain")
    local = tmp_path / "local.db"
    commands.up(Target(None, folder, url=turso_server.url))
    commands.up(Target(local, folder))
    server = on_server(turso_server.url)
    before = snapshot(server)

    code, out, err = run(capsys, "--database", turso_server.url, "--migrations", str(folder), "down", "--steps", "2")
    assert (code, err) == (0, "")
    [shown] = re.findall(r"^  Backup written to (\S+)$", out, re.M)
    assert re.fullmatch(rf"\.vfmigrate/127\.0\.0\.1_{turso_server.port}\.\d{{8}}T\d{{6}}Z\.v6\.bak", shown)
    assert out.endswith("Version 6 -> 4\n  Backup written to " + shown + "\n  foreign_key_check: not run on a remote "
                        "database; integrity_check: ok\n")
    backup = in_file(tmp_path / shown)
    assert backup("PRAGMA integrity_check") == [("ok",)]
    assert tracking(backup) == tracking(in_file(local))  # at version 6, as the server was
    assert schema_of(backup) == schema_of(in_file(local))
    assert snapshot(backup)["rows"] == before["rows"]  # every row, rowids too
    assert [v for v, _, _ in tracking(server)] == [1, 2, 3, 4]
    assert not list((tmp_path / ".vfmigrate").glob("*.partial"))

    code, out, _ = run(capsys, "--database", turso_server.url, "--migrations", str(folder), "backups")
    assert out.startswith(f"{turso_server.url}: 1 backup in .vfmigrate, oldest first\n  {shown}  version 6  ")
    code, out, _ = run(capsys, "--database", turso_server.url, "--migrations", str(folder), "down", "--no-backup")
    assert code == 0 and "Backup written" not in out
    assert len(list((tmp_path / ".vfmigrate").glob("*.bak"))) == 1
    code, out, _ = run(capsys, "--database", turso_server.url, "--migrations", str(folder), "down", "--to", "1",
                       "--no-backup")
    assert code == 0 and [label for label, _ in applied_lines(out)] == ["Rolled back 003_create_settings",
                                                                        "Rolled back 002_create_roles_and_user_roles"]
    assert [v for v, _, _ in tracking(server)] == [1]


def test_backup_keep_prunes_the_oldest_remote_backups(turso_server, tmp_path, capsys, monkeypatch):
    folder = plain_copy("settings", tmp_path / "plain")
    commands.up(Target(None, folder, url=turso_server.url))
    monkeypatch.setenv("VFMIGRATE_BACKUP_KEEP", "1")
    outputs = [run(capsys, "--database", turso_server.url, "--migrations", str(folder), "down")[1] for _ in range(2)]
    [first] = re.findall(r"Backup written to (\S+)", outputs[0])
    [kept] = [str(p.relative_to(tmp_path)) for p in (tmp_path / ".vfmigrate").glob("*.bak")]
    assert kept in outputs[1] and f"Removed old backup {first} (backup_keep)" in outputs[1]


def test_backup_keeps_rowids_sequences_views_and_triggers(turso_server, tmp_path, capsys):
    folder = MigrationsDir(tmp_path / "kinds")
    folder.add("001_kinds.sql", """
        CREATE TABLE plain (a TEXT, b BLOB);
        INSERT INTO plain VALUES ('one', x'00ff'), ('two', NULL), ('three', x'');
        DELETE FROM plain WHERE a = 'two';
        CREATE TABLE counted (id INTEGER PRIMARY KEY AUTOINCREMENT, rowid_like TEXT, "odd ""q"" name" REAL);
        INSERT INTO counted (rowid_like, "odd ""q"" name") VALUES ('x', 1.5), ('y', -2.0);
        DELETE FROM counted WHERE rowid_like = 'y';
        CREATE INDEX plain_a ON plain (a) WHERE a IS NOT NULL;
        CREATE VIEW both_kinds AS SELECT a FROM plain UNION ALL SELECT rowid_like FROM counted;
        CREATE TRIGGER counted_upper AFTER INSERT ON counted BEGIN
            UPDATE counted SET rowid_like = upper(NEW.rowid_like) WHERE id = NEW.id;
        END;
    """, "DROP TABLE plain; DROP TABLE counted; DROP VIEW both_kinds;")
    folder.add("002_more.sql", "CREATE TABLE more (x);", "DROP TABLE more;")
    commands.up(Target(None, folder.path, url=turso_server.url))
    server = on_server(turso_server.url)
    expected = snapshot(server)
    rowids = server("SELECT rowid, a FROM plain ORDER BY rowid")
    report = commands.down(Target(None, folder.path, url=turso_server.url))
    backup = in_file(Path(report.backup_path))
    assert backup("SELECT rowid, a FROM plain ORDER BY rowid") == rowids == [(1, "one"), (3, "three")]
    assert backup("SELECT name, seq FROM sqlite_sequence") == [("counted", 2)]
    assert snapshot(backup)["rows"] == expected["rows"]
    assert [(t, n) for t, n, _ in snapshot(backup)["objects"]] == [(t, n) for t, n, _ in expected["objects"]]
    assert backup("SELECT * FROM both_kinds") == [("one",), ("three",), ("x",)]
    with sqlite3.connect(report.backup_path) as conn:  # the trigger came along, and works
        conn.execute("INSERT INTO counted (rowid_like) VALUES ('z')")
        assert conn.execute("SELECT id, rowid_like FROM counted WHERE id = 3").fetchall() == [(3, "Z")]


# -- status ---------------------------------------------------------------------------------------

def test_status_and_status_json_match_a_local_runs_states(turso_server, tmp_path):
    folder = plain_copy("settings", tmp_path / "plain")
    local = tmp_path / "local.db"
    for database in (turso_server.url, str(local)):
        assert run_process("--database", database, "--migrations", str(folder), "up", "--to", "3",
                           cwd=tmp_path).returncode == 0
    (folder / "007_new.sql").write_text("-- === UP MIGRATION ===\nCREATE TABLE n (x);\n-- === DOWN MIGRATION ===\n")
    on_remote = run_process("--database", turso_server.url, "--migrations", str(folder), "status", "--check",
                            cwd=tmp_path)
    on_file = run_process("--database", str(local), "--migrations", str(folder), "status", "--check", cwd=tmp_path)
    assert on_remote.returncode == on_file.returncode == 8

    def states(text):
        return [line.split()[:4] for line in text.splitlines()[2:]]
    assert states(on_remote.stdout) == states(on_file.stdout)
    assert on_remote.stdout.splitlines()[:2] == [f"{turso_server.url}  (migrations: plain/settings)",
                                                 "Current version: 3"]
    assert on_remote.stdout.splitlines()[-1] == "3 applied, 4 pending"

    remote_doc, file_doc = [
        json.loads(run_process("--json", "--database", database, "--migrations", str(folder), "status",
                               cwd=tmp_path).stdout)["databases"][0] for database in (turso_server.url, str(local))]
    assert (remote_doc["url"], remote_doc["path"], file_doc["path"]) == (turso_server.url, None, str(local))
    assert "url" not in file_doc

    def kept(doc):
        return [{k: v for k, v in m.items() if k not in ("applied_at", "execution_time_ms")}
                for m in doc["migrations"]]
    assert kept(remote_doc) == kept(file_doc)
    assert remote_doc["current_version"] == file_doc["current_version"] == 3


def test_status_of_a_tracking_table_made_by_another_tool_is_refused(turso_server, capsys, migrations_dir):
    on_server(turso_server.url)("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY)")
    migrations_dir.add("001_a.sql", "CREATE TABLE a (x);")
    for command in ("status", "up"):
        code, out, err = run(capsys, "--database", turso_server.url, "--migrations", str(migrations_dir), command)
        assert (code, out) == (3, "")
        assert err == ("vfmigrate: error: schema_migrations has the columns (version), not vfmigrate's (version, "
                       "name, applied_at, checksum, execution_time_ms): another tool made it; migrate this database "
                       "with that tool, or rename its table. Nothing was changed.\n")


def test_a_dry_run_counts_the_rows_at_risk_on_the_servers_data_as_a_local_one_does(turso_server, tmp_path, capsys):
    folder = MigrationsDir(tmp_path / "risky")
    folder.add("001_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, nick TEXT);\n"
               "INSERT INTO users VALUES (1, 'a'), (2, 'b'), (3, 'c');", "DROP TABLE users;")
    folder.add("002_prune.sql", "DELETE FROM users WHERE id > 1;\nALTER TABLE users DROP COLUMN nick;",
               "ALTER TABLE users ADD COLUMN nick TEXT;")
    remote, file = Target(None, folder.path, url=turso_server.url), Target(tmp_path / "local.db", folder.path)
    for target in (remote, file):
        commands.up(target, to=1)
    before = snapshot(on_server(turso_server.url))

    for direction, options in (("up", {}), ("down", {"all": True})):
        counted = getattr(commands, direction)(remote, dry_run=True, **options)
        assert counted.findings == getattr(commands, direction)(file, dry_run=True, **options).findings
        assert counted.findings and counted.warnings == ()
    code, out, _ = run(capsys, "--database", turso_server.url, "--migrations", str(folder.path), "up", "--dry-run")
    assert code == 0
    assert [line for line in out.splitlines() if "at risk" in line] == [
        "  at risk: 002_prune.sql, statement 1 (line 7): delete users: 2 rows",
        "  at risk: 002_prune.sql, statement 2 (line 8): drop-column users.nick: 1 row"]
    assert snapshot(on_server(turso_server.url)) == before


def test_schema_and_diff_from_database_read_the_servers_schema_as_a_files(turso_server, tmp_path, capsys):
    folder = plain_copy("settings", tmp_path / "plain")
    remote, file = Target(None, folder, url=turso_server.url), Target(tmp_path / "local.db", folder)
    for target in (remote, file):
        commands.up(target)
    before = snapshot(on_server(turso_server.url))

    def shape(schema):  # tursodb stores each CREATE rewritten (spacing, and without COLLATE): not the text
        return ([(t.name, [(c.name, c.type, c.notnull, c.pk) for c in t.columns], [i.name for i in t.indexes])
                 for t in schema.tables], [v.name for v in schema.views], [g.name for g in schema.triggers])
    assert shape(commands.schema(remote)) == shape(commands.schema(file))
    (tmp_path / "want.sql").write_text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);\n")
    outputs = []
    for database in (turso_server.url, str(tmp_path / "local.db")):
        for argv in (["schema", "--format", "mermaid"],
                     ["diff", "--want", str(tmp_path / "want.sql"), "--from-database", "--print"]):
            code, out, err = run(capsys, "--database", database, "--migrations", str(folder), *argv)
            assert (code, err) == (0, "")
            outputs.append(out)
    remote_mermaid, remote_diff, local_mermaid, local_diff = outputs
    assert remote_mermaid == local_mermaid

    def up_section(text):
        return text.split("-- === UP MIGRATION ===")[1].split("-- === DOWN MIGRATION ===")[0]
    assert up_section(remote_diff) == up_section(local_diff)
    assert "CREATE TABLE notes" in up_section(remote_diff) and "DROP TABLE" in up_section(remote_diff)
    assert snapshot(on_server(turso_server.url)) == before
