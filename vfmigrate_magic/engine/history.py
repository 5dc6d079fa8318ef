"""The event log: every up, down, dry run and failure, with timings.

It lives beside the database in ``<database>.history.jsonl`` (one JSON object a line,
appended), not in the database: a dry run must leave the database file byte-for-byte
unchanged, yet is logged, and the user's schema holds nothing but their tables and
``schema_migrations``. A line cut short by a crash is skipped when reading.
"""

from __future__ import annotations

import json
import os
from json.encoder import encode_basestring_ascii as _quote
from pathlib import Path

from .results import HistoryEvent, MigrationResult
from .sqlite import now_precise


def log_path(database: str | os.PathLike[str]) -> Path:
    db = Path(database)
    return db.with_name(db.name + ".history.jsonl")


# One encoder for every line: json.dumps with separators builds a new one at each call.
_encode = json.JSONEncoder(separators=(",", ":")).encode
# The line of a migration that ran: what _encode makes of its HistoryEvent, filled in directly
# (``up`` writes one per migration, between SQLite's commits). Strings from outside pass
# through _quote; direction and mode are the engine's own words.
_OK_LINE = ('{"at":"%s","database":%s,"version":%d,"name":%s,"direction":"%s","mode":"%s",'
            '"status":"ok","duration_ms":%r,"rows_changed":%d,"error":""}\n')


class EventLog:
    """The log of one database, open for appending while a run lasts: opened on the first
    ``write`` and kept open until ``close()``, not reopened for every migration.
    Each ``write`` is one ``os.write`` on an ``O_APPEND`` descriptor, so the lines of concurrent
    runners do not interleave. Does nothing for an in-memory database (``database`` None).
    """

    def __init__(self, database: str | os.PathLike[str] | None) -> None:
        self.path = log_path(database) if database else None
        self._fd: int | None = None
        self._quoted: tuple[str, str] | None = None  # a database label and its JSON text

    def write(self, events: list[HistoryEvent]) -> None:
        if self.path is None or not events:
            return
        self._append("".join(_encode(e.__dict__) + "\n" for e in events).encode("utf-8"))

    def write_ok(self, database: str, result: MigrationResult) -> None:
        """Log ``result`` (a migration that ran) as an "ok" event of ``database`` (its label):
        the same line ``write`` makes of the same event, at a fraction of the cost."""
        if self.path is None:
            return
        if self._quoted is None or self._quoted[0] != database:
            self._quoted = (database, _quote(database))
        line = _OK_LINE % (now_precise(), self._quoted[1], result.version, _quote(result.name), result.direction,
                           result.mode.value, round(result.duration_ms, 3), result.rows_changed)
        self._append(line.encode("utf-8"))

    def _append(self, data: bytes) -> None:
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(self._fd, data)
        except OSError:
            pass  # the log is a report, never a reason to fail a migration that succeeded

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read(database: str | os.PathLike[str]) -> list[HistoryEvent]:
    """All events logged for ``database``, oldest first. Read-only."""
    path = log_path(database)
    if not path.exists():
        return []
    events = []
    fields = set(HistoryEvent._fields)
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            data = json.loads(line)
            events.append(HistoryEvent(**{k: v for k, v in data.items() if k in fields}))
        except (ValueError, TypeError):
            continue
    return events
