"""The benchmark suite runs in its tiny mode, so it cannot rot: every workload has its rows.

Timings are not checked here (they are goals for the code, read from a full run of
``python -m bench``); only that each workload ran vfmigrate and the floor.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORKLOADS = ["up", "status", "noop-up", "down", "cold-help", "cold-status", "status-many",
             "data", "data-dry-run", "down-backup"]


def test_tiny_bench_has_a_row_for_every_workload_for_vfmigrate_and_the_floor(tmp_path: Path):
    done = subprocess.run([sys.executable, "-m", "bench", "--tiny", "--out", str(tmp_path)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    (result,) = tmp_path.glob("run-*-tiny.json")
    data = json.loads(result.read_text(encoding="utf-8"))

    assert data["mode"] == "tiny" and data["runs"] == 1
    assert data["workloads"] == WORKLOADS
    timed = {(r["workload"], r["tool"]) for r in data["rows"] if not r["skipped"] and r["median_s"] is not None}
    missing = [(w, t) for w in WORKLOADS for t in ("floor", "vfmigrate") if (w, t) not in timed]
    assert missing == []
    # No peers in tiny mode; the notebook row is there, or says why it was skipped.
    assert {r["tool"] for r in data["rows"]} <= {"floor", "vfmigrate", "vfmigrate --no-backup", "vfmigrate (script)",
                                                "floor, journal kept",
                                                "vfmigrate (no cache)",
                                                "vfmigrate %migrate", "vfmigrate %migrate (1st call)", "backup alone"}
    assert any(r["workload"] == "status-many" and r["tool"] == "vfmigrate %migrate" for r in data["rows"])
    assert data["dry_run_check"]["copies"] is False
    assert "dry run copies the database: no" in done.stdout
    # up and the data migration give the floor and vfmigrate rounds of their own after the
    # shared ones (two in tiny mode), paired for the ratio.
    runs = {(r["workload"], r["tool"]): r["runs"] for r in data["rows"]}
    assert [runs[w, t] for w in ("up", "data") for t in ("floor", "vfmigrate")] == [2, 2, 2, 2]
    # The floor keeping one journal for the run, as vfmigrate does: vfmigrate's `up` against it.
    assert runs["up", "floor, journal kept"] == 2
    assert data["vfmigrate_to_floor_with_journal_kept"]["rounds"] == 2
    assert runs["status", "vfmigrate"] == 1

    # The printed table names every workload, and the chart is written or skipped with one line.
    for label in {r["label"] for r in data["rows"]}:
        assert label in done.stdout
    assert ("wrote " + str(result.with_suffix(".png"))) in done.stdout or "chart: skipped: matplotlib" in done.stdout
