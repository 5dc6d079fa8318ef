"""The migration engine: standard library only (sqlite3, hashlib, tomllib).

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
    IrreversibleMigration,
    MigrationError,
    MigrationFailed,
    MigrationInterrupted,
    MissingMigrationFile,
    OutOfOrder,
)
from .files import Migration, Statement, discover, read_migration
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
from .status import migration_status
from .tracker import VersionTracker

__all__ = [
    "BadMigrationFile", "ChecksumMismatch", "ConfigError", "CreatedMigration", "DatabaseError",
    "DatabaseLocked", "DuplicateVersion", "ExecutionMode", "HistoryEvent", "IrreversibleMigration",
    "Migration", "MigrationError", "MigrationFailed", "MigrationInterrupted", "MigrationResult", "MigrationRunner",
    "MigrationState", "MissingMigrationFile", "OutOfOrder", "RollbackManager", "RunReport", "Settings",
    "Statement", "StatementResult", "StatusEntry", "StatusReport", "Target", "VersionTracker",
    "discover", "migration_status", "read_migration", "resolve",
]
