"""The migration engine: standard library only (sqlite3, hashlib, json, tomllib).

Front ends call :mod:`.commands`; library users may also drive :class:`MigrationRunner` and
:class:`RollbackManager` on their own ``sqlite3`` connections.
"""

import importlib

# Where each public name lives. A module is imported when one of its names is first used
# (PEP 562), so `vfmigrate status` loads neither the runner nor the rollback manager.
_WHERE = {
    "BadMigrationFile": "errors", "ChecksumMismatch": "errors", "ConfigError": "errors",
    "CreatedMigration": "results", "DatabaseError": "errors", "DatabaseLocked": "errors",
    "DuplicateVersion": "errors", "ExecutionMode": "results", "ForeignKeyViolations": "errors",
    "HistoryEvent": "results", "IrreversibleMigration": "errors", "Migration": "files",
    "MigrationError": "errors", "MigrationFailed": "errors", "MigrationInterrupted": "errors",
    "MigrationStopped": "errors",
    "MigrationResult": "results", "MigrationRunner": "runner", "MigrationState": "results",
    "MissingMigrationFile": "errors", "OutOfOrder": "errors", "RefusedByState": "errors",
    "RollbackManager": "rollback", "RunReport": "results", "Settings": "config",
    "Statement": "statements", "StatementResult": "results", "StatusEntry": "results",
    "StatusReport": "results", "Target": "config", "TrackingTableError": "errors",
    "UsageError": "errors", "VersionTracker": "tracker", "discover": "files",
    "migration_status": "status", "read_migration": "files", "resolve": "config",
}


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BadMigrationFile", "ChecksumMismatch", "ConfigError", "CreatedMigration", "DatabaseError",
    "DatabaseLocked", "DuplicateVersion", "ExecutionMode", "ForeignKeyViolations", "HistoryEvent",
    "IrreversibleMigration", "Migration", "MigrationError", "MigrationFailed", "MigrationInterrupted",
    "MigrationStopped", "MigrationResult", "MigrationRunner", "MigrationState", "MissingMigrationFile", "OutOfOrder",
    "RefusedByState", "RollbackManager", "RunReport", "Settings", "Statement", "StatementResult",
    "StatusEntry", "StatusReport", "Target", "TrackingTableError", "UsageError", "VersionTracker",
    "discover", "migration_status", "read_migration", "resolve",
]
