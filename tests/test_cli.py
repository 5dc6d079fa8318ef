"""The command line as a user meets it: help, exit codes, one-line errors, untouched files."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import file_digest, run_process

from vfmigrate_magic import cli

PACKAGE = Path(__file__).resolve().parents[1] / "vfmigrate_magic"


@pytest.fixture
def one(migrations_dir):
    migrations_dir.add("001_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);", "DROP TABLE users;")
    return migrations_dir


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for command in ("up", "down", "status", "create", "history", "check"):
        assert f"    {command} " in out


def test_unknown_option_is_a_usage_error_with_exit_code_2(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["up", "--sideways"])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --sideways" in capsys.readouterr().err


def test_a_reader_that_goes_away_stops_the_command_quietly(one, db_path):
    """`vfmigrate status | head -1`: no traceback when the pipe closes."""
    from helpers import vfmigrate_cmd

    assert subprocess.run(vfmigrate_cmd("--database", str(db_path), "--migrations", str(one), "up"),
                          capture_output=True).returncode == 0
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has gone before the first line is written
    try:
        done = subprocess.run(vfmigrate_cmd("--database", str(db_path), "--migrations", str(one), "status"),
                              stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert done.stderr == ""
    assert done.returncode == 1


def test_options_may_follow_the_command(one, db_path, capsys):
    assert cli.main(["up", "--database", str(db_path), "--migrations", str(one)]) == 0
    assert db_path.exists()


@pytest.mark.parametrize("content, message", [
    (b"this is not a database, just text" * 100, "is not a SQLite database or is corrupt (file is not a database)"),
    (b"SQLite format 3\x00" + b"\xff" * 4080, "is not a SQLite database or is corrupt"),
])
def test_corrupt_or_foreign_database_file_is_refused_untouched(one, db_path, run, content, message):
    db_path.write_bytes(content)
    for command in (["up"], ["status"], ["down"], ["up", "--dry-run"]):
        code, out, err = run(*command)
        assert code == 6, command
        assert err.startswith(f"vfmigrate: error: app.db: {message}") and err.count("\n") == 1
        assert db_path.read_bytes() == content


def test_database_in_a_missing_folder_is_refused_and_nothing_is_created(one, tmp_path, capsys):
    target = tmp_path / "no" / "such" / "app.db"
    for command in ("up", "status"):
        code = cli.main(["--database", str(target), "--migrations", str(one), command])
        err = capsys.readouterr().err
        assert code == 6
        assert err == (f"vfmigrate: error: {target}: the folder {target.parent} does not exist; "
                       "create it first or fix the path\n")
    assert not (tmp_path / "no").exists()


def test_database_path_that_is_a_folder_is_refused(one, tmp_path, run, db_path):
    db_path.mkdir()
    code, _, err = run("up")
    assert code == 6 and "is not a file" in err


def test_read_only_database_is_refused_in_words(one, tmp_path):
    """Run as an unprivileged user (root ignores file modes) against a read-only file."""
    shared = Path(os.environ.get("TMPDIR", "/tmp")) / f"vfmigrate-ro-{os.getpid()}"
    shared.mkdir(mode=0o755, exist_ok=True)
    try:
        db = shared / "ro.db"
        subprocess.run([sys.executable, "-c", f"import sqlite3; sqlite3.connect({str(db)!r}).execute('CREATE TABLE t (x)')"], check=True)
        migs = shared / "migrations"
        shutil.copytree(one.path, migs)
        for p in (shared, migs, *migs.iterdir()):
            p.chmod(0o755 if p.is_dir() else 0o644)
        db.chmod(0o444)
        before = file_digest(db)
        command = [sys.executable, "-m", "vfmigrate_magic", "--database", str(db), "--migrations", str(migs), "up"]
        as_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if os.geteuid() == 0 else []
        env = {**os.environ, "PYTHONPATH": str(PACKAGE.parent), "HOME": str(shared)}
        probe = subprocess.run([*as_user, sys.executable, "-c", "import vfmigrate_magic.cli"],
                               capture_output=True, env=env, cwd=shared, timeout=60)
        if probe.returncode != 0:
            # This interpreter is out of the unprivileged user's reach (e.g. under a private
            # /root): check the same translation in-process on a read-only connection instead.
            from vfmigrate_magic.engine import MigrationRunner
            from vfmigrate_magic.engine.errors import DatabaseError
            from vfmigrate_magic.engine.sqlite import connect
            conn = connect(db, readonly=True)
            with pytest.raises(DatabaseError) as err:
                MigrationRunner(migs).migrate_up(conn)
            conn.close()
            assert str(err.value).startswith(f"{db}: cannot write, the database is read-only")
            assert file_digest(db) == before
            return
        done = subprocess.run([*as_user, *command], capture_output=True, text=True, env=env, cwd=shared, timeout=60)
        assert done.returncode == 6, done.stderr
        assert done.stderr.startswith("vfmigrate: error: ro.db: cannot write, the database is read-only")
        assert done.stderr.count("\n") == 1
        assert file_digest(db) == before
    finally:
        shutil.rmtree(shared, ignore_errors=True)


def test_malformed_migration_file_gives_one_line_and_changes_nothing(one, db_path, run):
    run("up")
    before = file_digest(db_path)
    one.write("002_no_markers.sql", "CREATE TABLE x (a);\n")
    for command in ("up", "status", "check"):
        code, _, err = run(command)
        assert code == 5
        assert err == ("vfmigrate: error: 002_no_markers.sql: missing the '-- === UP MIGRATION ===' and "
                       "'-- === DOWN MIGRATION ===' marker; both markers are required\n")
    assert file_digest(db_path) == before


def test_traceback_flag_shows_the_exception(one, db_path, tmp_path):
    db_path.write_text("not a database" * 100)
    with pytest.raises(Exception, match="not a SQLite database"):
        cli.main(["--traceback", "--database", str(db_path), "--migrations", str(one), "up"])


def test_installed_command_runs_as_a_process(one, db_path, tmp_path):
    done = run_process("--database", str(db_path), "--migrations", str(one), "up", cwd=tmp_path)
    assert done.returncode == 0 and "Applied 001_users" in done.stdout
    done = run_process("--database", str(db_path), "--migrations", str(one), "status", cwd=tmp_path)
    assert done.returncode == 0 and "1 applied, 0 pending" in done.stdout


def test_environment_variables_pick_the_database(one, db_path, tmp_path):
    done = run_process("up", cwd=tmp_path, env={"DATABASE_PATH": str(db_path), "MIGRATIONS_DIR": str(one)})
    assert done.returncode == 0 and db_path.exists()


def test_cli_imports_nothing_heavy():
    code = ("import sys, vfmigrate_magic.cli, vfmigrate_magic.engine.commands; "
            "print(sorted(m for m in ('pandas', 'IPython', 'ipywidgets', 'traitlets', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_engine_imports_only_the_standard_library():
    for path in (PACKAGE / "engine").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in sys.stdlib_module_names or name == "__future__", (path.name, name)


def test_up_with_a_missing_migrations_folder_creates_no_database(tmp_path, db_path, capsys):
    code = cli.main(["--database", str(db_path), "--migrations", str(tmp_path / "nowhere"), "up"])
    assert code == 5 and "the migrations folder does not exist" in capsys.readouterr().err
    assert not db_path.exists()


def test_another_tools_schema_migrations_table_is_refused(one, db_path, run):
    import sqlite3
    with sqlite3.connect(db_path) as conn:  # dbmate's tracking table has the same name
        conn.execute("CREATE TABLE schema_migrations (version VARCHAR(128) PRIMARY KEY)")
    before = file_digest(db_path)
    for command in ("up", "status", "down"):
        code, _, err = run(command)
        assert code == 3
        assert err == ("vfmigrate: error: schema_migrations has the columns (version), not vfmigrate's (version, "
                       "name, applied_at, checksum, execution_time_ms): another tool made it; migrate this "
                       "database with that tool, or rename its table. Nothing was changed.\n")
    assert file_digest(db_path) == before
