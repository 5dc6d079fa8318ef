"""Charts of the notebook layer's frames, drawn with matplotlib.

``timing_chart(df)`` draws each migration's time as a bar, ``version_timeline(history)`` each
database's version over time, and ``before_after_chart(before, after)`` row counts before and
after a data migration. Each returns a new figure built without pyplot, so no chart shares
state with another or with the user's own plots; in Jupyter the figure shows itself as a PNG.

Nothing else in the package imports this module when it is imported, so matplotlib is loaded
only by a notebook that draws a chart.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import matplotlib.dates as mdates
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from .frames import TIME_COLUMNS, time_column

RUN_DIRECTIONS = ("up", "down")
WIDTH = 8.0  # inches: about the width of a notebook's output area at the default dpi
BAR_INCHES = 0.3  # height given to each bar (or pair of bars) of a chart


class ChartFigure(Figure):
    """A matplotlib Figure that Jupyter shows as a PNG without pyplot or ``%matplotlib inline``
    (IPython only draws figures as images once pyplot has set its inline backend up)."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png")
        return buffer.getvalue()


def _require(df: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{what} needs the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}; "
                         f"this frame has: {', '.join(map(str, df.columns)) or 'no columns'}")


def _groups(df: pd.DataFrame) -> list[tuple[str | None, pd.DataFrame]]:
    """The frame's rows per database, in the order the databases first appear (one group named
    None when the frame has no database column)."""
    if "database" not in df.columns:
        return [(None, df)]
    return [(str(name), rows) for name, rows in df.groupby("database", sort=False)]


def _empty(fig: Figure, ax, text: str) -> Figure:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes)
    ax.set_axis_off()
    return fig


def _ms(value: float, whole: bool = False) -> str:
    """A time for a bar's end: three significant digits (0.483 ms, 12.8 ms, 244 ms). ``whole``:
    the time was kept in whole milliseconds, where 0 means under one."""
    if whole and value == 0:
        return "< 1 ms"
    return f"{value:,.0f} ms" if value >= 1000 else f"{value:.3g} ms"


def migration_label(row) -> str:
    """``NNN_name``, with what was not a plain applied up in brackets: ``005_x (down)``,
    ``(dry-run)``, ``(failed)`` -- from a history or run frame's direction, mode and status."""
    label = f"{int(row['version']):03d}_{row['name']}"
    notes = [row.get("direction", "up"), row.get("mode", "apply"), row.get("status", "ok")]
    notes = [str(n) for n in notes if str(n) not in ("up", "apply", "ok", "nan", "")]
    return f"{label} ({', '.join(notes)})" if notes else label


def timing_chart(df: pd.DataFrame, title: str = "Execution time per migration") -> Figure:
    """Horizontal bars, one per migration run, labelled ``NNN_name`` and ending in their time.

    ``df`` is a status frame (``execution_time_ms``: what the tracking table keeps, in whole
    milliseconds) or a run or history frame (``duration_ms``, to the microsecond); a history's
    verify and restore events and a status's pending migrations (no time yet) are left out.
    With a ``database`` column the bars are grouped and coloured per database.

    Most migrations take well under 10 ms, and a single run's time is mostly noise (the disk,
    the cache, the machine's load): read the bars for the one migration that takes 100 times
    longer than the rest, not for a difference of half a millisecond. Each bar is labelled with
    its value so sub-millisecond times stay readable on the linear axis ("< 1 ms" for a status
    time of 0: the tracking table rounds to whole milliseconds).
    """
    _require(df, ("version", "name"), "timing_chart")
    column = time_column(df)
    if column is None:
        raise ValueError(f"timing_chart needs a {' or '.join(TIME_COLUMNS)} column; "
                         f"this frame has: {', '.join(map(str, df.columns)) or 'no columns'}")
    rows = df[df[column].notna()]
    if "direction" in rows.columns:
        rows = rows[rows["direction"].isin(RUN_DIRECTIONS)]
    groups = _groups(rows)
    bars = sum(len(g) for _, g in groups)
    fig = ChartFigure(figsize=(WIDTH, 1.2 + BAR_INCHES * (bars + len(groups))), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title)
    if not bars:
        return _empty(fig, ax, "no migration has a time yet")
    top = 0.0
    for index, (database, group) in enumerate(groups):
        # Each database's bars in a block of their own, half a bar apart from the next.
        positions = [top + i for i in range(len(group))]
        times = group[column].astype(float).tolist()
        drawn = ax.barh(positions, times, height=0.7, color=f"C{index}", label=database)
        ax.bar_label(drawn, labels=[_ms(t, column == "execution_time_ms") for t in times], padding=3, fontsize=8)
        top += len(group) + 0.5
    ax.set_yticks([p.get_y() + p.get_height() / 2 for p in ax.patches],
                  [migration_label(row) for _, g in groups for _, row in g.iterrows()])
    ax.invert_yaxis()  # the frame's first row at the top
    ax.set_xlim(0, max(max(p.get_width() for p in ax.patches) * 1.25, 1.0))  # room for the value labels
    ax.set_xlabel("time (ms)")
    if len(groups) > 1:
        ax.legend(title="database", loc="best")
    return fig


