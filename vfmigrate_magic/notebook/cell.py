"""Reading a ``%%migration`` cell: UP SQL, an optional ``-- === DOWN MIGRATION ===`` line and
DOWN SQL (an ``-- === UP MIGRATION ===`` line first is allowed too).

The cell is checked as the engine checks a file -- complete statements, no transaction
control -- before anything is written, and errors name the line of the cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..engine.errors import BadMigrationFile
from ..engine.files import markers, parse_text
from ..engine.statements import syntax_error


@dataclass(frozen=True)
class CellMigration:
    up: str
    down: str
    description: str
    warnings: tuple[str, ...]


def read_cell(name: str, body: str) -> CellMigration:
    """Split and check a cell's SQL. Raises BadMigrationFile naming the cell line."""
    found = markers(body)
    has_up, has_down = "UP" in found, "DOWN" in found
    # The cell as a file would read: the markers it leaves out are added around it, and the
    # lines added above the cell are subtracted from line numbers in errors.
    text = ("" if has_up else "-- === UP MIGRATION ===\n") + body + ("" if has_down else "\n-- === DOWN MIGRATION ===\n")
    shift = 0 if has_up else 1
    where = f"%%migration {name}"
    try:
        migration = parse_text(text, Path("000_cell.sql"))
        warnings = migration.warnings  # splits the statements, raising as a file's would
    except BadMigrationFile as exc:
        line = f", cell line {exc.line - shift}" if exc.line else ""
        reason = (exc.reason + (f"; {exc.hint}" if exc.hint else "")).replace("nothing was run", "nothing was written")
        if "nothing was written" not in reason:
            reason += "; nothing was written"
        raise BadMigrationFile(f"{where}{line}", reason) from exc
    if not migration.up:
        raise BadMigrationFile(where, "the cell has no UP SQL", hint="write the UP statements first; nothing was written")
    for section in ("up", "down"):
        for stmt in migration.statements(section):
            problem = syntax_error(stmt.sql)
            if problem:
                label = "statement" if section == "up" else "DOWN statement"
                raise BadMigrationFile(f"{where}, cell line {stmt.line - shift}",
                                       f"{label} {stmt.index} is not valid SQL ({problem}; a missing ';'?)",
                                       hint="fix it; nothing was written")
    return CellMigration(migration.up_sql, migration.down_sql, migration.description, warnings)
