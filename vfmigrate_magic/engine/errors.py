"""Errors the engine raises.

Every error is a :class:`MigrationError`. Each carries the fields it is about (file, statement,
line, ...) and builds its one-line message from them, so both front ends show the same text:
the CLI prints ``vfmigrate: error: <message>``, the notebook raises a ``UsageError`` with it.
"""

from __future__ import annotations


class MigrationError(Exception):
    """Base of every error the engine raises on purpose."""


class ConfigError(MigrationError):
    """The settings (arguments, environment, ``[tool.vfmigrate]``) cannot be resolved."""


class BadMigrationFile(MigrationError):
    """A migration file (or the migrations folder) cannot be used as written.

    Raised before anything runs, so no database is changed.
    """

    def __init__(self, file: str, reason: str, *, line: int | None = None, hint: str = "") -> None:
        self.file = file
        self.reason = reason
        self.line = line
        self.hint = hint
        where = f"{file}, line {line}" if line else file
        super().__init__(f"{where}: {reason}" + (f"; {hint}" if hint else ""))


class DuplicateVersion(BadMigrationFile):
    """Two files in one migrations folder carry the same version number."""


class ChecksumMismatch(MigrationError):
    """An applied migration's file no longer matches what was applied."""

    def __init__(self, version: int, file: str, recorded: str, current: str) -> None:
        self.version, self.file, self.recorded, self.current = version, file, recorded, current
        super().__init__(
            f"Checksum mismatch for migration {version} ({file}): the file changed after it was "
            f"applied (recorded {recorded[:12]}, now {current[:12]}); restore the file and put "
            "the change in a new migration (vfmigrate create NAME). Nothing was changed."
        )


class OutOfOrder(MigrationError):
    """A pending migration sorts below the newest applied one."""

    def __init__(self, file: str, version: int, current: int) -> None:
        self.file, self.version, self.current = file, version, current
        super().__init__(
            f"{file} is pending but version {current} is already applied (out of order); "
            f"renumber it above {current}, or roll back below {version} first. Nothing was changed."
        )


class IrreversibleMigration(MigrationError):
    """``down`` was asked to undo a migration whose DOWN section is empty."""

    def __init__(self, version: int, file: str) -> None:
        self.version, self.file = version, file
        super().__init__(
            f"Migration {version} ({file}) cannot be rolled back: its DOWN migration SQL is "
            "empty; write a DOWN section or restore from a backup. Nothing was changed."
        )


class MissingMigrationFile(MigrationError):
    """``down`` needs the file of an applied migration that is gone."""

    def __init__(self, version: int, name: str, folder: str) -> None:
        self.version, self.name, self.folder = version, name, folder
        super().__init__(
            f"Migration {version} ({name}) is applied but its file is missing from {folder}; "
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
        section = "" if direction == "up" else " (DOWN)"
        outcome = (f"nothing from {file} was applied" if direction == "up"
                   else f"the rollback of {file} was undone, it stays applied")
        done = f"; earlier migrations in this run stay: {', '.join(map(str, applied))}" if applied else ""
        super().__init__(f"{file}{section}, statement {statement} (line {line}): {reason}; {outcome}{done}")


class MigrationInterrupted(MigrationFailed):
    """A statement was interrupted (Ctrl-C, a stop button, a cancelled progress handler);
    that migration was rolled back."""


class DatabaseError(MigrationError):
    """The database file cannot be opened, read or written."""


class DatabaseLocked(DatabaseError):
    """Another connection held the write lock for longer than the busy timeout."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path, self.timeout = path, timeout
        super().__init__(
            f"{path} is locked by another process (waited {timeout:g} s); let the other writer "
            "finish or stop it, or wait longer with --busy-timeout SECONDS "
            "(VFMIGRATE_BUSY_TIMEOUT). Nothing was changed."
        )
