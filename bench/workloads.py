"""The workloads the budget reads. Each prepares every tool's folder (untimed), times the tools
in rounds (:func:`bench.stats.run_rounds`) and returns one case per tool with its times."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .fleet import FLEET_JOBS, fleet, fleet_status
from .remote import remote
from .sql import (DATA_MIGRATION, REBUILD_BY_HAND, REBUILD_START, REBUILD_WANT, Migration, count_small_tables,
                  data_migrated, make_items_db, many_migrations, not_rebuilt, small_migrations)
from .stats import BenchError, Case, run_rounds
from .tools import Tool, floor_and_vfmigrate


@dataclass(frozen=True)
class Sizes:
    small: int  # migrations of up, status and no-op up (a table and an index each)
    cold: int  # applied migrations of the small project of the cold status
    files: tuple[int, int]  # migration files of the two `status` over many files (1 % of them pending)
    rows: int  # rows of the data migration and of the rebuild
    panel: tuple[int, int]  # migration files of the panel's two sizes (1 % of them pending)
    fleet: tuple[int, int]  # the fleet's tenant databases, and the small migrations applied to each
    # up and the data migration have the tightest targets (1.05x and 1.03x the floor) and the
    # noisiest times (fsync; an UPDATE's CPU time): the floor and vfmigrate run this many times
    # the rounds there, the peers the rounds alone.
    paired: int
    remote: int  # small migrations of `up` against a tursodb server (the remote workload)


FULL = Sizes(small=500, cold=10, files=(1_000, 10_000), rows=1_000_000, panel=(500, 10_000), fleet=(1_000, 10),
             paired=4, remote=100)
TINY = Sizes(small=12, cold=3, files=(40, 80), rows=2_000, panel=(40, 80), fleet=(20, 3), paired=1, remote=5)
WORKLOADS = ("up", "up-tx-all", "data", "cold-status", "status", "noop-up", "status-1k", "status-10k", "rebuild",
             "panel", "fleet", "fleet-tx-all", "fleet-status", "remote")
# What --tiny runs unless --only says otherwise: not up --tx all, the rebuild, the panel and the
# fleet yet, as tests/test_bench_smoke.py pins the list of workloads and of targets (`--tiny --only
# rebuild` runs it; the panel needs the notebook extra, pandas and ipywidgets, installed into the
# bench's environment; the remote workload needs tursodb).
TINY_WORKLOADS = tuple(w for w in WORKLOADS if w not in ("up-tx-all", "rebuild", "panel", "fleet", "fleet-tx-all",
                                                         "fleet-status", "remote"))
# The panel's steps (bench/panel_worker.py), each timed at both sizes against "styler", the old table.
PANEL_STEPS = ("read", "styler", "redraw", "refresh")
PANEL_WORKER = Path(__file__).resolve().parent / "panel_worker.py"


def labels(sizes: Sizes) -> dict[str, str]:
    return {"up": f"up, {sizes.small} migrations", "up-tx-all": f"up --tx all, {sizes.small} migrations",
            "data": f"data migration, {sizes.rows:,} rows",
            "cold-status": f"cold status, {sizes.cold} applied", "status": f"status, {sizes.small} applied",
            "noop-up": f"no-op up, {sizes.small} applied", "status-1k": f"status, {sizes.files[0]:,} files",
            "status-10k": f"status, {sizes.files[1]:,} files", "rebuild": f"rebuild, {sizes.rows:,} rows",
            "panel": f"panel, {sizes.panel[0]:,} and {sizes.panel[1]:,} migrations",
            "fleet": f"fleet up --jobs {FLEET_JOBS}, {sizes.fleet[0]:,} databases × {sizes.fleet[1]} migrations",
            "fleet-tx-all": f"fleet up --jobs {FLEET_JOBS} --tx all, {sizes.fleet[0]:,} databases × "
                            f"{sizes.fleet[1]} migrations",
            "fleet-status": f"fleet status, {sizes.fleet[0]:,} databases up to date",
            "remote": f"up over HTTP (tursodb), {sizes.remote} migrations"}


class Bench:
    """What the workloads share: the work folder (``<work>/<set>/<tool>/``, each with the tool's
    migrations and ``db.sqlite``), the tools, the sizes, the rounds and the environment."""

    def __init__(self, work: Path, tools: list[Tool], sizes: Sizes, rounds: int, env: dict[str, str],
                 say: Callable[[str], None] = print) -> None:
        self.work, self.tools, self.sizes, self.rounds, self.env, self.say = work, tools, sizes, rounds, env, say

    def timed(self, argv: list[str], cwd: Path) -> float:
        """Run one command; its wall-clock seconds. Raises BenchError when it exits non-zero."""
        start = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            last = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["(no message)"])[-1]
            raise BenchError(f"{Path(argv[0]).name} {' '.join(argv[1:2])}... exited {done.returncode}: {last[:200]}")
        return seconds

    def folder(self, migration_set: str, tool: Tool, migrations: list[Migration]) -> Path:
        """``tool``'s folder for a migration set, its files written the first time."""
        folder = self.work / migration_set / tool.name
        if not folder.exists():
            tool.prepare(folder, migrations)
        return folder

    def applied(self, migration_set: str, tool: Tool, migrations: list[Migration]) -> Path:
        """``tool``'s folder with all of ``migrations`` applied by the tool itself (untimed)."""
        folder = self.folder(migration_set, tool, migrations)
        db = folder / "db.sqlite"
        if not db.exists() or count_small_tables(db) != len(migrations):
            fresh(folder)
            self.timed(tool.up(folder), folder)
            expect_tables(db, len(migrations), tool)
        return folder


