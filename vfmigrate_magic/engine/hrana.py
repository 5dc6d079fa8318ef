"""A client for Turso and libSQL servers over Hrana 3 HTTP (JSON).

Hrana over HTTP has no interactive transaction a runner could hold open between requests
(goose breaks on that: tursodatabase/libsql#1383). A *batch* runs its steps in order, each
step guarded by a condition on earlier steps, so ``BEGIN IMMEDIATE`` ... ``COMMIT``, with a
``ROLLBACK`` when a step failed, travels in one request: :mod:`.remote_batch` builds them.

What ``tursodb --sync-server`` of the npm package ``turso`` 0.6.0 answers (checked against it;
its source is ``cli/sync_server.rs`` at tag v0.6.0 of tursodatabase/turso):

- Endpoint ``POST /v2/pipeline`` only (``/v3/pipeline``, cursors: 404). Request types ``execute``
  and ``batch`` only: a pipeline holding ``close``, ``get_autocommit``, ``sequence`` or an
  unknown condition type is refused whole with HTTP 500 and a plain-text body; nothing runs.
- No streams: the baton is echoed as sent (null stays null) and ``base_url`` is null. All
  clients share ONE connection, and the server handles one HTTP request at a time. So two
  clients' batches never interleave, and ``BEGIN IMMEDIATE`` never waits for a lock; but a
  transaction a request leaves open stays open for every client's next request (their
  ``BEGIN`` then fails: "cannot start a transaction within a transaction"), and so do PRAGMA
  settings and temp tables. Hence every batch here ends in COMMIT or ROLLBACK.
- No authentication: any ``Authorization`` header, or none, is accepted.
- Conditions ``ok``, ``error``, ``not``, ``and``, ``or``, ``is_autocommit`` work as the spec
  says (``ok``/``error`` of a skipped or later step are false). ``BEGIN IMMEDIATE``, COMMIT and
  ROLLBACK inside a batch work, also across the batches of one pipeline. A failing statement
  is undone alone and leaves the transaction open, so the final ROLLBACK undoes the rest.
- ``affected_row_count`` is always 0 and ``last_insert_rowid`` always null; ``changes()``,
  ``total_changes()`` and ``last_insert_rowid()`` are right, so rows per statement are read
  with ``SELECT total_changes()`` steps (DDL leaves it unchanged, as in SQLite).
- Values: integers go both ways as strings; blobs come back as base64 *without* padding (both
  forms are accepted); an infinite float comes back as ``null``. ``named_args`` are ignored
  (the parameter stays NULL), missing arguments are NULL, and only the first statement of a
  ``sql`` holding several runs. Statement errors carry ``code`` PREPARE_ERROR, EXECUTE_ERROR
  or BATCH_STEP_ERROR and messages like "Parse error: no such table: x" or "Runtime error:
  UNIQUE constraint failed: t.a (19)" (but DROP TABLE says "No such table").
- SQL: ``sqlite_version()`` says 3.50.4; RETURNING, triggers, views, ALTER TABLE ADD/RENAME/
  DROP COLUMN, ``julianday('now')`` (new for each statement), ``INSERT ... SELECT`` from the
  table it inserts into, ``PRAGMA table_info``/``foreign_key_list``/``index_list``/
  ``integrity_check`` and ``sqlite_sequence`` work. ``PRAGMA foreign_key_check``,
  ``PRAGMA data_version`` and ``defer_foreign_keys`` do not exist; VACUUM needs a flag; so
  does a ``WITHOUT ROWID`` table ("an experimental feature"), and even with it no index can be
  made on one, so each of the reference application's folders stops at its first such table.
  The schema's SQL is stored re-formatted (``create table t(a)`` reads back ``CREATE TABLE t
  (a)``), and an ``ALTER TABLE ... RENAME`` re-formats the stored SQL of other tables' triggers
  too. ``PRAGMA table_info`` says pk 1 for every column of a composite primary key (SQLite: 1,
  2, ...). The server logs each failed statement's error; never a request's headers.

The auth token goes in the ``Authorization`` header only; it never appears in a message, a
``repr`` or a log line.
"""

from __future__ import annotations

import base64
import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from http.client import HTTPException
from typing import Any

