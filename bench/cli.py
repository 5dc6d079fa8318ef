"""``python -m bench``: run the workloads, print the table, write JSON and a PNG chart."""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import report, workloads_schema
from .npm import default_cache, install_dbmate
from .suite import FLOOR_MEANING, FULL, TINY, WORKLOADS, Suite
from .tools import HERE, Alembic, Dbmate, Floor, Tool, Vfmigrate, Yoyo

REPO = HERE.parent
# Settings a user may have exported that would steer vfmigrate away from the bench's files.
CLEARED_ENV = ("DATABASE_PATH", "MIGRATIONS_DIR", "VFMIGRATE_BUSY_TIMEOUT", "VFMIGRATE_BACKUP", "DATABASE_URL",
               "VFMIGRATE_NO_CACHE", "VFMIGRATE_CACHE_DIR")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Time vfmigrate against plain sqlite3 (the floor) and against yoyo, Alembic and dbmate.",
    )
    parser.add_argument("--tiny", action="store_true", help="a few migrations, one run, no peers (the smoke test)")
    parser.add_argument("--runs", type=int, metavar="N", help="timed runs per tool and workload (default 7; cold starts 4x as many; up and the data migration 3x, and 12x for the floor and vfmigrate; 1 with --tiny)")
    parser.add_argument("--no-peers", action="store_true", help="only vfmigrate and the floor")
    parser.add_argument("--only", action="append", choices=WORKLOADS, metavar="WORKLOAD",
                        help=f"run only this workload (repeatable): {', '.join(WORKLOADS)}")
    parser.add_argument("--out", type=Path, default=HERE / "results", metavar="DIR",
                        help="where the JSON and PNG go (default bench/results)")
    parser.add_argument("--compare", type=Path, metavar="JSON", help="show an earlier run's figures beside these")
    parser.add_argument("--cache", type=Path, default=default_cache(), metavar="DIR",
                        help="where npm installs dbmate (default ~/.cache/vfmigrate_magic-bench)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work folder and say where it is")
    args = parser.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        parser.error("--runs must be 1 or more")
    return args


def subprocess_env() -> dict[str, str]:
    """The environment every tool runs in: no stray vfmigrate settings, and this checkout of
    vfmigrate_magic importable (PYTHONPATH only when it is not installed from here)."""
    env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
    probe = subprocess.run([sys.executable, "-c", "import vfmigrate_magic; print(vfmigrate_magic.__file__)"],
                           cwd=tempfile.gettempdir(), env=env, capture_output=True, text=True)
    here = (REPO / "vfmigrate_magic" / "__init__.py").resolve()
    if probe.returncode != 0 or Path(probe.stdout.strip()).resolve() != here:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def compile_vfmigrate() -> None:
    """Write vfmigrate_magic's bytecode (``__pycache__``) before anything is timed, as
    ``pip install`` does for an installed package. The standard library (the floor) and the
    peers run from bytecode; without this, where PYTHONDONTWRITEBYTECODE is set, an editable
    install of vfmigrate would compile its sources at every start (about 13 ms a command)."""
    import compileall

    compileall.compile_dir(REPO / "vfmigrate_magic", quiet=1)


def peers(args: argparse.Namespace, say) -> tuple[list[Tool], dict[str, str]]:
    """The peers that can run here, and why the others cannot (one printed line each)."""
    tools: list[Tool] = []
    skipped: dict[str, str] = {}
    if args.tiny or args.no_peers:
        return tools, skipped
    for tool, modules in ((Yoyo(), ("yoyo",)), (Alembic(), ("alembic", "sqlalchemy"))):
        if all(importlib.util.find_spec(m) for m in modules):
            tools.append(tool)
        else:
            skipped[tool.name] = "not installed (pip install -e '.[bench]')"
    binary, version = install_dbmate(args.cache)
    if binary is not None:
        tools.append(Dbmate(binary, version))
    else:
        skipped["dbmate"] = version
    for name, why in skipped.items():
        say(f"{name}: skipped: {why}")
    return tools, skipped


def commands(tools: list[Tool]) -> dict[str, dict[str, str]]:
    """How each tool is run, for whoever repeats this bench by other means."""
    folder = Path("FOLDER")
    out = {}
    for tool in tools:
        out[tool.name] = {what: " ".join(argv) for what, argv in (
            ("up", tool.up(folder)[0]), ("status", tool.status(folder)[0]), ("down", tool.down(folder, 100, [])[0]),
            ("help", tool.help()[0]))}
    return out


def machine() -> dict[str, object]:
    return {"python": sys.version.split()[0], "executable": sys.executable, "sqlite": sqlite3.sqlite_version,
            "platform": platform.platform(), "cpus": os.cpu_count()}


