"""Comparing schemas, and the text helpers the model and the planner share.

SQLite is the parser: nothing here understands SQL. A small lexer cuts text into tokens
(words, quoted identifiers, strings, punctuation) so that spacing, comments, keyword case and
identifier quoting do not count: ``CREATE TABLE "t"(a)`` -- what SQLite writes after
``ALTER TABLE ... RENAME`` -- normalizes like ``create table t ( a )``. On top of it: the
signatures and :func:`differences` of two :class:`~.schema.Schema` objects, the top-level
pieces of a ``CREATE TABLE`` body (the text of an ``ADD COLUMN``, which the planner checks by
running it), the order CREATE statements replay in, and the refusals about virtual tables.
"""

from __future__ import annotations

import re

from .errors import BadMigrationFile

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<string>'(?:[^']|'')*'?)
  | (?P<quoted>"(?:[^"]|"")*"?|`(?:[^`]|``)*`?|\[[^\]]*\]?)
  | (?P<word>[A-Za-z_\u0080-\U0010ffff][\w$\u0080-\U0010ffff]*)
  | (?P<other>\d[\w.]*|.)
""", re.VERBOSE | re.DOTALL)
_SIMPLE = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")


class UnsafeChange(BadMigrationFile):
    """A schema change the planner will not write because it cannot be done safely
    (exit 5, like any migration file that cannot be used as written)."""

    def __init__(self, object: str, reason: str, hint: str = "") -> None:
        super().__init__(object, reason, hint=hint)


def tokens(sql: str) -> list[tuple[str, str, int]]:
    """The tokens of ``sql`` as (kind, text, offset); spaces and comments left out. Kinds:
    ``word``, ``quoted`` (an identifier in "", ``, []), ``string``, ``other``."""
    return [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(sql)
            if m.lastgroup not in ("space", "comment")]


def unquote(text: str) -> str:
    """An identifier token's name: quotes removed, doubled quote characters undone."""
    if text[:1] == "[":
        return text[1:-1]
    if text[:1] in ('"', "`") and len(text) >= 2 and text[-1] == text[0]:
        return text[1:-1].replace(text[0] * 2, text[0])
    return text


def fold(name: str) -> str:
    """A name as SQLite compares names: ASCII letters without case."""
    return name.lower() if name.isascii() else "".join(c.lower() if c.isascii() else c for c in name)


def normalize_sql(sql: str | None) -> str:
    """``sql`` as one line of tokens that compares equal when SQLite reads both texts the
    same way: comments and spacing dropped, words and identifiers case-folded, quotes removed
    from identifiers that need none. String literals are kept exactly."""
    if sql is None:
        return ""
    out = []
    for kind, text, _ in tokens(sql):
        if kind == "quoted":
            name = unquote(text)
            out.append(fold(name) if _SIMPLE.fullmatch(name) else '"' + fold(name).replace('"', '""') + '"')
        elif kind == "word":
            out.append(fold(text))
        else:
            out.append(text)
    return " ".join(out).rstrip(" ;")


def has_word(sql: str | None, word: str) -> bool:
    """Whether ``sql`` holds the keyword ``word`` outside strings, quotes and comments."""
    if word not in (sql or "").lower():
        return False
    return any(kind == "word" and fold(text) == word for kind, text, _ in tokens(sql or ""))


def table_pieces(sql: str) -> list[str]:
    """The text of each top-level item (column definition or table constraint) between the
    outer parentheses of a ``CREATE TABLE`` statement, without comments around it."""
    pieces: list[str] = []
    depth, start, end = 0, None, 0
    for kind, text, offset in tokens(sql):
        punct = text if kind == "other" else ""
        if depth == 0:
            depth = 1 if punct == "(" else 0  # items start after the outer "("
            continue
        if depth == 1 and punct in (",", ")"):
            pieces.append(sql[start:end])
            start = None
            if punct == ")":
                return pieces
            continue
        depth += (punct == "(") - (punct == ")")
        start = offset if start is None else start
        end = offset + len(text)
    return []


