"""The event log: every up, down, dry run and failure, with timings.

It lives beside the database in ``<database>.history.jsonl`` (one JSON object a line,
appended), not in the database: a dry run must leave the database file byte-for-byte
unchanged, yet is logged, and the user's schema holds nothing but their tables and
``schema_migrations``. A line cut short by a crash is skipped when reading.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from .results import HistoryEvent


def log_path(database: str | os.PathLike[str]) -> Path:
    db = Path(database)
    return db.with_name(db.name + ".history.jsonl")


# One encoder for every line: json.dumps with separators builds a new one at each call.
_encode = json.JSONEncoder(separators=(",", ":")).encode


class EventLog:
    """The log of one database, open for appending while a run lasts: opened on the first
    ``write`` and kept open until ``close()``, not reopened for every migration.
    Each ``write`` is one ``os.write`` on an ``O_APPEND`` descriptor, so the lines of concurrent
    runners do not interleave. Does nothing for an in-memory database (``database`` None).
    """

    def __init__(self, database: str | os.PathLike[str] | None) -> None:
        self.path = log_path(database) if database else None
        self._fd: int | None = None

    def write(self, events: list[HistoryEvent]) -> None:
        if self.path is None or not events:
            return
        data = "".join(_encode(e.__dict__) + "\n" for e in events).encode("utf-8")
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
