"""The event log: every up, down, dry run and failure, with timings.

It lives beside the database in ``<database>.history.jsonl`` (one JSON object a line,
appended), not in the database: a dry run must leave the database file byte-for-byte
unchanged, yet is logged, and the user's schema holds nothing but their tables and
``schema_migrations``. A line cut short by a crash is skipped when reading.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from .coalesce import Coalescer
from .results import HistoryEvent, MigrationResult
from .sqlite import precise


def log_path(database: str | os.PathLike[str]) -> Path:
    db = Path(database)
    return db.with_name(db.name + ".history.jsonl")


def _quote(text: str) -> str:
    """``text`` as a JSON string, as ``json.dumps`` writes it (ASCII only). A name or path of
    plain printable ASCII without quotes or backslashes, nearly every one, is written as it
    is; any other goes through json's own C function. Importing that (a shared library,
    _json) is a few tenths of a millisecond of every ``up``, and json itself a millisecond."""
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    try:
        from _json import encode_basestring_ascii
    except ImportError:  # pragma: no cover - a Python built without _json
        from json.encoder import encode_basestring_ascii
    return encode_basestring_ascii(text)


_encoder = None


def _encode(obj: dict) -> str:
    """``json.dumps(obj)`` without spaces, with one encoder for every line (json.dumps with
    separators builds a new one at each call); json is imported when first needed."""
    global _encoder
    if _encoder is None:
        import json

        _encoder = json.JSONEncoder(separators=(",", ":")).encode
    return _encoder(obj)


# The line of a migration that ran: what _encode makes of its HistoryEvent, filled in directly.
# Strings from outside pass through _quote; direction and mode are the engine's own words.
_OK_LINE = ('{"at":"%s","database":%s,"version":%d,"name":%s,"direction":"%s","mode":"%s",'
            '"status":"ok","duration_ms":%r,"rows_changed":%d,"error":""}\n')


LOG_DELAY = 1.0  # seconds the line of a migration that ran may wait to be written


class EventLog:
    """The log of one database, open for appending while a run lasts: opened on the first
    write and kept open until ``close()``, not reopened for every migration.
    Each write is one ``os.write`` on an ``O_APPEND`` descriptor, so the lines of concurrent
    runners do not interleave. Does nothing for an in-memory database (``database`` None).

    The lines of migrations that ran (``ok``) are written in batches (:mod:`.coalesce`):
    within a second while migrations keep finishing (two during a long one), before any
    other event, and at ``close()``. On ext4 (data=ordered) each append to this file makes
    the database's next fsync also write the log's new blocks: with a write every 0.1 s, an
    ``up`` of 500 small migrations took 25 ms (4 %) longer than with no log, with one a second
    3 ms. A process killed outright may lose the lines of its last two seconds; what is
    applied is decided by the tracking table, written in each migration's own transaction.
    """

    def __init__(self, database: str | os.PathLike[str] | None) -> None:
        self.path = log_path(database) if database else None
        self._fd: int | None = None
        # (time_ns, database label, result) of migrations that ran, until written
        self._ok = Coalescer(self._write_ok, delay=LOG_DELAY, patience=LOG_DELAY)

    def write(self, events: list[HistoryEvent]) -> None:
        """Write ``events`` now (after any ``ok`` lines still waiting)."""
        self._ok.flush()
        if self.path is None or not events:
            return
        self._append("".join(_encode(e.__dict__) + "\n" for e in events).encode("utf-8"))

    def ok(self, database: str, result: MigrationResult) -> None:
        """Log ``result``, a migration that ran, as an "ok" event of ``database`` (its label)."""
        if self.path is not None:
            self._ok.add((time.time_ns(), database, result))

    def _write_ok(self, batch: list[tuple[int, str, MigrationResult]]) -> None:
        """The lines ``write`` would make of these events, made directly."""
        quoted: dict[str, str] = {}
        lines = []
        for at, database, r in batch:
            label = quoted.get(database) or quoted.setdefault(database, _quote(database))
            lines.append(_OK_LINE % (precise(at), label, r.version, _quote(r.name), r.direction,
                                     r.mode.value, round(r.duration_ms, 3), r.rows_changed))
        self._append("".join(lines).encode("utf-8"))

    def _append(self, data: bytes) -> None:
        try:
            if self._fd is None:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            os.write(self._fd, data)
        except OSError:
            pass  # the log is a report, never a reason to fail a migration that succeeded

    def close(self) -> None:
        self._ok.close()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read(database: str | os.PathLike[str]) -> list[HistoryEvent]:
    """All events logged for ``database``, oldest first. Read-only."""
    import json

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
