"""The suite: sizes, the temporary work folder, the tools, and the workloads in order.

Each tool gets one folder per migration set (``<work>/<set>/<tool>/``) holding its files and
``db.sqlite``; a database a workload needs ready (500 applied, say) is made once with the
tool itself, untimed, and copied back before each run that changes it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .measure import BenchError, Case, Row, rounds, run_commands
from .sql import Migration, count_small_tables
from .tools import Tool


@dataclass(frozen=True)
class Sizes:
    small: int        # migrations applied by `up` (table + index each)
    down: int         # of them rolled back by `down`
    cold: int         # applied migrations for the cold-start `status`
    many: int         # migration files for `status` over many files ...
    many_pending: int  # ... of which this many are not applied
    rows: int         # rows of the data migration
    big_mb: float     # size of the database for `down` with its backup
    cold_runs_factor: int = 4  # cold starts are short: run them this many times more
    # `up` of the small migrations (500 commits, mostly fsync) and the data migration (mostly
    # the CPU time of the UPDATE, which moved by up to 80 % from round to round on this VM) have
    # the tightest targets and the noisiest times: run them this many times more ...
    noisy_runs_factor: int = 3
    # ... and the floor and vfmigrate, the pair those targets compare, this many times `runs`
    # in all (the rounds after the first `noisy_runs_factor` x `runs` run just the two). A
    # per-round ratio there varies by about 0.1 (standard deviation) on this VM, so the median
    # of 21 moves by about 3 % from run to run, as much as the targets' margins; of 84, by 1.5 %.
    paired_runs_factor: int = 12


FULL = Sizes(small=500, down=100, cold=10, many=10_000, many_pending=100, rows=1_000_000, big_mb=200)
TINY = Sizes(small=12, down=3, cold=3, many=60, many_pending=5, rows=2_000, big_mb=1, cold_runs_factor=1, noisy_runs_factor=1,
             paired_runs_factor=2)

WORKLOADS = ("up", "status", "noop-up", "down", "cold-help", "cold-status", "status-many",
             "data", "data-dry-run", "down-backup")

FLOOR_MEANING = {
    "cold-help": 'python -c "import sqlite3"',
    "cold-status": 'python -c "import sqlite3"',
    "down-backup": "copying the database file and syncing the copy (shutil.copyfile + fsync)",
}


def labels(sizes: Sizes) -> dict[str, str]:
    """The workload titles shown in the table, with this run's sizes."""
    return {
        "up": f"up, {sizes.small} migrations",
        "status": f"status, {sizes.small} applied",
        "noop-up": f"no-op up, {sizes.small} applied",
        "down": f"down {sizes.down} of {sizes.small}",
        "cold-help": "cold start: --help",
        "cold-status": f"cold start: status, {sizes.cold} applied",
        "status-many": f"status, {sizes.many:,} files ({sizes.many - sizes.many_pending:,} applied)",
        "data": f"data migration, {sizes.rows:,} rows",
        "data-dry-run": f"dry run of it, {sizes.rows:,} rows",
        "down-backup": f"down + backup, {sizes.big_mb:g} MB db",
    }