from .errors import ConfigError, DatabaseError, DatabaseLocked, MigrationError, UsageError

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 60.0  # seconds to wait for each answer (a client made without one reads it then)
Value = int | float | str | bytes | None
Condition = dict[str, Any]


class ServerError(DatabaseError):
    """The server cannot be reached, refused the request, answered something that is not
    Hrana, or a statement sent with :meth:`HranaClient.execute` failed. ``reason`` is the
    server's or the network's own words; ``code`` the server's error code, if any;
    ``timed_out``: no answer came in time (the request may still be running on the server)."""

    def __init__(self, url: str, reason: str, *, code: str | None = None, timed_out: bool = False) -> None:
        self.url, self.reason, self.code, self.timed_out = url, reason, code, timed_out
        super().__init__(f"{url}: {reason}")


class ServerLocked(DatabaseLocked):
    """The server's database was locked by another writer (SQLITE_BUSY) for longer than the
    server waits. Nothing was changed."""

    def __init__(self, url: str, reason: str) -> None:
        self.path, self.timeout, self.url, self.reason = url, 0.0, url, reason
        MigrationError.__init__(self, f"{url}: the database is locked by another writer ({reason}); let the "
                                      "other run finish and try again. Nothing was changed.")


# Batch conditions (Hrana 3 ``BatchCond``).
def ok(step: int) -> Condition:
    return {"type": "ok", "step": step}


def error(step: int) -> Condition:
    return {"type": "error", "step": step}


def not_(cond: Condition) -> Condition:
    return {"type": "not", "cond": cond}


def and_(*conds: Condition) -> Condition:
    return {"type": "and", "conds": list(conds)}


IS_AUTOCOMMIT: Condition = {"type": "is_autocommit"}


@dataclass(frozen=True, slots=True)
class Step:
    """One statement of a batch; it runs only when ``condition`` (if any) holds."""

    sql: str
    _: KW_ONLY
    args: tuple[Value, ...] = ()
    condition: Condition | None = None


