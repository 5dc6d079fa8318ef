"""Rows at risk: what each statement of a run would destroy, counted on the real data inside
the run's transaction (a dry run rolls it all back): pass ``watch=RiskMeter()`` to a runner.
SQLite is the parser: before a statement runs, it is compiled under ``EXPLAIN`` on a probe
(an in-memory copy of the run's schema, no rows) whose authorizer collects what it would do.
The run's connection keeps its own authorizer (the guard); every count on it only reads."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from .compare import fold
from .files import Migration
from .results import Finding
from . import risk_counts as counts
from .schema import Index, read_table
from .statements import Statement
from .step import Watch

_WRITES = {sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE, sqlite3.SQLITE_DROP_TABLE,
           sqlite3.SQLITE_ALTER_TABLE}
_TABLE_IN_ARG2 = {sqlite3.SQLITE_ALTER_TABLE, sqlite3.SQLITE_CREATE_INDEX}  # arg1: the database, the index


@dataclass
class _Risk:
    """Rows a statement puts at risk, held until the migration's end. ``origin``: the folded
    name its table had when the migration started (a cascade's: the parent's)."""
    stmt: Statement
    kind: str
    table: str
    origin: str
    rows: int  # a delete's: the rows before it, until ``after`` subtracts those left
    object: str
    columns: dict[str, int] = field(default_factory=dict)  # drop-table: non-NULL values per column


@dataclass
class _Plan:
    """What ``before`` counted for the statement about to run, for ``after``."""
    risks: list[_Risk] = field(default_factory=list)
    orphans: list[tuple[str, dict[str, int]]] = field(default_factory=list)  # parent, orphans before
    names: dict[str, str] = field(default_factory=dict)  # the tables before it (to follow a rename)
    provisional: list[Finding] = field(default_factory=list)  # constraint-fails, withdrawn if it runs


class _Probe:
    """A schema-only copy of a connection's main database to compile statements on, copied
    again when ``version`` differs from the connection's ``schema_version``."""

    def __init__(self) -> None:
        self.db: sqlite3.Connection | None = None
        self.version: int | None = None

    def actions(self, conn: sqlite3.Connection, sql: str) -> list[tuple]:
        """The (action, arg1, arg2, arg3, source) tuples compiling ``sql`` asks the authorizer
        about (source: None, or a trigger's or view's name); none when it does not compile."""
        self._sync(conn)
        seen: list[tuple] = []
        self.db.set_authorizer(lambda *args: seen.append(args) or sqlite3.SQLITE_OK)
        try:
            self.db.execute("EXPLAIN " + sql)
        except sqlite3.Error:
            return []
        finally:
            self.db.set_authorizer(None)
        return seen

    def index(self, conn: sqlite3.Connection, sql: str, table: str, name: str) -> Index | None:
        """The index ``sql`` creates, read back after creating it on the probe (copied anew next)."""
        self._sync(conn)
        self.version = None
        try:
            self.db.execute(sql)
        except sqlite3.Error:
            return None
        found = read_table(self.db, table)
        return next((i for i in found.indexes if fold(i.name) == fold(name)), None) if found else None

    def _sync(self, conn: sqlite3.Connection) -> None:
        version = conn.execute("PRAGMA schema_version").fetchone()[0]
        if version == self.version:
            return
        if self.db is not None:
            self.db.close()
        self.db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        # Tables first: an index or trigger needs its table (a view or trigger body needs nothing).
        for (sql,) in conn.execute("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND "
                                   "name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type != 'table', rowid"):
            try:
                self.db.execute(sql)
            except sqlite3.Error:  # a virtual table's module or shadow table: not needed here
                pass
        self.version = version


