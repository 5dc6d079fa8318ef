"""Errors the engine raises.

Every error is a :class:`MigrationError`. Each carries the fields it is about (file, statement,
line, ...) and builds its one-line message from them, so both front ends show the same text:
the CLI prints ``vfmigrate: error: <message>`` and exits with the error's ``exit_code``, the
notebook raises a ``UsageError`` with it. Advice is worded for the command line (``vfmigrate
create NAME``, ``--busy-timeout SECONDS``); the notebook layer words it its own way
(``notebook/hints.py``). A path in a message is shown relative to the working folder when it
lies inside it (``display_path``); the fields keep the path as given.

Exit codes (the README's table): 0 done · 1 a migration failed and was rolled back · 2 bad
usage · 3 refused because of the database's state · 4 still locked after the busy timeout ·
5 a bad migration file · 6 an unusable database · 130 interrupted.
"""

from __future__ import annotations

from .results import display_path


class MigrationError(Exception):
    """Base of every error the engine raises on purpose."""

    exit_code = 1


class UsageError(MigrationError):
    """Arguments that cannot work together or name nothing (``--steps 5`` with 2 applied)."""

    exit_code = 2


class ConfigError(UsageError):
    """The settings (arguments, environment, ``[tool.vfmigrate]``) cannot be resolved."""


class RefusedByState(MigrationError):
    """The database's state forbids the run (checksum mismatch, out of order, missing file,
    irreversible DOWN, a tracking table edited by hand). Raised before any change."""

    exit_code = 3


class BadMigrationFile(MigrationError):
    """A migration file (or the migrations folder) cannot be used as written.

    Raised before anything runs, so no database is changed.
    """

    exit_code = 5

    def __init__(self, file: str, reason: str, *, line: int | None = None, hint: str = "") -> None:
        self.file = file
        self.reason = reason
        self.line = line
        self.hint = hint
        where = f"{file}, line {line}" if line else file
        super().__init__(f"{where}: {reason}" + (f"; {hint}" if hint else ""))


class DuplicateVersion(BadMigrationFile):
    """Two files in one migrations folder carry the same version number."""


class ChecksumMismatch(RefusedByState):
    """An applied migration's file no longer matches what was applied."""

    def __init__(self, version: int, file: str, recorded: str, current: str) -> None:
        self.version, self.file, self.recorded, self.current = version, file, recorded, current
        super().__init__(
            f"Checksum mismatch for migration {version} ({file}): the file changed after it was "
            f"applied (recorded {recorded[:12]}, now {current[:12]}); restore the file and put "
            "the change in a new migration (vfmigrate create NAME). Nothing was changed."
        )


class OutOfOrder(RefusedByState):
    """A pending migration sorts below the newest applied one."""

    def __init__(self, file: str, version: int, current: int) -> None:
        self.file, self.version, self.current = file, version, current
        super().__init__(
            f"{file} is pending but version {current} is already applied (out of order); "
            f"renumber it above {current}, or roll back below {version} first. Nothing was changed."
        )


class IrreversibleMigration(RefusedByState):
    """``down`` was asked to undo a migration whose DOWN section is empty."""

    def __init__(self, version: int, file: str) -> None:
        self.version, self.file = version, file
        super().__init__(
            f"Migration {version} ({file}) cannot be rolled back: its DOWN migration SQL is "
            "empty; write a DOWN section or restore from a backup. Nothing was changed."
        )


class MissingMigrationFile(RefusedByState):
    """``down`` needs the file of an applied migration that is gone."""

    def __init__(self, version: int, name: str, folder: str) -> None:
        self.version, self.name, self.folder = version, name, folder
        super().__init__(
            f"Migration {version} ({name}) is applied but its file is missing from {display_path(folder)}; "
            "restore the file to roll it back. Nothing was changed."
        )


class MigrationFailed(MigrationError):
    """A statement of a migration failed; that migration was rolled back."""

    def __init__(
        self,
        file: str,
        statement: int,
        line: int,
        reason: str,
        *,
        direction: str = "up",
        sql: str = "",
        applied: tuple[int, ...] = (),
    ) -> None:
        self.file, self.statement, self.line, self.reason = file, statement, line, reason
        self.direction, self.sql, self.applied = direction, sql, applied
        super().__init__(f"{_section(file, direction)}, statement {statement} (line {line}): {reason}; "
                         f"{_outcome(file, direction, applied)}")


