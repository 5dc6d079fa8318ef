"""Migrations with their tracking rows as ONE batch on a Hrana server: one request, one
transaction (:class:`MigrationBatch`).

``BEGIN IMMEDIATE``; ``CREATE TABLE IF NOT EXISTS schema_migrations``; then for each migration
its tracking row (up: INSERT it, which also claims the version: a runner that comes second fails
on the primary key and its batch stops there; down: a guard that fails when a newer version is
applied, an INSERT of the bare version as a probe, which must fail on the primary key, then the
DELETE of the row); a clock step, ``SELECT total_changes(), julianday('now') * 86400000``, and
then each statement followed by a clock step (rows changed per statement, and the time); up:
the elapsed time into the row. Then ``COMMIT``, and a ``ROLLBACK`` when the COMMIT did not
succeed (and BEGIN did, and a transaction is still open). Every other step runs only when the
one before it succeeded (the DELETE: when the probe failed), so a failing statement leaves
nothing. A dry run ends in ROLLBACK instead of COMMIT, and reads ``sqlite_schema`` before and
after each migration (what it creates, drops and alters). The probe reads any failure as "the
row is there": check the table's columns first (as ``VersionTracker.exists`` does).

Facts about ``tursodb`` this relies on are in :mod:`.hrana`'s docstring; also: ``INSERT ...
SELECT`` from the table it inserts into works, and ``julianday('now')`` moves between the
statements of one batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .errors import MigrationFailed, RefusedByState
from .files import Migration
from .hrana import (
    IS_AUTOCOMMIT, BatchResult, Condition, HranaClient, ServerError, ServerLocked, Step, Value, and_, error, is_locked,
    not_, ok,
)
from .statements import Statement
from .tracker import CREATE_TABLE, TABLE

CLOCK = "SELECT total_changes(), julianday('now') * 86400000"
SCHEMA = "SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%'"
CLAIM = (f"INSERT INTO {TABLE} (version, name, applied_at, checksum, execution_time_ms) "
         "VALUES (?, ?, strftime('%Y-%m-%d %H:%M:%S', 'now'), ?, julianday('now') * 86400000)")
# Fails on the primary key exactly when a version above ? is applied: it inserts one of them again.
NEWER = f"INSERT INTO {TABLE} (version) SELECT version FROM {TABLE} WHERE version > ? LIMIT 1"
PROBE = f"INSERT INTO {TABLE} (version) VALUES (?)"
DELETE = f"DELETE FROM {TABLE} WHERE version = ?"
TIME = (f"UPDATE {TABLE} SET execution_time_ms = CAST(round(julianday('now') * 86400000 - execution_time_ms) "
        "AS INTEGER) WHERE version = ? RETURNING applied_at, execution_time_ms")


@dataclass(frozen=True, slots=True)
class MigrationOutcome:
    """What a batch did to one migration. ``skipped``: nothing ran because another runner got
    there first (up: the version was applied; down: it was not). ``rows_changed``: per
    statement. ``applied_at``/``execution_time_ms``: the tracking row written (up), and
    ``duration_ms`` the statements' time, by the server's clock. ``created``/``dropped``/
    ``altered``: schema objects (a dry run only)."""

    skipped: bool
    rows_changed: tuple[int, ...] = ()
    applied_at: str | None = None
    execution_time_ms: int | None = None
    duration_ms: float = 0.0
    created: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    altered: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Role:
    """What a step is: ``kind``, the migration it belongs to (``part``, -1: none), its statement."""

    kind: str
    part: int = -1
    stmt: Statement | None = None


class MigrationBatch:
    """``migrations`` (in the order to run: newest first for down) as one batch; see the module
    docstring. One migration is the usual case (``up`` and ``down`` send one batch each); a dry
    run and ``--tx all`` send the whole plan as one."""

    def __init__(self, migrations: Sequence[Migration], *, direction: str = "up", dry_run: bool = False) -> None:
        if not migrations:
            raise ValueError("a batch needs at least one migration")
        self.migrations, self.direction, self.dry_run = list(migrations), direction, dry_run
        first, last = self.migrations[0].filename, self.migrations[-1].filename
        self.label = first if first == last else f"{first} to {last}"
        self.steps: list[Step] = []
        self.roles: list[_Role] = []
        self.where: dict[tuple[str, int], int] = {}  # (kind, part) -> the step's index
        self._add("BEGIN IMMEDIATE", _Role("begin"), first=True)
        self._add(CREATE_TABLE, _Role("table"))
        if dry_run:
            self._add(SCHEMA, _Role("schema", -1))
        for part, m in enumerate(self.migrations):
            if direction == "up":
                self._add(CLAIM, _Role("claim", part), (m.version, m.name, m.checksum))
            else:
                self._add(NEWER, _Role("newer", part), (m.version,))
                self._add(PROBE, _Role("probe", part), (m.version,))
                self._add(DELETE, _Role("delete", part), (m.version,), condition=error(len(self.steps) - 1))
            self._add(CLOCK, _Role("count", part))
            for stmt in m.statements(direction):
                self._add(stmt.sql, _Role("statement", part, stmt))
                self._add(CLOCK, _Role("count", part))
            if direction == "up":  # the claim stored the start time in execution_time_ms
                self._add(TIME, _Role("time", part), (m.version,))
            if dry_run:
                self._add(SCHEMA, _Role("schema", part))
        if not dry_run:
            self._add("COMMIT", _Role("commit"))
        # Undo only a transaction this batch began and that is still open (SQLite rolls some
        # errors back by itself); on tursodb an open transaction would block every client.
        end = [not_(ok(len(self.steps) - 1))] if not dry_run else []
        self._add("ROLLBACK", _Role("rollback"), condition=and_(ok(0), *end, not_(IS_AUTOCOMMIT)))

    def _add(self, sql: str, role: _Role, args: tuple[Value, ...] = (), *, first: bool = False,
             condition: Condition | None = None) -> None:
        if condition is None and not first:
            condition = ok(len(self.steps) - 1)
        self.where.setdefault((role.kind, role.part), len(self.steps))
        self.steps.append(Step(sql, args=args, condition=condition))
        self.roles.append(role)

    def run(self, client: HranaClient, *, applied: tuple[int, ...] = ()) -> tuple[MigrationOutcome, ...]:
        """Send the batch; see :meth:`read` for what it returns and raises."""
        return self.read(client.batch(self.steps), client.url, applied=applied)

    def read(self, result: BatchResult, url: str, *, applied: tuple[int, ...] = ()) -> tuple[MigrationOutcome, ...]:
        """One outcome per migration, or raise: MigrationFailed naming the statement and line
        that failed, RefusedByState when another runner changed a migration of a batch of
        several meanwhile (nothing was changed), ServerLocked, or ServerError. ``applied``: the
        run's earlier migrations, which stay (named in MigrationFailed's message)."""
        failures = [(i, e.message) for i, e in enumerate(result.errors)
                    if e is not None and self.roles[i].kind != "probe"]
        if failures:
            return self._failed(result, url, applied, *failures[0])
        outcomes = []
        for part, m in enumerate(self.migrations):
            if self.direction == "down" and result.results[self.where["probe", part]] is not None:
                return self._taken(m)  # the probe went in: the version is not applied
            outcomes.append(self._outcome(result, part))
        return tuple(outcomes)

    def _failed(self, result: BatchResult, url: str, applied: tuple[int, ...], failed: int,
                reason: str) -> tuple[MigrationOutcome, ...]:
        role, last = self.roles[failed], len(self.steps) - 1
        m = self.migrations[role.part] if role.part >= 0 else None
        if failed != last and result.errors[last] is not None:
            raise ServerError(url, f"{self.label}: the ROLLBACK after a failed step failed too "
                                   f"({result.errors[last].message}); the server may hold an open transaction")
        if role.kind == "claim" and "UNIQUE" in reason:
            return self._taken(m)
        if role.kind == "newer" and "UNIQUE" in reason:
            raise RefusedByState(f"{m.filename}: another runner applied a newer version meanwhile; run 'vfmigrate "
                                 "status' and try again. Nothing more was rolled back.")
        if is_locked(reason):
            raise ServerLocked(url, reason)
        if role.stmt is not None:
            raise MigrationFailed(m.filename, role.stmt.index, role.stmt.line, reason, direction=self.direction,
                                  sql=role.stmt.summary, applied=applied)
        if role.kind == "begin" and "within a transaction" in reason:
            reason += ": a transaction another client left open on the server's connection (tursodb shares one)"
        undone = "nothing was changed" if role.kind in ("begin", "table", "claim", "newer", "delete") else \
            f"nothing from {self.label} was applied"
        raise ServerError(url, f"{m.filename if m else self.label}: {_STEP_NAMES[role.kind]} failed ({reason}); "
                               f"{undone}")

    def _taken(self, m: Migration) -> tuple[MigrationOutcome, ...]:
        """Another runner got to ``m`` first: skipped, when it is this batch's only migration."""
        if len(self.migrations) == 1:
            return (MigrationOutcome(skipped=True),)
        done = "applied" if self.direction == "up" else "rolled back"
        raise RefusedByState(f"{m.filename}: another runner {done} it meanwhile, so this batch of "
                             f"{len(self.migrations)} migrations was undone; run 'vfmigrate status' and try again. "
                             "Nothing was changed.")

    def _outcome(self, result: BatchResult, part: int) -> MigrationOutcome:
        clocks = [r.rows[0] for r, role in zip(result.results, self.roles)
                  if r is not None and role.kind == "count" and role.part == part]
        rows = tuple(b[0] - a[0] for a, b in zip(clocks, clocks[1:]))
        duration = round(max(0.0, clocks[-1][1] - clocks[0][1]), 3) if clocks else 0.0
        applied_at = ms = None
        timed = result.results[self.where["time", part]] if ("time", part) in self.where else None
        if timed is not None and timed.rows:
            applied_at, ms = timed.rows[0]
        changes: tuple[tuple[str, ...], ...] = ((), (), ())
        if self.dry_run:
            before, after = (result.results[self.where["schema", p]] for p in (part - 1, part))
            changes = _changes(before.rows, after.rows)
        return MigrationOutcome(False, rows, applied_at, ms, duration, *changes)


def _changes(before_rows, after_rows) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(created, dropped, altered) between two reads of ``sqlite_schema``, as a file's dry run says them."""
    before = {(kind, name): sql or "" for kind, name, sql in before_rows}
    after = {(kind, name): sql or "" for kind, name, sql in after_rows}
    created = tuple(f"{kind} {name}" for kind, name in sorted(after.keys() - before.keys()) if name != TABLE)
    dropped = tuple(f"{kind} {name}" for kind, name in sorted(before.keys() - after.keys()))
    altered = tuple(f"{kind} {name}" for kind, name in sorted(before.keys() & after.keys())
                    if before[kind, name] != after[kind, name])
    return created, dropped, altered


_STEP_NAMES = {"begin": "BEGIN IMMEDIATE", "table": f"creating {TABLE}", "claim": f"recording the version in {TABLE}",
               "newer": f"checking {TABLE} for a newer version", "delete": f"removing the version from {TABLE}",
               "count": "SELECT total_changes()", "time": "recording the execution time",
               "schema": "reading sqlite_schema",
               "commit": "COMMIT", "rollback": "ROLLBACK"}
