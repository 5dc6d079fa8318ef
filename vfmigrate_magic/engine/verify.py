"""``verify``: a proof, on a copy in memory, that each DOWN section reverses its UP.

For each migration in turn the copy's fingerprint -- its schema and every row of every
table -- is taken before the UP (A) and after it (B); the DOWN must bring back A, and the
UP run again must bring back B. The real engine runs the migrations
(:class:`~.runner.MigrationRunner`, :class:`~.rollback.RollbackManager`), on an in-memory
database, so nothing is logged and the real database is only read (with the backup API).
"""

from __future__ import annotations

import os
import sqlite3
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from .compare import differences, fold, quote
from .errors import BadMigrationFile, MigrationError, MigrationFailed, RefusedByState
from .files import Migration, discover
from .results import display_path, plural
from .rollback import RollbackManager
from .runner import MigrationRunner
from .schema import Schema, read_schema
from .sqlite import database_path
from .tracker import VersionTracker

IRREVERSIBLE = "no DOWN section (irreversible)"
# (how a line about rows begins, how a line about the schema begins)
_DOWN = ("DOWN does not restore", "DOWN leaves the schema different")
_AGAIN = ("the second UP differs from the first:", "the second UP differs from the first")
# compare.differences ends each line with one of these; said here from the copy's side.
_SCHEMA_WORDS = {": only in the first schema": " is missing", ": only in the second schema": " is extra",
                 ": differs": " is defined differently"}


@dataclass(frozen=True, slots=True)
class Verified:
    """One migration verified: ``ok`` when its DOWN reverses its UP and a second UP gives
    what the first gave; else ``problems``, one line each."""

    version: int
    file: str
    ok: bool
    problems: tuple[str, ...] = ()
    checksum: str = ""  # of the file verified: status says "verified" while the file is unchanged

    @property
    def label(self) -> str:
        """``003_add_roles`` -- the file name without ``.sql``."""
        return self.file.removesuffix(".sql")

    def __str__(self) -> str:
        if self.ok:
            return f"✓ {self.label}: DOWN reverses UP"
        return f"✗ {self.label}: " + "; ".join(self.problems)


