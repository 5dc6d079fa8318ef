"""VersionTracker: the ``schema_migrations`` table, exactly as the seed defines it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .errors import TrackingTableError

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
_FIX = "fix or delete that row by hand, or restore a backup. Nothing was changed."


@dataclass(frozen=True, slots=True)
class AppliedMigration:
    """A row of ``schema_migrations``."""

    version: int
    name: str
    applied_at: str | None
    checksum: str
    execution_time_ms: int | float | None


class VersionTracker:
    """Reads and writes the tracking table on one connection.

    Writes (``ensure_table``, ``record``, ``remove``) are meant to run inside the caller's
    transaction, together with the migration they record.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def exists(self) -> bool:
        """Whether the table is there; raises TrackingTableError when another tool's table of
        the same name is (dbmate, for one, also calls its table ``schema_migrations``)."""
        columns = tuple(r[1] for r in self.conn.execute(f"PRAGMA table_info({TABLE})"))
        if columns and columns != COLUMNS:
            raise TrackingTableError(
                f"{TABLE} has the columns ({', '.join(columns)}), not vfmigrate's "
                f"({', '.join(COLUMNS)}): another tool made it; migrate this database with that "
                "tool, or rename its table. Nothing was changed."
            )
        return bool(columns)

    def ensure_table(self) -> None:
        """Create ``schema_migrations`` if it is not there yet."""
        self.conn.execute(CREATE_TABLE)

    def applied(self) -> dict[int, AppliedMigration]:
        """Applied migrations by version (empty when the table does not exist). Read-only.

        Raises TrackingTableError naming the row when one is not as vfmigrate writes it (a
        version that is not a whole number, or twice; a missing name or checksum).
        """
        if not self.exists():
            return {}
        rows: dict[int, AppliedMigration] = {}
        for version, name, applied_at, checksum, time_ms in self.conn.execute(
                f"SELECT {', '.join(COLUMNS)} FROM {TABLE} ORDER BY version"):
            if type(version) is not int or version < 0:
                raise TrackingTableError(f"{TABLE} holds a row whose version is {version!r}, not a whole "
                                         f"number of 0 or more; {_FIX}")
            if version in rows:
                raise TrackingTableError(f"{TABLE} holds version {version} twice; {_FIX}")
            if not isinstance(checksum, str) or not checksum:
                raise TrackingTableError(f"{TABLE} row of version {version} has no checksum ({checksum!r}); {_FIX}")
            if not isinstance(name, str) or not name:
                raise TrackingTableError(f"{TABLE} row of version {version} has no name ({name!r}); {_FIX}")
            if applied_at is not None and not isinstance(applied_at, str):
                applied_at = str(applied_at)
            if time_ms is not None and not isinstance(time_ms, (int, float)):
                time_ms = None
            rows[version] = AppliedMigration(version, name, applied_at, checksum, time_ms)
        return rows

    def current_version(self) -> int:
        """The highest applied version, 0 when none."""
        return max(self.applied(), default=0)

    def record(self, version: int, name: str, applied_at: str, checksum: str, execution_time_ms: int) -> None:
        """Insert the row for an applied migration."""
        self.conn.execute(_INSERT, (version, name, applied_at, checksum, execution_time_ms))

    def remove(self, version: int) -> None:
        """Delete the row of a rolled-back migration."""
        self.conn.execute(f"DELETE FROM {TABLE} WHERE version = ?", (version,))
