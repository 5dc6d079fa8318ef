"""The schema model: what a SQLite database holds, read back from SQLite itself.

:func:`read_schema` reads any connection through ``sqlite_schema`` and the PRAGMAs;
:func:`load_schema` runs SQL text into a fresh in-memory database and reads that;
:func:`replay` does the same with the UP sections of migration files. SQLite is the parser:
nothing here parses SQL. The renderers at the end turn a :class:`Schema` into text, SQL, a
Mermaid diagram, JSON, or rows for a DataFrame. The tracking table ``schema_migrations``,
``sqlite_*`` tables and the shadow tables of virtual tables are never part of a schema.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import asdict, dataclass

from .compare import creation_statements, fold, has_word
from .errors import BadMigrationFile
from .statements import TRACKING_TABLE, split_statements

GENERATED = {0: "", 1: "hidden", 2: "virtual", 3: "stored"}  # PRAGMA table_xinfo's ``hidden``


@dataclass(frozen=True, slots=True)
class Column:
    """A column as ``PRAGMA table_xinfo`` reports it. ``pk`` is its 1-based place in the
    primary key (0: not in it); ``generated`` is "", "virtual" or "stored" (or "hidden" for
    a virtual table's hidden column); ``default`` is the default's SQL text, or None."""

    name: str
    type: str
    notnull: bool
    default: str | None
    pk: int
    generated: str = ""


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """One FOREIGN KEY clause: the ``PRAGMA foreign_key_list`` rows of one ``id`` in ``seq``
    order. ``parent_columns`` holds None where the clause names none (the parent's key)."""

    id: int
    parent: str
    columns: tuple[str, ...]
    parent_columns: tuple[str | None, ...]
    on_update: str
    on_delete: str
    match: str = "NONE"


@dataclass(frozen=True, slots=True)
class IndexColumn:
    """A key column of an index: its name (None for an expression), DESC, collation."""

    name: str | None
    desc: bool
    collation: str


@dataclass(frozen=True, slots=True)
class Index:
    """An index of a table. ``origin`` is "c" (CREATE INDEX), "u" (UNIQUE) or "pk";
    ``sql`` is the CREATE INDEX text, None for the automatic ones."""

    name: str
    table: str
    unique: bool
    origin: str
    partial: bool
    columns: tuple[IndexColumn, ...]
    sql: str | None


@dataclass(frozen=True, slots=True)
class Table:
    """An ordinary table: its CREATE text as stored in ``sqlite_schema`` and what SQLite
    reports about it."""

    name: str
    sql: str
    columns: tuple[Column, ...]
    without_rowid: bool
    strict: bool
    autoincrement: bool
    foreign_keys: tuple[ForeignKey, ...]
    indexes: tuple[Index, ...]

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if fold(c.name) == fold(name)), None)

    @property
    def rowid_alias(self) -> str | None:
        """The INTEGER PRIMARY KEY column that is the rowid, or None."""
        pk = [c for c in self.columns if c.pk]
        if self.without_rowid or len(pk) != 1 or pk[0].type.upper() != "INTEGER":
            return None
        # INTEGER PRIMARY KEY DESC is not an alias: SQLite then builds a pk index for it.
        return None if any(i.origin == "pk" for i in self.indexes) else pk[0].name


@dataclass(frozen=True, slots=True)
class View:
    name: str
    sql: str


@dataclass(frozen=True, slots=True)
class Trigger:
    name: str
    table: str
    sql: str


@dataclass(frozen=True, slots=True)
class VirtualTable:
    """A virtual table (fts5, rtree, ...); its shadow tables are not listed anywhere."""

    name: str
    sql: str


@dataclass(frozen=True, slots=True)
class Schema:
    """Every user object of a database, each kind in ``sqlite_schema`` order."""

    tables: tuple[Table, ...] = ()
    views: tuple[View, ...] = ()
    triggers: tuple[Trigger, ...] = ()
    virtual_tables: tuple[VirtualTable, ...] = ()

    def table(self, name: str) -> Table | None:
        """The table called ``name`` (any case), or None."""
        return next((t for t in self.tables if fold(t.name) == fold(name)), None)



