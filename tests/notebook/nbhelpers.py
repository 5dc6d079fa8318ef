"""Helpers for the notebook-layer tests: migration files on disk, database state via sqlite3."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def write_migration(folder: Path, filename: str, up: str, down: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / filename
    path.write_text(f"-- Migration: {filename[:-4]}\n-- Description: test\n-- Author: tests\n-- Date: 2025-10-27\n\n"
                    f"-- === UP MIGRATION ===\n{up.strip()}\n\n-- === DOWN MIGRATION ===\n{down.strip()}\n",
                    encoding="utf-8")
    return path


def objects(db: Path) -> set[str]:
    """Names of the tables and indexes in ``db`` (plain sqlite3)."""
    conn = sqlite3.connect(db)
    try:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")}
    finally:
        conn.close()


def versions(db: Path) -> list[int]:
    conn = sqlite3.connect(db)
    try:
        return [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    finally:
        conn.close()
