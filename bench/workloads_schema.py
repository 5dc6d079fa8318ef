"""Workloads on many small migrations: up, status, no-op up, down, and the cold starts."""

from __future__ import annotations

from .measure import BenchError, Case, rounds, rows_of, run_commands
from .sql import count_small_tables, small_migrations
from .suite import Suite
from .tools import Floor, Tool, Vfmigrate

SMALL = "small"  # the migration set of up / status / no-op up / down
COLD = "cold"


def _tools(s: Suite, *, no_backup_variant: bool = False) -> list[Tool]:
    tools = [s.tools["floor"], s.tools["vfmigrate"]]
    if no_backup_variant:
        tools.append(Vfmigrate(backup=False))
        tools[-1].name = "vfmigrate --no-backup"
    return tools + s.peers()


KEPT_JOURNAL = "floor, journal kept"


def up(s: Suite) -> None:
    migrations = small_migrations(s.sizes.small)
    # The floor again with one rollback journal for the run, as vfmigrate keeps it: what
    # vfmigrate's own work costs, apart from that saving.
    kept = Floor(keep_journal=True)
    kept.name = KEPT_JOURNAL
    tools = _tools(s)
    tools.insert(2, kept)
    cases = []
    for tool in tools:
        folder = s.prepare(SMALL, tool, migrations)
        db = folder / "db.sqlite"

        def setup(folder=folder):
            s.clean(folder)
            s.sync()

        def check(db=db, tool=tool):
            s.expect_tables(db, len(migrations), tool)

        note = "PRAGMA journal_mode = PERSIST for the run" if tool is kept else ""
        cases.append(Case(tool.name, lambda t=tool, f=folder: run_commands(t.up(f), f, s.env), setup, check, note))
    s.noisy_rounds(cases, also=(KEPT_JOURNAL,))
    for tool, case in zip(tools, cases):
        if not case.error and tool is not kept:
            s.keep_snapshot(SMALL, tool)  # the last run's database: 'status' and 'down' start from it
    s.add(rows_of("up", s.labels["up"], cases))
    s.note_skipped_peers("up")


def _read_only(s: Suite, workload: str, command: str) -> None:
    """status / no-op up: on each tool's database with every migration applied."""
    migrations = small_migrations(s.sizes.small)
    tools = _tools(s)
    cases = []
    for tool in tools:
        snapshot = s.applied_or_skip(workload, SMALL, tool, migrations)
        if snapshot is None:
            continue
        folder = s.folder(SMALL, tool)
        s.restore(folder, snapshot)
        commands = getattr(tool, command)(folder)

        def check(folder=folder, tool=tool):
            s.expect_tables(folder / "db.sqlite", len(migrations), tool)

        cases.append(Case(tool.name, lambda c=commands, f=folder: run_commands(c, f, s.env),
                          check=check if command == "up" else None))
    rounds(cases, s.runs, warmup=1, say=s.say)
    s.add(rows_of(workload, s.labels[workload], cases))
    s.note_skipped_peers(workload)


def status(s: Suite) -> None:
    _read_only(s, "status", "status")


def noop_up(s: Suite) -> None:
    _read_only(s, "noop-up", "up")


def down(s: Suite) -> None:
    migrations = small_migrations(s.sizes.small)
    steps = s.sizes.down
    tools = _tools(s, no_backup_variant=True)
    cases = []
    for tool in tools:
        snapshot = s.applied_or_skip("down", SMALL, tool, migrations)
        if snapshot is None:
            continue
        folder = s.folder(SMALL, tool)
        db = folder / "db.sqlite"

        def setup(folder=folder, snapshot=snapshot):
            s.restore(folder, snapshot)
            s.sync()

        def check(db=db, tool=tool):
            if count_small_tables(db) != len(migrations) - steps:
                raise BenchError(f"{tool.name} left {count_small_tables(db)} tables, not {len(migrations) - steps}")

        note = ""
        if tool.name == "vfmigrate":
            note = "online backup first (the default)"
        elif tool.name == "dbmate":
            note = f"no multi-step rollback: {steps} processes"
        commands = tool.down(folder, steps, migrations)
        cases.append(Case(tool.name, lambda c=commands, f=folder: run_commands(c, f, s.env), setup, check, note))
    rounds(cases, s.runs, say=s.say)
    s.add(rows_of("down", s.labels["down"], cases))
    s.note_skipped_peers("down")


def _cold(s: Suite, workload: str) -> None:
    """--help, or status on a few applied migrations, against starting Python and importing sqlite3."""
    migrations = small_migrations(s.sizes.cold)
    floor = s.tools["floor"]
    cases = [Case("floor", lambda: run_commands(floor.help(), s.work, s.env), note='python -c "import sqlite3"')]
    tools: list[Tool] = [s.tools["vfmigrate"]]
    if s.vfmigrate_script is not None:
        script = Vfmigrate(script=s.vfmigrate_script)
        script.name = "vfmigrate (script)"
        tools.append(script)
    else:
        s.skip(workload, "vfmigrate (script)", "no vfmigrate console script beside this Python")
    tools += s.peers()
    for tool in tools:
        if workload == "cold-help":
            commands, folder = tool.help(), s.work
        else:
            snapshot = s.applied_or_skip(workload, COLD, tool, migrations)
            if snapshot is None:
                continue
            folder = s.folder(COLD, tool)
            s.restore(folder, snapshot)
            commands = tool.status(folder)
        note = {"vfmigrate": "python -m vfmigrate_magic", "vfmigrate (script)": str(s.vfmigrate_script),
                "yoyo": "python -m yoyo", "alembic": "python -m alembic", "dbmate": "Go binary"}.get(tool.name, "")
        cases.append(Case(tool.name, lambda c=commands, f=folder: run_commands(c, f, s.env), note=note))
    rounds(cases, s.runs * s.sizes.cold_runs_factor, warmup=1, say=s.say)
    s.add(rows_of(workload, s.labels[workload], cases))
    s.note_skipped_peers(workload)


def cold_help(s: Suite) -> None:
    _cold(s, "cold-help")


def cold_status(s: Suite) -> None:
    _cold(s, "cold-status")


STEPS = {"up": up, "status": status, "noop-up": noop_up, "down": down,
         "cold-help": cold_help, "cold-status": cold_status}