def versions_after(directions, versions) -> list[int]:
    """The database's version after each event, from the event log alone: an ``up`` adds its
    version to the applied ones, a ``down`` removes it, a ``restore`` (whose version is the one
    the backup holds) keeps only the applied versions up to its own; the version is then the
    highest applied one, 0 for none. So a down of 6 after ups of 1..6 leaves 5, and a down of
    a migration out of order leaves the version where it was."""
    applied: set[int] = set()
    after = []
    for direction, version in zip(directions, versions):
        version = int(version)
        if direction == "up":
            applied.add(version)
        elif direction == "down":
            applied.discard(version)
        elif direction == "restore":
            applied = {v for v in applied if v <= version} | ({version} if version else set())
        after.append(max(applied, default=0))
    return after


def version_timeline(history: pd.DataFrame, title: str = "Version over time") -> Figure:
    """Each database's version over time, one step line per database (a ``history`` frame, with
    its ``database`` column when it covers several).

    Only events that changed a database count: status ``ok``, mode ``apply``, direction up,
    down or restore (dry runs, failures, refusals and verifies change nothing). Each marker is
    one event, at its time (UTC), at the version the database had after it
    (see :func:`versions_after`); a dotted line carries each database's last version to the
    end of the chart.
    """
    _require(history, ("at", "version", "direction", "mode", "status"), "version_timeline")
    changed = history[(history["status"] == "ok") & (history["mode"] == "apply")
                      & history["direction"].isin((*RUN_DIRECTIONS, "restore"))]
    changed = changed.sort_values("at", kind="stable")
    fig = ChartFigure(figsize=(WIDTH, 4.0), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title)
    if changed.empty:
        return _empty(fig, ax, "no up, down or restore has been applied yet")
    end = changed["at"].max()
    groups = _groups(changed)
    for index, (database, events) in enumerate(groups):
        times = events["at"].to_numpy()
        versions = versions_after(events["direction"], events["version"])
        colour = f"C{index}"
        ax.step(times, versions, where="post", marker="os^Dv<>p"[index % 8], color=colour, label=database)
        if events["at"].iloc[-1] < end:
            ax.hlines(versions[-1], times[-1], end.to_datetime64(), colors=colour, linestyles="dotted")
    locator = mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylim(-0.5, max(max(line.get_ydata()) for line in ax.get_lines()) + 0.5)
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("version")
    ax.grid(axis="y", alpha=0.3)
    if len(groups) > 1:
        ax.legend(title="database", loc="best")
    return fig


def _counts(values, which: str) -> dict[str, int]:
    if hasattr(values, "columns"):
        raise ValueError(f"before_after_chart: {which} is a DataFrame; pass a Series or dict of counts, "
                         "e.g. df.set_index('kind')['events']")
    if not isinstance(values, (Mapping, pd.Series)):
        raise ValueError(f"before_after_chart: {which} must be a Series or dict of counts, "
                         f"not {type(values).__name__}")
    return {str(k): int(v) for k, v in values.items()}


def before_after_chart(before, after, title: str = "Rows before and after",
                       labels: tuple[str, str] = ("before", "after")) -> Figure:
    """Row counts before and after a change as pairs of horizontal bars, one pair per key
    (a category, a table): ``before`` and ``after`` are dicts or Series of counts. A key found
    on one side only counts 0 on the other, so a value that a migration merged away shows as a
    bar that drops to nothing. The legend gives each side's total: equal totals, no row lost.
    """
    counts = _counts(before, labels[0]), _counts(after, labels[1])
    keys = list(dict.fromkeys([*counts[0], *counts[1]]))
    fig = ChartFigure(figsize=(WIDTH, 1.2 + 2 * BAR_INCHES * max(len(keys), 1)), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title)
    if not keys:
        return _empty(fig, ax, "no rows on either side")
    for side, (label, values) in enumerate(zip(labels, counts)):
        numbers = [values.get(k, 0) for k in keys]
        drawn = ax.barh([i + (side - 0.5) * 0.4 for i in range(len(keys))], numbers, height=0.4,
                        color=f"C{side}", label=f"{label} ({sum(numbers):,} rows)")
        ax.bar_label(drawn, labels=[f"{n:,}" for n in numbers], padding=3, fontsize=8)
    ax.set_yticks(range(len(keys)), keys)
    ax.invert_yaxis()
    ax.set_xlim(0, max(max(p.get_width() for p in ax.patches) * 1.2, 1))
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.set_xlabel("rows")
    ax.legend(loc="lower right")
    return fig
