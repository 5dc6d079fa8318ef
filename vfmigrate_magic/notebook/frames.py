"""The engine's result objects as pandas DataFrames: fixed columns, in a fixed order.

Times are UTC (``applied_at``, ``at``) and durations float milliseconds, so a frame looks the
same on every machine apart from the times themselves. A frame that covers several databases
starts with a ``database`` column (the configured name, else the path).

Each frame is a :class:`MigrationFrame`: an ordinary DataFrame that a notebook shows without
the 0..n index, with blanks for missing values, text left-aligned and SQL whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

import pandas as pd
from pandas.api.types import is_bool_dtype, is_float_dtype, is_integer_dtype, is_numeric_dtype
from pandas.io.formats.format import get_dataframe_repr_params

from ..engine.config import Target
from ..engine.results import (
    CreatedMigration,
    ExecutionMode,
    HistoryEvent,
    MigrationState,
    RunReport,
    StatusReport,
    display_path,
)

STATUS_COLUMNS = ["version", "name", "state", "applied_at", "execution_time_ms", "checksum", "reversible"]
RUN_COLUMNS = ["version", "name", "direction", "mode", "duration_ms", "rows_changed", "statements"]
DRY_RUN_COLUMNS = [*RUN_COLUMNS, "creates", "drops", "alters"]
STATEMENT_COLUMNS = ["version", "name", "statement", "line", "sql", "rows_changed"]
HISTORY_COLUMNS = ["at", "version", "name", "direction", "mode", "status", "duration_ms", "rows_changed", "error"]
CREATED_COLUMNS = ["version", "name", "path"]

# What the checksum column says for each state: does the file still match what was applied?
CHECKSUM_STATE = {
    MigrationState.APPLIED: "ok",
    MigrationState.MODIFIED: "changed",
    MigrationState.MISSING: "no file",
    MigrationState.PENDING: "",
    MigrationState.OUT_OF_ORDER: "",
}
_STATE_VALUE = {state: state.value for state in MigrationState}
_DTYPES = {
    "version": "int64", "rows_changed": "int64", "statements": "int64", "statement": "int64", "line": "int64",
    "duration_ms": "float64", "execution_time_ms": "float64",
}


# The time columns, in the order a table or chart of times takes them: a run's measured
# duration_ms, else the tracking table's execution_time_ms.
TIME_COLUMNS = ("duration_ms", "execution_time_ms")
# Durations (``duration_ms``, ``execution_time_ms``) everywhere in the notebook layer: float
# milliseconds with three decimals, so whole and sub-millisecond times read alike.
DURATION_FORMAT = "{:.3f}"
# Inline styles, not a <style> block: JupyterLab keeps a style attribute in an untrusted notebook
# (one opened from elsewhere) but drops <style> elements. Text cells are left-aligned, numbers
# right-aligned (JupyterLab aligns every cell right). Long text wraps at spaces (JupyterLab's
# cells have ``white-space: normal``); a word longer than its column (a path) breaks, through
# the table's ``overflow-wrap``, which its cells inherit.
TABLE_STYLE = "overflow-wrap: break-word"
TEXT_CELL = "text-align: left"
NUMBER_CELL = "text-align: right"
# Times (the *_ms columns) in figures of equal width, so they line up.
TIME_CELL = "text-align: right; font-variant-numeric: tabular-nums"


class MigrationFrame(pd.DataFrame):
    """A DataFrame of the notebook layer: selecting, filtering, comparing, ``.attrs`` and
    ``len`` work as on any DataFrame; only its display differs (see :func:`frame_html`).

    pandas' documented way to keep a subclass through slices, copies and ``concat`` is a
    ``_constructor`` that returns it ("Extending pandas: subclassing pandas data structures");
    a column (``df["version"]``) stays a plain Series. A frame reshaped so that its index
    means something (``set_index``, ``pivot_table``, ``.T``) is shown as pandas shows it.
    """

    @property
    def _constructor(self):
        return MigrationFrame

    def _repr_html_(self) -> str | None:
        """The notebook's view; pandas' own when ``display.large_repr`` is "info", HTML is off
        or the index holds more than row numbers."""
        if self._info_repr() or not pd.get_option("display.notebook_repr_html") or not self._rows_only():
            return super()._repr_html_()
        return frame_html(self)

    def __repr__(self) -> str:
        """The text view (terminal, text/plain): pandas' rules for size, without the index,
        with blanks for missing values and durations with three decimals."""
        if self._info_repr() or not self._rows_only():
            return super().__repr__()
        # pandas' own repr parameters (display.max_rows, width, ...), as DataFrame.__repr__ uses them.
        formatters = {name: _duration_text for name, values in self.items() if _is_duration(values)}
        return self.to_string(**get_dataframe_repr_params(), index=False, na_rep="", formatters=formatters)

    def _rows_only(self) -> bool:
        """Whether the index is only row numbers (0..n, or what a filter left of them): unnamed
        integers, and one level of plain column names. Such an index is left out of the display."""
        index = self.index
        return (index.nlevels == 1 and index.name is None and is_integer_dtype(index.dtype)
                and self.columns.nlevels == 1)


def frame_html(df: pd.DataFrame) -> str:
    """The HTML table a notebook shows for ``df``: no index column; a blank for None, NaN and
    NaT; text left-aligned and whole (no cut at ``display.max_colwidth``; it wraps instead);
    numbers right-aligned; durations with three decimals. Colours are left to the notebook's
    theme. A long frame is cut as pandas cuts it: beyond ``display.max_rows`` rows, the first
    and last ``display.min_rows / 2`` with a row of "..." between, and its size below. All
    columns are shown (the frames have at most a dozen)."""
    styles = [(TIME_CELL if str(df.columns[i]).endswith("_ms") else NUMBER_CELL) if is_number_column(df.iloc[:, i])
              else TEXT_CELL for i in range(df.shape[1])]
    header = "".join(f'<th style="{style}">{escape(str(name), quote=False)}</th>'
                     for style, name in zip(styles, df.columns))
    max_rows, min_rows = pd.get_option("display.max_rows"), pd.get_option("display.min_rows")
    cut = bool(max_rows) and len(df) > max_rows
    if cut:
        half = max(min(min_rows or max_rows, max_rows) // 2, 1)
        ellipsis = "<tr>" + "".join(f'<td style="{style}">...</td>' for style in styles) + "</tr>"
        rows = [*_html_rows(df.iloc[:half], styles), ellipsis, *_html_rows(df.iloc[-half:], styles)]
    else:
        rows = _html_rows(df, styles)
    html = "\n".join([f'<table class="dataframe" style="{TABLE_STYLE}">', f"<thead><tr>{header}</tr></thead>",
                      "<tbody>", *rows, "</tbody>", "</table>"])
    show_dimensions = pd.get_option("display.show_dimensions")
    if show_dimensions is True or (cut and show_dimensions == "truncate"):
        html += f"\n<p>{len(df)} rows × {df.shape[1]} columns</p>"
    return html


def _html_rows(part: pd.DataFrame, styles: Sequence[str]) -> list[str]:
    columns = [_cell_texts(part.iloc[:, i]) for i in range(part.shape[1])]
    return ["<tr>" + "".join(f'<td style="{style}">{text}</td>' for style, text in zip(styles, cells)) + "</tr>"
            for cells in zip(*columns)]


def _cell_texts(values: pd.Series) -> list[str]:
    """A column's values as the table shows them, HTML-escaped: a blank for a missing value,
    a duration with three decimals, a whole float without ".0" (pandas turns a column of
    integers with a blank in it into floats: a line number reads 7, not 7.0), else ``str``."""
    if _is_duration(values):
        texts = map(DURATION_FORMAT.format, values)
    elif is_float_dtype(values.dtype):
        texts = (f"{v:.0f}" if float(v).is_integer() else str(v) for v in values)
    else:
        texts = map(str, values)
    return ["" if missing else escape(text, quote=False) for text, missing in zip(texts, values.isna())]


def time_column(df: pd.DataFrame) -> str | None:
    """The first of TIME_COLUMNS that ``df`` has (None: none)."""
    return next((c for c in TIME_COLUMNS if c in df.columns), None)


def is_number_column(values: pd.Series) -> bool:
    """Whether a column is shown as numbers (right-aligned): numeric, and not True/False."""
    return is_numeric_dtype(values.dtype) and not is_bool_dtype(values.dtype)


def _is_duration(values: pd.Series) -> bool:
    """A measured duration, shown with three decimals; not ``execution_time_ms``, which the
    tracking table keeps in whole milliseconds (decimals would claim a precision it lacks)."""
    return str(values.name).endswith("_ms") and values.name != "execution_time_ms" and is_number_column(values)


def _duration_text(value) -> str:
    return "" if pd.isna(value) else DURATION_FORMAT.format(value)


def _frame(rows: Iterable[dict], columns: Sequence[str], database: str | None = None) -> pd.DataFrame:
    return _typed(MigrationFrame(list(rows), columns=list(columns)), columns, database)


def _typed(df: pd.DataFrame, columns: Sequence[str], database: str | None) -> pd.DataFrame:
    for column in columns:
        if column in _DTYPES:
            df[column] = df[column].astype(_DTYPES[column])
        elif column in ("applied_at", "at"):
            # Stored as UTC text ("YYYY-MM-DD HH:MM:SS"); kept naive so it prints without "+00:00".
            times = pd.to_datetime(df[column], format="ISO8601", utc=True, errors="coerce")
            df[column] = times.dt.tz_localize(None)
    if database is not None:
        df.insert(0, "database", database)
    return df


def _concat(frames: Sequence[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    if len(frames) == 1:
        return frames[0]
    non_empty = [f for f in frames if len(f)]
    if not non_empty:
        return _frame([], columns, database="")[:0]
    return pd.concat(non_empty, ignore_index=True)


def status_frame(report: StatusReport, database: str | None = None) -> pd.DataFrame:
    """One row per migration: version, name, state, applied_at (UTC), execution_time_ms,
    checksum ("ok", "changed" after the file was edited, "no file"; blank while pending) and
    reversible: "verified" when the last ``verify`` of this very file proved its DOWN, "fails
    verify", "not verified", or "no DOWN"."""
    entries = report.entries
    if not entries:  # pandas would type the columns of empty lists as float, not object
        df = _frame([], STATUS_COLUMNS, database)
    else:
        # Column by column: a status often has thousands of rows, and a frame is built from
        # lists several times faster than from one dict per row.
        states = [e.state for e in entries]
        columns = {
            "version": [e.version for e in entries],
            "name": [e.name for e in entries],
            "state": list(map(_STATE_VALUE.__getitem__, states)),
            "applied_at": [e.applied_at for e in entries],
            "execution_time_ms": [e.execution_time_ms for e in entries],
            "checksum": list(map(CHECKSUM_STATE.__getitem__, states)),
            "reversible": [e.reversibility for e in entries],
        }
        df = _typed(MigrationFrame(columns, columns=STATUS_COLUMNS), STATUS_COLUMNS, database)
    df.attrs.update(database=display_path(report.database), current_version=report.current_version,
                    migrations=display_path(report.migrations_dir))
    return df