@dataclass(frozen=True, slots=True)
class Result:
    """What a statement returned. tursodb 0.6 always reports 0 and None for the last two."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Value, ...], ...]
    affected_row_count: int
    last_insert_rowid: int | None


@dataclass(frozen=True, slots=True)
class StepError:
    """A statement's error as the server words it."""

    message: str
    code: str | None = None


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Per step: its result (it ran and succeeded), its error (it failed), or both None
    (its condition was false, so it was skipped)."""

    results: tuple[Result | None, ...]
    errors: tuple[StepError | None, ...]


class HranaClient:
    """Talks Hrana 3 over HTTP (JSON) to ``url``: ``http://HOST:PORT``, ``https://HOST`` or
    ``libsql://HOST`` (read as https). Use one client per thread: the requests of a stream go
    one after the other. ``close()`` (or leaving a ``with`` block) closes the stream the server
    may keep for it. Raises ConfigError for a URL it cannot use; every call raises ServerError
    (or ServerLocked) in one line when the server cannot be reached or refuses."""

    def __init__(self, url: str, auth_token: str | None = None, timeout: float | None = None) -> None:
        self.url = url
        self.timeout = DEFAULT_TIMEOUT if timeout is None else timeout
        self._endpoint = endpoint(url)
        self._token = auth_token or None
        self._baton: str | None = None
        self._base_url: str | None = None  # the server may pin a stream to another URL

    def __repr__(self) -> str:
        token = "'<hidden>'" if self._token else "None"
        return f"HranaClient({self.url!r}, auth_token={token}, timeout={self.timeout:g})"

    def __enter__(self) -> HranaClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def execute(self, sql: str, args: Sequence[Value] = ()) -> Result:
        """Run one statement (autocommit, unless a transaction is open) and return its result.
        Raises ServerError with the server's message when the statement fails."""
        [answer] = self.pipeline([{"type": "execute", "stmt": _stmt(sql, args)}])
        return _result(self._response(answer, "execute", sql)["result"])

    def batch(self, steps: Sequence[Step]) -> BatchResult:
        """Run ``steps`` in order in one request, each only when its condition holds. A failing
        step does not raise: its error is in the result (later steps' conditions see it)."""
        body = {"steps": [_step(s) for s in steps]}
        [answer] = self.pipeline([{"type": "batch", "batch": body}])
        raw = self._response(answer, "batch", f"a batch of {len(steps)} steps")["result"]
        try:
            results = tuple(None if r is None else _result(r) for r in raw["step_results"])
            errors = tuple(None if e is None else StepError(str(e.get("message")), e.get("code"))
                           for e in raw["step_errors"])
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise self._unreadable(exc) from exc
        if len(results) != len(steps) or len(errors) != len(steps):
            raise self._unreadable(f"{len(results)} results for {len(steps)} steps")
        return BatchResult(results, errors)

    def pipeline(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Send Hrana stream requests in one HTTP request; returns one ``StreamResult`` per
        request (``{"type": "ok", "response": ...}`` or ``{"type": "error", "error": ...}``)."""
        try:
            body = json.dumps({"baton": self._baton, "requests": requests}, allow_nan=False).encode()
        except ValueError as exc:  # NaN or infinity: JSON cannot carry them
            raise UsageError(f"{self.url}: cannot send a float that is not finite ({exc})") from exc
        answer = self._post(body)
        try:
            results = answer["results"]
            if not isinstance(results, list) or len(results) != len(requests):
                raise ValueError(f"{len(results)} results for {len(requests)} requests")
            self._baton = answer.get("baton")
            self._base_url = answer.get("base_url") or self._base_url
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise self._unreadable(exc) from exc
        return results

    def close(self) -> None:
        """Close this client's stream, when the server keeps one (tursodb never does, and
        refuses a ``close`` request)."""
        if self._baton is not None:
            try:
                self.pipeline([{"type": "close"}])
            finally:
                self._baton = self._base_url = None

    def _post(self, body: bytes) -> dict[str, Any]:
        url = (self._base_url or self._endpoint) + "/v2/pipeline"
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        log.debug("POST %s (%d bytes)", url, len(body))
        try:
            with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            self._baton = self._base_url = None  # an HTTP error ends the stream (Hrana spec)
            raise ServerError(self.url, self._scrub(_http_reason(exc, url, bool(self._token)))) from exc
        except (urllib.error.URLError, OSError, HTTPException) as exc:
            self._baton = self._base_url = None
            timed_out = isinstance(exc, TimeoutError) or "timed out" in str(exc)
            if timed_out:
                reason = f"the server did not answer within {self.timeout:g} s"
            else:
                reason = f"cannot reach the server ({getattr(exc, 'reason', None) or exc})"
            raise ServerError(self.url, self._scrub(reason + "; check the URL and that the server runs"),
                              timed_out=timed_out) from exc
        try:
            answer = json.loads(raw)
        except ValueError as exc:
            raise self._unreadable(exc) from exc
        if not isinstance(answer, dict):
            raise self._unreadable("not a JSON object")
        return answer

    def _response(self, answer: dict[str, Any], kind: str, what: str) -> dict[str, Any]:
        """The response of one stream result, or ServerError (ServerLocked) with its error."""
        try:
            if answer["type"] == "error":
                problem = answer["error"]
                reason, code = str(problem.get("message")), problem.get("code")
                if is_locked(reason):
                    raise ServerLocked(self.url, self._scrub(reason))
                raise ServerError(self.url, self._scrub(f"{reason} (in {_summary(what)})"), code=code)
            response = answer["response"]
            if response["type"] != kind:
                raise ValueError(f"a {response['type']!r} response to a {kind!r} request")
            return response
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise self._unreadable(exc) from exc

    def _unreadable(self, detail: object) -> ServerError:
        return ServerError(self.url, self._scrub(f"the server's answer is not Hrana 3 JSON ({detail}); "
                                                 "check that the URL points at a libSQL or Turso server"))

    def _scrub(self, text: str) -> str:
        """``text`` on one line, without the auth token (a server might echo it back)."""
        text = " ".join(text.split())
        return text.replace(self._token, "<hidden>") if self._token else text


def endpoint(url: str) -> str:
    """The HTTP(S) base URL for ``url``; ``libsql://`` is read as ``https://``. Raises
    ConfigError for another scheme, a missing host, and a URL carrying credentials or a query
    (a token belongs in ``--auth-token`` or ``VFMIGRATE_AUTH_TOKEN``, not in a URL)."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # raises ValueError for a port that is not a number
    except ValueError as exc:
        raise ConfigError(f"{shown_url(url)}: not a server URL ({exc}); use http://HOST:PORT, https://HOST "
                          "or libsql://HOST") from None
    scheme = "https" if parts.scheme.lower() == "libsql" else parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{shown_url(url)}: not a server URL; use http://HOST:PORT, https://HOST or libsql://HOST")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(f"{parts.scheme}://{parts.hostname}: the URL carries credentials or a query; give the "
                          "server's URL alone and the token with --auth-token or VFMIGRATE_AUTH_TOKEN")
    return urllib.parse.urlunsplit((scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def shown_url(url: str) -> str:
    """``url`` without what may hold a secret: user and password, query, fragment."""
    scheme, sep, rest = url.split("?")[0].split("#")[0].partition("//")
    netloc, slash, path = rest.partition("/")
    return scheme + sep + netloc.rpartition("@")[2] + slash + path


def _http_reason(exc: urllib.error.HTTPError, url: str, has_token: bool) -> str:
    if exc.code in (401, 403):
        told = "refused the auth token" if has_token else "wants an auth token"
        return f"the server {told} (HTTP {exc.code}); pass a valid one with --auth-token or VFMIGRATE_AUTH_TOKEN"
    if exc.code == 404:
        return f"no Hrana endpoint at {url} (HTTP 404); check that the URL points at a libSQL or Turso server"
    try:
        body = exc.read().decode("utf-8", "replace")
    except OSError:
        body = ""
    try:  # a Hrana error body: {"message": ...}; libSQL servers also send {"error": ...}
        parsed = json.loads(body)
        body = str(parsed.get("message") or parsed.get("error") or body)
    except (ValueError, AttributeError):
        pass
    return f"the server answered HTTP {exc.code} ({_summary(body) or exc.reason})"


def is_locked(reason: str) -> bool:
    """Whether a server's error message says another writer holds the lock (SQLITE_BUSY)."""
    lowered = reason.lower()
    return "database is locked" in lowered or "sqlite_busy" in lowered or "database is busy" in lowered


def _summary(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= 200 else text[:197] + "..."


def _stmt(sql: str, args: Sequence[Value]) -> dict[str, Any]:
    return {"sql": sql, "args": [_value(a) for a in args]}


def _step(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {"stmt": _stmt(step.sql, step.args)}
    if step.condition is not None:
        out["condition"] = step.condition
    return out


def _value(value: Value) -> dict[str, Any]:
    """A Python value as a Hrana ``Value`` (as sqlite3 binds it: bool as integer)."""
    if value is None:
        return {"type": "null"}
    if isinstance(value, int):
        if not -2**63 <= value < 2**63:
            raise UsageError(f"cannot send {value}: SQLite integers are 64-bit")
        return {"type": "integer", "value": str(int(value))}
    if isinstance(value, float):
        return {"type": "float", "value": value}
    if isinstance(value, str):
        return {"type": "text", "value": value}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"type": "blob", "base64": base64.b64encode(bytes(value)).decode("ascii")}
    raise UsageError(f"cannot send a value of type {type(value).__name__}: use None, int, float, str or bytes")


def _python(value: dict[str, Any]) -> Value:
    """A Hrana ``Value`` as Python. Blob base64 may come without padding (tursodb)."""
    kind = value["type"]
    if kind == "null":
        return None
    if kind == "integer":
        return int(value["value"])
    if kind == "float":
        return None if value["value"] is None else float(value["value"])
    if kind == "text":
        return str(value["value"])
    if kind == "blob":
        text = value["base64"]
        return base64.b64decode(text + "=" * (-len(text) % 4))
    raise ValueError(f"unknown value type {kind!r}")


def _result(raw: dict[str, Any]) -> Result:
    rowid = raw.get("last_insert_rowid")
    return Result(tuple(str(c.get("name")) for c in raw["cols"]),
                  tuple(tuple(_python(v) for v in row) for row in raw["rows"]),
                  int(raw.get("affected_row_count") or 0), None if rowid is None else int(rowid))