def read_schema(conn: sqlite3.Connection) -> Schema:
    """The schema of ``conn``'s main database. Reads only; runs in any transaction state."""
    kinds = {name: kind for _, name, kind, *_ in conn.execute("SELECT * FROM pragma_table_list WHERE schema = 'main'")}
    rows = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid").fetchall()
    tables, views, triggers, virtual = [], [], [], []
    for kind, name, table, sql in rows:
        if any(fold(n) == TRACKING_TABLE or fold(n).startswith("sqlite_") for n in (name, table)):
            continue
        if kind == "table" and kinds.get(name) == "virtual":
            virtual.append(VirtualTable(name, sql))
        elif kind == "table" and kinds.get(name) == "table":
            tables.append(read_table(conn, name))
        elif kind == "view":
            views.append(View(name, sql))
        elif kind == "trigger":
            triggers.append(Trigger(name, table, sql))
    return Schema(tuple(tables), tuple(views), tuple(triggers), tuple(virtual))


def read_table(conn: sqlite3.Connection, name: str) -> Table | None:
    """The ordinary table ``name`` of ``conn``'s main database, or None."""
    row = conn.execute("SELECT name, wr, strict FROM pragma_table_list WHERE schema = 'main' AND type = 'table' "
                       "AND name = ? COLLATE NOCASE", (name,)).fetchone()
    if row is None:
        return None
    name, without_rowid, strict = row
    sql = conn.execute("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", (name,)).fetchone()[0]
    columns = tuple(Column(n, t, bool(nn), d, pk, GENERATED.get(h, str(h)))
                    for _, n, t, nn, d, pk, h in conn.execute("SELECT * FROM pragma_table_xinfo(?)", (name,)))
    grouped: dict[int, list[tuple]] = {}
    for row in conn.execute("SELECT * FROM pragma_foreign_key_list(?) ORDER BY id DESC, seq", (name,)):
        grouped.setdefault(row[0], []).append(row)
    fks = tuple(ForeignKey(id_, rows[0][2], tuple(r[3] for r in rows), tuple(r[4] for r in rows),
                           rows[0][5], rows[0][6], rows[0][7]) for id_, rows in grouped.items())
    index_sql = dict(conn.execute("SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?", (name,)))
    indexes = []
    for _, iname, unique, origin, partial in conn.execute("SELECT * FROM pragma_index_list(?)", (name,)):
        cols = tuple(IndexColumn(n, bool(desc), coll) for _, _, n, desc, coll, key
                     in conn.execute("SELECT * FROM pragma_index_xinfo(?)", (iname,)) if key)
        indexes.append(Index(iname, name, bool(unique), origin, bool(partial), cols, index_sql.get(iname)))
    return Table(name, sql, columns, bool(without_rowid), bool(strict), has_word(sql, "autoincrement"), fks,
                 tuple(sorted(indexes, key=lambda i: fold(i.name))))


def load_schema(sql_text: str, *, file: str = "schema.sql") -> Schema:
    """The schema that ``sql_text`` creates in an empty in-memory database. A statement that
    SQLite rejects raises :class:`BadMigrationFile` naming ``file`` and its line."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for stmt in split_statements(sql_text, file=file):
            try:
                conn.execute(stmt.sql)
            except sqlite3.Error as exc:
                raise BadMigrationFile(file, f"statement {stmt.index} is rejected by SQLite ({exc})",
                                       line=stmt.line, hint="fix it") from exc
        return read_schema(conn)
    finally:
        conn.close()


def replay(migrations: list, at: int | None = None) -> Schema:
    """The schema that the UP sections of ``migrations`` (in the order given, as
    :func:`~.files.discover` returns them) produce, up to version ``at`` included (None: all).
    A statement that fails raises :class:`BadMigrationFile` naming its file and line."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        for migration in migrations:
            if at is not None and migration.version > at:
                break
            for stmt in migration.up:
                try:
                    conn.execute(stmt.sql)
                except sqlite3.Error as exc:
                    raise BadMigrationFile(migration.filename, f"statement {stmt.index} fails when the "
                                           f"migrations are replayed ({exc})", line=stmt.line) from exc
        return read_schema(conn)
    finally:
        conn.close()


def render_sql(schema: Schema) -> str:
    """Every CREATE statement as SQLite stores it, each ending with ``;``, in an order that
    replays into an empty database (:func:`~.compare.creation_statements`)."""
    return "".join(sql + ";\n\n" for sql in creation_statements(schema))


