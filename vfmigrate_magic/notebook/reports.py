"""Reports people would rather look at than read: pandas Stylers over the frames.

``timing_bars(df)`` draws each migration's time as a bar inside the table (no plotting
library needed); ``status_table(df)`` marks each migration's state and puts a bar in the
state's colour at the row's left edge, as the panel shows it. Both return a ``Styler``:
display it, or call ``.to_html()``. Text keeps the notebook theme's own colour on its own
background, so both read in the light and the dark theme (see :mod:`.theme`).
"""

from __future__ import annotations

import itertools

import pandas as pd
from pandas.io.formats.style import Styler

from . import theme
from .frames import DURATION_FORMAT, NUMBER_CELL, TEXT_CELL, TIME_COLUMNS, is_number_column, time_column

# The bars of timing_bars: a blue at 40% opacity, so what lies under the number is the table's
# own background tinted blue: light blue under near-black text in the light theme (about 12:1),
# dark blue under white text in the dark theme (about 10:1). An opaque light blue (#7cb5ec, the
# old colour) left white text at about 2:1.
BAR_COLOUR = "rgba(25, 118, 210, 0.4)"

# Stylers get ids from this counter, not at random, so a notebook's HTML is the same on every run
# while two tables in one notebook still get different ids.
_ids = itertools.count(1)


def _styler(df: pd.DataFrame) -> Styler:
    """``df.style`` without the index, text columns left-aligned and numbers right-aligned as in
    the frames' own display (one CSS rule per column, not one per cell)."""
    styles = {name: [{"selector": "th, td", "props": NUMBER_CELL if is_number_column(values) else TEXT_CELL}]
              for name, values in df.items()}
    return df.style.set_uuid(f"vfm{next(_ids)}").hide(axis="index").set_table_styles(styles, overwrite=False)


def timing_bars(df: pd.DataFrame, column: str | None = None, *, color: str = BAR_COLOUR) -> Styler:
    """``df`` with its time column (``duration_ms``, else ``execution_time_ms``) drawn as bars,
    times in milliseconds with three decimals."""
    if column is None:
        column = time_column(df)
        if column is None:
            raise ValueError(f"no time column in this frame: expected one of {', '.join(TIME_COLUMNS)}")
    styler = _styler(df).bar(subset=[column], color=color, vmin=0)
    # Styler merges cells with identical CSS into one rule, so which rules exist would depend on
    # whether two times happen to round alike; a per-row marker keeps one rule per cell.
    styler = styler.apply(lambda values: [f"--vfm-row: {i}" for i in range(len(values))], subset=[column])
    return styler.format(na_rep="").format({column: DURATION_FORMAT}, na_rep="")


def status_table(df: pd.DataFrame) -> Styler:
    """A status frame with a mark before each state (✓ applied, · pending, ! modified or out of
    order, ? file missing) and a bar in the state's colour at each row's left edge. No row is
    tinted: a light tint under the dark theme's light text could not be read."""
    marked = df.copy()
    if "state" in marked.columns:
        marked["state"] = [f"{theme.MARKS.get(s, ' ')} {s}" for s in df["state"]]
    styler = _styler(marked)

    def bars(frame: pd.DataFrame) -> pd.DataFrame:
        css = pd.DataFrame("", index=frame.index, columns=frame.columns)
        if "state" in df.columns:
            css.iloc[:, 0] = [theme.state_bar(state) for state in df["state"]]
        return css

    formats = {c: DURATION_FORMAT for c in TIME_COLUMNS if c in marked.columns}
    return styler.apply(bars, axis=None).format(na_rep="").format(formats, na_rep="")
