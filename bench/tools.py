"""The tools under test: how each writes the same migrations in its own format, and the
commands that run it. Python tools run as ``python -m TOOL`` with the bench's own Python.

Each tool works in one folder per workload: ``migrations/`` (or Alembic's project) and
``db.sqlite``. The command methods return a list of argv lists, run one after another
(dbmate has no multi-step rollback: its ``down`` is one process per migration).
"""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

from .sql import Migration

HERE = Path(__file__).resolve().parent
FLOOR_SCRIPT = HERE / "floor.py"
PY = sys.executable


def _statements(stmts: tuple[str, ...]) -> str:
    return "".join(f"{s};\n" for s in stmts)


def _width(migrations: list[Migration], least: int) -> int:
    return max(least, len(str(max((m.version for m in migrations), default=1))))


class Tool:
    name = "tool"
    migrations_dir = "migrations"

    def db(self, folder: Path) -> Path:
        return folder / "db.sqlite"

    def mig(self, folder: Path) -> Path:
        return folder / self.migrations_dir

    def version(self) -> str:
        return ""

    def prepare(self, folder: Path, migrations: list[Migration]) -> None:
        """Write ``migrations`` into ``folder`` in this tool's format (untimed)."""
        raise NotImplementedError

    def up(self, folder: Path) -> list[list[str]]:
        raise NotImplementedError

    def status(self, folder: Path) -> list[list[str]]:
        raise NotImplementedError

    def down(self, folder: Path, steps: int, migrations: list[Migration]) -> list[list[str]]:
        raise NotImplementedError

    def help(self) -> list[list[str]]:
        raise NotImplementedError


class Floor(Tool):
    """Plain sqlite3 (``bench/floor.py``): no parsing, no checks."""

    name = "floor"

    def __init__(self, keep_journal: bool = False) -> None:
        self.keep_journal = keep_journal  # one journal for the run, as vfmigrate keeps it

    def version(self) -> str:
        import sqlite3

        return f"Python {sys.version.split()[0]} sqlite3, SQLite {sqlite3.sqlite_version}"

    def prepare(self, folder: Path, migrations: list[Migration]) -> None:
        mig = self.mig(folder)
        mig.mkdir(parents=True, exist_ok=True)
        width = _width(migrations, 5)
        for m in migrations:
            stem = f"{m.version:0{width}d}_{m.name}"
            (mig / f"{stem}.up.sql").write_text(_statements(m.up), encoding="utf-8")
            (mig / f"{stem}.down.sql").write_text(_statements(m.down), encoding="utf-8")

    def up(self, folder: Path, dry_run: bool = False) -> list[list[str]]:
        return [[PY, str(FLOOR_SCRIPT), "up", str(self.db(folder)), str(self.mig(folder)),
                 *(["--dry-run"] if dry_run else []), *(["--keep-journal"] if self.keep_journal else [])]]

    def status(self, folder: Path) -> list[list[str]]:
        return [[PY, str(FLOOR_SCRIPT), "status", str(self.db(folder)), str(self.mig(folder))]]

    def down(self, folder: Path, steps: int, migrations: list[Migration]) -> list[list[str]]:
        return [[PY, str(FLOOR_SCRIPT), "down", str(self.db(folder)), str(self.mig(folder)), str(steps)]]

    def help(self) -> list[list[str]]:
        return [[PY, "-c", "import sqlite3"]]


class Vfmigrate(Tool):
    """vfmigrate, as ``python -m vfmigrate_magic`` (or, with ``script``, its console script)."""

    name = "vfmigrate"

    def __init__(self, script: Path | None = None, backup: bool = True) -> None:
        self.script = script
        self.backup = backup

    def version(self) -> str:
        try:
            version = importlib.metadata.version("vfmigrate_magic")
        except importlib.metadata.PackageNotFoundError:
            version = "not installed"
        commit = subprocess.run(["git", "-C", str(HERE.parent), "describe", "--always", "--dirty"],
                                capture_output=True, text=True).stdout.strip() if shutil.which("git") else ""
        return f"{version} ({commit})" if commit else version

    def _cmd(self, folder: Path | None, *args: str) -> list[str]:
        start = [str(self.script)] if self.script else [PY, "-m", "vfmigrate_magic"]
        target = ["--database", str(self.db(folder)), "--migrations", str(self.mig(folder))] if folder else []
        return [*start, *target, *args]

    @staticmethod
    def filename(m: Migration, width: int = 3) -> str:
        return f"{m.version:0{width}d}_{m.name}.sql"

    def prepare(self, folder: Path, migrations: list[Migration]) -> None:
        mig = self.mig(folder)
        mig.mkdir(parents=True, exist_ok=True)
        width = _width(migrations, 3)
        for m in migrations:
            text = (f"-- Migration: {m.version:0{width}d}_{m.name}\n-- Description: {m.name.replace('_', ' ')}\n"
                    f"-- Author: bench\n\n-- === UP MIGRATION ===\n{_statements(m.up)}\n"
                    f"-- === DOWN MIGRATION ===\n{_statements(m.down)}")
            (mig / self.filename(m, width)).write_text(text, encoding="utf-8")

    def up(self, folder: Path, dry_run: bool = False) -> list[list[str]]:
        return [self._cmd(folder, "up", *(["--dry-run"] if dry_run else []))]

    def status(self, folder: Path) -> list[list[str]]:
        return [self._cmd(folder, "status")]

    def down(self, folder: Path, steps: int, migrations: list[Migration]) -> list[list[str]]:
        return [self._cmd(folder, "down", "--steps", str(steps), *([] if self.backup else ["--no-backup"]))]

    def help(self) -> list[list[str]]:
        return [self._cmd(None, "--help")]


