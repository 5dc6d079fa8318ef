"""The benchmark runs in its tiny mode, so it cannot rot: it installs this checkout into an
environment of its own, and every workload has its floor and vfmigrate rows.

Timings are not checked here: they are goals for the code, read from a full run of
``python -m bench`` (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORKLOADS = ["up", "data", "cold-status", "status", "noop-up", "status-1k", "status-10k"]


def test_tiny_bench_installs_the_checkout_and_times_vfmigrate_and_the_floor_in_every_workload(tmp_path: Path):
    out, cache = tmp_path / "out", tmp_path / "cache"
    done = subprocess.run([sys.executable, "-m", "bench", "--tiny", "--out", str(out), "--cache", str(cache)],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    (result,) = out.glob("run-*-tiny.json")
    data = json.loads(result.read_text(encoding="utf-8"))

    # What was timed is the console script of the bench's own environment, a regular install.
    venv = next(cache.glob("venv-py*"))
    assert (venv / "bin" / "vfmigrate").is_file() or (venv / "Scripts" / "vfmigrate.exe").is_file()
    assert not list(venv.glob("lib/python*/site-packages/__editable__*"))
    assert list(venv.glob("lib/python*/site-packages/vfmigrate_magic/cli.py"))

    assert data["mode"] == "tiny" and data["rounds"] == 1
    assert list(data["workloads"]) == WORKLOADS
    rows = {(r["workload"], r["tool"]): r for r in data["rows"]}
    assert set(rows) == {(w, t) for w in WORKLOADS for t in ("floor", "vfmigrate")}  # no peers in tiny mode
    for row in rows.values():
        assert row["error"] == "" and row["rounds"] == 1 and len(row["times_s"]) == 1
        assert row["median_s"] == row["times_s"][0] > 0
        assert row["ratio"] == row["median_s"] / rows[row["workload"], "floor"]["median_s"]
        assert row["ratio_ci"] is None  # one round gives no interval
    assert data["tools"]["vfmigrate"].startswith("0.") and "SQLite" in data["tools"]["floor"]

    # Every target of the budget is reported; those against a peer are not measured without peers.
    targets = {(t["workload"], t["against"]): t for t in data["targets"]}
    assert set(targets) == {("up", "floor"), ("data", "floor"), ("cold-status", "yoyo"), ("cold-status", "alembic"),
                            ("status", "yoyo"), ("noop-up", "yoyo"), ("status-1k", None), ("status-10k", None)}
    for (_, against), target in targets.items():
        measured = against in ("floor", None)
        assert (target["value"] is not None) is measured and (target["met"] is not None) is measured
    assert targets["status-1k", None]["value"] == rows["status-1k", "vfmigrate"]["median_s"]

    # The printed table names every workload; the chart is written or skipped with one line.
    for label in data["workloads"].values():
        assert label in done.stdout
    assert f"wrote {result.with_suffix('.png')}" in done.stdout or "chart: skipped: matplotlib" in done.stdout
