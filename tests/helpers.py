"""Helpers shared by the engine and CLI tests: real files, real processes."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

HEADER = "-- Migration: {label}\n-- Description: test\n-- Author: tests\n-- Date: 2025-10-27\n\n"


def migration_text(up: str, down: str = "", label: str = "x") -> str:
    return (HEADER.format(label=label) + "-- === UP MIGRATION ===\n" + textwrap.dedent(up).strip("\n")
            + "\n\n-- === DOWN MIGRATION ===\n" + textwrap.dedent(down).strip("\n") + "\n")


class MigrationsDir:
    """A migrations folder on disk; ``add`` writes a dedented migration file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    def add(self, filename: str, up: str, down: str = "") -> Path:
        file = self.path / filename
        file.write_text(migration_text(up, down, label=filename[:-4]), encoding="utf-8")
        return file

    def write(self, filename: str, text: str) -> Path:
        file = self.path / filename
        file.write_text(text, encoding="utf-8")
        return file

    def __str__(self) -> str:
        return str(self.path)

    def __fspath__(self) -> str:
        return str(self.path)


def vfmigrate_cmd(*args: str) -> list[str]:
    """The command line of the installed CLI, run as its own process."""
    return [sys.executable, "-m", "vfmigrate_magic", *args]


def run_process(*args: str, cwd: Path | None = None, timeout: float = 60, env: dict | None = None):
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(vfmigrate_cmd(*args), capture_output=True, text=True, cwd=cwd, timeout=timeout, env=full_env)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def tracked(path: Path) -> list[tuple[int, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT version, checksum FROM schema_migrations ORDER BY version").fetchall()
    finally:
        conn.close()