def fresh(folder: Path, template: Path | None = None) -> None:
    """Remove the database and what a tool wrote beside it (journal, event log); copy ``template``
    in its place; flush the writes to disk, so that they are not paid by the next timed run."""
    for path in folder.glob("db.sqlite*"):
        path.unlink()
    if template is not None:
        shutil.copyfile(template, folder / "db.sqlite")
    if hasattr(os, "sync"):
        os.sync()


def expect_tables(db: Path, count: int, tool: Tool) -> None:
    found = count_small_tables(db)
    if found != count:
        raise BenchError(f"{tool.name} left {found} of the {count} tables")


def _up_each_round(b: Bench, folders: list[tuple[Tool, Path]], check: Callable[[Path, Tool], None],
                   template: Path | None = None, paired: int = 1, up_args: tuple[str, ...] = ()) -> list[Case]:
    """``up`` (with ``up_args``) of each tool's folder into a new database (or a copy of ``template``)
    every round; ``check`` raises when a tool did not do the work (untimed). The floor and vfmigrate,
    which the targets compare, take part in ``paired`` times as many rounds as the peers."""
    cases = []
    for tool, folder in folders:

        def run(tool=tool, folder=folder) -> float:
            seconds = b.timed(tool.up(folder, *up_args), folder)
            check(folder / "db.sqlite", tool)
            return seconds

        rounds = 0 if tool.name in ("floor", "vfmigrate") else b.rounds
        cases.append(Case(tool.name, run, lambda folder=folder: fresh(folder, template), rounds))
    run_rounds(cases, b.rounds * paired, b.say)
    return cases


def up(b: Bench, tx: str = "file") -> list[Case]:
    """``up`` of the small migrations into a new database every round. ``tx="all"``: ``up --tx all``,
    the whole run in one transaction, the floor likewise; the floor and vfmigrate only (the peers
    have no such mode to compare), in folders of their own, so that ``status`` and ``noop-up`` find
    the database the per-migration ``up`` left."""
    migrations = small_migrations(b.sizes.small)
    tools, migration_set = (b.tools, "small") if tx == "file" else (floor_and_vfmigrate(b.tools), f"small-tx-{tx}")
    return _up_each_round(b, [(t, b.folder(migration_set, t, migrations)) for t in tools],
                          lambda db, tool: expect_tables(db, len(migrations), tool), paired=b.sizes.paired,
                          up_args=() if tx == "file" else ("--tx", tx))


def data(b: Bench) -> list[Case]:
    """One migration (ALTER TABLE, then an UPDATE of every row) on a copy of a table of ``rows`` rows."""
    template = b.work / "items.sqlite"
    if not template.exists():
        make_items_db(template, b.sizes.rows)

    def check(db: Path, tool: Tool) -> None:
        if not data_migrated(db):
            raise BenchError(f"{tool.name} did not fill the new column")

    return _up_each_round(b, [(t, b.folder("data", t, [DATA_MIGRATION])) for t in b.tools], check, template,
                          b.sizes.paired)


def _on_applied(b: Bench, migration_set: str, count: int, command: str) -> list[Case]:
    """``status`` or a no-op ``up`` on each tool's database with ``count`` migrations applied."""
    migrations = small_migrations(count)
    cases = []
    for tool in b.tools:
        try:
            folder = b.applied(migration_set, tool, migrations)
        except BenchError as exc:
            b.say(f"  {tool.name}: failed, left out: {exc}")
            cases.append(Case(tool.name, lambda: 0.0, error=f"applying the migrations first: {exc}"))
            continue
        argv = getattr(tool, command)(folder)
        cases.append(Case(tool.name, lambda argv=argv, folder=folder: b.timed(argv, folder)))
    run_rounds(cases, b.rounds, b.say)
    return cases


