"""--state-dir: the event log and the backups kept in a folder of their own, not beside the
database (a LiteFS mount takes any new file in it for a database)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from helpers import MigrationsDir, file_digest
from vfmigrate_magic import cli
from vfmigrate_magic.engine import config
from vfmigrate_magic.engine.config import Target


@pytest.fixture
def mounted(tmp_path: Path) -> Path:
    """``mnt/`` (standing for a LiteFS mount) that will hold app.db, and three migrations."""
    folder = MigrationsDir(tmp_path / "migrations")
    folder.add("001_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n"
               "INSERT INTO users (email) VALUES ('a@example.org'), ('b@example.org');", "DROP TABLE users;")
    folder.add("002_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);", "DROP TABLE notes;")
    folder.add("003_tags.sql", "CREATE TABLE tags (id INTEGER PRIMARY KEY);", "DROP TABLE tags;")
    (tmp_path / "mnt").mkdir()
    return tmp_path


def vfm(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--database", "mnt/app.db", "--migrations", "migrations", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_up_down_backups_history_and_restore_leave_nothing_but_the_database_in_the_mount(mounted, capsys):
    state = mounted / "state"
    kept = state / str(mounted.resolve() / "mnt").lstrip("/")  # the database's whole path, under the state folder

    assert vfm(capsys, "--state-dir", "state", "up")[0] == 0
    code, out, _ = vfm(capsys, "--state-dir", "state", "down")
    assert code == 0
    assert files_in(mounted / "mnt") == ["app.db"]
    backup = next(kept.glob("app.db.*.v3.bak"))
    assert f"Backup written to {backup.relative_to(mounted)}" in out
    assert sorted(p.name for p in kept.iterdir()) == sorted(["app.db.history.jsonl", backup.name])

    code, out, _ = vfm(capsys, "--state-dir", "state", "backups")
    assert out.splitlines()[0] == f"mnt/app.db: 1 backup in {kept.relative_to(mounted)}, oldest first"
    code, out, _ = vfm(capsys, "--state-dir", "state", "--json", "history")
    events = json.loads(out)["events"]
    assert [(e["version"], e["direction"], e["status"]) for e in events] == [
        (1, "up", "ok"), (2, "up", "ok"), (3, "up", "ok"), (3, "down", "ok")]

    # restore takes the name `backups` lists, from the state folder; its own backup goes there too
    code, out, _ = vfm(capsys, "--state-dir", "state", "restore", backup.name)
    assert code == 0 and "(version 2 -> 3)" in out
    assert files_in(mounted / "mnt") == ["app.db"]
    assert len(list(kept.glob("app.db.*.bak"))) == 2
    assert json.loads(vfm(capsys, "--state-dir", "state", "--json", "history")[1])["events"][-1]["direction"] == "restore"
    # without the setting, vfmigrate looks beside the database, where nothing was written
    assert vfm(capsys, "history")[1].strip().endswith("no events logged yet")


def test_status_reads_what_verify_logged_in_the_state_folder(mounted, capsys, monkeypatch):
    monkeypatch.setenv("VFMIGRATE_STATE_DIR", "state")
    assert vfm(capsys, "up", "--to", "1")[0] == 0
    assert vfm(capsys, "verify")[0] == 0
    entries = json.loads(vfm(capsys, "--json", "status")[1])["databases"][0]["migrations"]
    assert [e["reversible"] for e in entries] == ["not verified", "verified", "verified"]
    assert files_in(mounted / "mnt") == ["app.db"]


def test_the_setting_comes_from_the_argument_then_the_environment_then_pyproject(mounted, monkeypatch):
    (mounted / "pyproject.toml").write_text('[tool.vfmigrate]\nstate_dir = "from-toml"\n')
    (mounted / "sub").mkdir()
    monkeypatch.chdir(mounted / "sub")
    # pyproject.toml's is relative to its own folder
    assert config.resolve(database="../mnt/app.db").target.state_dir == mounted / "from-toml"
    monkeypatch.setenv("VFMIGRATE_STATE_DIR", "from-env")
    assert config.resolve(database="../mnt/app.db").target.state_dir == mounted / "sub" / "from-env"
    assert config.resolve(database="../mnt/app.db", state_dir="/srv/s").target.state_dir == Path("/srv/s")
    monkeypatch.delenv("VFMIGRATE_STATE_DIR")
    (mounted / "pyproject.toml").write_text("[tool.vfmigrate]\n")
    target = config.resolve(database="../mnt/app.db").target
    assert target.state_dir is None and target.base == target.database  # beside the database


def test_a_state_dir_that_is_not_a_path_is_refused_in_one_line(mounted, capsys):
    (mounted / "pyproject.toml").write_text("[tool.vfmigrate]\nstate_dir = 3\n")
    code, out, err = vfm(capsys, "status")
    assert code == 2
    assert err.strip() == "vfmigrate: error: pyproject.toml: tool.vfmigrate.state_dir must be a folder's path in " \
                          "quotes, not 3"


def test_a_state_folder_that_cannot_be_made_refuses_the_run_and_changes_nothing(mounted, capsys):
    (mounted / "taken").write_text("a file where the state folder would go")
    code, _, err = vfm(capsys, "--state-dir", "taken", "up")
    assert code == 6
    assert len(err.strip().splitlines()) == 1 and "cannot open the event log (Not a directory)" in err
    assert not (mounted / "mnt" / "app.db").exists()  # a new database is not even made

    assert vfm(capsys, "up")[0] == 0
    before = file_digest(mounted / "mnt" / "app.db")
    code, _, err = vfm(capsys, "--state-dir", "taken", "down")
    assert code == 6 and "cannot open the event log" in err
    assert file_digest(mounted / "mnt" / "app.db") == before


def test_a_fleet_keeps_each_database_apart_even_when_two_share_a_name(mounted, capsys):
    for tenant in ("east", "west"):
        (mounted / "mnt" / tenant).mkdir()
        sqlite3.connect(mounted / "mnt" / tenant / "app.db").close()
    code = cli.main(["--database", "mnt/*/app.db", "--migrations", "migrations", "--state-dir", "state",
                     "up", "--jobs", "2"])
    assert code == 0
    logs = sorted(p.relative_to(mounted / "state") for p in (mounted / "state").rglob("*.history.jsonl"))
    root = str(mounted.resolve()).lstrip("/")
    assert logs == [Path(root, "mnt", tenant, "app.db.history.jsonl") for tenant in ("east", "west")]
    assert files_in(mounted / "mnt") == ["east/app.db", "west/app.db"]


def test_a_remote_database_keeps_its_files_in_the_state_folder_too(tmp_path):
    target = Target(None, tmp_path, url="http://127.0.0.1:8080", state_dir=tmp_path / "state")
    assert target.base == tmp_path / "state" / "127.0.0.1_8080"
    assert Target(None, tmp_path, url="http://127.0.0.1:8080").base == tmp_path / ".vfmigrate" / "127.0.0.1_8080"