def status_frames(reports: Sequence[tuple[Target, StatusReport]]) -> pd.DataFrame:
    """``status_frame`` of one database, or all of them in one frame with a database column."""
    if len(reports) == 1:
        return status_frame(reports[0][1])
    df = _concat([status_frame(r, t.label) for t, r in reports], STATUS_COLUMNS)
    df.attrs.update(current_version={t.label: r.current_version for t, r in reports})
    return df


def run_frame(report: RunReport, database: str | None = None) -> pd.DataFrame:
    """One row per migration an ``up`` or ``down`` ran: direction, mode, duration_ms,
    rows_changed, statements; a dry run adds the objects it creates, drops and alters."""
    dry = report.mode is ExecutionMode.DRY_RUN
    rows = []
    for r in report.results:
        row = {
            "version": r.version, "name": r.name, "direction": r.direction,
            "mode": "skipped" if r.skipped else r.mode.value,
            "duration_ms": round(r.duration_ms, 3), "rows_changed": r.rows_changed,
            "statements": len(r.statements),
        }
        if dry:
            row.update(creates=", ".join(r.created), drops=", ".join(r.dropped),
                       alters=", ".join(getattr(r, "altered", ())))
        rows.append(row)
    df = _frame(rows, DRY_RUN_COLUMNS if dry else RUN_COLUMNS, database)
    df.attrs.update(database=display_path(report.database), version_before=report.version_before,
                    version_after=report.version_after, backup_path=report.backup_path,
                    summary=report.summary())
    return df


