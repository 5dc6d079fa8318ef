"""The fleet workloads: ``up --jobs 2`` (with and without ``--tx all``) and ``status`` over many
database files named by one pattern, against the floor doing the same in a pool of 2 processes
(``bench/floor.py``)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from .sql import fleet_not_migrated, make_tenant_db, small_migrations
from .stats import BenchError, Case, run_rounds
from .tools import FLEET, floor_and_vfmigrate

if TYPE_CHECKING:
    from .workloads import Bench

# The fleet workloads run this many databases at once (`up --jobs`): the 2 cores of the machine.
FLEET_JOBS = 2


def _tenants(b: Bench) -> Path:
    """The small database every tenant starts from (made once)."""
    template = b.work / "tenant.sqlite"
    if not template.exists():
        make_tenant_db(template)
    return template


def fresh_fleet(folder: Path, template: Path, count: int) -> None:
    """``folder/tenants`` made anew: ``count`` copies of ``template``, nothing else (no event log,
    no journal); the writes flushed to disk, so that they are not paid by the next timed run."""
    tenants = folder / "tenants"
    shutil.rmtree(tenants, ignore_errors=True)
    tenants.mkdir()
    for i in range(count):
        shutil.copyfile(template, tenants / f"tenant_{i:05d}.db")
    if hasattr(os, "sync"):
        os.sync()


def fleet(b: Bench, tx: str = "file") -> list[Case]:
    """``up --jobs 2`` (``tx="all"``: with ``--tx all``) of the small migrations over a fleet, every
    database a fresh copy of a small one before each round (untimed), against the floor doing the
    same in a pool of 2 processes. The floor and vfmigrate only, in one folder each for both modes;
    every database is checked afterwards (untimed)."""
    count, steps = b.sizes.fleet
    migrations, template = small_migrations(steps), _tenants(b)
    cases = []
    for tool in floor_and_vfmigrate(b.tools):
        folder = b.folder("fleet", tool, migrations)
        argv = tool.command(folder, "up", "--jobs", str(FLEET_JOBS), *(("--tx", tx) if tx != "file" else ()),
                            database=FLEET)

        def run(tool=tool, folder=folder, argv=argv) -> float:
            seconds = b.timed(argv, folder)
            if wrong := fleet_not_migrated(folder / "tenants", count, steps):
                raise BenchError(f"{tool.name} {wrong}")
            return seconds

        cases.append(Case(tool.name, run, lambda folder=folder: fresh_fleet(folder, template, count),
                          databases=count))
    run_rounds(cases, b.rounds, b.say)
    return cases


def fleet_status(b: Bench) -> list[Case]:
    """``status`` over the fleet, every database up to date (vfmigrate's fleet, migrated by
    vfmigrate, untimed, unless ``fleet`` left it so): vfmigrate, and the floor reading the same
    folder and databases."""
    count, steps = b.sizes.fleet
    floor, vfm = floor_and_vfmigrate(b.tools)
    folder = b.folder("fleet", vfm, small_migrations(steps))
    if fleet_not_migrated(folder / "tenants", count, steps):
        fresh_fleet(folder, _tenants(b), count)
        b.timed(vfm.command(folder, "up", "--jobs", str(FLEET_JOBS), database=FLEET), folder)
        if wrong := fleet_not_migrated(folder / "tenants", count, steps):
            raise BenchError(f"vfmigrate {wrong}")
    cases = [Case(tool.name, lambda argv=tool.command(folder, "status", database=FLEET): b.timed(argv, folder),
                  databases=count) for tool in (floor, vfm)]
    run_rounds(cases, b.rounds, b.say)
    return cases