def _fk_text(fk: ForeignKey) -> str:
    parent_cols = ", ".join(c or "?" for c in fk.parent_columns) if any(fk.parent_columns) else ""
    actions = "".join(f" ON {w} {a}" for w, a in (("UPDATE", fk.on_update), ("DELETE", fk.on_delete)) if a != "NO ACTION")
    return f"({', '.join(fk.columns)}) -> {fk.parent}" + (f"({parent_cols})" if parent_cols else "") + actions


def render_text(schema: Schema) -> str:
    """A readable listing: one block per table (columns, keys, indexes, triggers), then
    virtual tables and views."""
    blocks = []
    for t in schema.tables:
        flags = [f for f, on in (("WITHOUT ROWID", t.without_rowid), ("STRICT", t.strict),
                                 ("AUTOINCREMENT", t.autoincrement)) if on]
        lines = [f"table {t.name}" + (f"  ({', '.join(flags)})" if flags else "")]
        width = max((len(c.name) for c in t.columns), default=0)
        for c in t.columns:
            extra = [w for w, on in ((f"PK{c.pk}" if c.pk > 1 or sum(x.pk > 0 for x in t.columns) > 1 else "PK", c.pk),
                                     ("NOT NULL", c.notnull), (f"DEFAULT {c.default}", c.default is not None),
                                     (f"GENERATED {c.generated.upper()}", c.generated)) if on]
            lines.append(f"  {c.name:<{width}}  {c.type or '-'}  {' '.join(extra)}".rstrip())
        lines += [f"  foreign key {_fk_text(fk)}" for fk in t.foreign_keys]
        for i in t.indexes:
            kind = "unique index" if i.unique else "index"
            cols = ", ".join((c.name or "<expr>") + (" DESC" if c.desc else "") for c in i.columns)
            lines.append(f"  {kind} {i.name} ({cols})" + (" partial" if i.partial else ""))
        lines += [f"  trigger {tr.name}" for tr in schema.triggers if fold(tr.table) == fold(t.name)]
        blocks.append("\n".join(lines))
    blocks += [f"virtual table {v.name}\n  {v.sql}" for v in schema.virtual_tables]
    blocks += [f"view {v.name}\n  {' '.join(v.sql.split())}" for v in schema.views]
    return "\n\n".join(blocks) + "\n"


def _mermaid_word(text: str, fallback: str) -> str:
    word = re.sub(r"[^A-Za-z0-9_]+", "_", text).strip("_")
    return ("_" + word if word[:1].isdigit() else word) or fallback


def render_mermaid(schema: Schema) -> str:
    """A Mermaid ``erDiagram``: each table with ``type name PK/FK`` lines, and one
    ``parent ||--o{ child : "columns"`` line per foreign key. Names and types Mermaid cannot
    take are rewritten (spaces and parentheses to ``_``, an empty type to ``ANY``)."""
    lines = ["erDiagram"]
    for t in schema.tables:
        fk_columns = {fold(c) for fk in t.foreign_keys for c in fk.columns}
        lines.append(f"    {_mermaid_word(t.name, 'table')} {{")
        for c in t.columns:
            keys = ", ".join(k for k, on in (("PK", c.pk), ("FK", fold(c.name) in fk_columns)) if on)
            lines.append(f"        {_mermaid_word(c.type, 'ANY')} {_mermaid_word(c.name, 'column')} {keys}".rstrip())
        lines.append("    }")
    for t in schema.tables:
        for fk in t.foreign_keys:
            lines.append(f'    {_mermaid_word(fk.parent, "table")} ||--o{{ {_mermaid_word(t.name, "table")} : '
                         f'"{",".join(fk.columns)}"')
    return "\n".join(lines) + "\n"


def to_json(schema: Schema) -> dict:
    """The schema as plain dicts and lists, ready for ``json.dumps`` (and equal to what
    ``json.loads`` gives back)."""
    return json.loads(json.dumps(asdict(schema)))


def column_rows(schema: Schema) -> list[dict]:
    """One dict per column (table, column, type, notnull, default, pk, references), e.g. for
    a DataFrame; ``references`` is ``parent(column)`` for a foreign-key column, else None."""
    rows = []
    for t in schema.tables:
        refs = {fold(c): f"{fk.parent}({p or ''})" for fk in t.foreign_keys for c, p in zip(fk.columns, fk.parent_columns)}
        rows += [{"table": t.name, "column": c.name, "type": c.type, "notnull": c.notnull, "default": c.default,
                  "pk": c.pk, "references": refs.get(fold(c.name))} for c in t.columns]
    return rows
