"""The commands both front ends call, on a resolved :class:`~.config.Target`.

Each opens the database as the command needs it (never creating it for a read or a dry run),
calls the runner, rollback manager or status, closes the connection, and returns the
result objects. They print nothing and exit nothing.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
TYPE_CHECKING = False  # typing itself is 4 ms of every start

from .config import Target
from .results import CreatedMigration, ExecutionMode, HistoryEvent, LintReport, RunReport, StatusReport, display_path
from .errors import DatabaseError
from .sqlite import DEFAULT_BUSY_TIMEOUT, connect, require_folder, translate

# Each command imports the part of the engine it needs when it runs: `status` loads neither
# the runner, the rollback manager nor the event log.
if TYPE_CHECKING:
    from .backup import BackupFile, RestoreResult
    from .diff import DiffResult
    from .files import Migration
    from .run import ProgressHandler, ResultCallback, StartCallback
    from .schema import Schema
    from .step import Watch
    from .verify import VerifyReport


@contextlib.contextmanager
def _opened(conn: sqlite3.Connection, label: str = "", busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Iterator[sqlite3.Connection]:
    """Close ``conn`` afterwards; any sqlite3 error that escapes becomes one DatabaseError line."""
    try:
        yield conn
    except sqlite3.Error as exc:
        raise translate(exc, label, busy_timeout) from exc
    finally:
        conn.close()


def up(target: Target, *, to: int | None = None, dry_run: bool = False,
       busy_timeout: float = DEFAULT_BUSY_TIMEOUT, on_start: StartCallback | None = None,
       on_result: ResultCallback | None = None, progress_handler: ProgressHandler | None = None,
       progress_every: int = 1000, watch: Watch | None = None, tx: str = "file",
       migrations: list[Migration] | None = None, **follow) -> RunReport:
    """Apply (or dry-run) the pending migrations of ``target``; creates the database file
    when it does not exist yet (not for a dry run, which then runs on an empty in-memory one).
    A dry run counts the rows each statement puts at risk (``RunReport.findings``).
    ``migrations``: the folder's files, already read (a fleet reads them once for every
    database). ``follow``: ``on_statement``, ``on_wait`` and ``stop`` (see :class:`.run.Hooks`).
    A remote database (``target.url``) goes to :func:`.remote.up`, of ``follow`` only ``stop``
    (between migrations); its dry run's rows at risk are counted on a copy of its data.
    """
    if target.url is not None:
        from .files import discover
        from .remote import counted_on_a_copy, up as remote_up

        migrations = discover(target.migrations) if migrations is None else migrations
        report = remote_up(target, to=to, dry_run=dry_run, tx=tx, on_start=on_start, on_result=on_result,
                           stop=follow.get("stop"), migrations=migrations)
        if dry_run and report.ran:
            report = counted_on_a_copy(report, target, up, to=to, tx=tx, migrations=migrations)
        return _warn_if_empty(report, target, migrations)
    from .files import validate_all
    from .history import EventLog
    from .runner import MigrationRunner

    mode = ExecutionMode.DRY_RUN if dry_run else ExecutionMode.APPLY
    if dry_run and watch is None:
        from .lint import RiskMeter

        watch = RiskMeter()
    runner = MigrationRunner(target.migrations, mode, on_start=on_start, on_result=on_result,
                             progress_handler=progress_handler, progress_every=progress_every, watch=watch, tx=tx,
                             state_dir=target.state_dir, **follow)
    # Read and check the files before the database is opened, so bad input creates nothing.
    if migrations is None:
        migrations = runner.migrations()
    database = str(target.database)
    if not target.database.exists():
        validate_all(migrations)
        if dry_run:
            conn = sqlite3.connect(":memory:", isolation_level=None)
            with _opened(conn):
                # Rehearsed on an empty in-memory database; logged as the file it stands for.
                report = runner.migrate_up(conn, to=to, migrations=migrations, database=database)
            return _with_findings(_warn_if_empty(report, target, migrations), watch)
    if not target.database.exists() and migrations:
        require_folder(target.database)
        EventLog(target.base).open().close()  # an unusable log refuses the run before the file is made
    conn = connect(target.database, create=not dry_run, busy_timeout=busy_timeout)
    with _opened(conn, database, busy_timeout):
        report = runner.migrate_up(conn, to=to, migrations=migrations, database=database)
    return _with_findings(_warn_if_empty(report, target, migrations), watch)


def down(target: Target, *, steps: int | None = None, to: int | None = None, all: bool = False,
         dry_run: bool = False, backup: bool = True, backup_keep: int | None = None,
         busy_timeout: float = DEFAULT_BUSY_TIMEOUT, on_start: StartCallback | None = None,
         on_result: ResultCallback | None = None, progress_handler: ProgressHandler | None = None,
         progress_every: int = 1000, tx: str = "file", migrations: list[Migration] | None = None,
         **follow) -> RunReport:
    """Roll back the newest applied migration(s) of ``target`` (see RollbackManager);
    ``migrations`` and ``follow`` as for :func:`up`, and so is a remote database's."""
    if target.url is not None:
        from .remote import counted_on_a_copy, down as remote_down

        report = remote_down(target, steps=steps, to=to, all=all, dry_run=dry_run, backup=backup,
                             backup_keep=backup_keep, tx=tx, on_start=on_start, on_result=on_result,
                             stop=follow.get("stop"), migrations=migrations)
        if dry_run and report.ran:
            report = counted_on_a_copy(report, target, down, steps=steps, to=to, all=all, tx=tx,
                                       migrations=migrations)
        return report
    from .rollback import RollbackManager

    mode = ExecutionMode.DRY_RUN if dry_run else ExecutionMode.APPLY
    watch = None
    if dry_run:  # as up's: the rows each DOWN statement puts at risk (RunReport.findings)
        from .lint import RiskMeter

        watch = RiskMeter()
    manager = RollbackManager(target.migrations, mode, backup=backup, backup_keep=backup_keep,
                              on_start=on_start, on_result=on_result, progress_handler=progress_handler,
                              progress_every=progress_every, watch=watch, tx=tx, state_dir=target.state_dir,
                              **follow)
    conn = connect(target.database, busy_timeout=busy_timeout)
    with _opened(conn, str(target.database), busy_timeout):
        report = manager.rollback(conn, steps=steps, to=to, all=all, database=str(target.database),
                                  migrations=migrations)
    return _with_findings(report, watch)