class Yoyo(Tool):
    """yoyo-migrations: ``NNNN.sql`` + ``NNNN.rollback.sql``."""

    name = "yoyo"

    def version(self) -> str:
        return importlib.metadata.version("yoyo-migrations")

    def _cmd(self, folder: Path, command: str, *args: str) -> list[str]:
        return [PY, "-m", "yoyo", command, *args, "--no-config-file",
                "--database", f"sqlite:///{self.db(folder)}", str(self.mig(folder))]

    def prepare(self, folder: Path, migrations: list[Migration]) -> None:
        mig = self.mig(folder)
        mig.mkdir(parents=True, exist_ok=True)
        width = _width(migrations, 4)
        for m in migrations:
            (mig / f"{m.version:0{width}d}.sql").write_text(_statements(m.up), encoding="utf-8")
            (mig / f"{m.version:0{width}d}.rollback.sql").write_text(_statements(m.down), encoding="utf-8")

    def up(self, folder: Path) -> list[list[str]]:
        return [self._cmd(folder, "apply", "--batch")]

    def status(self, folder: Path) -> list[list[str]]:
        return [self._cmd(folder, "list")]

    def down(self, folder: Path, steps: int, migrations: list[Migration]) -> list[list[str]]:
        # Batch rollback undoes one migration unless told which: select the newest N by id.
        width = _width(migrations, 4)
        ids = "|".join(f"{m.version:0{width}d}" for m in migrations[-steps:])
        return [self._cmd(folder, "rollback", "--batch", "--all", "--match", f"^({ids})$")]

    def help(self) -> list[list[str]]:
        return [[PY, "-m", "yoyo", "--help"]]


class Alembic(Tool):
    """Alembic: ``alembic init -t generic``, one revision file per migration (``op.execute``)."""

    name = "alembic"
    migrations_dir = "alembic"

    def version(self) -> str:
        return f"{importlib.metadata.version('alembic')}, SQLAlchemy {importlib.metadata.version('sqlalchemy')}"

    def _cmd(self, folder: Path, *args: str) -> list[str]:
        return [PY, "-m", "alembic", "-c", str(folder / "alembic.ini"), *args]

    def prepare(self, folder: Path, migrations: list[Migration]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([PY, "-m", "alembic", "init", "-t", "generic", self.migrations_dir], cwd=folder,
                       check=True, capture_output=True)
        ini = folder / "alembic.ini"
        text = ini.read_text(encoding="utf-8").replace(
            "sqlalchemy.url = driver://user:pass@localhost/dbname", f"sqlalchemy.url = sqlite:///{self.db(folder)}")
        ini.write_text(text, encoding="utf-8")
        versions = self.mig(folder) / "versions"
        width = _width(migrations, 4)
        previous = None
        for m in migrations:
            rev = f"r{m.version:0{width}d}"
            body = ["from alembic import op", "", f"revision = {rev!r}", f"down_revision = {previous!r}",
                    "branch_labels = None", "depends_on = None", "", "", "def upgrade():"]
            body += [f"    op.execute({s!r})" for s in m.up] + ["", "", "def downgrade():"]
            body += [f"    op.execute({s!r})" for s in m.down]
            (versions / f"{rev}_{m.name}.py").write_text(f'"""{m.name}"""\n' + "\n".join(body) + "\n", encoding="utf-8")
            previous = rev

    def up(self, folder: Path) -> list[list[str]]:
        return [self._cmd(folder, "upgrade", "head")]

    def status(self, folder: Path) -> list[list[str]]:
        return [self._cmd(folder, "history", "--indicate-current")]

    def down(self, folder: Path, steps: int, migrations: list[Migration]) -> list[list[str]]:
        return [self._cmd(folder, "downgrade", f"-{steps}")]

    def help(self) -> list[list[str]]:
        return [[PY, "-m", "alembic", "--help"]]


class Dbmate(Tool):
    """dbmate, the Go binary the npm package ships (see :mod:`bench.npm`)."""

    name = "dbmate"

    def __init__(self, binary: Path, version: str) -> None:
        self.binary = binary
        self._version = version

    def version(self) -> str:
        return self._version

    def _cmd(self, folder: Path, command: str) -> list[str]:
        return [str(self.binary), "--url", f"sqlite:{self.db(folder)}", "--migrations-dir", str(self.mig(folder)),
                "--no-dump-schema", command]

    def prepare(self, folder: Path, migrations: list[Migration]) -> None:
        mig = self.mig(folder)
        mig.mkdir(parents=True, exist_ok=True)
        width = _width(migrations, 4)
        for m in migrations:
            text = f"-- migrate:up\n{_statements(m.up)}\n-- migrate:down\n{_statements(m.down)}"
            (mig / f"{m.version:0{width}d}_{m.name}.sql").write_text(text, encoding="utf-8")

    def up(self, folder: Path) -> list[list[str]]:
        return [self._cmd(folder, "up")]

    def status(self, folder: Path) -> list[list[str]]:
        return [self._cmd(folder, "status")]

    def down(self, folder: Path, steps: int, migrations: list[Migration]) -> list[list[str]]:
        return [self._cmd(folder, "rollback") for _ in range(steps)]

    def help(self) -> list[list[str]]:
        return [[str(self.binary), "--help"]]