def run_frames(reports: Sequence[tuple[Target, RunReport]]) -> pd.DataFrame:
    """``run_frame`` of one database, or of several in one frame with a database column."""
    if len(reports) == 1:
        return run_frame(reports[0][1])
    dry = any(r.mode is ExecutionMode.DRY_RUN for _, r in reports)
    return _concat([run_frame(r, t.label) for t, r in reports], DRY_RUN_COLUMNS if dry else RUN_COLUMNS)


def statements_frame(report: RunReport) -> pd.DataFrame:
    """One row per statement run: its migration, number, file line, SQL (as the engine gives
    it; shown whole, wrapped) and the rows it changed -- what a dry run would do to the real data."""
    rows = ({"version": r.version, "name": r.name, "statement": s.index, "line": s.line, "sql": s.sql,
             "rows_changed": s.rows_changed} for r in report.results for s in r.statements)
    df = _frame(rows, STATEMENT_COLUMNS)
    df.attrs.update(database=display_path(report.database), summary=report.summary())
    return df


def history_frame(events: Sequence[HistoryEvent], database: str | None = None) -> pd.DataFrame:
    """One row per logged up, down, dry run or failure, oldest first, with its time (UTC),
    duration and rows changed; ``error`` says why a failed one failed."""
    rows = ({
        "at": e.at, "version": e.version, "name": e.name, "direction": e.direction, "mode": e.mode,
        "status": e.status, "duration_ms": round(float(e.duration_ms), 3), "rows_changed": e.rows_changed,
        "error": e.error or "",
    } for e in events)
    return _frame(rows, HISTORY_COLUMNS, database)