def _section(file: str, direction: str) -> str:
    return file if direction == "up" else f"{file} (DOWN)"


def _outcome(file: str, direction: str, applied: tuple[int, ...]) -> str:
    """What stands after a failed migration: it is undone, earlier ones of the run stay."""
    outcome = (f"nothing from {file} was applied" if direction == "up"
               else f"the rollback of {file} was undone, it stays applied")
    return outcome + (f"; earlier migrations in this run stay: {', '.join(map(str, applied))}" if applied else "")


class MigrationInterrupted(MigrationFailed):
    """A statement was interrupted (Ctrl-C, a stop button, a cancelled progress handler);
    that migration was rolled back. Logged as ``interrupted``."""

    exit_code = 130


class MigrationStopped(MigrationInterrupted):
    """The caller asked the run to stop (its ``stop`` event was set, e.g. by a Stop button):
    the running statement, or the wait for the write lock (``statement`` 0), was cut short and
    that migration rolled back. Logged as ``stopped``."""

    def __init__(self, file: str, statement: int = 0, line: int = 0, reason: str = "stopped", *,
                 direction: str = "up", sql: str = "", applied: tuple[int, ...] = ()) -> None:
        super().__init__(file, statement, line, reason, direction=direction, sql=sql, applied=applied)
        if not statement:  # it never started: nothing of it to undo
            stands = f"nothing from {file} was applied" if direction == "up" else f"{file} stays applied"
            earlier = f"; earlier migrations in this run stay: {', '.join(map(str, applied))}" if applied else ""
            MigrationError.__init__(self, f"{_section(file, direction)}: {reason}; {stands}{earlier}")


class ForeignKeyViolations(MigrationFailed):
    """A migration left rows pointing at a missing parent that were not there before it
    (``PRAGMA foreign_key_check`` inside its transaction); it was rolled back."""

    def __init__(self, file: str, violations: tuple[str, ...], *, direction: str = "up",
                 applied: tuple[int, ...] = ()) -> None:
        self.file, self.statement, self.line, self.sql = file, 0, 0, ""
        self.direction, self.applied, self.violations = direction, applied, violations
        count = "1 row with a missing parent that was" if len(violations) == 1 else \
            f"{len(violations)} rows with a missing parent that were"
        shown = "; ".join(violations[:3]) + (f"; and {len(violations) - 3} more" if len(violations) > 3 else "")
        self.reason = f"foreign_key_check: {count} not there before ({shown})"
        MigrationError.__init__(self, f"{_section(file, direction)}: {self.reason}; {_outcome(file, direction, applied)}")


class TrackingTableError(RefusedByState):
    """``schema_migrations`` is not as vfmigrate writes it (another tool's table, or rows
    edited by hand)."""


class DatabaseError(MigrationError):
    """The database file (or a file beside it: the event log, a backup) cannot be opened,
    read or written."""

    exit_code = 6


class DatabaseLocked(DatabaseError):
    """Another connection held the write lock for longer than the busy timeout."""

    exit_code = 4

    def __init__(self, path: str, timeout: float) -> None:
        self.path, self.timeout = path, timeout
        super().__init__(
            f"{display_path(path)} is locked by another process (waited {timeout:g} s); let the other writer "
            "finish or stop it, or wait longer with --busy-timeout SECONDS "
            "(VFMIGRATE_BUSY_TIMEOUT). Nothing was changed."
        )


class RemoteNotSupported(UsageError):
    """A command or option that does not work on a remote database (a server URL) yet.
    Raised before the server is asked anything."""

    def __init__(self, url: str, what: str, hint: str = "") -> None:
        self.url, self.what, self.hint = url, what, hint
        super().__init__(f"{url}: {what} is not supported for a remote database yet" + (f"; {hint}" if hint else ""))


class RemoteInterrupted(MigrationError):
    """Interrupted (Ctrl-C) while a server ran a migration's batch. The batch is one
    transaction on the server: it was applied whole or not at all, and only the server knows
    which, so the message says how to find out."""

    exit_code = 130

    def __init__(self, file: str, url: str) -> None:
        self.file, self.url = file, url
        super().__init__(f"{file}: interrupted while {url} ran it; the server runs a migration whole or not at "
                         "all: run 'vfmigrate status' to see which")