@dataclass(frozen=True, slots=True)
class VerifyReport:
    """What ``verify`` found. ``replayed_all``: the migrations were replayed from an empty
    database (else: the pending ones, on a copy of ``database``). ``unverified``: the
    migrations after one whose UP failed, which could not be verified."""

    database: str
    replayed_all: bool
    migrations: tuple[Verified, ...]
    unverified: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.unverified and all(m.ok for m in self.migrations)

    def __str__(self) -> str:
        lines = [str(m) for m in self.migrations]
        if self.unverified:
            lines.append(f"{plural(len(self.unverified), 'later migration')} not verified, because the UP of "
                         f"{self.migrations[-1].label} fails: {', '.join(self.unverified)}")
        if not self.migrations:
            where = "in the folder" if self.replayed_all else f"pending on {display_path(self.database)}"
            return "\n".join([*lines, f"No migrations {where} to verify"])
        good = sum(m.ok for m in self.migrations)
        bad = len(self.migrations) - good
        lines.append(f"{plural(len(self.migrations), 'migration')} verified: {good} reverse{'s' if good == 1 else ''}, "
                     f"{bad} {'does' if bad == 1 else 'do'} not")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A database's schema and rows: ``tables`` maps a folded table name to (its name, its
    column names, its rows by key). ``schema_migrations`` is left out."""

    schema: Schema
    tables: dict[str, tuple[str, tuple[str, ...], dict]]


def verify(conn: sqlite3.Connection | None, migrations_dir: str | os.PathLike[str], *, all: bool = False,
           database: str = "", migrations: list[Migration] | None = None) -> VerifyReport:
    """Verify that each DOWN reverses its UP, on a copy in memory. Read-only on ``conn``.

    ``conn``: the real database (None when its file does not exist yet). Without ``all``,
    each pending migration of ``conn`` is verified, in version order, on a copy made with the
    backup API; with ``all`` (or no ``conn``), every migration of the folder is replayed from
    an empty database. ``database``: the name in the report (default: ``conn``'s file);
    ``migrations``: the folder's files, already read (a fleet reads them once).

    For each: UP, DOWN (must give back the schema and rows from before the UP), UP again
    (must give what the first UP gave; tried only when the DOWN passed). The copy then goes
    on from what the first UP left. A migration without a DOWN is reported and its UP
    applied; verification goes on. A migration whose UP fails is reported and verification
    stops there (the report's ``unverified``). Nothing is logged: the engine runs on the copy.

    Raises BadMigrationFile for a folder that cannot be read, and what ``up`` would refuse
    before running anything: TrackingTableError, ChecksumMismatch, OutOfOrder.
    """
    folder = Path(migrations_dir)
    if migrations is None:
        migrations = discover(folder)
    replayed = all or conn is None
    label = database or (database_path(conn) if conn is not None else None) or ":memory:"
    copy = sqlite3.connect(":memory:", isolation_level=None)
    try:
        if not replayed:
            conn.backup(copy)
        applied = VersionTracker(copy).applied()
        todo = [m for m in migrations if m.version not in applied]
        runner = MigrationRunner(folder)
        rollback = RollbackManager(folder, backup=False)
        results: list[Verified] = []
        unverified: tuple[str, ...] = ()
        current = fingerprint(copy)
        for index, migration in enumerate(todo):
            verified, current = _verify_one(copy, migration, migrations, runner, rollback, current)
            results.append(verified)
            if current is None:
                unverified = tuple(m.label for m in todo[index + 1:])
                break
        return VerifyReport(label, replayed, tuple(results), unverified)
    finally:
        copy.close()


def _verify_one(copy: sqlite3.Connection, m: Migration, migrations: list[Migration], runner: MigrationRunner,
                rollback: RollbackManager, before: Fingerprint) -> tuple[Verified, Fingerprint | None]:
    """UP, DOWN, UP again on ``copy``, whose fingerprint is ``before``. Leaves the copy with
    the UP applied, as the first UP left it, and returns its fingerprint (None: the UP failed,
    the copy cannot go on)."""
    try:
        runner.migrate_up(copy, to=m.version, migrations=migrations)
    except RefusedByState:
        raise
    except MigrationError as exc:
        return Verified(m.version, m.filename, False, (f"UP fails: {one_line(exc)}",), m.checksum), None
    after = fingerprint(copy)
    if not m.reversible:
        return Verified(m.version, m.filename, False, (IRREVERSIBLE,), m.checksum), after
    snapshot = sqlite3.connect(":memory:", isolation_level=None)
    try:
        copy.backup(snapshot)
        problems = _down_and_up(copy, m, migrations, runner, rollback, before, after)
        if problems:
            snapshot.backup(copy)  # back to what the first UP left
    finally:
        snapshot.close()
    return Verified(m.version, m.filename, not problems, tuple(problems), m.checksum), after


def _down_and_up(copy: sqlite3.Connection, m: Migration, migrations: list[Migration], runner: MigrationRunner,
                 rollback: RollbackManager, before: Fingerprint, after: Fingerprint) -> list[str]:
    """The DOWN of ``m`` must restore ``before``; then the UP run again must restore
    ``after`` (not tried when the DOWN did not restore ``before``: the second UP would start
    from elsewhere, and what it does then says nothing more about this migration)."""
    try:
        rollback.rollback(copy, steps=1)
    except MigrationError as exc:
        return [f"DOWN fails: {one_line(exc)}"]
    problems = compare(before, fingerprint(copy), *_DOWN)
    if problems:
        return problems
    try:
        runner.migrate_up(copy, to=m.version, migrations=migrations)
    except MigrationError as exc:
        return [f"the second UP fails: {one_line(exc)}"]
    return compare(after, fingerprint(copy), *_AGAIN)


def compare(expected: Fingerprint, found: Fingerprint, rows_prefix: str, schema_prefix: str) -> list[str]:
    """One line per schema difference, then one per table whose rows differ. Rows are
    compared for the tables that are in both, with the same columns (else the schema
    line says it)."""
    problems = [f"{schema_prefix}: {_reword(line)}" for line in differences(expected.schema, found.schema)]
    for key, (name, columns, rows) in expected.tables.items():
        other = found.tables.get(key)
        if other is None or tuple(map(fold, other[1])) != tuple(map(fold, columns)):
            continue
        count = rows_differing(rows, other[2])
        if count:
            verb = "differs" if count == 1 else "differ"
            problems.append(f"{rows_prefix} table {name}: {plural(count, 'row')} {verb}")
    return problems


def rows_differing(a: dict, b: dict) -> int:
    """Rows whose key is in only one of ``a`` and ``b``, plus rows with the same key and
    different values (a value's type counts: 1 is not 1.0, '1' is not b'1')."""
    count = len(a.keys() ^ b.keys())
    for key in a.keys() & b.keys():
        x, y = a[key], b[key]
        if x != y or list(map(type, x)) != list(map(type, y)):
            count += 1
    return count


def _reword(line: str) -> str:
    for ending, words in _SCHEMA_WORDS.items():
        if line.endswith(ending):
            return line[: -len(ending)] + words
    return line


def fingerprint(conn: sqlite3.Connection) -> Fingerprint:
    """The schema (:func:`~.schema.read_schema`) and every row of every table of ``conn``:
    ordinary tables keyed by rowid (WITHOUT ROWID ones by primary key), generated columns
    left out; virtual tables keyed by rowid where they have one; ``sqlite_sequence`` keyed
    by table name. Read-only (a full scan of each table)."""
    schema = read_schema(conn)
    saved = conn.text_factory
    # Text that is not valid UTF-8 is still compared, not an error.
    conn.text_factory = lambda raw: raw.decode("utf-8", "surrogateescape")
    try:
        tables: dict[str, tuple[str, tuple[str, ...], dict]] = {}
        for table in schema.tables:
            columns = tuple(c.name for c in table.columns if not c.generated)
            if table.without_rowid:
                key = [c.name for c in sorted(table.columns, key=lambda c: c.pk) if c.pk]
                rows = _rows_by_columns(conn, table.name, key, columns)
            else:
                rows = _rows_by_rowid(conn, table.name, [c.name for c in table.columns], columns)
            tables[fold(table.name)] = (table.name, columns, rows)
        for vtable in schema.virtual_tables:
            try:
                cursor = conn.execute(f"SELECT rowid, * FROM {quote(vtable.name)}")
                columns = tuple(d[0] for d in cursor.description[1:])
                tables[fold(vtable.name)] = (vtable.name, columns, {r[0]: r[1:] for r in cursor})
            except sqlite3.Error:
                pass  # no rowid, or a module this connection lacks: its schema line still counts
        exists = conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").fetchone()
        sequence = dict(conn.execute("SELECT name, seq FROM sqlite_sequence")) if exists else {}
        tables["sqlite_sequence"] = ("sqlite_sequence", ("seq",), {k: (v,) for k, v in sequence.items()})
        return Fingerprint(schema, tables)
    finally:
        conn.text_factory = saved


def _rows_by_rowid(conn: sqlite3.Connection, name: str, every: list[str], columns: tuple[str, ...]) -> dict:
    taken = {fold(c) for c in every}
    rowid = next((alias for alias in ("rowid", "_rowid_", "oid") if alias not in taken), None)
    if rowid is None:  # every alias of the rowid is a column's name: key by the rows themselves
        return _rows_by_columns(conn, name, [], columns)
    select = ", ".join([rowid, *map(quote, columns)])
    return {r[0]: r[1:] for r in conn.execute(f"SELECT {select} FROM {quote(name)} ORDER BY {rowid}")}


def _rows_by_columns(conn: sqlite3.Connection, name: str, key: list[str], columns: tuple[str, ...]) -> dict:
    """Rows keyed by the ``key`` columns; with no key, by the row itself and how many times
    it has been seen (a multiset)."""
    folded = [fold(c) for c in columns]
    places = [folded.index(fold(k)) for k in key]
    rows: dict = {}
    seen: Counter = Counter()
    for row in conn.execute(f"SELECT {', '.join(map(quote, columns))} FROM {quote(name)}"):
        if places:
            rows[tuple(row[i] for i in places)] = row
        else:
            exact = tuple((type(v).__name__, v) for v in row)
            rows[exact, seen[exact]] = row
            seen[exact] += 1
    return rows


def one_line(exc: MigrationError) -> str:
    """An engine error in one line, without the advice meant for a real run."""
    if isinstance(exc, MigrationFailed):
        text = f"statement {exc.statement} (line {exc.line}): {exc.reason}" if exc.statement else exc.reason
    elif isinstance(exc, BadMigrationFile):
        text = f"line {exc.line}: {exc.reason}" if exc.line else exc.reason
    else:
        text = str(exc)
    return " ".join(text.split())