def history_frames(histories: Sequence[tuple[Target, Sequence[HistoryEvent]]]) -> pd.DataFrame:
    """The history of one database, or of all of them in one frame ordered by time."""
    if len(histories) == 1:
        return history_frame(histories[0][1])
    df = _concat([history_frame(e, t.label) for t, e in histories], HISTORY_COLUMNS)
    return df.sort_values("at", kind="stable", ignore_index=True)


def created_frame(created: CreatedMigration) -> pd.DataFrame:
    """The file ``create`` wrote: version, name and path."""
    return _frame([{"version": created.version, "name": created.name, "path": display_path(created.path)}],
                  CREATED_COLUMNS)


FINDING_COLUMNS = ["version", "file", "direction", "statement", "line", "kind", "object", "rows"]


def findings_frame(findings) -> pd.DataFrame:
    """``lint``'s findings (and a dry run's rows at risk): one row each."""
    import dataclasses

    return MigrationFrame([dataclasses.asdict(f) for f in findings], columns=FINDING_COLUMNS)


def verify_frame(report) -> pd.DataFrame:
    """``verify``: one row per migration, whether its DOWN reverses its UP and why not."""
    return MigrationFrame([{"version": m.version, "file": m.file, "ok": m.ok, "problems": "; ".join(m.problems)}
                           for m in report.migrations], columns=["version", "file", "ok", "problems"])


BACKUP_COLUMNS = ["path", "version", "created_at", "size"]


def backups_frame(backups: Sequence[tuple[Target, Sequence]]) -> pd.DataFrame:
    """``backups``: one row per backup file, oldest first: path, the version it holds, when
    it was written (UTC) and its size in bytes; with a database column for several."""
    several = len(backups) > 1
    rows = [{**({"database": t.label} if several else {}), "path": display_path(b.path),
             "version": b.version, "created_at": b.created_at[:19].replace("T", " "), "size": b.size}
            for t, found in backups for b in found]
    df = MigrationFrame(rows, columns=(["database"] if several else []) + BACKUP_COLUMNS)
    df["created_at"] = pd.to_datetime(df["created_at"])
    return df
