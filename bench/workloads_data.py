"""Workloads on bigger inputs: status over many files (CLI and ``%migrate status``), the data
migration and its dry run (watched: does it copy the database?), and down with its backup."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from .measure import BenchError, Case, FolderWatch, Row, rounds, rows_of, run_commands, run_watched
from .sql import BIG_MIGRATIONS, DATA_MIGRATION, fill_notes, items_with_c2, make_items_db, many_migrations
from .suite import Suite, engine_apply
from .tools import FLOOR_SCRIPT, PY, HERE

MAGIC_SCRIPT = HERE / "ipython_status.py"
MAGIC_REPEATS = 3  # warm calls after the first, per process


def status_many(s: Suite) -> None:
    n, pending = s.sizes.many, s.sizes.many_pending
    vfm = s.tools["vfmigrate"]
    folder = s.prepare("many", vfm, many_migrations(n))
    db, mig = folder / "db.sqlite", vfm.mig(folder)
    if not db.exists():
        engine_apply(db, mig, to=n - pending)
    floor = [[PY, str(FLOOR_SCRIPT), "status", str(db), str(mig)]]
    no_cache = {**s.env, "VFMIGRATE_NO_CACHE": "1"}
    cases = [
        Case("floor", lambda: run_commands(floor, folder, s.env), note="lists the names, reads the tracking table"),
        Case("vfmigrate", lambda: run_commands(vfm.status(folder), folder, s.env),
             note="CLI, python -m; unchanged files answered from its cache"),
        Case("vfmigrate (no cache)", lambda: run_commands(vfm.status(folder), folder, no_cache),
             note="VFMIGRATE_NO_CACHE=1: reads every file, as the first status after a checkout does"),
    ]
    first: list[float] = []
    magic = _magic_case(s, folder, db, mig, n, first)
    if magic is not None:
        cases.append(magic)
    rounds(cases, s.runs, warmup=1, say=s.say)
    s.add(rows_of("status-many", s.labels["status-many"], cases))
    if magic is not None and not magic.error:
        s.add([Row("status-many", s.labels["status-many"], "vfmigrate %migrate (1st call)", first[1:],
                   note="first call in a new shell, after %load_ext")])


def _magic_case(s: Suite, folder: Path, db: Path, mig: Path, expected: int, first: list[float]) -> Case | None:
    """``%migrate status`` in a real IPython shell, in its own process; warm calls timed."""
    label = "vfmigrate %migrate"
    if importlib.util.find_spec("IPython") is None or importlib.util.find_spec("pandas") is None:
        s.skip("status-many", label, "IPython/pandas are not installed (pip install -e '.[notebook]')")
        return None

    def run() -> float:
        done = subprocess.run([PY, str(MAGIC_SCRIPT), str(db), str(mig), str(expected), str(MAGIC_REPEATS)],
                              cwd=folder, env=s.env, capture_output=True, text=True)
        if done.returncode != 0:
            raise BenchError((done.stderr.strip().splitlines() or ["(no message)"])[-1][:300])
        result = json.loads(done.stdout.strip().splitlines()[-1])
        first.append(result["first"])
        return statistics.median(result["warm"])

    return Case(label, run, note=f"warm: median of {MAGIC_REPEATS} calls in one shell")


def _items_template(s: Suite) -> Path:
    template = s.work / "data" / "items.sqlite"
    if not template.exists():
        template.parent.mkdir(parents=True, exist_ok=True)
        make_items_db(template, s.sizes.rows)
    return template


def data(s: Suite) -> None:
    template = _items_template(s)
    tools = [s.tools["floor"], s.tools["vfmigrate"], *s.peers()]
    cases = []
    for tool in tools:
        folder = s.prepare("data", tool, [DATA_MIGRATION])

        def setup(folder=folder):
            s.restore(folder, template)
            s.sync()

        def check(folder=folder, tool=tool):
            if items_with_c2(folder / "db.sqlite") != s.sizes.rows:
                raise BenchError(f"{tool.name} did not fill c2 in every row")

        cases.append(Case(tool.name, lambda t=tool, f=folder: run_commands(t.up(f), f, s.env), setup, check))
    s.noisy_rounds(cases)
    s.add(rows_of("data", s.labels["data"], cases))
    s.note_skipped_peers("data")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_dry_run(s: Suite) -> None:
    """The dry run, watched: the database must be byte-for-byte unchanged, and no copy of it
    may appear on disk (beyond the rollback journal any transaction writes) or in memory."""
    template = _items_template(s)
    db_bytes = template.stat().st_size
    digest = _sha256(template)
    seen: dict[str, dict] = {}
    cases = []
    for tool in (s.tools["floor"], s.tools["vfmigrate"]):
        folder = s.prepare("data", tool, [DATA_MIGRATION])
        db = folder / "db.sqlite"
        (argv,) = tool.up(folder, dry_run=True)
        stats = seen.setdefault(tool.name, {"new_files": {}, "peak_extra_disk": 0, "peak_rss": 0, "unchanged": True})

        def setup(folder=folder):
            s.restore(folder, template)
            s.sync()

        def run(argv=argv, folder=folder, stats=stats) -> float:
            with FolderWatch(folder) as watch:
                seconds, rss = run_watched(argv, folder, s.env)
            for name, size in watch.new_files.items():
                stats["new_files"][name] = max(size, stats["new_files"].get(name, 0))
            stats["peak_extra_disk"] = max(stats["peak_extra_disk"], watch.extra_disk)
            stats["peak_rss"] = max(stats["peak_rss"], rss)
            return seconds

        def check(db=db, stats=stats, tool=tool):
            if _sha256(db) != digest:
                stats["unchanged"] = False
                raise BenchError(f"{tool.name}: the dry run changed the database file")

        cases.append(Case(tool.name, run, setup, check))
    rounds(cases, s.runs, say=s.say)
    s.add(rows_of("data-dry-run", s.labels["data-dry-run"], cases))
    s.checks["dry_run"] = _verdict(db_bytes, seen)


def _verdict(db_bytes: int, seen: dict[str, dict]) -> dict:
    """Did vfmigrate's dry run copy the database? Compared with the floor's BEGIN ... ROLLBACK,
    which writes the same rollback journal but copies nothing."""
    ours, floor = seen.get("vfmigrate"), seen.get("floor")
    verdict = {"db_bytes": db_bytes, "tools": seen}
    if not ours or not floor:
        return {**verdict, "copies": None, "why": "not measured"}
    allowed = {"db.sqlite-journal", "db.sqlite.history.jsonl"}  # SQLite's journal; vfmigrate's event log
    extra = sorted(set(ours["new_files"]) - allowed)
    slack = max(db_bytes // 2, 16 << 20)
    reasons = []
    if not ours["unchanged"]:
        reasons.append("the database file changed")
    if extra:
        reasons.append(f"new files {extra}")
    if ours["peak_extra_disk"] > floor["peak_extra_disk"] * 1.1 + (1 << 20):
        reasons.append(f"{ours['peak_extra_disk']:,} bytes more on disk vs the floor's {floor['peak_extra_disk']:,}")
    if ours["peak_rss"] > floor["peak_rss"] + slack:
        reasons.append(f"peak memory {ours['peak_rss']:,} bytes vs the floor's {floor['peak_rss']:,}")
    return {**verdict, "copies": bool(reasons), "why": "; ".join(reasons) or
            "unchanged database; only the rollback journal (as the floor) and the event log appeared; "
            "peak memory as the floor's"}


def _big_template(s: Suite) -> Path:
    vfm = s.tools["vfmigrate"]
    folder = s.prepare("big", vfm, BIG_MIGRATIONS)
    template = folder.parent / "big.sqlite"
    if not template.exists():
        s.clean(folder)
        db = folder / "db.sqlite"
        engine_apply(db, vfm.mig(folder), to=1)
        fill_notes(db, s.sizes.big_mb)
        engine_apply(db, vfm.mig(folder))
        shutil.move(db, template)
        s.clean(folder)
    return template


def down_backup(s: Suite) -> None:
    template = _big_template(s)
    vfm = s.tools["vfmigrate"]
    folder = s.folder("big", vfm)
    db, copy = folder / "db.sqlite", folder / "copy.sqlite"
    size = template.stat().st_size

    def setup():
        s.restore(folder, template)
        copy.unlink(missing_ok=True)
        s.sync()

    def copy_file() -> float:
        start = time.perf_counter()
        shutil.copyfile(db, copy)
        fd = os.open(copy, os.O_RDONLY)
        try:
            os.fsync(fd)  # the backup API syncs what it writes; so does a careful copy
        finally:
            os.close(fd)
        return time.perf_counter() - start

    def check(backup: bool):
        def _check():
            baks = list(folder.glob("db.sqlite.*.bak"))
            if backup and (len(baks) != 1 or baks[0].stat().st_size < size * 0.9):
                raise BenchError(f"expected one backup of about {size:,} bytes, found {[p.name for p in baks]}")
            if not backup and baks:
                raise BenchError("--no-backup wrote a backup")
        return _check

    no_backup = type(vfm)(backup=False)
    cases = [
        Case("floor", copy_file, setup, lambda: copy.unlink(), note="shutil.copyfile + fsync, in-process"),
        Case("vfmigrate", lambda: run_commands(vfm.down(folder, 1, BIG_MIGRATIONS), folder, s.env), setup,
             check(True), note="down 1 with the online backup; then integrity_check"),
        Case("vfmigrate --no-backup", lambda: run_commands(no_backup.down(folder, 1, BIG_MIGRATIONS), folder, s.env),
             setup, check(False), note="down 1; then integrity_check"),
    ]
    rounds(cases, s.runs, say=s.say)
    s.add(rows_of("down-backup", s.labels["down-backup"], cases))
    with_backup, without = cases[1].times, cases[2].times
    if with_backup and without:
        s.add([Row("down-backup", s.labels["down-backup"], "backup alone", [a - b for a, b in zip(with_backup, without)],
                   note="vfmigrate minus --no-backup, run by run", derived=True)])
    s.checks["big_db_bytes"] = size


STEPS = {"status-many": status_many, "data": data, "data-dry-run": data_dry_run, "down-backup": down_backup}