def quote(name: str) -> str:
    """``name`` as a double-quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def creation_order(tables: tuple) -> list:
    """``tables`` with each parent before its children where the references allow it (a
    cycle keeps ``sqlite_schema`` order; SQLite accepts forward references anyway)."""
    done: list = []
    names: set[str] = set()

    def visit(table, path: set[str]) -> None:
        key = fold(table.name)
        if key in names or key in path:
            return
        for fk in table.foreign_keys:
            parent = next((t for t in tables if fold(t.name) == fold(fk.parent)), None)
            if parent is not None:
                visit(parent, path | {key})
        names.add(key)
        done.append(table)

    for table in tables:
        visit(table, set())
    return done


def creation_statements(schema) -> list[str]:
    """Every CREATE statement, as SQLite stores it, in an order that replays into an empty
    database: tables (parents first), virtual tables, indexes, views, triggers."""
    tables = creation_order(schema.tables)
    sqls = [t.sql for t in tables] + [v.sql for v in schema.virtual_tables]
    sqls += [i.sql for t in tables for i in t.indexes if i.sql is not None]
    return sqls + [v.sql for v in schema.views] + [t.sql for t in schema.triggers]


def table_signature(table) -> tuple:
    """What makes two tables the same: the normalized CREATE text and the model read back
    from SQLite (columns, foreign keys, flags, automatic indexes)."""
    autos = tuple((i.unique, i.origin, i.partial, i.columns) for i in table.indexes if i.sql is None)
    columns = tuple((c.name, fold(c.type), c.notnull, normalize_sql(c.default), c.pk, c.generated)
                    for c in table.columns)
    fks = tuple((fold(f.parent), f.columns, f.parent_columns, f.on_update, f.on_delete, f.match)
                for f in table.foreign_keys)
    return (fold(table.name), normalize_sql(table.sql), columns, fks,
            table.without_rowid, table.strict, table.autoincrement, autos)


def index_signature(index) -> tuple:
    return (fold(index.name), fold(index.table), normalize_sql(index.sql), index.unique, index.partial, index.columns)


def view_signature(view) -> tuple:
    return (fold(view.name), normalize_sql(view.sql))


def trigger_signature(trigger) -> tuple:
    return (fold(trigger.name), fold(trigger.table), normalize_sql(trigger.sql))


def virtual_signature(vtable) -> tuple:
    return (fold(vtable.name), normalize_sql(vtable.sql))


def explicit_indexes(schema) -> list:
    """Every index created with CREATE INDEX (not the automatic ones of UNIQUE/PRIMARY KEY)."""
    return [i for t in schema.tables for i in t.indexes if i.sql is not None]


def kinds(schema) -> list[tuple[str, list, object]]:
    """Each kind of schema object: (label, objects, signature function)."""
    return [("table", list(schema.tables), table_signature),
            ("virtual table", list(schema.virtual_tables), virtual_signature),
            ("index", explicit_indexes(schema), index_signature),
            ("view", list(schema.views), view_signature),
            ("trigger", list(schema.triggers), trigger_signature)]


def differences(a, b) -> list[str]:
    """One line per object that differs between schemas ``a`` and ``b`` (empty: the same)."""
    lines = []
    for (label, left, sig), (_, right, _) in zip(kinds(a), kinds(b)):
        left_by = {fold(o.name): o for o in left}
        right_by = {fold(o.name): o for o in right}
        for key in sorted(left_by.keys() | right_by.keys()):
            if key not in right_by:
                lines.append(f"{label} {left_by[key].name}: only in the first schema")
            elif key not in left_by:
                lines.append(f"{label} {right_by[key].name}: only in the second schema")
            elif sig(left_by[key]) != sig(right_by[key]):
                lines.append(f"{label} {left_by[key].name}: differs")
    return lines


def same_schema(a, b) -> bool:
    """Whether ``a`` and ``b`` hold the same objects, defined the same way."""
    return not differences(a, b)


def refuse_virtual_changes(current, desired, table_renames: tuple[tuple[str, str], ...]) -> None:
    """Refuse any change to a virtual table (creating or dropping one is fine)."""
    cur = {fold(v.name): v for v in current.virtual_tables}
    des = {fold(v.name): v for v in desired.virtual_tables}
    for key in cur.keys() & des.keys():
        if normalize_sql(cur[key].sql) != normalize_sql(des[key].sql):
            raise UnsafeChange(f"virtual table {cur[key].name}", "changing a virtual table is not supported",
                               hint="drop it and create it anew in a migration of its own (its rows are lost)")
    for name in [t.name for t in current.tables if fold(t.name) in des] + [t.name for t in desired.tables if fold(t.name) in cur]:
        raise UnsafeChange(f"table {name}", "turning a table into a virtual table (or back) is not supported")
    for old, new in table_renames:
        if fold(old) in cur or fold(new) in des:
            raise UnsafeChange(f"virtual table {old}", "renaming a virtual table is not supported")


def describe_change(before, after) -> str:
    """What differs between two versions of a table, in a few words."""
    parts = [f"add column {c.name}" for c in after.columns if not before.column(c.name)]
    parts += [f"drop column {c.name}" for c in before.columns if not after.column(c.name)]
    parts += [f"column {c.name} changed" for c in after.columns
              if before.column(c.name) and before.column(c.name) != c]
    if before.foreign_keys != after.foreign_keys:
        parts.append("foreign keys changed")
    if (before.without_rowid, before.strict, before.autoincrement) != (after.without_rowid, after.strict, after.autoincrement):
        parts.append("table options changed")
    return "rebuilt: " + (", ".join(parts) or "constraints changed")
