"""The planner: the SQL that turns one schema into another, and back.

:func:`plan` compares two :class:`~.schema.Schema` objects and writes UP statements (current
to desired) and DOWN statements (desired back to current). Each statement is first run on an
in-memory copy of the schema: a change ``ALTER TABLE`` cannot make (as SQLite itself decides)
becomes a rebuild, and the copy must end up equal to the wanted schema or planning fails. So
an empty plan means equal schemas, and a plan is one SQLite has run. Renames are never
guessed: only ``-- vfmigrate: rename table OLD to NEW`` and ``-- vfmigrate: rename column
TABLE.OLD to NEW`` lines make them. The statements hold no BEGIN/COMMIT: the engine runs them
in one transaction, foreign keys off, with ``PRAGMA foreign_key_check`` before COMMIT.

A rebuild (SQLite's "other kinds of table schema changes") renames the old table away under
``PRAGMA legacy_alter_table=ON``, creates the new one from the desired text verbatim, copies
the rows (``rowid`` too where it is no INTEGER PRIMARY KEY, and the AUTOINCREMENT counter),
drops the old table, turns the setting OFF, and creates the indexes and triggers again. In
legacy mode with foreign keys off, that rename leaves other tables' REFERENCES clauses, views
and triggers alone, so they name the new table once it exists, and ``sqlite_schema`` holds the
desired text exactly. The documented order (create ``new_t``, copy, drop ``t``, rename) fails
when a view or trigger names ``t`` ("error in view v: no such table: main.t") and stores
``CREATE TABLE "t"``. The setting is a connection flag that works inside a transaction.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from .compare import (UnsafeChange, creation_order, creation_statements, describe_change, differences, fold, index_signature, quote,
                      refuse_virtual_changes, table_pieces, table_signature, tokens, trigger_signature, unquote,
                      view_signature)
from .schema import Schema, Table, read_schema, read_table

_NAME = r'("(?:[^"]|"")+"|[^\s.";]+)'
_TABLE_HINT = re.compile(rf"--\s*vfmigrate:\s*rename\s+table\s+{_NAME}\s+to\s+{_NAME}\s*;?\s*$", re.I | re.M)
_COLUMN_HINT = re.compile(rf"--\s*vfmigrate:\s*rename\s+column\s+{_NAME}\.{_NAME}\s+to\s+{_NAME}\s*;?\s*$",
                          re.I | re.M)


@dataclass(frozen=True, slots=True)
class Hints:
    """Rename hints: ``tables`` holds (old, new); ``columns`` holds (table, old, new), the
    table named by either its old or its new name."""

    tables: tuple[tuple[str, str], ...] = ()
    columns: tuple[tuple[str, str, str], ...] = ()

    def reversed(self) -> Hints:
        """The hints that undo these renames (for the DOWN direction)."""
        return Hints(tuple((n, o) for o, n in self.tables), tuple((t, n, o) for t, o, n in self.columns))


def parse_hints(text: str) -> Hints:
    """The rename hints in ``text``'s comment lines (names bare or in double quotes)."""
    tables = tuple((unquote(o), unquote(n)) for o, n in _TABLE_HINT.findall(text))
    columns = tuple((unquote(t), unquote(o), unquote(n)) for t, o, n in _COLUMN_HINT.findall(text))
    return Hints(tables, columns)


@dataclass(frozen=True, slots=True)
class Change:
    """One planned change: the object (``table users``), what changes, and how: "alter",
    "rebuild", "create" or "drop"."""

    object: str
    change: str
    method: str


@dataclass(frozen=True, slots=True)
class Plan:
    """What :func:`plan` found. ``up``/``down`` are complete statements ending in ``;``.
    ``down`` is empty with ``down_refused`` set when the way back cannot be done safely
    (the migration is then irreversible)."""

    changes: tuple[Change, ...] = ()
    up: tuple[str, ...] = ()
    down: tuple[str, ...] = ()
    down_refused: str = ""

    @property
    def empty(self) -> bool:
        return not self.up


