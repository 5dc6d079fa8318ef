"""The commands on a remote database: a Turso or libSQL server, over Hrana HTTP (:mod:`.hrana`).

:mod:`.commands` sends here every target that has a ``url``. ``status``, ``up``, ``down``,
``history`` and ``backups`` return the same reports as for a file, so the CLI's text, ``--json``
and the notebook's frames show them unchanged:

- the migration files are read and checked once, and the plan by the same code as a file's
  (``MigrationRunner.plan``, ``RollbackManager.plan``, reading the tracking rows through
  :class:`_Rows`): a checksum mismatch, an out-of-order or missing file, an irreversible DOWN
  and a ``-- vfmigrate: no-transaction`` file (a migration is one batch, so one transaction)
  are refused before the server is changed, and logged;
- each migration runs with its tracking row as ONE batch (:mod:`.remote_batch`), so a failing
  statement leaves nothing and two runners apply it once; ``--tx all`` and a dry run send the
  whole plan as one batch (a dry run's ends in ROLLBACK);
- ``down`` first pulls a backup into a local SQLite file (:mod:`.remote_backup`);
- the event log and those backups live in the current folder, in ``.vfmigrate/`` and named for
  the server's host and port (:func:`local_base`): the server keeps only the user's tables and
  ``schema_migrations``.

The server has no ``PRAGMA foreign_key_check`` (tursodb), so none runs, and the report says so.
``lint`` and ``verify`` run on a copy of the server's data pulled into a temporary file
(:func:`local_copy`); schema and diff from the database read its schema made again without rows
(:func:`schema_copy`); restore is refused (:func:`refuse`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import sqlite3
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

from . import history as event_log
from .backup import BackupFile, backup_path, list_backups, prune
from .config import Target
from .errors import (BadMigrationFile, DatabaseError, MigrationError, MigrationStopped, RefusedByState,
                     RemoteInterrupted, RemoteNotSupported)
from .files import Migration
from .history import EventLog, verified
from .hrana import HranaClient, ServerError, Value, endpoint
from .remote_batch import MigrationBatch, MigrationOutcome
from .results import (ExecutionMode, HistoryEvent, MigrationResult, RunReport, StatementResult, StatusReport,
                      display_path)
from .run import log_refusal, ok_event
from .sqlite import now_precise
from .tracker import VersionTracker

LOG_FOLDER = ".vfmigrate"
VACUUM_IN_TRANSACTION = "VACUUM cannot run inside a transaction"  # a file's reason (statements.py)


class _Rows:
    """The one call VersionTracker makes on a connection, ``execute(sql)`` -> rows, over Hrana:
    a server's tracking rows are read and checked by the same code as a file's."""

    def __init__(self, client: HranaClient) -> None:
        self.client = client

    def execute(self, sql: str, args: tuple[Value, ...] = ()) -> tuple[tuple[Value, ...], ...]:
        return self.client.execute(sql, args).rows


def refuse(target: Target, what: str, hint: str = "") -> None:
    """Raise RemoteNotSupported: ``what`` does not work on a remote database yet."""
    raise RemoteNotSupported(target.location, what, hint)


def local_base(target: Target) -> Path:
    """Where this computer keeps what belongs to the remote database: its event log is this
    path + ``.history.jsonl``, its backups this path + ``.<UTC time>.v<version>.bak``. In
    ``.vfmigrate/`` of the current folder (or the target's ``state_dir``), named for the
    server's host and port (and path): ``.vfmigrate/db-org.turso.io_443``."""
    parts = urllib.parse.urlsplit(endpoint(target.url))
    port = parts.port or (443 if parts.scheme == "https" else 80)
    name = f"{parts.hostname}_{port}{parts.path.replace('/', '_')}"
    folder = target.state_dir if target.state_dir is not None else Path.cwd() / LOG_FOLDER
    return folder / re.sub(r"[^A-Za-z0-9._-]", "_", name)


def status(target: Target, *, migrations: list[Migration] | None = None) -> StatusReport:
    """The state of every migration of ``target``, from its tracking rows on the server.
    Read-only (the server and this folder); raises ServerError, TrackingTableError."""
    from .status import migration_status

    with _client(target) as client:  # the tracking rows are read through _Rows, as a file's are
        return migration_status(_Rows(client), target.migrations, database=target.location, db_name=target.name,
                                verified=verified(local_base(target)), migrations=migrations)


def history(target: Target) -> list[HistoryEvent]:
    """Every logged up, down, dry run and failure of ``target`` (its local event log). Read-only."""
    return event_log.read(local_base(target))


def backups(target: Target) -> list[BackupFile]:
    """The backups ``down`` pulled from ``target`` into ``.vfmigrate/``, oldest first. Read-only."""
    return list_backups(local_base(target))


def up(target: Target, *, to: int | None = None, dry_run: bool = False, tx: str = "file",
       on_start: Callable | None = None, on_result: Callable | None = None, stop=None,
       migrations: list[Migration] | None = None) -> RunReport:
    """Apply (or dry-run) the pending migrations of ``target`` on its server, as
    ``commands.up`` does a file's (see the module docstring). Raises as it does, and
    ServerError when the server cannot be reached or refuses."""
    from .runner import MigrationRunner

    mode = ExecutionMode.DRY_RUN if dry_run else ExecutionMode.APPLY
    runner = MigrationRunner(target.migrations, mode, tx=tx)
    if migrations is None:
        migrations = runner.migrations()
    return _migrate(target, "up", mode, tx, lambda rows, applied: runner.plan(rows, to, migrations=migrations,
                                                                              applied=applied),
                    on_start, on_result, stop)


def down(target: Target, *, steps: int | None = None, to: int | None = None, all: bool = False,
         dry_run: bool = False, backup: bool = True, backup_keep: int | None = None, tx: str = "file",
         on_start: Callable | None = None, on_result: Callable | None = None, stop=None,
         migrations: list[Migration] | None = None) -> RunReport:
    """Roll back the newest applied migration(s) of ``target`` on its server, as
    ``commands.down`` does a file's: first (unless ``backup`` is off, or a dry run) a backup
    pulled into ``.vfmigrate/``, then each DOWN with the removal of its tracking row as one
    batch, then ``integrity_check``. Raises as it does, and ServerError."""
    from .rollback import RollbackManager

    mode = ExecutionMode.DRY_RUN if dry_run else ExecutionMode.APPLY
    manager = RollbackManager(target.migrations, mode, tx=tx)
    report = _migrate(target, "down", mode, tx,
                      lambda rows, applied: manager.plan(rows, steps=steps, to=to, all=all, migrations=migrations,
                                                         applied=applied),
                      on_start, on_result, stop, backup=backup)
    if report.backup_path and backup_keep is not None:
        report = dataclasses.replace(report, pruned_backups=prune(local_base(target), backup_keep))
    return report


def _migrate(target: Target, direction: str, mode: ExecutionMode, tx: str,
             planner: Callable[[_Rows, dict], list[Migration]], on_start: Callable | None,
             on_result: Callable | None, stop, *, backup: bool = False) -> RunReport:
    """What ``up`` and ``down`` share: the tracking rows read once (for the version before and
    the plan), ``planner(rows, applied)`` with a file's checks, a backup pulled first when
    ``backup`` (and applying), the batches, and the report. The version after is what the
    tracking rows read and the batches' outcomes give, not another read; a down's
    ``integrity_check`` is asked of the server."""
    saved = None
    with _client(target) as client, event_log_of(target) as log:
        rows = _Rows(client)
        applied = VersionTracker(rows).applied()
        before = max(applied, default=0)
        plan = _plan(log, target, direction, mode, lambda: planner(rows, applied))
        results = []
        if plan:
            log.open()  # a run that cannot be recorded does not start
            if backup and mode is ExecutionMode.APPLY:
                from .remote_backup import pull

                saved = str(pull(client, backup_path(local_base(target), f"v{before}")))
            results = _run(client, log, target, plan, direction, mode, tx, on_start, on_result, stop)
        changed = mode is ExecutionMode.APPLY and any(not r.skipped for r in results)
        integrity = "ok"
        if changed and direction == "down":
            integrity = "; ".join(str(r[0]) for r in rows.execute("PRAGMA integrity_check"))
    versions = set(applied)
    if mode is ExecutionMode.APPLY:  # a skipped one: another runner did the same meanwhile
        ran = {r.version for r in results}
        versions = versions | ran if direction == "up" else versions - ran
    return RunReport(target.location, direction, mode, tuple(results), before, max(versions, default=0), saved,
                     integrity, warnings=tuple(f"{m.filename}: {w}" for m in plan for w in m.warnings),
                     foreign_keys_checked=False)


def _client(target: Target) -> HranaClient:
    return HranaClient(target.url, auth_token=target.auth_token)


@contextlib.contextmanager
def local_copy(target: Target) -> Iterator[Target]:
    """The server's database as it is now, pulled into a temporary SQLite file (as ``down``'s
    backup is) and removed afterwards: ``lint`` and ``verify`` run on it as on a file, so the
    rows at risk are counted on the server's data without changing the server."""
    import tempfile

    from .remote_backup import pull

    with tempfile.TemporaryDirectory(prefix="vfmigrate-copy-") as folder, _client(target) as client:
        yield Target(pull(client, Path(folder) / "copy.db"), target.migrations, target.name)


def schema_copy(target: Target) -> sqlite3.Connection:
    """The server's schema, without its rows: every table, index, view and trigger of
    ``sqlite_schema`` made again, in the order the server made them, in an in-memory SQLite
    database (``schema`` and ``diff --from-database`` read it as a file's). Read-only on the
    server; raises ServerError, or DatabaseError naming an object SQLite here cannot make."""
    from .remote_backup import SCHEMA

    with _client(target) as client:
        objects = [(name, sql) for _, name, _, sql in client.execute(SCHEMA + " ORDER BY rowid").rows
                   if sql and not name.startswith("sqlite_")]
    conn = sqlite3.connect(":memory:")
    for name, sql in objects:
        try:
            conn.execute(sql)
        except sqlite3.Error as exc:
            conn.close()
            raise DatabaseError(f"{target.location}: cannot read the schema of {name} here ({exc})") from exc
    return conn


def counted_on_a_copy(report: RunReport, target: Target, command, **options) -> RunReport:
    """A remote dry run's ``report`` with the rows at risk that ``command`` (``commands.up`` or
    ``commands.down``), run as a dry run on a copy of the server's data (:func:`local_copy`, as
    ``lint`` does), counts. The server's own rehearsal stands: when the copy cannot count, a
    warning says why instead."""
    try:
        with local_copy(target) as copy:
            counted = command(copy, dry_run=True, **options)
    except MigrationError as exc:
        return dataclasses.replace(report, warnings=(*report.warnings,
                                                     f"rows at risk not counted on a copy of the data: {exc}"))
    return dataclasses.replace(report, findings=counted.findings)


def event_log_of(target: Target) -> EventLog:
    """The event log of ``target``, its folder made if need be (opened when first written)."""
    base = local_base(target)
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(f"{display_path(str(base.parent))}: cannot make the folder for the event log of "
                            f"{target.location} ({exc.strerror or exc}); run vfmigrate from a folder you can "
                            "write in. Nothing was changed.") from exc
    return EventLog(base)


def _plan(log: EventLog, target: Target, direction: str, mode: ExecutionMode,
          plan: Callable[[], list[Migration]]) -> list[Migration]:
    """``plan()`` with a file's checks, and a no-transaction file refused; a refusal is logged."""
    try:
        try:
            migrations = plan()
        except BadMigrationFile as exc:
            if exc.reason != VACUUM_IN_TRANSACTION:
                raise
            # A file's advice (a no-transaction file) does not hold here: say what does.
            raise BadMigrationFile(exc.file, "VACUUM cannot run on a remote database (each migration runs as one "
                                   "batch, one transaction)", line=exc.line,
                                   hint="remove it; nothing was run") from None
        for m in migrations:
            if not m.transactional:
                raise BadMigrationFile(m.filename, "is a no-transaction migration, and a remote database runs each "
                                       "migration as one batch (one transaction)",
                                       hint="remove its '-- vfmigrate: no-transaction' line, or run it on a SQLite "
                                       "file; nothing was run")
    except (RefusedByState, BadMigrationFile) as exc:
        log_refusal(log, target.location, direction, mode, exc)
        raise
    return migrations


def _run(client: HranaClient, log: EventLog, target: Target, plan: list[Migration], direction: str,
         mode: ExecutionMode, tx: str, on_start: Callable | None, on_result: Callable | None,
         stop) -> list[MigrationResult]:
    """Run ``plan``: a batch per migration, each logged as it ends, its time the batch's round
    trip; or (a dry run, ``tx`` "all") one batch for all, logged once it ended, each migration's
    time by the server's clock. Raises what the batch raises, after logging the failed migration."""
    label, dry = target.location, mode is ExecutionMode.DRY_RUN
    results: list[MigrationResult] = []
    current: Migration | None = None
    started = time.perf_counter()
    try:
        if dry or tx == "all":
            for current in plan:
                if on_start is not None:
                    on_start(current, direction)
            current = plan[0]
            outcomes = _send(MigrationBatch(plan, direction=direction, dry_run=dry), client, label, dry, ())
            results = [_result(m, direction, mode, o) for m, o in zip(plan, outcomes)]
            current = None
            for result in results:
                log.write(ok_event(label, result))
                if on_result is not None:
                    on_result(result)
            return results
        for current in plan:
            if stop is not None and stop.is_set():
                raise MigrationStopped(current.filename, reason="stopped before it started", direction=direction,
                                       applied=tuple(r.version for r in results if not r.skipped))
            if on_start is not None:
                on_start(current, direction)
            started = time.perf_counter()
            applied = tuple(r.version for r in results if not r.skipped)
            [outcome] = _send(MigrationBatch([current], direction=direction), client, label, dry, applied)
            # The round trip, which the user waits for (the server's clock counts whole milliseconds).
            outcome = dataclasses.replace(outcome, duration_ms=(time.perf_counter() - started) * 1000)
            results.append(_result(current, direction, mode, outcome))
            current = None  # done: an error in a callback is not this migration's failure
            if not results[-1].skipped:
                log.write(ok_event(label, results[-1]))
            if on_result is not None:
                on_result(results[-1])
        return results
    except BaseException as exc:
        if current is not None:
            failed = next((m for m in plan if m.filename == getattr(exc, "file", None)), current)
            if isinstance(exc, MigrationStopped):
                status = "stopped"
            elif isinstance(exc, (RemoteInterrupted, KeyboardInterrupt)):
                status = "interrupted"
            else:
                status = "failed"
            log.write(HistoryEvent(now_precise(), label, failed.version, failed.name, direction, mode.value, status,
                                   round((time.perf_counter() - started) * 1000, 3), error=str(exc)))
        raise


def _send(batch: MigrationBatch, client: HranaClient, label: str, dry: bool,
          applied: tuple[int, ...]) -> tuple[MigrationOutcome, ...]:
    """Run ``batch``. Ctrl-C while the server runs it (not a dry run's), or no answer in time,
    leaves its fate to the server: RemoteInterrupted, or a ServerError, says so."""
    try:
        return batch.run(client, applied=applied)
    except KeyboardInterrupt:
        if dry:
            raise
        raise RemoteInterrupted(batch.label, label) from None
    except ServerError as exc:
        if dry or not exc.timed_out:
            raise
        raise ServerError(label, f"{batch.label}: the server did not answer within {client.timeout:g} s while it ran "
                                 "it; the server runs a migration whole or not at all: run 'vfmigrate status' to see "
                                 "which", timed_out=True) from None


def _result(m: Migration, direction: str, mode: ExecutionMode, outcome: MigrationOutcome) -> MigrationResult:
    if outcome.skipped:
        return MigrationResult(m.version, m.name, direction, mode, 0.0, skipped=True)
    statements = tuple(StatementResult(s.index, s.line, s.one_line, n)
                       for s, n in zip(m.statements(direction), outcome.rows_changed))
    return MigrationResult(m.version, m.name, direction, mode, outcome.duration_ms, sum(outcome.rows_changed),
                           statements, outcome.created, outcome.dropped, outcome.altered, False, m.warnings)