def backups(target: Target) -> list[BackupFile]:
    """The backups beside ``target``'s database (a remote one's: in ``.vfmigrate/``), oldest
    first. Read-only."""
    if target.url is not None:
        from .remote import backups as remote_backups

        return remote_backups(target)
    from .backup import list_backups

    return list_backups(target.base)


def restore(target: Target, backup: str, *, backup_keep: int | None = None,
            busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> RestoreResult:
    """Replace ``target``'s database with the backup file ``backup`` (a path, or the name of
    a file beside the database), after backing the database up as it is; logged in the
    event log. See :func:`.backup.restore`."""
    from .backup import restore as restore_backup, source_for
    from .history import EventLog
    from .errors import MigrationError
    from .sqlite import now_precise

    _local_only(target, "restore")
    source = source_for(target.database, backup, target.base)
    require_folder(target.database)
    with EventLog(target.base) as log:
        log.open()  # a restore that could not be recorded does not start

        def event(version: int, status: str, ms: float, error: str = "") -> None:
            log.write(HistoryEvent(now_precise(), str(target.database), version, source.name, "restore",
                                   ExecutionMode.APPLY.value, status, round(ms, 3), error=error))
        try:
            result = restore_backup(target.database, source, busy_timeout=busy_timeout, keep=backup_keep,
                                    base=target.base)
        except MigrationError as exc:
            event(0, "failed", 0.0, str(exc))
            raise
        event(result.version_after, "ok" if result.integrity == "ok" else "failed", result.duration_ms,
              "" if result.integrity == "ok" else f"integrity_check: {result.integrity}")
    return result


def status(target: Target, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
           migrations: list[Migration] | None = None) -> StatusReport:
    """The state of every migration of ``target``. Read-only; a missing database is reported
    as not created yet (every migration pending). ``migrations`` as for :func:`up`; a remote
    database's tracking rows are read from its server."""
    if target.url is not None:
        from .remote import status as remote_status

        return remote_status(target, migrations=migrations)
    from .history import verified
    from .status import migration_status

    if not target.database.exists():
        require_folder(target.database)
        return migration_status(None, target.migrations, database=str(target.database), db_name=target.name,
                                migrations=migrations)
    conn = connect(target.database, readonly=True, busy_timeout=busy_timeout)
    with _opened(conn, str(target.database), busy_timeout):
        return migration_status(conn, target.migrations, database=str(target.database), db_name=target.name,
                                verified=verified(target.base), migrations=migrations)


def create(target: Target, name: str, *, up: str = "", down: str = "", author: str = "") -> CreatedMigration:
    """Write the next migration file into ``target``'s migrations folder (no database needed)."""
    from .create import create_migration

    return create_migration(target.migrations, name, up=up, down=down, author=author)


def history(target: Target) -> list[HistoryEvent]:
    """Every logged up, down, dry run and failure of ``target``, oldest first. Read-only."""
    if target.url is not None:
        from .remote import history as remote_history

        return remote_history(target)
    from . import history as event_log

    return event_log.read(target.base)


def check(target: Target) -> int:
    """Parse every migration file of ``target`` and have SQLite's parser read every statement,
    touching no database (raises BadMigrationFile); returns the count."""
    from .files import discover, validate_all

    migrations = discover(target.migrations)
    validate_all(migrations)
    return len(migrations)


def lint(target: Target, *, down: bool = False, busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
         migrations: list[Migration] | None = None) -> LintReport:
    """Run every pending UP (``down``: the DOWN of every applied migration, newest first, as
    ``down --all`` would) inside a transaction that is rolled back, counting the rows each
    statement puts at risk (:class:`.lint.RiskMeter`). The database is left byte-for-byte as it
    was. A migration that fails (a constraint its data breaks, say) ends the check there: the
    report holds what was counted up to it and the failure (``failed``). Raises as
    ``up --dry-run`` / ``down --all --dry-run`` would for anything else."""
    from .errors import MigrationFailed, MigrationInterrupted
    from .lint import RiskMeter
    from .results import LintReport

    if target.url is not None:  # on the server's data, pulled into a temporary file
        from .remote import local_copy

        with local_copy(target) as copy:
            return replace(lint(copy, down=down, busy_timeout=busy_timeout, migrations=migrations),
                           database=target.location)
    meter = RiskMeter()
    exists = target.database.exists()
    failed = ""
    checked = 0
    try:
        if down:
            if not exists:
                require_folder(target.database)
                return LintReport(str(target.database), "down", 0, exists=False)
            from .rollback import RollbackManager

            manager = RollbackManager(target.migrations, ExecutionMode.DRY_RUN, backup=False, watch=meter,
                                      state_dir=target.state_dir)
            conn = connect(target.database, busy_timeout=busy_timeout)
            with _opened(conn, str(target.database), busy_timeout):
                checked = len(manager.rollback(conn, all=True, database=str(target.database),
                                               migrations=migrations).ran)
        else:
            checked = len(up(target, dry_run=True, busy_timeout=busy_timeout, watch=meter, migrations=migrations).ran)
    except MigrationInterrupted:
        raise
    except MigrationFailed as exc:  # what it counted up to there stands; later migrations need this one
        failed = str(exc).rsplit("; ", 1)[0]
        checked = len(meter.checked)
    return LintReport(str(target.database), "down" if down else "up", checked, tuple(meter.findings),
                      exists=exists, failed=failed)


def verify(target: Target, *, all: bool = False, busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
           migrations: list[Migration] | None = None) -> VerifyReport:
    """Prove each pending migration's DOWN reverses its UP (``all``: every migration, replayed
    from an empty database), on a copy in memory. The database is never touched; the outcomes
    are logged in its event log, so status can say which files were verified."""
    from .verify import verify as run_verify

    exists = target.url is not None or (target.database is not None and target.database.exists())
    if all or not exists:
        shown = target.location if target.url is not None else str(target.database or ":memory:")
        report = run_verify(None, target.migrations, all=all, database=shown, migrations=migrations)
    elif target.url is not None:  # from the server's data, pulled into a temporary file
        from .remote import local_copy

        with local_copy(target) as copy:
            conn = connect(copy.database, readonly=True, busy_timeout=busy_timeout)
            with _opened(conn, target.location, busy_timeout):
                report = run_verify(conn, target.migrations, database=target.location, migrations=migrations)
    else:
        conn = connect(target.database, readonly=True, busy_timeout=busy_timeout)
        with _opened(conn, str(target.database), busy_timeout):
            report = run_verify(conn, target.migrations, database=str(target.database), migrations=migrations)
    if exists:  # what status's reversible column says, for as long as each file is unchanged
        _log_verified(target, report)
    return report


def _log_verified(target: Target, report: VerifyReport) -> None:
    from .history import EventLog
    from .sqlite import now_precise

    database = str(target.database)
    if target.url is not None:  # the event log of a remote database is a local file (remote.local_base)
        from .remote import event_log_of

        log, database = event_log_of(target), target.location
    else:
        log = EventLog(target.base)
    with log:
        for m in report.migrations:
            log.write(HistoryEvent(now_precise(), database, m.version, m.label.partition("_")[2], "verify",
                                   ExecutionMode.DRY_RUN.value, "ok" if m.ok else "failed", 0.0,
                                   error="; ".join(m.problems), checksum=m.checksum))


def schema(target: Target, *, at: int | None = None, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> Schema:
    """``target``'s schema: the database's (read-only; a server's too), or with ``at`` the one
    its migration files give at that version, replayed in memory (no database needed)."""
    from .diff import migrations_schema
    from .files import discover
    from .schema import read_schema

    if at is not None:
        return migrations_schema(discover(target.migrations), at)
    if target.url is not None:  # made again, without rows, in memory
        from .remote import schema_copy

        with contextlib.closing(schema_copy(target)) as conn:
            return read_schema(conn)
    if not target.database.exists():
        require_folder(target.database)
        raise DatabaseError(f"{display_path(str(target.database))}: the database does not exist yet; "
                            "'vfmigrate up' creates it, or read the migration files' schema with --at VERSION")
    conn = connect(target.database, readonly=True, busy_timeout=busy_timeout)
    with _opened(conn, str(target.database), busy_timeout):
        return read_schema(conn)


def diff(target: Target, want: str, *, name: str = "schema_change", print_only: bool = False,
         from_database: bool = False, author: str = "", busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> DiffResult:
    """Write the next migration of ``target``: from the schema its files give (or, with
    ``from_database``, the live database's) to the one in the file ``want``. See
    :func:`.diff.write_diff`."""
    from .diff import migrations_schema, write_diff
    from .files import discover

    if from_database:
        current = schema(target, busy_timeout=busy_timeout)
    else:  # a folder not made yet holds no migrations: the first one starts from nothing
        current = migrations_schema(discover(target.migrations) if target.migrations.exists() else [])
    return write_diff(target, want, current, name=name, print_only=print_only, author=author)


def _local_only(target: Target, what: str, hint: str = "") -> None:
    """Refuse ``what`` on a remote database (RemoteNotSupported), before anything is asked of it."""
    if target.url is not None:
        from .remote import refuse

        refuse(target, what, hint)


def _with_findings(report: RunReport, watch) -> RunReport:
    findings = tuple(getattr(watch, "findings", ()))
    return replace(report, findings=findings) if findings and report.mode is ExecutionMode.DRY_RUN else report


def _warn_if_empty(report: RunReport, target: Target, migrations: list) -> RunReport:
    """A folder with no migration files is most often a wrong path: say so."""
    if migrations or report.version_before:
        return report
    return replace(report, warnings=(*report.warnings, f"no migration files in {target.migrations}; "
                                     "check --migrations / MIGRATIONS_DIR"))
