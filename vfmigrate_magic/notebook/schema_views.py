"""The schema in a notebook: a DataFrame of columns, the diagram as Mermaid, a plan as a
DataFrame. Renders the engine's :mod:`~vfmigrate_magic.engine.schema` and
:mod:`~vfmigrate_magic.engine.plan` objects; computes nothing of its own."""

from __future__ import annotations

from ..engine.diff import DiffResult
from ..engine.plan import Plan
from ..engine.schema import Schema, column_rows, render_mermaid, render_sql, to_json

COLUMNS = ["table", "column", "type", "notnull", "default", "pk", "references"]
PLAN_COLUMNS = ["object", "change", "method"]


def schema_frame(schema: Schema):
    """One row per column of every table: table, column, type, notnull, default, pk, references."""
    from .frames import MigrationFrame

    rows = [{**row, "references": row["references"] or ""} for row in column_rows(schema)]
    return MigrationFrame(rows, columns=COLUMNS)


def show_schema(schema: Schema, format: str = "text"):
    """What ``%migrate schema --format FORMAT`` shows: text, a DataFrame of the columns;
    mermaid, the diagram; sql and json, printed."""
    if format == "text":
        return schema_frame(schema)
    if format == "mermaid":
        return Diagram(schema)
    if format == "sql":
        print(render_sql(schema).rstrip("\n"))
    else:
        import json

        print(json.dumps(to_json(schema), indent=2))
    return None


def plan_frame(plan: Plan | DiffResult):
    """One row per planned change: the object, what changes, and how (alter, rebuild, create, drop)."""
    from .frames import MigrationFrame

    return MigrationFrame([{"object": c.object, "change": c.change, "method": c.method} for c in plan.changes],
                          columns=PLAN_COLUMNS)


class Diagram:
    """An ``erDiagram`` in Mermaid, shown as a diagram by JupyterLab 4.1+ and Notebook 7.1+
    (MIME type ``text/vnd.mermaid``), as a fenced ``mermaid`` block by front ends that render
    Markdown, and as its source elsewhere. ``source`` is the Mermaid text."""

    def __init__(self, schema: Schema) -> None:
        self.source = render_mermaid(schema).rstrip("\n")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict[str, str]:
        return {"text/vnd.mermaid": self.source, "text/markdown": f"```mermaid\n{self.source}\n```",
                "text/plain": self.source}

    def __repr__(self) -> str:
        return self.source
