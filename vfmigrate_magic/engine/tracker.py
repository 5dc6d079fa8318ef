"""VersionTracker: the ``schema_migrations`` table, exactly as the seed defines it."""

from __future__ import annotations

import sqlite3

from .errors import MigrationError
from .records import record

TABLE = "schema_migrations"
COLUMNS = ("version", "name", "applied_at", "checksum", "execution_time_ms")
CREATE_TABLE = f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    version INTEGER PRIMARY KEY,
    name TEXT,
    applied_at TIMESTAMP,
    checksum TEXT,
    execution_time_ms INTEGER
)"""

_INSERT = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?)"


@record
class AppliedMigration:
    """A row of ``schema_migrations``."""

    version: int
    name: str
    applied_at: str
    checksum: str
    execution_time_ms: int


class VersionTracker:
    """Reads and writes the tracking table on one connection.

    Writes (``ensure_table``, ``record``, ``remove``) are meant to run inside the caller's
    transaction, together with the migration they record.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def exists(self) -> bool:
        """Whether the table is there; raises MigrationError when another tool's table of the
        same name is (dbmate, for one, also calls its table ``schema_migrations``)."""
        columns = tuple(r[1] for r in self.conn.execute(f"PRAGMA table_info({TABLE})"))
        if columns and columns != COLUMNS:
            raise MigrationError(
                f"{TABLE} has the columns ({', '.join(columns)}), not vfmigrate's "
                f"({', '.join(COLUMNS)}): another tool made it; migrate this database with that "
                "tool, or rename its table. Nothing was changed."
            )
        return bool(columns)

    def ensure_table(self) -> None:
        """Create ``schema_migrations`` if it is not there yet."""
        self.conn.execute(CREATE_TABLE)

    def applied(self) -> dict[int, AppliedMigration]:
        """Applied migrations by version (empty when the table does not exist). Read-only."""
        return {version: AppliedMigration(*row) for version, row in self.applied_rows().items()}

    def applied_rows(self) -> dict[int, tuple[int, str, str, str, int]]:
        """:meth:`applied` as the plain rows (in the order of ``COLUMNS``): ``status`` reads
        thousands of them, and tuples cost less to make and nothing to the garbage collector."""
        if not self.exists():
            return {}
        rows = self.conn.execute(f"SELECT {', '.join(COLUMNS)} FROM {TABLE} ORDER BY version")
        return {row[0]: row for row in rows}

    def current_version(self) -> int:
        """The highest applied version, 0 when none."""
        if not self.exists():
            return 0
        return self.conn.execute(f"SELECT coalesce(max(version), 0) FROM {TABLE}").fetchone()[0]

    def record(self, version: int, name: str, applied_at: str, checksum: str, execution_time_ms: int) -> None:
        """Insert the row for an applied migration."""
        self.record_row((version, name, applied_at, checksum, execution_time_ms))

    def record_row(self, row: tuple[int, str, str, str, int]) -> None:
        """:meth:`record` of a row given as one tuple, in the order of ``COLUMNS``."""
        self.conn.execute(_INSERT, row)

    def remove(self, version: int) -> None:
        """Delete the row of a rolled-back migration."""
        self.conn.execute(f"DELETE FROM {TABLE} WHERE version = ?", (version,))