class Suite:
    def __init__(self, work: Path, tools: list[Tool], sizes: Sizes, runs: int, env: dict[str, str],
                 say: Callable[[str], None] = print, vfmigrate_script: Path | None = None,
                 skipped_tools: dict[str, str] | None = None) -> None:
        self.work = work
        self.tools = {t.name: t for t in tools}
        self.sizes = sizes
        self.runs = runs
        self.env = env
        self.say = say
        self.vfmigrate_script = vfmigrate_script
        self.skipped_tools = skipped_tools or {}
        self.labels = labels(sizes)
        self.rows: list[Row] = []
        self.checks: dict[str, object] = {}
        self._prepared: set[Path] = set()

    # -- running ------------------------------------------------------------------------------

    def run(self, only: set[str] | None = None) -> list[Row]:
        from . import workloads_data, workloads_schema

        steps = {**workloads_schema.STEPS, **workloads_data.STEPS}
        for workload in WORKLOADS:
            if only and workload not in only:
                continue
            self.say(f"· {self.labels[workload]}")
            steps[workload](self)
        return self.rows

    def add(self, rows: list[Row]) -> None:
        self.rows.extend(rows)

    def skip(self, workload: str, tool: str, reason: str, *, say: bool = True) -> None:
        if say:
            self.say(f"  {tool}: skipped: {reason}")
        self.rows.append(Row(workload, self.labels[workload], tool, skipped=reason))

    def peers(self, names: tuple[str, ...] = ("yoyo", "alembic", "dbmate")) -> list[Tool]:
        """The peers that run in this bench, in table order."""
        return [self.tools[n] for n in names if n in self.tools]

    def noisy_rounds(self, cases: list[Case], also: tuple[str, ...] = ()) -> None:
        """The rounds of `up` and the data migration: every tool ``noisy_runs_factor`` x ``runs``
        times, then the floor and vfmigrate (and the tools named in ``also``) alone up to
        ``paired_runs_factor`` x ``runs`` (their i-th times still come from one round, so
        per-round ratios pair them as before)."""
        runs = self.runs * self.sizes.noisy_runs_factor
        rounds(cases, runs, say=self.say)
        more = self.runs * self.sizes.paired_runs_factor - runs
        if more > 0:
            rounds([c for c in cases if c.tool in ("floor", "vfmigrate", *also)], more, say=self.say)

    def note_skipped_peers(self, workload: str) -> None:
        for name, reason in self.skipped_tools.items():
            self.skip(workload, name, reason, say=False)

    # -- folders and databases ----------------------------------------------------------------

    def folder(self, migration_set: str, tool: Tool) -> Path:
        # Variants of one tool (vfmigrate --no-backup) share its folder.
        return self.work / migration_set / type(tool).__name__.lower()

    def prepare(self, migration_set: str, tool: Tool, migrations: list[Migration]) -> Path:
        folder = self.folder(migration_set, tool)
        if folder not in self._prepared:
            folder.mkdir(parents=True, exist_ok=True)
            tool.prepare(folder, migrations)
            self._prepared.add(folder)
        return folder

    def clean(self, folder: Path) -> None:
        """Remove the database and everything beside it that a tool wrote (journal, backups, log)."""
        for path in folder.glob("db.sqlite*"):
            path.unlink()

    def restore(self, folder: Path, source: Path) -> None:
        self.clean(folder)
        shutil.copyfile(source, folder / "db.sqlite")

    def applied_snapshot(self, migration_set: str, tool: Tool, migrations: list[Migration]) -> Path:
        """A copy of ``tool``'s database with all of ``migrations`` applied by the tool itself."""
        folder = self.prepare(migration_set, tool, migrations)
        snapshot = folder / "applied.sqlite"
        if not snapshot.exists():
            self.clean(folder)
            run_commands(tool.up(folder), folder, self.env)
            self.expect_tables(folder / "db.sqlite", len(migrations), tool)
            shutil.copyfile(folder / "db.sqlite", snapshot)
        return snapshot

    def applied_or_skip(self, workload: str, migration_set: str, tool: Tool,
                        migrations: list[Migration]) -> Path | None:
        """``applied_snapshot``, or None after recording why ``tool`` is skipped for ``workload``."""
        try:
            return self.applied_snapshot(migration_set, tool, migrations)
        except BenchError as exc:
            self.skip(workload, tool.name, f"failed to apply the migrations first: {exc}")
            return None

    def keep_snapshot(self, migration_set: str, tool: Tool) -> None:
        folder = self.folder(migration_set, tool)
        if (folder / "db.sqlite").exists():
            shutil.copyfile(folder / "db.sqlite", folder / "applied.sqlite")

    @staticmethod
    def expect_tables(db: Path, count: int, tool: Tool) -> None:
        found = count_small_tables(db)
        if found != count:
            raise BenchError(f"{tool.name} left {found} of the tables, not {count}")

    @staticmethod
    def sync() -> None:
        """Flush written files to disk, so one run's writes are not paid by the next run."""
        if hasattr(os, "sync"):
            os.sync()


def engine_apply(db: Path, migrations_dir: Path, to: int | None = None) -> None:
    """Apply migrations with vfmigrate's engine in-process, without fsync: a quick untimed setup."""
    from vfmigrate_magic.engine import MigrationRunner

    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA journal_mode = MEMORY")
        MigrationRunner(migrations_dir).migrate_up(conn, to=to)
    finally:
        conn.close()
