"""The migration engine: standard library only (sqlite3, hashlib, tomllib).

Front ends call :mod:`.commands`; library users may also drive :class:`MigrationRunner` and
:class:`RollbackManager` on their own ``sqlite3`` connections.
"""

import importlib

# Where each public name lives; imported on first use, so `vfmigrate status` loads only what it needs.
_WHERE = {
    "Settings": "config", "Target": "config", "resolve": "config",
    "BadMigrationFile": "errors", "ChecksumMismatch": "errors", "ConfigError": "errors", "DatabaseError": "errors",
    "DatabaseLocked": "errors", "DuplicateVersion": "errors", "IrreversibleMigration": "errors",
    "MigrationError": "errors", "MigrationFailed": "errors", "MigrationInterrupted": "errors",
    "MissingMigrationFile": "errors", "OutOfOrder": "errors",
    "Migration": "files", "Statement": "statements", "discover": "files", "read_migration": "files",
    "CreatedMigration": "results", "ExecutionMode": "results", "HistoryEvent": "results",
    "MigrationResult": "results", "MigrationState": "results", "RunReport": "results",
    "StatementResult": "results", "StatusEntry": "results", "StatusReport": "results",
    "RollbackManager": "rollback", "MigrationRunner": "runner", "migration_status": "status",
    "VersionTracker": "tracker",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BadMigrationFile", "ChecksumMismatch", "ConfigError", "CreatedMigration", "DatabaseError",
    "DatabaseLocked", "DuplicateVersion", "ExecutionMode", "HistoryEvent", "IrreversibleMigration",
    "Migration", "MigrationError", "MigrationFailed", "MigrationInterrupted", "MigrationResult", "MigrationRunner",
    "MigrationState", "MissingMigrationFile", "OutOfOrder", "RollbackManager", "RunReport", "Settings",
    "Statement", "StatementResult", "StatusEntry", "StatusReport", "Target", "VersionTracker",
    "discover", "migration_status", "read_migration", "resolve",
]
