"""The panel's status table, written as HTML straight from the engine's :class:`StatusReport`.

What needs attention is always shown: every pending, modified, missing and out-of-order
migration. Applied ones are paged, newest first (page 0 holds the newest ``page_size``), so a
database with 10,000 applied migrations gives a table of a few dozen rows. Each name opens (a
``<details>`` element, no script needed) onto that migration's UP and DOWN SQL.

Colours come from :mod:`.theme`: text in the theme's own colour, the state as a mark and a
bar at the row's left edge, so the table reads in JupyterLab's light and dark themes alike.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from pathlib import Path

from ..engine.files import FILE_PATTERN, read_migration
from ..engine.errors import MigrationError
from ..engine.results import MigrationState, StatusEntry, StatusReport
from . import theme

PAGE_SIZE = 20
COLUMNS = ("version", "name", "state", "applied_at", "execution_time_ms", "checksum", "reversible")
_CHECKSUM = {MigrationState.APPLIED: "ok", MigrationState.MODIFIED: "changed", MigrationState.MISSING: "no file"}
_CELL = f"padding: 2px 8px; border-bottom: 1px solid {theme.BORDER}; vertical-align: top; text-align: left"
_NUMBER = f"{_CELL}; text-align: right; font-variant-numeric: tabular-nums"
_PRE = ("white-space: pre-wrap; margin: 4px 0; padding: 4px 6px; font-family: var(--jp-code-font-family, monospace);"
        f" font-size: var(--jp-code-font-size, 12px); border-left: 2px solid {theme.BORDER}")


@dataclass(frozen=True)
class StatusTable:
    """One page of the table: its HTML, which page of how many, and the applied migrations
    not on it."""

    html: str
    page: int
    pages: int
    hidden: int  # applied migrations on other pages


def status_table(report: StatusReport, *, page: int = 0, page_size: int = PAGE_SIZE) -> StatusTable:
    """The table of ``report`` at ``page`` (0: the newest applied migrations; clamped)."""
    entries = report.entries
    applied = [e for e in entries if e.state is MigrationState.APPLIED]
    pages = max(1, -(-len(applied) // page_size))
    page = min(max(page, 0), pages - 1)
    end = len(applied) - page * page_size
    shown_applied = applied[max(0, end - page_size):end]
    first = shown_applied[0].version if shown_applied else None
    last = shown_applied[-1].version if shown_applied else None
    rows = [e for e in entries if e.state is not MigrationState.APPLIED or (first is not None and first <= e.version <= last)]
    sql = _sql(Path(report.migrations_dir), [e.version for e in rows if e.state is not MigrationState.MISSING])
    head = "".join(f'<th style="{_NUMBER if c in ("version", "execution_time_ms") else _CELL}">{c}</th>' for c in COLUMNS)
    body = "".join(_row(e, sql.get(e.version)) for e in rows)
    hidden = len(applied) - len(shown_applied)
    note = ""
    if hidden:
        note = (f'<p style="margin: 4px 0; color: {theme.MUTED_TEXT}">{len(shown_applied)} of {len(applied)} applied '
                f"migrations shown (page {page + 1} of {pages}, newest first); the others are on the other pages</p>")
    table = (f'<div style="overflow-x: auto; max-width: 100%"><table class="vfmigrate-status" '
             f'style="border-collapse: collapse; color: inherit; font-size: var(--jp-ui-font-size1, 13px)">'
             f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>{note}")
    return StatusTable(table, page, pages, hidden)


def _row(e: StatusEntry, sql: tuple[str, str] | None) -> str:
    state = e.state.value
    name = html.escape(e.name)
    if sql is not None:
        up, down = (html.escape(s.strip() or "(empty)") for s in sql)
        name = (f'<details><summary style="cursor: pointer; white-space: nowrap">{name}</summary>'
                f'<pre style="{_PRE}">-- UP\n{up}\n\n-- DOWN\n{down}</pre></details>')
    ms = e.execution_time_ms
    cells = (
        f'<td style="{_NUMBER}; {theme.state_bar(state)}">{e.version}</td>',
        f'<td style="{_CELL}">{name}</td>',
        f'<td style="{_CELL}; white-space: nowrap">{theme.MARKS.get(state, " ")} {state}</td>',
        f'<td style="{_CELL}; white-space: nowrap">{html.escape(e.applied_at or "")}</td>',
        f'<td style="{_NUMBER}">{"" if ms is None else ("&lt;1" if ms == 0 else ms)}</td>',
        f'<td style="{_CELL}">{_CHECKSUM.get(e.state, "")}</td>',
        f'<td style="{_CELL}">{e.reversibility or ""}</td>',
    )
    return f'<tr data-version="{e.version}" data-state="{state}">{"".join(cells)}</tr>'


def _sql(folder: Path, versions: list[int]) -> dict[int, tuple[str, str]]:
    """The UP and DOWN SQL of the files of ``versions`` (read only for the rows shown)."""
    wanted = set(versions)
    found: dict[int, tuple[str, str]] = {}
    if not wanted:
        return found
    try:
        names = os.listdir(folder)
    except OSError:
        return found
    for filename in names:
        match = FILE_PATTERN.match(filename)
        if match and int(match.group(1)) in wanted:
            try:
                m = read_migration(folder / filename)
            except (MigrationError, OSError):
                continue  # status says what is wrong with the file; the table just has no SQL for it
            found[m.version] = (m.up_sql, m.down_sql)
    return found
