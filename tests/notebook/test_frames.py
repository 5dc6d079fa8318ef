"""DataFrames and styled reports built from the engine's result objects."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from vfmigrate_magic.engine.config import Target
from vfmigrate_magic.engine.results import (
    ExecutionMode,
    HistoryEvent,
    MigrationResult,
    MigrationState,
    RunReport,
    StatementResult,
    StatusEntry,
    StatusReport,
)
from vfmigrate_magic.notebook import frames, reports

STATUS = StatusReport(database="app.db", migrations_dir="migrations", current_version=2, entries=(
    StatusEntry(1, "create_users", MigrationState.APPLIED, "2025-10-27 09:00:00", 12, "a" * 40, "a" * 40, True),
    StatusEntry(2, "add_roles", MigrationState.MODIFIED, "2025-10-28 10:30:00", 3, "b" * 40, "c" * 40, False),
    StatusEntry(3, "gone", MigrationState.MISSING, "2025-10-29 11:00:00", 0, "d" * 40, "d" * 40, None),
    StatusEntry(4, "add_index", MigrationState.PENDING, checksum="e" * 40, reversible=True),
))


def test_status_frame_columns_types_and_checksum_states():
    df = frames.status_frame(STATUS)
    assert df["checksum"].tolist() == ["ok", "changed", "no file", ""]
    assert df["state"].tolist() == ["applied", "modified", "missing", "pending"]
    assert str(df["applied_at"].dtype).startswith("datetime64")
    assert df["applied_at"].iloc[1] == pd.Timestamp("2025-10-28 10:30:00")
    assert pd.isna(df["applied_at"].iloc[3]) and pd.isna(df["execution_time_ms"].iloc[3])
    assert df["execution_time_ms"].dtype == "float64"
    assert df["reversible"].tolist()[:2] == ["not verified", "no DOWN"] and pd.isna(df["reversible"].iloc[2])
    assert df.attrs == {"database": "app.db", "current_version": 2, "migrations": "migrations"}


def test_status_frame_built_by_columns_equals_one_built_row_by_row():
    for report in (STATUS, StatusReport("app.db", "migrations", 0, ())):
        rows = [{"version": e.version, "name": e.name, "state": e.state.value, "applied_at": e.applied_at,
                 "execution_time_ms": e.execution_time_ms, "checksum": frames.CHECKSUM_STATE[e.state],
                 "reversible": e.reversibility} for e in report.entries]
        for database in (None, "settings"):
            pd.testing.assert_frame_equal(frames.status_frame(report, database),
                                          frames._frame(rows, frames.STATUS_COLUMNS, database))


def test_iso_times_with_a_t_or_z_read_as_the_same_utc_time():
    entry = StatusEntry(1, "x", MigrationState.APPLIED, "2025-10-27T09:00:00Z", 1, "a", "a", True)
    report = StatusReport("app.db", "migrations", 1, (entry,))
    assert frames.status_frame(report)["applied_at"].iloc[0] == pd.Timestamp("2025-10-27 09:00:00")


def test_empty_frames_keep_their_columns():
    empty = StatusReport("app.db", "migrations", 0, ())
    assert list(frames.status_frame(empty).columns) == frames.STATUS_COLUMNS
    assert list(frames.history_frame([]).columns) == frames.HISTORY_COLUMNS
    run = RunReport("app.db", "up", ExecutionMode.APPLY, (), 3, 3)
    assert list(frames.run_frame(run).columns) == frames.RUN_COLUMNS
    assert frames.run_frame(run).attrs["summary"] == "Already up to date (version 3)"


def test_run_frame_of_a_dry_run_lists_objects_and_statements():
    result = MigrationResult(5, "add_index", "up", ExecutionMode.DRY_RUN, 1.23456, rows_changed=4,
                             statements=(StatementResult(1, 7, "UPDATE t SET x = 1;", 4),
                                         StatementResult(2, 8, "CREATE INDEX i ON t(x);", 0)),
                             created=("index i",), dropped=("index old",))
    report = RunReport("app.db", "up", ExecutionMode.DRY_RUN, (result,), 4, 4)
    df = frames.run_frame(report)
    assert df.iloc[0].to_dict() == {"version": 5, "name": "add_index", "direction": "up", "mode": "dry-run",
                                    "duration_ms": 1.235, "rows_changed": 4, "statements": 2,
                                    "creates": "index i", "drops": "index old", "alters": ""}
    st = frames.statements_frame(report)
    assert st[["statement", "line", "sql", "rows_changed"]].values.tolist() == [
        [1, 7, "UPDATE t SET x = 1;", 4], [2, 8, "CREATE INDEX i ON t(x);", 0]]


def test_history_of_several_databases_is_one_frame_in_time_order():
    def event(at, version):
        return HistoryEvent(at, "x.db", version, f"m{version}", "up", "apply", "ok", 1.0, 2)

    a, b = Target(database="a.db", migrations="ma", name="a"), Target(database="b.db", migrations="mb", name="b")
    df = frames.history_frames([(a, [event("2025-01-01 10:00:00", 1), event("2025-01-03 10:00:00", 2)]),
                                (b, [event("2025-01-02 10:00:00", 1)])])
    assert df[["database", "version"]].values.tolist() == [["a", 1], ["b", 1], ["a", 2]]
    assert list(df.columns) == ["database", *frames.HISTORY_COLUMNS]


def test_timing_bars_draw_the_time_column_with_a_fixed_table_id():
    html = reports.timing_bars(frames.status_frame(STATUS)).to_html()
    assert re.search(r'<table id="T_vfm\d+"', html)
    assert "linear-gradient(90deg" in html
    assert ">12.0<" in html and ">3.0<" in html
    with pytest.raises(ValueError, match="no time column"):
        reports.timing_bars(pd.DataFrame({"a": [1]}))


def test_status_table_marks_and_colours_each_state():
    html = reports.status_table(frames.status_frame(STATUS)).to_html()
    for text in ("✓ applied", "! modified", "? missing", "· pending"):
        assert text in html
    assert "background-color: #e6f4ea" in html and "background-color: #fde7e9" in html
    assert ">NaT<" not in html and ">nan<" not in html