def _many_applied(b: Bench, count: int) -> Path:
    """vfmigrate's folder of ``count`` files of :func:`many_migrations`, 99 % of them applied by
    vfmigrate itself (untimed, once); 1 % (at least one) pending."""
    vfm = floor_and_vfmigrate(b.tools)[1]
    folder = b.folder(f"files-{count}", vfm, many_migrations(count))
    if not (folder / "db.sqlite").exists():
        try:
            b.timed(vfm.command(folder, "up", "--to", str(count - max(1, count // 100))), folder)
        except BenchError:
            fresh(folder)
            raise
    return folder


def status_files(b: Bench, count: int) -> list[Case]:
    """``status`` over ``count`` files, 1 % of them pending: vfmigrate, and the floor reading the
    same folder and database. The peers are not run here (no target reads them)."""
    floor, vfm = floor_and_vfmigrate(b.tools)
    folder = _many_applied(b, count)
    commands = {tool.name: tool.status(folder) for tool in (floor, vfm)}
    cases = [Case(name, lambda argv=argv: b.timed(argv, folder)) for name, argv in commands.items()]
    run_rounds(cases, b.rounds, b.say)
    return cases


def rebuild(b: Bench) -> list[Case]:
    """``up`` of the rebuild ``vfmigrate diff`` writes (once, untimed) on a copy of a table of
    ``rows`` rows at version 1, against the floor running the same rebuild written by hand. No
    peers: they cannot generate it."""
    floor, vfm = floor_and_vfmigrate(b.tools)
    template, folder = b.work / "rebuild.sqlite", b.folder("rebuild", vfm, [REBUILD_START])
    if not template.exists():
        fresh(folder)
        b.timed(vfm.up(folder), folder)
        make_items_db(folder / "db.sqlite", b.sizes.rows, exists=True)
        (folder / "want.sql").write_text(REBUILD_WANT, encoding="utf-8")
        b.timed(vfm.command(folder, "diff", "--want", str(folder / "want.sql"), "--name", "rebuild_items"), folder)
        generated = [p.read_text(encoding="utf-8") for p in vfm.mig(folder).glob("002_*.sql")]
        if len(generated) != 1 or "RENAME TO" not in generated[0].split("-- === DOWN MIGRATION ===")[0]:
            raise BenchError("vfmigrate diff did not write one migration with a rebuild in its UP")
        shutil.move(folder / "db.sqlite", template)

    def check(db: Path, tool: Tool) -> None:
        if wrong := not_rebuilt(db, b.sizes.rows):
            raise BenchError(f"{tool.name} did not rebuild the table: {wrong}")

    folders = [(floor, b.folder("rebuild", floor, [REBUILD_START, REBUILD_BY_HAND])), (vfm, folder)]
    return _up_each_round(b, folders, check, template)


def panel(b: Bench) -> list[Case]:
    """The notebook panel's status table at both sizes, in one process of the bench's environment
    (:mod:`bench.panel_worker`) on the folders and databases of ``status`` over many files: the
    status read, the old Styler table (the baseline), the panel's redraw and a whole Refresh. Each
    step is timed around the call alone, in the same rounds at both sizes; its ratio is against
    the Styler table of the same size."""
    floor, vfm = floor_and_vfmigrate(b.tools)
    names = {(step, i): f"{step} {count:,}" for i, count in enumerate(b.sizes.panel) for step in PANEL_STEPS}
    argv = [floor.exe, "-I", str(PANEL_WORKER)]  # -I: the checkout's folders are not on sys.path
    for count in b.sizes.panel:
        folder = _many_applied(b, count)
        argv += [str(folder / "db.sqlite"), str(vfm.mig(folder))]
    errors = b.work / "panel-worker.err"
    with open(errors, "w", encoding="utf-8") as err:
        worker = subprocess.Popen(argv, cwd=b.work, env=b.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=err, text=True)
    try:
        if worker.stdout.readline().strip() != "ready":
            worker.wait()
            said = errors.read_text(encoding="utf-8").strip().splitlines() or ["(no message)"]
            raise BenchError(f"the panel's worker exited {worker.returncode}: {said[-1][:200]}")
        cases = [Case(name, lambda step=step, i=i: _ask(worker, step, i), base=names["styler", i])
                 for (step, i), name in names.items()]
        run_rounds(cases, b.rounds, b.say)
    except BenchError as exc:
        b.say(f"  failed, left out: {exc}")
        cases = [Case(name, float, error=str(exc), base=names["styler", i]) for (_, i), name in names.items()]
    finally:
        worker.stdin.close()  # the worker's loop ends
        worker.wait()
        worker.stdout.close()
    return cases


def _ask(worker: subprocess.Popen, step: str, index: int) -> float:
    """The seconds of one ``step`` at size ``index``, timed by the worker. Raises BenchError when
    it fails."""
    try:
        worker.stdin.write(f"{step} {index}\n")
        worker.stdin.flush()
        answer = worker.stdout.readline().strip()
    except OSError as exc:  # the worker has exited
        answer = f"error: {exc}"
    if not answer or answer.startswith("error"):
        raise BenchError(answer or "the panel's worker exited")
    return float(answer)


RUN: dict[str, Callable[[Bench], list[Case]]] = {
    "up": up, "up-tx-all": lambda b: up(b, "all"), "data": data,
    "cold-status": lambda b: _on_applied(b, "cold", b.sizes.cold, "status"),
    "status": lambda b: _on_applied(b, "small", b.sizes.small, "status"),
    "noop-up": lambda b: _on_applied(b, "small", b.sizes.small, "up"),
    "status-1k": lambda b: status_files(b, b.sizes.files[0]),
    "status-10k": lambda b: status_files(b, b.sizes.files[1]),
    "rebuild": rebuild,
    "panel": panel,
    "fleet": fleet,
    "fleet-tx-all": lambda b: fleet(b, "all"),
    "fleet-status": fleet_status,
    "remote": remote,
}
