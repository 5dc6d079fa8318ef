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


def append(database: str | os.PathLike[str] | None, events: list[HistoryEvent]) -> None:
    """Append events to the database's log; does nothing for an in-memory database."""
    if not database or not events:
        return
    data = "".join(json.dumps(e.__dict__, separators=(",", ":")) + "\n" for e in events)
    try:
        # One write call on an O_APPEND file: concurrent runners do not interleave lines.
        fd = os.open(log_path(database), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data.encode("utf-8"))
        finally:
            os.close(fd)
    except OSError:
        pass  # the log is a report, never a reason to fail a migration that succeeded


def read(database: str | os.PathLike[str]) -> list[HistoryEvent]:
    """All events logged for ``database``, oldest first. Read-only."""
    path = log_path(database)
    if not path.exists():
        return []
    events = []
    fields = set(HistoryEvent.__dataclass_fields__)
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            data = json.loads(line)
            events.append(HistoryEvent(**{k: v for k, v in data.items() if k in fields}))
        except (ValueError, TypeError):
            continue
    return events