def _against_kept_journal(rows: list) -> dict | None:
    """vfmigrate's `up` against the floor with one journal for the run, as vfmigrate keeps it."""
    by = {(r.workload, r.tool): r for r in rows if r.times}
    ours, kept = by.get(("up", "vfmigrate")), by.get(("up", workloads_schema.KEPT_JOURNAL))
    return report.ratio_between(ours, kept) if ours and kept else None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = TINY if args.tiny else FULL
    runs = args.runs or (1 if args.tiny else 7)
    say = lambda text: print(text, flush=True)  # noqa: E731
    started = time.perf_counter()
    stamp = dt.datetime.now(dt.timezone.utc)

    env = subprocess_env()
    compile_vfmigrate()
    peer_tools, skipped_tools = peers(args, say)
    tools = [Floor(), Vfmigrate(), *peer_tools]
    script = Path(sys.executable).parent / ("vfmigrate.exe" if os.name == "nt" else "vfmigrate")
    versions = {t.name: t.version() for t in tools}
    info = machine()
    say(f"Python {info['python']} ({sys.executable}), SQLite {info['sqlite']}, {info['cpus']} CPUs; "
        f"{runs} run{'s' if runs != 1 else ''} each{' (tiny)' if args.tiny else ''}")
    say("tools: " + "; ".join(f"{name} {v}" for name, v in versions.items()))

    work = Path(tempfile.mkdtemp(prefix="vfmigrate-bench-"))
    env["VFMIGRATE_CACHE_DIR"] = str(work / "summary-cache")  # status's cache: this run's own
    try:
        suite = Suite(work, tools, sizes, runs, env, say, script if script.is_file() else None, skipped_tools)
        rows = suite.run(set(args.only) if args.only else None)
    finally:
        if args.keep:
            say(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    report.add_ratios(rows)
    dry_run = suite.checks.get("dry_run")
    targets = report.targets(rows, sizes.small, dry_run) if not args.tiny else []
    earlier = report.load_earlier(args.compare) if args.compare else None
    say("")
    say(report.table(rows, earlier))
    say("× floor: the median over the rounds of time ÷ the floor's time in the same round "
        "(each round runs every tool once, back to back); 95% CI: a confidence interval of that median; "
        "med ÷ med: the ratio of the medians")
    if sizes.paired_runs_factor > sizes.noisy_runs_factor:
        shared, more = runs * sizes.noisy_runs_factor, runs * (sizes.paired_runs_factor - sizes.noisy_runs_factor)
        say(f"up and the data migration: {shared} round{'s' if shared != 1 else ''} of every tool, then "
            f"{more} more of the floor and vfmigrate alone (in up, with the floor keeping its journal)")
    say("floor: plain sqlite3 running the same SQL, each migration in BEGIN ... COMMIT with its tracking row")
    for workload, meaning in FLOOR_MEANING.items():
        if any(r.workload == workload for r in rows):
            say(f"       except {suite.labels[workload]}: {meaning}")
    if targets:
        say("\ntargets (issue 5):")
        say(report.targets_text(targets))
    elif dry_run:
        say(f"\ndry run copies the database: {'yes' if dry_run['copies'] else 'no'} ({dry_run['why']})")
    like_for_like = _against_kept_journal(rows)
    if like_for_like:
        ci = like_for_like["ratio_ci"]
        say(f"\nalso: vfmigrate keeps one rollback journal for a run of migrations; against the floor doing the same "
            f"(up, {like_for_like['rounds']} rounds): {like_for_like['ratio']:.2f}×"
            + (f" (95% CI {ci[0]:.2f}–{ci[1]:.2f})" if ci else ""))

    data = {
        "schema": 1, "started": stamp.isoformat(timespec="seconds"), "seconds": round(time.perf_counter() - started, 1),
        "argv": sys.argv[1:] if argv is None else list(argv), "mode": "tiny" if args.tiny else "full", "runs": runs,
        "sizes": sizes.__dict__, "machine": info, "tools": versions, "skipped_tools": skipped_tools,
        "floor": FLOOR_MEANING, "commands": commands(tools), "workloads": [w for w in WORKLOADS if not args.only or w in args.only],
        "rows": [report.row_dict(r) for r in rows], "targets": targets,
        "vfmigrate_to_floor_with_journal_kept": like_for_like, "dry_run_check": dry_run,
        "big_db_bytes": suite.checks.get("big_db_bytes"),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    name = f"run-{stamp:%Y%m%dT%H%M%SZ}" + ("-tiny" if args.tiny else "")
    json_path, png_path = args.out / f"{name}.json", args.out / f"{name}.png"
    report.write_json(json_path, data)
    title = (f"vfmigrate bench {stamp:%Y-%m-%d}: Python {info['python']}, SQLite {info['sqlite']}, {info['cpus']} CPUs, "
             f"median of {runs} run{'s' if runs != 1 else ''} (up and data: {runs * sizes.noisy_runs_factor}, "
             f"{runs * sizes.paired_runs_factor} for the floor and vfmigrate)\n" + "; ".join(f"{n} {v}" for n, v in versions.items() if n != "floor"))
    why_not = report.write_chart(png_path, rows, title)
    complete = not args.tiny and not args.only and not args.no_peers
    if complete:
        shutil.copyfile(json_path, args.out / "latest.json")
        if why_not is None:
            shutil.copyfile(png_path, args.out / "latest.png")
    say(f"\nwrote {json_path}" + (f" (and {args.out / 'latest.json'})" if complete else ""))
    say(f"chart: skipped: {why_not}" if why_not else f"wrote {png_path}")
    say(f"took {time.perf_counter() - started:.0f} s")
    ours = [r for r in rows if r.tool in ("floor", "vfmigrate") and r.skipped]
    return 1 if ours else 0
