"""The auth token never shows: not in any output of any command (a failure, a traceback, JSON),
not in the event log, a backup, or any file the run or the server left."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import MigrationsDir, run_process

from .compare import plain_copy
from .conftest import free_port, skip_without_tursodb

skip_without_tursodb()

TOKEN = "vfm-Tok3n-7f1c2d9a0b"


def every_file(folder: Path) -> list[Path]:
    return [Path(root) / name for root, _, names in os.walk(folder) for name in names]


def test_the_token_is_in_no_output_log_or_file(turso_server, refusing_server, tmp_path):
    folder = plain_copy("settings", tmp_path / "plain")
    broken = MigrationsDir(tmp_path / "broken")
    broken.add("900_bad.sql", "INSERT INTO missing VALUES (1);")  # after the applied ones
    url, by_env = ["--database", turso_server.url, "--migrations", str(folder)], {"VFMIGRATE_AUTH_TOKEN": TOKEN}
    runs = [
        run_process(*url, "--auth-token", TOKEN, "up", "--to", "4", cwd=tmp_path),
        run_process(*url, "up", "--dry-run", cwd=tmp_path, env=by_env),
        run_process(*url, "--auth-token", TOKEN, "--json", "up", cwd=tmp_path),
        run_process(*url, "status", cwd=tmp_path, env=by_env),
        run_process("--json", *url, "status", "--auth-token", TOKEN, cwd=tmp_path),
        run_process(*url, "history", cwd=tmp_path, env=by_env),
        run_process(*url, "down", "--steps", "2", cwd=tmp_path, env=by_env),
        run_process(*url, "backups", cwd=tmp_path, env=by_env),
        run_process(*url, "lint", cwd=tmp_path, env=by_env),
        run_process("--database", turso_server.url, "--migrations", str(broken), "--auth-token", TOKEN, "up",
                    cwd=tmp_path),
        run_process("--database", turso_server.url, "--migrations", str(broken), "--auth-token", TOKEN, "--traceback",
                    "up", cwd=tmp_path),
        run_process("--database", refusing_server, "--migrations", str(folder), "status", cwd=tmp_path, env=by_env),
        run_process("--database", refusing_server, "--migrations", str(folder), "--json", "status", cwd=tmp_path,
                    env=by_env),
        run_process("--database", f"http://127.0.0.1:{free_port()}", "status", cwd=tmp_path, env=by_env),
        run_process("--database", f"libsql://user:{TOKEN}@db.example.com", "status", cwd=tmp_path),
        run_process("--database", f"https://db.example.com?authToken={TOKEN}", "status", cwd=tmp_path),
    ]
    assert [r.returncode for r in runs] == [0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 6, 6, 6, 2, 2]  # lint: on a copy
    assert "Backup written to .vfmigrate/" in runs[6].stdout
    assert "the server refused the auth token (HTTP 401)" in runs[11].stderr  # whose body echoed it back
    assert "Traceback" in runs[10].stderr
    for r in runs:
        assert TOKEN not in r.stdout and TOKEN not in r.stderr, r.args
    files = every_file(tmp_path)
    assert any(f.suffix == ".bak" for f in files) and any(f.name.endswith(".history.jsonl") for f in files)
    assert any(f.name == "tursodb.log" for f in files)  # the server's own log is read too
    for file in files:
        assert TOKEN.encode() not in file.read_bytes(), file
