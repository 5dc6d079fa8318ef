"""The event log: a ledger of every up, down, dry run, refusal and failure, with timings.

It lives beside the database in ``<database>.history.jsonl`` (one JSON object a line,
appended), not in the database: a dry run must leave the database file byte-for-byte
unchanged, yet is logged, and the user's schema holds nothing but their tables and
``schema_migrations``. The database's real path names the log, so a symlink to the database
shares its log. Each event is one ``write`` on an ``O_APPEND`` descriptor, made when it
happens (a migration's right after its COMMIT), so concurrent runners' lines do not
interleave and a killed run loses at most the line of the moment it was killed. A line cut
short by a crash is skipped when reading, and never swallows the event written after it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from .errors import DatabaseError
from .results import HistoryEvent

_FIELDS = {f.name: f for f in dataclasses.fields(HistoryEvent)}
_ENCODER = json.JSONEncoder(separators=(",", ":"))  # made once: a run writes a line per migration
_TYPES = {"at": str, "database": str, "version": int, "name": str, "direction": str, "mode": str,
          "status": str, "duration_ms": (int, float), "rows_changed": int, "error": str, "checksum": str}


def log_path(database: str | os.PathLike[str]) -> Path:
    """The event log of ``database``: a database file, or where its files are kept
    (:attr:`.config.Target.base`); a symlink to a database shares its log."""
    db = Path(os.path.realpath(database))
    return db.with_name(db.name + ".history.jsonl")


class EventLog:
    """The log of one database, open for appending while a run lasts. Does nothing for an
    in-memory database (``database`` None).

    ``open()`` raises DatabaseError when the log cannot be opened (a folder in its place, no
    permission): a run that could not be recorded does not start. A write that fails later
    (a full disk) does not undo a migration that has committed.
    """

    def __init__(self, database: str | os.PathLike[str] | None) -> None:
        self.path = log_path(database) if database else None
        self._fd: int | None = None
        self._cut = False  # the file ends in a line cut short: start on a new line

    def open(self) -> EventLog:
        if self.path is None or self._fd is not None:
            return self
        try:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            except FileNotFoundError:  # the first log kept in a state folder (Target.base)
                self.path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            raise DatabaseError(
                f"{self.path}: cannot open the event log ({exc.strerror or exc}); move that path "
                "aside or fix the folder's permissions. Nothing was changed."
            ) from exc
        size = os.fstat(fd).st_size
        self._cut = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
        self._fd = fd
        return self

    def write(self, event: HistoryEvent) -> None:
        """Append ``event`` as one line (opening the log first if needed)."""
        if self.path is None:
            return
        self.open()
        line = _ENCODER.encode({name: getattr(event, name) for name in _FIELDS}) + "\n"
        if self._cut:
            line = "\n" + line
        try:
            os.write(self._fd, line.encode("utf-8"))
            self._cut = False
        except OSError:
            pass  # what ran stands; the log cannot say so (a full disk, say)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> EventLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read(database: str | os.PathLike[str]) -> list[HistoryEvent]:
    """All events logged for ``database``, oldest first. Read-only. Lines that are not
    events (cut short by a crash, or written by something else) are skipped. Raises
    DatabaseError when the log exists but cannot be read."""
    return _events(_read(database))


def verified(database: str | os.PathLike[str]) -> dict[str, bool]:
    """Checksum -> whether the last ``verify`` of a file with that checksum passed, from the
    log of ``database``. Only the lines of verify events are parsed."""
    data = _read(database)
    if b'"direction":"verify"' not in data:
        return {}
    lines = b"\n".join(line for line in data.splitlines() if b'"direction":"verify"' in line)
    return {e.checksum: e.status == "ok" for e in _events(lines) if e.direction == "verify"}


def _read(database: str | os.PathLike[str]) -> bytes:
    path = log_path(database)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""
    except OSError as exc:
        raise DatabaseError(f"{path}: cannot read the event log ({exc.strerror or exc}); "
                            "move that path aside or fix its permissions") from exc


def _events(data: bytes) -> list[HistoryEvent]:
    events = []
    for line in data.decode("utf-8", errors="replace").splitlines():
        event = _event(line)
        if event is None and '{"at"' in line[1:]:
            event = _event(line[line.rindex('{"at"'):])  # an event written after a cut line
        if event is not None:
            events.append(event)
    return events


def _event(line: str) -> HistoryEvent | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    values = {}
    for name, field in _FIELDS.items():
        if name not in data:
            if field.default is dataclasses.MISSING:
                return None
            continue
        value = data[name]
        if not isinstance(value, _TYPES[name]) or isinstance(value, bool):
            return None
        values[name] = value
    return HistoryEvent(**values)
