"""The migration engine: standard library only (sqlite3, hashlib, json, tomllib).

Front ends call :mod:`.commands`; library users may also drive :class:`MigrationRunner` and
:class:`RollbackManager` on their own ``sqlite3`` connections.
"""

from .config import Settings, Target, resolve
from .errors import (
    BadMigrationFile,
    ChecksumMismatch,
    ConfigError,
    DatabaseError,
    DatabaseLocked,
    DuplicateVersion,
    ForeignKeyViolations,
    IrreversibleMigration,
    MigrationError,
    MigrationFailed,
    MigrationInterrupted,
    MissingMigrationFile,
    OutOfOrder,
    RefusedByState,
    TrackingTableError,
    UsageError,
)
from .files import Migration, discover, read_migration
from .results import (
    CreatedMigration,
    ExecutionMode,
    HistoryEvent,
    MigrationResult,
    MigrationState,
    RunReport,
    StatementResult,
    StatusEntry,
    StatusReport,
)
from .rollback import RollbackManager
from .runner import MigrationRunner
from .statements import Statement
from .status import migration_status
from .tracker import VersionTracker

__all__ = [
    "BadMigrationFile", "ChecksumMismatch", "ConfigError", "CreatedMigration", "DatabaseError",
    "DatabaseLocked", "DuplicateVersion", "ExecutionMode", "ForeignKeyViolations", "HistoryEvent",
    "IrreversibleMigration", "Migration", "MigrationError", "MigrationFailed", "MigrationInterrupted",
    "MigrationResult", "MigrationRunner", "MigrationState", "MissingMigrationFile", "OutOfOrder",
    "RefusedByState", "RollbackManager", "RunReport", "Settings", "Statement", "StatementResult",
    "StatusEntry", "StatusReport", "Target", "TrackingTableError", "UsageError", "VersionTracker",
    "discover", "migration_status", "read_migration", "resolve",
]
