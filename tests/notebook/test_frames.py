"""DataFrames and styled reports built from the engine's result objects, and how a notebook
shows them (their HTML)."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from nbhelpers import write_migration
from vfmigrate_magic.engine import commands
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
    assert ">12.000<" in html and ">3.000<" in html
    assert "rgba(25, 118, 210, 0.4)" in html  # a see-through bar: the theme's text stays readable
    with pytest.raises(ValueError, match="no time column"):
        reports.timing_bars(pd.DataFrame({"a": [1]}))


def test_status_table_marks_each_state_with_a_bar_not_a_row_colour():
    html = reports.status_table(frames.status_frame(STATUS)).to_html()
    for text in ("✓ applied", "! modified", "? missing", "· pending"):
        assert text in html
    assert "background" not in html  # a light tint under the dark theme's light text is unreadable
    for colour in ("--jp-success-color1", "--jp-error-color1", "--jp-warn-color1"):
        assert f"border-left: 4px solid var({colour}" in html
    assert "#T_vfm" in html and "_row0_col0 {\n  border-left: 4px solid var(--jp-success-color1" in html
    assert ">NaT<" not in html and ">nan<" not in html and ">12.000<" in html


# How a notebook shows the frames: their _repr_html_, from real engine results.

def cells(html: str) -> list[list[str]]:
    """The text of each body row's cells."""
    body = html.split("<tbody>")[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("</tr>")[:-1]]


def header(html: str) -> list[str]:
    return re.findall(r"<th(?: [^>]*)?>(.*?)</th>", html)


@pytest.fixture
def target(app) -> Target:
    """``app.db`` with the first of its two migrations applied: one applied row, one pending."""
    target = Target(database=Path("app.db"), migrations=Path("migrations"))
    commands.up(target, to=1)
    return target


def test_status_frame_shows_no_index_and_blanks_for_a_pending_row(target):
    df = frames.status_frame(commands.status(target))
    html = df._repr_html_()
    assert header(html) == frames.STATUS_COLUMNS  # no index column before version
    applied, pending = cells(html)
    assert applied[:3] == ["1", "create_users", "applied"] and re.fullmatch(r"\d+", applied[4])
    assert pending == ["2", "add_email_index", "pending", "", "", "", "not verified"]
    for text in ("NaT", "NaN", "nan", "None", "<NA>"):
        assert text not in html


def test_text_cells_are_left_aligned_and_numbers_right_aligned(target):
    html = frames.status_frame(commands.status(target))._repr_html_()
    right, left = 'style="text-align: right"', 'style="text-align: left"'
    time = 'style="text-align: right; font-variant-numeric: tabular-nums"'  # figures of equal width
    assert re.findall(r"<th (style=\"[^\"]*\")>", html) == [right, left, left, left, time, left, left]
    first = re.search(r"<tr><td.*?</tr>", html).group(0)
    assert re.findall(r"<td (style=\"[^\"]*\")>", first) == [right, left, left, left, time, left, left]


def test_measured_durations_show_three_decimals_and_the_tracking_tables_whole_ms_none(target):
    status = frames.status_frame(commands.status(target))
    assert status["execution_time_ms"].dtype == "float64"
    # The tracking table keeps whole milliseconds: decimals would claim a precision it lacks.
    assert re.fullmatch(r"\d+", cells(status._repr_html_())[0][4])
    run = frames.run_frame(commands.up(target))
    assert re.fullmatch(r"\d+\.\d{3}", cells(run._repr_html_())[0][4])
    text = repr(run)
    assert re.search(r"\b\d+\.\d{3}\b", text) and "NaT" not in repr(status) and "NaN" not in repr(status)


# A 200-character statement with spaces to wrap at (pandas cuts text at display.max_colwidth, 50).
LONG_SQL = "UPDATE users SET email = trim(email) WHERE id IN (" + ", ".join(str(n) for n in range(100, 130)) + ");"


def test_statement_sql_is_shown_whole_however_long():
    result = MigrationResult(3, "lower_emails", "up", ExecutionMode.DRY_RUN, 0.5, rows_changed=0,
                             statements=(StatementResult(1, 7, LONG_SQL, 0),))
    html = frames.statements_frame(RunReport("app.db", "up", ExecutionMode.DRY_RUN, (result,), 2, 2))._repr_html_()
    assert len(LONG_SQL) == 200 and f">{LONG_SQL}<" in html


def test_a_dry_run_brings_a_long_statement_to_the_frame_whole(app):
    write_migration(app / "migrations", "003_lower_emails.sql", LONG_SQL, "SELECT 1;")
    report = commands.up(Target(database=Path("app.db"), migrations=Path("migrations")), dry_run=True)
    assert f">{LONG_SQL}<" in frames.statements_frame(report)._repr_html_()


def test_slices_copies_and_sorts_keep_the_display_and_stay_dataframes(target):
    df = frames.status_frame(commands.status(target))
    assert isinstance(df, pd.DataFrame) and len(df) == 2
    assert df["version"].tolist() == [1, 2] and type(df["version"]) is pd.Series
    assert (df["state"] == "pending").tolist() == [False, True]
    for part in (df[["version", "name", "state"]], df[df["state"] == "pending"], df.iloc[1:], df.copy(),
                 df.sort_values("version", ascending=False), pd.concat([df, df])):
        assert isinstance(part, frames.MigrationFrame)
        html = part._repr_html_()
        assert header(html) == list(part.columns) and "NaT" not in html and "NaN" not in html
    assert df[df["state"] == "pending"].attrs == df.attrs


def test_a_frame_reshaped_around_a_meaningful_index_keeps_it_on_display(target):
    df = frames.status_frame(commands.status(target), database="app")
    by_version = df.set_index("version")
    assert ">version</th>" in by_version._repr_html_() and repr(by_version).splitlines()[1].startswith("version")
    counts = df.pivot_table(index="database", columns="state", values="version", aggfunc="count", fill_value=0)
    assert "<th>app</th>" in counts._repr_html_()  # pandas' own display, group labels and all


def test_a_huge_frame_shows_its_head_and_tail_as_pandas_cuts_it():
    entries = tuple(StatusEntry(n, f"m{n}", MigrationState.PENDING, checksum="e" * 40, reversible=True)
                    for n in range(1, 10_001))
    df = frames.status_frame(StatusReport("app.db", "migrations", 0, entries))
    with pd.option_context("display.max_rows", 60, "display.min_rows", 10):
        html = df._repr_html_()
    assert [row[0] for row in cells(html)] == ["1", "2", "3", "4", "5", "...", "9996", "9997", "9998", "9999", "10000"]
    assert html.endswith("<p>10000 rows × 7 columns</p>")
    with pd.option_context("display.max_rows", None):
        assert len(cells(df._repr_html_())) == 10_000


def test_every_frame_of_the_notebook_layer_displays_without_its_index(target):
    commands.up(target)
    status = commands.status(target)
    shown = [frames.status_frame(status), frames.history_frame(commands.history(target)),
             frames.run_frame(commands.up(target, dry_run=True)), frames.verify_frame(commands.verify(target)),
             frames.findings_frame(commands.lint(target).findings)]
    for df in shown:
        html = df._repr_html_()
        assert header(html) == list(df.columns)
        assert html.startswith('<table class="dataframe"') and "NaT" not in html and "NaN" not in html
