"""The tools under test: how each writes the same migrations in its own format, and the commands
that run it (the Python ones from the bench's environment, :mod:`bench.install`). A tool works
in one folder per migration set: its migrations and ``db.sqlite``."""

from __future__ import annotations

import subprocess
from pathlib import Path

from .sql import Migration

FLOOR_SCRIPT = Path(__file__).resolve().parent / "floor.py"
DATABASE = "db.sqlite"  # a tool's database, in its folder
FLEET = "tenants/*.db"  # the fleet workloads' databases, a pattern (the floor and vfmigrate only)


def _where(folder: Path, database: str) -> str:
    """``database`` under ``folder``, or a server's URL as it is (the remote workload)."""
    return database if "://" in database else str(folder / database)


def _sql(stmts: tuple[str, ...]) -> str:
    return "".join(f"{s};\n" for s in stmts)


class Tool:
    name = "tool"
    migrations_dir = "migrations"
    digits = 4  # the least width of the version in file names
    up_args, status_args = ("up",), ("status",)

    def __init__(self, exe: str | Path) -> None:
        self.exe = str(exe)  # the program that runs it

    def mig(self, folder: Path) -> Path:
        return folder / self.migrations_dir

    def prepare(self, folder: Path, migrations: list[Migration]) -> None:
        """Write ``migrations`` into ``folder`` in this tool's format (untimed)."""
        self.mig(folder).mkdir(parents=True, exist_ok=True)
        width = max(self.digits, len(str(migrations[-1].version)))
        for m in migrations:
            for name, text in self.files(m, width):
                (self.mig(folder) / name).write_text(text, encoding="utf-8")

    def files(self, m: Migration, width: int) -> list[tuple[str, str]]:
        """(file name, text) of each file of migration ``m``."""
        raise NotImplementedError

    def command(self, folder: Path, *args: str) -> list[str]:
        """The argv that runs the tool with ``args`` on ``folder``'s migrations and database (the
        floor and vfmigrate take ``database=``: another file under ``folder``, a fleet's
        pattern, :data:`FLEET`, or a server's URL)."""
        raise NotImplementedError

    def up(self, folder: Path, *args: str) -> list[str]:
        """``up``; ``args`` follow the command word (``--tx all``: the floor and vfmigrate only)."""
        return self.command(folder, *self.up_args, *args)

    def status(self, folder: Path) -> list[str]:
        return self.command(folder, *self.status_args)


class Floor(Tool):
    """Plain sqlite3 (``bench/floor.py``) run by the environment's Python."""

    name, digits = "floor", 5

    def files(self, m: Migration, width: int) -> list[tuple[str, str]]:
        return [(f"{m.version:0{width}d}_{m.name}.sql", _sql(m.up))]

    def command(self, folder: Path, *args: str, database: str = DATABASE) -> list[str]:
        return [self.exe, str(FLOOR_SCRIPT), *args, _where(folder, database), str(self.mig(folder))]


class Vfmigrate(Tool):
    """The environment's ``vfmigrate`` console script: this checkout, installed."""

    name, digits = "vfmigrate", 3  # as `vfmigrate create` writes them

    def files(self, m: Migration, width: int) -> list[tuple[str, str]]:
        stem = f"{m.version:0{width}d}_{m.name}"
        return [(f"{stem}.sql", f"-- Migration: {stem}\n-- Description: {m.name.replace('_', ' ')}\n-- Author: bench\n"
                 f"\n-- === UP MIGRATION ===\n{_sql(m.up)}\n-- === DOWN MIGRATION ===\n{_sql(m.down)}")]

    def command(self, folder: Path, *args: str, database: str = DATABASE) -> list[str]:
        return [self.exe, "--database", _where(folder, database), "--migrations", str(self.mig(folder)), *args]


class Yoyo(Tool):
    """yoyo-migrations: ``NNNN.sql`` and ``NNNN.rollback.sql``; ``apply`` and ``list``."""

    name = "yoyo"

    def files(self, m: Migration, width: int) -> list[tuple[str, str]]:
        return [(f"{m.version:0{width}d}.sql", _sql(m.up)), (f"{m.version:0{width}d}.rollback.sql", _sql(m.down))]

    up_args, status_args = ("apply", "--batch"), ("list",)

    def command(self, folder: Path, *args: str) -> list[str]:
        return [self.exe, *args, "--no-config-file", "--database", f"sqlite:///{folder / 'db.sqlite'}",
                str(self.mig(folder))]


class Alembic(Tool):
    """Alembic: ``alembic init -t generic``, one revision per migration (``op.execute``);
    ``upgrade head`` and ``history --indicate-current``."""

    name, migrations_dir = "alembic", "alembic/versions"

    def prepare(self, folder: Path, migrations: list[Migration]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        subprocess.run([self.exe, "init", "-t", "generic", "alembic"], cwd=folder, check=True, capture_output=True)
        ini = folder / "alembic.ini"
        ini.write_text(ini.read_text(encoding="utf-8").replace(
            "driver://user:pass@localhost/dbname", f"sqlite:///{folder / 'db.sqlite'}"), encoding="utf-8")
        super().prepare(folder, migrations)

    def files(self, m: Migration, width: int) -> list[tuple[str, str]]:
        rev = f"r{m.version:0{width}d}"
        down = f"r{m.version - 1:0{width}d}" if m.version > 1 else None  # the sets are numbered 1, 2, 3, ...
        body = [f'"""{m.name}"""', "from alembic import op", "", f"revision = {rev!r}", f"down_revision = {down!r}",
                "branch_labels = None", "depends_on = None", "", "", "def upgrade():",
                *(f"    op.execute({s!r})" for s in m.up), "", "", "def downgrade():",
                *(f"    op.execute({s!r})" for s in m.down)]
        return [(f"{rev}_{m.name}.py", "\n".join(body) + "\n")]

    up_args, status_args = ("upgrade", "head"), ("history", "--indicate-current")

    def command(self, folder: Path, *args: str) -> list[str]:
        return [self.exe, "-c", str(folder / "alembic.ini"), *args]


class Dbmate(Tool):
    """dbmate, the Go binary of its npm package: ``-- migrate:up`` and ``-- migrate:down``."""

    name = "dbmate"

    def files(self, m: Migration, width: int) -> list[tuple[str, str]]:
        text = f"-- migrate:up\n{_sql(m.up)}\n-- migrate:down\n{_sql(m.down)}"
        return [(f"{m.version:0{width}d}_{m.name}.sql", text)]

    def command(self, folder: Path, *args: str) -> list[str]:
        return [self.exe, "--url", f"sqlite:{folder / 'db.sqlite'}", "--migrations-dir", str(self.mig(folder)),
                "--no-dump-schema", *args]


def floor_and_vfmigrate(tools: list[Tool]) -> tuple[Tool, Tool]:
    """The two tools every workload runs: the floor and vfmigrate."""
    return next(t for t in tools if isinstance(t, Floor)), next(t for t in tools if isinstance(t, Vfmigrate))