class RiskMeter(Watch):
    """Counts into ``findings`` the rows each statement puts at risk; every kind reports only
    rows > 0 (a DROP TABLE of an empty table is no finding). Kind, object, and count:

    - ``drop-table`` t: its rows before the DROP TABLE.
    - ``drop-column`` t.c: c's non-NULL values before ALTER TABLE t DROP COLUMN c, or before a
      rebuild of t that has no column of that name (so a rename in a rebuild counts too).
    - ``delete`` t: its rows before a DELETE FROM t minus after (triggers' work not counted).
    - ``rebuild-loss`` t: t was dropped (under its name or one it was renamed to) and a table of
      its name exists at the end: its rows when the migration first wrote to it minus those at
      the end. Its DROP TABLE and DELETEs are then not reported (a full copy: no finding).
    - ``cascade`` "child via parent": a run has foreign keys off, so a parent's DELETE or DROP
      TABLE cascades nothing, unlike in the application: the child rows it leaves without a
      parent through an ON DELETE CASCADE / SET NULL / SET DEFAULT key (``foreign_key_check``)
      and still without one at the end (a rebuilt parent's children have theirs); then, level
      by level, the rows the application would lose with those children ("grandchild via child").
    - ``constraint-fails`` "t.c NOT NULL" / "t(a, b) UNIQUE" / "t CHECK (...)", the rows that
      make a statement fail: for CREATE UNIQUE INDEX (on columns, not partial) the rows in groups
      of equal keys; for INSERT INTO t SELECT ... FROM s (one table: a rebuild's copy), by column
      name, the rows of s with NULL where t says NOT NULL or in groups of equal keys of a unique
      key of t (counted before the statement, withdrawn when it runs). Any other NOT NULL, UNIQUE
      or CHECK failure: counted when it happens (:func:`.risk_counts.failed_rows`).

    Per migration: tables are noted at its first statement, a table's rows counted when a
    statement (or trigger) first writes to it, renames followed. All but constraint-fails is
    settled after its last statement (``stmt.index == len(migration.statements(direction))``):
    rebuilds found, cascades undone by then and risks to tables it created (copies) dropped;
    a migration that fails reports only constraint-fails.
    """

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self._probe = _Probe()
        self._start_names: dict[str, str] = {}  # folded -> name: the tables at the migration's start
        self._start_rows: dict[str, int] = {}  # folded start name -> rows, counted at the first write
        self._origin: dict[str, str] = {}  # folded name -> folded start name, of renamed tables
        self._pending: list[_Risk] = []
        self._baseline: dict[tuple[str, str], int] = {}  # (child, parent) -> orphans before a cascade
        self._plan = _Plan()
        self.checked: set[int] = set()  # versions with a statement run (the one that failed too)
        self._actions: list[tuple] = []  # (action, table, arg1, arg3) of the statement about to run

    def before(self, conn: sqlite3.Connection, migration: Migration, stmt: Statement, direction: str) -> None:
        if stmt.index == 1:
            self.checked.add(migration.version)
            self._start_names, self._start_rows, self._origin = counts.tables(conn), {}, {}
            self._pending, self._baseline, self._probe.version = [], {}, None
        tables = counts.tables(conn)
        # (action, table, arg1, arg3, source) for each action on one of the tables
        actions = [(a, name, arg1, arg3, source) for a, arg1, arg2, arg3, source in self._probe.actions(conn, stmt.sql)
                   if (name := tables.get(fold((arg2 if a in _TABLE_IN_ARG2 else arg1) or ""))) is not None]
        for action, name, *_ in actions:  # a trigger's writes too
            origin = self._origin_of(name)
            if action in _WRITES and origin in self._start_names and origin not in self._start_rows:
                self._start_rows[origin] = counts.count(conn, name)
        top = [a[:4] for a in actions if a[4] is None]
        self._actions = top
        dropped = {name for action, name, *_ in top if action == sqlite3.SQLITE_DROP_TABLE}  # it DELETEs too
        reads = {name for action, name, *_ in top if action == sqlite3.SQLITE_READ}
        plan = self._plan = _Plan(names=tables)
        for action, name, arg1, arg3 in top:
            if action == sqlite3.SQLITE_DROP_TABLE:
                rows, columns = counts.column_values(conn, name)
                plan.risks.append(_Risk(stmt, "drop-table", name, self._origin_of(name), rows, name, columns))
            elif action == sqlite3.SQLITE_ALTER_TABLE and arg3:  # DROP COLUMN arg3
                column = counts.columns(conn, name).get(fold(arg3), arg3)
                plan.risks.append(_Risk(stmt, "drop-column", name, self._origin_of(name),
                                        counts.count(conn, name, column), f"{name}.{column}"))
            elif action == sqlite3.SQLITE_DELETE and name not in dropped:
                plan.risks.append(_Risk(stmt, "delete", name, self._origin_of(name), counts.count(conn, name), name))
            elif action == sqlite3.SQLITE_CREATE_INDEX:
                index = self._probe.index(conn, stmt.sql, name, arg1)
                if index is not None and index.unique and not index.partial:
                    plan.provisional += counts.unique_fails(conn, name, name, index)
            elif action == sqlite3.SQLITE_INSERT and len(reads - {name}) == 1:
                plan.provisional += counts.fill_fails(conn, name, (reads - {name}).pop())
        plan.orphans = [(r.table, counts.orphans(conn, r.table)) for r in plan.risks if r.kind != "drop-column"]
        plan.provisional = [Finding(migration.version, migration.filename, direction, stmt.index, stmt.line,
                                    "constraint-fails", what, rows) for what, rows in plan.provisional if rows > 0]
        self.findings += plan.provisional

    def after(self, conn: sqlite3.Connection, migration: Migration, stmt: Statement, direction: str,
              rows_changed: int) -> None:
        plan, self._plan = self._plan, _Plan()
        for finding in plan.provisional:  # the statement ran: no constraint failed
            self.findings.remove(finding)
        for risk in plan.risks:
            if risk.kind == "delete":
                risk.rows -= counts.count(conn, risk.table)
            elif risk.kind == "drop-table":  # a table created later under its name is a new one
                self._origin.pop(fold(risk.table), None)
        self._pending += plan.risks
        for parent, before in plan.orphans:
            for child, orphans in counts.orphans(conn, parent).items():
                was = before.get(child, 0)
                if orphans > was:
                    self._baseline.setdefault((fold(child), fold(parent)), was)
                    self._pending.append(_Risk(stmt, "cascade", child, fold(parent), orphans - was, f"{child} via {parent}"))
        now = counts.tables(conn).keys()
        gone, new = plan.names.keys() - now, now - plan.names.keys()
        if len(gone) == 1 and len(new) == 1:  # a rename: the new name keeps the table's origin
            old = gone.pop()
            self._origin[new.pop()] = self._origin.pop(old, old)
        if stmt.index == len(migration.statements(direction)):
            self._settle(conn, migration, direction)

    def failed(self, conn: sqlite3.Connection, migration: Migration, stmt: Statement, direction: str,
               reason: str) -> None:
        """A statement the data makes fail, that ``before`` did not foresee: count the rows."""
        plan, self._plan = self._plan, _Plan()
        if plan.provisional:
            return
        written = [name for action, name, *_ in self._actions if action in _WRITES]
        found = counts.failed_rows(conn, stmt.sql, written[0], reason) if written else None
        if found is not None and found[1] > 0:
            self.findings.append(Finding(migration.version, migration.filename, direction, stmt.index, stmt.line,
                                         "constraint-fails", *found))

    def _origin_of(self, name: str) -> str:
        return self._origin.get(fold(name), fold(name))

    def _settle(self, conn: sqlite3.Connection, migration: Migration, direction: str) -> None:
        """After the migration's last statement: turn what is pending into findings."""
        now = counts.tables(conn)
        # A table of the start dropped and there again: a rebuild. Start name -> its first DROP TABLE.
        rebuilt = {r.origin: r for r in reversed(self._pending)
                   if r.kind == "drop-table" and r.origin in self._start_names and r.origin in now}
        found = []
        for origin, drop in rebuilt.items():
            name, kept = now[origin], counts.columns(conn, now[origin])
            lost = self._start_rows.get(origin, drop.rows) - counts.count(conn, name)
            found.append(_Risk(drop.stmt, "rebuild-loss", name, origin, lost, name))
            found += [_Risk(drop.stmt, "drop-column", name, origin, values, f"{name}.{column}")
                      for column, values in drop.columns.items() if fold(column) not in kept]
        left = {(child, parent): counts.orphans(conn, parent).get(now.get(child, child), 0) - before
                for (child, parent), before in self._baseline.items()}
        for risk in self._pending:
            if risk.kind == "cascade":  # no more than the orphans still there
                risk.rows = min(risk.rows, left[fold(risk.table), risk.origin])
                left[fold(risk.table), risk.origin] -= risk.rows
                found.append(risk)
                if risk.rows > 0:  # and what the application would lose further down with them
                    found += [_Risk(risk.stmt, "cascade", kid, fold(via), rows, f"{kid} via {via}")
                              for kid, via, rows in counts.descendants(conn, now.get(fold(risk.table), risk.table),
                                                                      risk.origin)]
            elif risk.origin in self._start_names and (risk.kind == "drop-column" or risk.origin not in rebuilt):
                found.append(risk)
        self.findings += [Finding(migration.version, migration.filename, direction, r.stmt.index, r.stmt.line,
                                  r.kind, r.object, r.rows) for r in sorted(found, key=lambda r: r.stmt.index) if r.rows > 0]
        self._pending, self._baseline = [], {}


