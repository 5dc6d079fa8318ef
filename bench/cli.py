"""``python -m bench``: install what is timed, run the workloads, print the table and the budget,
write ``bench/results/run-<time>.json`` and a PNG chart."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import report
from .install import REPO, default_cache, install_dbmate, make_venv
from .remote import INSTALL_HINT, find_tursodb, tursodb_version
from .stats import BenchError, Case
from .tools import Alembic, Dbmate, Floor, Tool, Vfmigrate, Yoyo
from .workloads import FULL, RUN, TINY, TINY_WORKLOADS, WORKLOADS, Bench, labels

ROUNDS = 15
# Settings a user may have exported that would steer a tool away from the bench's files.
CLEARED = ("DATABASE_PATH", "MIGRATIONS_DIR", "DATABASE_URL", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=(
        "Time vfmigrate, installed from this checkout into the bench's own environment, against plain "
        "sqlite3 (the floor) and against yoyo, Alembic and dbmate."))
    parser.add_argument("--tiny", action="store_true", help="a few migrations, one round, no peers, no "
                        "up --tx all, rebuild, panel or fleet workloads unless --only asks (the smoke test)")
    parser.add_argument("--runs", type=int, metavar="N", help=f"rounds per workload (default {ROUNDS}, 1 with "
                        f"--tiny); the floor and vfmigrate run {FULL.paired}x as many in up, up --tx all and the "
                        "data migration")
    parser.add_argument("--only", action="append", choices=WORKLOADS, metavar="WORKLOAD",
                        help=f"run only this workload (repeatable): {', '.join(WORKLOADS)}")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results", metavar="DIR",
                        help="where the JSON and the chart go (default bench/results)")
    parser.add_argument("--cache", type=Path, default=default_cache(), metavar="DIR", help="where the bench's "
                        "environment and dbmate are installed (default ~/.cache/vfmigrate_magic-bench)")
    args = parser.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be 1 or more")
    return args


def _checkout() -> str:
    """The checkout's commit, ``+changes`` when the package differs from it (read-only git)."""
    def git(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True)
    if shutil.which("git") is None or (head := git("rev-parse", "--short", "HEAD")).returncode != 0:
        return ""
    return head.stdout.strip() + ("+changes" if git("diff", "--quiet", "HEAD", "--", "vfmigrate_magic",
                                                    "pyproject.toml").returncode else "")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes, rounds = (TINY, args.runs or 1) if args.tiny else (FULL, args.runs or ROUNDS)
    say = lambda text: print(text, flush=True)  # noqa: E731
    started, stamp = time.perf_counter(), dt.datetime.now(dt.timezone.utc)
    env = {k: v for k, v in os.environ.items() if k not in CLEARED and not k.startswith("VFMIGRATE_")}
    chosen = args.only or (TINY_WORKLOADS if args.tiny else WORKLOADS)
    try:
        venv, missing = make_venv(args.cache, not args.tiny, env, say, notebook="panel" in chosen)
        found = venv.versions(env)
    except (BenchError, subprocess.CalledProcessError) as exc:
        print(f"bench: cannot install what is timed: {exc}", file=sys.stderr)
        return 1
    tools: list[Tool] = [Floor(venv.python), Vfmigrate(venv.script("vfmigrate"))]
    versions = {"floor": f"Python {found['python']} sqlite3, SQLite {found['sqlite']}",
                "vfmigrate": " ".join(filter(None, [found["vfmigrate_magic"], _checkout()]))}
    no_peers = missing.get("peers")
    skipped = {"yoyo": no_peers, "alembic": no_peers} if no_peers else {}
    if "panel" in chosen:  # the notebook layer's packages, in the panel's worker
        versions["panel"] = f"pandas {found['pandas']}, ipywidgets {found['ipywidgets']}"
        if "notebook" in missing:
            skipped["the notebook extra"] = missing["notebook"]
    if not args.tiny and not no_peers:
        tools += [Yoyo(venv.script("yoyo")), Alembic(venv.script("alembic"))]
        versions |= {"yoyo": found["yoyo-migrations"],
                     "alembic": f"{found['alembic']}, SQLAlchemy {found['sqlalchemy']}"}
    if not args.tiny:
        binary, dbmate = install_dbmate(args.cache)
        if binary is None:
            skipped["dbmate"] = dbmate
        else:
            tools.append(Dbmate(binary))
            versions["dbmate"] = dbmate
    if "remote" in chosen:  # a tursodb server for each round
        if (tursodb := find_tursodb()) is None:
            skipped["remote"] = INSTALL_HINT
            chosen = [w for w in chosen if w != "remote"]
        else:
            versions["tursodb"] = tursodb_version(tursodb)
    for name, why in skipped.items():
        say(f"{name}: skipped: {why}")
    machine = {"python": found["python"], "sqlite": found["sqlite"],
               "platform": f"{platform.system()} {platform.machine()}", "cpus": os.cpu_count()}
    say(f"{machine['platform']}, {machine['cpus']} CPUs; {rounds} round{'s' if rounds != 1 else ''} a workload"
        f"{' (tiny)' if args.tiny else ''}\n" + "; ".join(f"{name} {v}" for name, v in versions.items()))

    titles = labels(sizes)
    work = Path(tempfile.mkdtemp(prefix="vfmigrate-bench-"))
    results = {}
    try:
        bench = Bench(work, tools, sizes, rounds, env, say)
        for workload in (w for w in WORKLOADS if w in chosen):
            say(f"· {titles[workload]}")
            try:
                results[workload] = RUN[workload](bench)
            except BenchError as exc:  # its files or databases could not be set up
                say(f"  failed, left out: {exc}")
                results[workload] = [Case(t.name, float, error=str(exc)) for t in tools[:2]]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows, targets = report.rows(results, titles), report.targets(results, titles)
    panel_rows = [r for r in rows if r["workload"] == "panel"]  # in-process steps, against the old table
    if tools_rows := [r for r in rows if r["workload"] != "panel"]:
        say("\n" + report.table(tools_rows) + "\n× floor: the median over the rounds of the time ÷ the floor's time "
            "in the same round; 95% CI: a distribution-free confidence interval of that median.\nfloor: plain sqlite3 "
            "in one process of the same Python: each migration in BEGIN ... COMMIT with its tracking row (up --tx "
            "all: the whole run in one); status reads every file; the fleet: the same for each database in a pool of "
            "2 processes (BEGIN IMMEDIATE), the folder read once; over HTTP: urllib and json sending vfmigrate's "
            "batches, one a migration, to a fresh tursodb.")
    if panel_rows:
        say("\n" + report.table(panel_rows, "styler") + "\nthe panel: each step timed around the call alone, in one "
            "Python process of the bench's environment; × styler: the median over the rounds of the time ÷ the time "
            "of the old Styler table of the same size in the same round.\nread: commands.status (the files and the "
            "database); styler: reports.status_table(frames.status_frame(status)).to_html(), the table before; "
            "redraw: panel.show(status); refresh: panel.refresh_table(), a click on Refresh (read + redraw).")
    tiny = " (tiny sizes, not the budget's)" if args.tiny else ""
    say(f"\nthe budget{tiny}:\n" + report.targets_text(targets))

    data = {"schema": 2, "started": stamp.isoformat(timespec="seconds"), "mode": "tiny" if args.tiny else "full",
            "rounds": rounds, "sizes": sizes.__dict__, "machine": machine, "tools": versions, "skipped": skipped,
            "workloads": {w: titles[w] for w in results}, "rows": rows, "targets": targets,
            "seconds": round(time.perf_counter() - started, 1)}
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / (f"run-{stamp:%Y%m%dT%H%M%SZ}" + ("-tiny" if args.tiny else ""))
    report.write_json(path.with_suffix(".json"), data)
    why_not = report.write_chart(path.with_suffix(".png"), rows, f"vfmigrate bench {stamp:%Y-%m-%d}: "
                                 + "; ".join(f"{n} {v}" for n, v in versions.items()))
    say(f"\nwrote {path.with_suffix('.json')}\n" + (f"chart: skipped: {why_not}" if why_not else
                                                   f"wrote {path.with_suffix('.png')}"))
    say(f"took {time.perf_counter() - started:.0f} s")
    return 1 if any(r["error"] for r in rows if r["tool"] in ("floor", "vfmigrate") or r["workload"] == "panel") else 0