def plan(current: Schema, desired: Schema, hints: Hints | None = None) -> Plan:
    """The statements that turn ``current`` into ``desired`` (UP) and back (DOWN). Raises
    :class:`UnsafeChange` (one line naming the object) for an UP that cannot be done safely."""
    hints = hints or Hints()
    up, changes = _Planner(current, desired, hints).build()
    try:
        down, _ = _Planner(desired, current, hints.reversed()).build()
        refused = ""
    except UnsafeChange as exc:
        down, refused = [], str(exc)
    return Plan(tuple(changes), tuple(up), tuple(down), refused)


class _Planner:
    """Plans one direction. Each statement is run at once on ``self.db``, an in-memory
    database that starts as ``current``; ``build`` returns (statements, changes)."""

    def __init__(self, current: Schema, desired: Schema, hints: Hints) -> None:
        self.current, self.desired, self.hints = current, desired, hints
        self.statements: list[str] = []
        self.changes: list[Change] = []
        self.replaced: list[str] = []
        self.db = sqlite3.connect(":memory:", isolation_level=None)

    def build(self) -> tuple[list[str], list[Change]]:
        try:
            if not differences(self.current, self.desired):
                return [], []
            refuse_virtual_changes(self.current, self.desired, self.hints.tables)
            for sql in creation_statements(self.current):
                self.db.execute(sql)
            table_renames, column_renames = self._renames()
            self._drop_vanished()
            for name in self.replaced:
                self.run(f"DROP TABLE {quote(name)}", f"table {name}", "dropped for a renamed table", "drop")
            self._rename(table_renames, column_renames)
            mid = read_schema(self.db)
            self._drop_changed(mid)
            self._create_tables(mid)
            for table in creation_order(self.desired.tables):
                before = mid.table(table.name)
                if before and table_signature(before) != table_signature(table) and not self._alter(before, table):
                    self._rebuild(before, table)
            self._create_dependents()
            for left in differences(read_schema(self.db), self.desired)[:1]:
                raise UnsafeChange(left.split(":")[0], "the planned statements do not give the desired definition",
                                   hint="write this migration by hand")
            return self.statements, self.changes
        finally:
            self.db.close()

    def run(self, sql: str, obj: str = "", change: str = "", method: str = "") -> None:
        try:
            self.db.execute(sql)
        except sqlite3.Error as exc:
            raise UnsafeChange(obj or sql.split("(")[0], f"SQLite refuses {sql.split(chr(10))[0][:60]!r} ({exc})",
                               hint="write this migration by hand") from exc
        # A view's stored text may end in a -- comment: then the ";" goes on a line of its own.
        self.statements.append(sql + ("\n;" if "--" in sql.rsplit("\n", 1)[-1] else ";"))
        if change:
            self.changes.append(Change(obj, change, method))

    def _renames(self) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
        """The hinted renames still to do, checked against both schemas; a hint already
        applied is skipped, one that names nothing is refused. A table in the way of a rename
        (one the desired schema does not keep under the old name) is dropped first."""
        tables = []
        for old, new in self.hints.tables:
            cur, taken = self.current.table(old), self.current.table(new)
            if cur and self.desired.table(new) and not (taken and self.desired.table(old)):
                tables.append((cur.name, self.desired.table(new).name))
                self.replaced += [taken.name] if taken else []
            elif not taken:
                raise UnsafeChange(f"table {old}", f"the hint 'rename table {old} to {new}' does not match the schemas")
        columns = []
        for table, old, new in self.hints.columns:
            cur_name = next((o for o, n in tables if fold(table) in (fold(o), fold(n))), table)
            des_name = next((n for o, n in tables if fold(table) in (fold(o), fold(n))), table)
            cur, des = self.current.table(cur_name), self.desired.table(des_name)
            if cur and des and cur.column(old) and des.column(new) and not cur.column(new):
                columns.append((des.name, cur.column(old).name, des.column(new).name))
            elif not (cur and cur.column(new) and not cur.column(old)):
                raise UnsafeChange(f"table {table}", f"the hint 'rename column {table}.{old} to {new}' "
                                   "does not match the schemas")
        return tables, columns

    def _drop_vanished(self) -> None:
        """Drop the triggers, views and indexes the desired schema does not have, first:
        the renames that follow check every view and trigger."""
        gone = {fold(t.name) for t in self.current.tables} - {fold(o) for o, _ in self.hints.tables}
        gone -= {fold(t.name) for t in self.desired.tables}  # dropped later, with their indexes and triggers
        cur, want = self.current, self.desired
        for kind, objects, wanted in (
                ("TRIGGER", [t for t in cur.triggers if fold(t.table) not in gone], want.triggers),
                ("VIEW", cur.views, want.views),
                ("INDEX", [i for t in cur.tables if fold(t.name) not in gone for i in t.indexes if i.sql],
                 [i for t in want.tables for i in t.indexes])):
            keep = {fold(o.name) for o in wanted}
            for o in objects:
                if fold(o.name) not in keep:
                    self.run(f"DROP {kind} {quote(o.name)}", f"{kind.lower()} {o.name}", "dropped", "drop")

    def _rename(self, tables: list[tuple[str, str]], columns: list[tuple[str, str, str]]) -> None:
        for old, new in tables:
            self.run(f"ALTER TABLE {quote(old)} RENAME TO {quote(new)}", f"table {old}", f"renamed to {new}", "alter")
        for table, old, new in columns:
            self.run(f"ALTER TABLE {quote(table)} RENAME COLUMN {quote(old)} TO {quote(new)}",
                     f"table {table}", f"column {old} renamed to {new}", "alter")

    def _drop_changed(self, now: Schema) -> None:
        """Drop triggers, views and indexes whose definition changes (they are created again
        at the end), and the tables the desired schema does not have."""
        want = self.desired
        for kind, objects, wanted, sig in (
                ("TRIGGER", now.triggers, want.triggers, trigger_signature),
                ("VIEW", now.views, want.views, view_signature),
                ("INDEX", [i for t in now.tables for i in t.indexes if i.sql],
                 [i for t in want.tables for i in t.indexes if i.sql], index_signature)):
            by_name = {fold(o.name): o for o in wanted}
            for o in objects:
                if fold(o.name) in by_name and sig(by_name[fold(o.name)]) != sig(o):
                    self.run(f"DROP {kind} {quote(o.name)}", f"{kind.lower()} {o.name}", "changed (dropped, created again)", "rebuild")
        keep = {fold(t.name) for t in [*want.tables, *want.virtual_tables]}
        for t in [*now.tables, *now.virtual_tables]:
            if fold(t.name) not in keep:
                kind = "table" if isinstance(t, Table) else "virtual table"
                self.run(f"DROP TABLE {quote(t.name)}", f"{kind} {t.name}", "dropped", "drop")

    def _create_tables(self, now: Schema) -> None:
        have = {fold(t.name) for t in [*now.tables, *now.virtual_tables]}
        for t in [*creation_order(self.desired.tables), *self.desired.virtual_tables]:
            if fold(t.name) not in have:
                kind = "table" if isinstance(t, Table) else "virtual table"
                self.run(t.sql, f"{kind} {t.name}", "created", "create")

    def _alter(self, before: Table, after: Table) -> bool:
        """Make the change with ALTER TABLE ADD/DROP COLUMN when SQLite allows it and the
        result equals ``after`` (tried on the in-memory copy); False: rebuild instead."""
        dropped = [c for c in before.columns if not after.column(c.name)]
        added = [c for c in after.columns if not before.column(c.name)]
        kept = [c.name for c in before.columns if c not in dropped]
        if not (dropped or added) or [fold(n) for n in kept + [c.name for c in added]] != [fold(c.name) for c in after.columns]:
            return False
        pieces = {fold(unquote(tokens(p)[0][1])): p for p in table_pieces(after.sql) if tokens(p)}
        for c in added:
            default = (c.default or "NULL").strip()
            if c.pk or c.generated == "stored" or (c.notnull and fold(default) == "null") \
                    or default.startswith("(") or fold(c.name) not in pieces:
                return False
        steps = [(f"ALTER TABLE {quote(after.name)} DROP COLUMN {quote(c.name)}", f"drop column {c.name}") for c in dropped]
        steps += [(f"ALTER TABLE {quote(after.name)} ADD COLUMN {pieces[fold(c.name)]}", f"add column {c.name}") for c in added]
        self.db.execute("SAVEPOINT try_alter")
        try:
            for sql, _ in steps:
                self.db.execute(sql)
            ok = table_signature(read_table(self.db, after.name)) == table_signature(after)
        except sqlite3.Error:
            ok = False
        if not ok:
            self.db.execute("ROLLBACK TO try_alter")
        self.db.execute("RELEASE try_alter")
        if ok:
            for sql, change in steps:
                self.statements.append(sql + ";")
                self.changes.append(Change(f"table {after.name}", change, "alter"))
        return ok

    def _rebuild(self, before: Table, after: Table) -> None:
        """The 12-step rebuild (see the module docstring): every row, the rowid, the
        AUTOINCREMENT counter and the exact desired text are kept."""
        obj = f"table {after.name}"
        copied = [c for c in after.columns if not c.generated and before.column(c.name)]
        for c in after.columns:
            if not before.column(c.name) and c.notnull and not c.generated and c.default is None \
                    and c.name != after.rowid_alias:
                raise UnsafeChange(obj, f"new column {c.name} is NOT NULL without a DEFAULT, so the rows "
                                   "already there would have no value", hint="give it a DEFAULT")
        targets = [quote(c.name) for c in copied]
        sources = [quote(before.column(c.name).name) for c in copied]
        alias = after.rowid_alias
        if not (before.without_rowid or after.without_rowid) and (alias is None or not after.column(alias) in copied):
            taken = {fold(c.name) for c in [*before.columns, *after.columns]}
            rowid = next((r for r in ("rowid", "_rowid_", "oid") if r not in taken), None)
            targets, sources = ([rowid] if rowid else []) + targets, ([rowid] if rowid else []) + sources
        taken = {fold(n) for (n,) in self.db.execute("SELECT name FROM sqlite_schema")}
        old = next(f"_vfmigrate_old_{after.name}{n or ''}" for n in range(1000)
                   if fold(f"_vfmigrate_old_{after.name}{n or ''}") not in taken)
        self.run("PRAGMA legacy_alter_table = ON")
        self.run(f"ALTER TABLE {quote(before.name)} RENAME TO {quote(old)}")
        self.run(after.sql, obj, describe_change(before, after), "rebuild")
        if targets:  # no column in common (and no rowid): the rows have nothing to keep
            self.run(f"INSERT INTO {quote(after.name)} ({', '.join(targets)}) SELECT {', '.join(sources)} FROM {quote(old)}")
        if before.autoincrement and after.autoincrement:
            new_s, old_s = "'" + after.name.replace("'", "''") + "'", "'" + old.replace("'", "''") + "'"
            self.run(f"DELETE FROM sqlite_sequence WHERE name = {new_s} "
                     f"AND seq <= (SELECT seq FROM sqlite_sequence WHERE name = {old_s})")
            self.run(f"UPDATE sqlite_sequence SET name = {new_s} WHERE name = {old_s} "
                     f"AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = {new_s})")
        self.run(f"DROP TABLE {quote(old)}")
        self.run("PRAGMA legacy_alter_table = OFF")

    def _create_dependents(self) -> None:
        """Create the desired indexes, views and triggers that are missing (new, changed, or
        gone with a rebuilt table), each kind in the desired schema's order."""
        now, old, new = read_schema(self.db), self.current, self.desired
        for kind, wanted, had, present in (
                ("index", [i for t in new.tables for i in t.indexes if i.sql],
                 [i for t in old.tables for i in t.indexes], [i for t in now.tables for i in t.indexes]),
                ("view", new.views, old.views, now.views), ("trigger", new.triggers, old.triggers, now.triggers)):
            present, old_names = {fold(o.name) for o in present}, {fold(o.name) for o in had}
            for o in wanted:
                if fold(o.name) not in present:
                    fresh = fold(o.name) not in old_names
                    self.run(o.sql, f"{kind} {o.name}", "created" if fresh else "", "create" if fresh else "")
