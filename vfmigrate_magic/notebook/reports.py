"""Reports people would rather look at than read: pandas Stylers over the frames.

``timing_bars(df)`` draws each migration's time as a bar inside the table (no plotting
library needed); ``status_table(df)`` marks and colours each migration's state, as the panel
shows it. Both return a ``Styler``: display it, or call ``.to_html()``.
"""

from __future__ import annotations

import itertools

import pandas as pd
from pandas.io.formats.style import Styler

MARKS = {"applied": "✓", "pending": "·", "modified": "!", "missing": "?", "out-of-order": "!"}
COLOURS = {
    "applied": "#e6f4ea", "pending": "#fff8e1", "modified": "#fde7e9", "missing": "#fde7e9",
    "out-of-order": "#fde7e9",
}
TIME_COLUMNS = ("duration_ms", "execution_time_ms")

# Stylers get ids from this counter, not at random, so a notebook's HTML is the same on every run
# while two tables in one notebook still get different ids.
_ids = itertools.count(1)


def _styler(df: pd.DataFrame) -> Styler:
    return df.style.set_uuid(f"vfm{next(_ids)}").hide(axis="index")


def timing_bars(df: pd.DataFrame, column: str | None = None, *, color: str = "#7cb5ec") -> Styler:
    """``df`` with its time column (``duration_ms``, else ``execution_time_ms``) drawn as bars,
    times shown in whole milliseconds with one decimal."""
    if column is None:
        column = next((c for c in TIME_COLUMNS if c in df.columns), None)
        if column is None:
            raise ValueError(f"no time column in this frame: expected one of {', '.join(TIME_COLUMNS)}")
    styler = _styler(df).bar(subset=[column], color=color, vmin=0)
    # Styler merges cells with identical CSS into one rule, so which rules exist would depend on
    # whether two times happen to round alike; a per-row marker keeps one rule per cell.
    styler = styler.apply(lambda values: [f"--vfm-row: {i}" for i in range(len(values))], subset=[column])
    return styler.format(na_rep="").format({column: "{:.1f}"}, na_rep="")


def status_table(df: pd.DataFrame) -> Styler:
    """A status frame with a mark before each state (✓ applied, · pending, ! modified or out of
    order, ? file missing) and each row coloured by its state."""
    marked = df.copy()
    if "state" in marked.columns:
        marked["state"] = [f"{MARKS.get(s, ' ')} {s}" for s in df["state"]]
    styler = _styler(marked)

    def colour(row: pd.Series) -> list[str]:
        state = str(row.get("state", "")).split(" ")[-1]
        background = COLOURS.get(state)
        return [f"background-color: {background}" if background else ""] * len(row)

    formats = {c: "{:.1f}" for c in TIME_COLUMNS if c in marked.columns}
    return styler.apply(colour, axis=1).format(na_rep="").format(formats, na_rep="")
