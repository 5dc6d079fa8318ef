"""SQL statements: splitting a section with ``sqlite3.complete_statement``, and the checks
on what a statement may do inside the one transaction a migration runs in.
"""

from __future__ import annotations

import re
import sqlite3

from .errors import BadMigrationFile

_COMMENT = re.compile(r"--[^\n]*|/\*.*?(\*/|$)", re.DOTALL)
_WORD = re.compile(r"[A-Za-z_]+")
TRACKING_TABLE = "schema_migrations"


class Statement:
    """One complete SQL statement of a section: its text, the file line it starts on, its
    1-based place in the section, its first three words outside comments, upper-case, and the
    whole statement on one line without comments (``one_line``: what a run reports of it)."""

    __slots__ = ("sql", "line", "index", "words", "one_line")

    def __init__(self, sql: str, line: int, index: int) -> None:
        self.sql = sql
        self.line = line
        self.index = index
        text = without_comments(sql)
        self.words = [w.upper() for w in _WORD.findall(text[:200])[:3]]
        self.one_line = " ".join(text.split())

    def __repr__(self) -> str:
        return f"Statement(sql={self.sql!r}, line={self.line}, index={self.index})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Statement):
            return NotImplemented
        return (self.sql, self.line, self.index) == (other.sql, other.line, other.index)

    def __hash__(self) -> int:
        return hash((self.sql, self.line, self.index))

    @property
    def keyword(self) -> str:
        """The statement's first keyword, upper-case (``CREATE``, ``BEGIN``, ...)."""
        return self.words[0] if self.words else ""

    @property
    def summary(self) -> str:
        """The statement on one line, shortened for messages."""
        text = self.one_line
        return text if len(text) <= 80 else text[:77] + "..."


def split_statements(sql: str, *, file: str = "<sql>", first_line: int = 1) -> tuple[Statement, ...]:
    """Split SQL into complete statements with ``sqlite3.complete_statement``.

    The text is cut at a ``;`` only where what comes before it is a complete statement, so a
    ``;`` in a string, a comment or a trigger's ``BEGIN ... END`` does not cut; several
    statements on one line are split apart, and every statement knows its line. A last
    statement without its ``;`` is kept when adding the ``;`` completes it (as the sqlite3
    shell runs it). Raises :class:`BadMigrationFile` naming the line when text stays
    incomplete (an unclosed quote, parenthesis, comment or trigger body) or holds a NUL byte.
    """
    if "\0" in sql:
        before = sql[:sql.index("\0")]
        raise BadMigrationFile(file, "holds a NUL byte", line=first_line + before.count("\n"),
                               hint="remove it (save the file as plain UTF-8 text); nothing was run")
    statements: list[Statement] = []
    begin = 0  # where the text not yet in a statement starts
    line = first_line  # the file line of ``begin``
    end = -1  # where the last ';' looked at is
    for part in sql.split(";")[:-1]:
        end += len(part) + 1
        piece = sql[begin:end + 1]
        if sqlite3.complete_statement(piece):
            _keep(statements, piece, line)
            line += piece.count("\n")
            begin = end + 1
    rest = sql[begin:].rstrip()
    if not is_only_comments(rest):
        if not sqlite3.complete_statement(rest + "\n;"):
            raise BadMigrationFile(
                file,
                "incomplete SQL statement starting here (an unclosed quote, parenthesis, "
                "comment or trigger body?)",
                line=line + leading_comment_lines(rest.split("\n")),
                hint="complete it; nothing was run",
            )
        _keep(statements, rest + "\n;", line)
    return tuple(statements)


class SyntaxChecker:
    """Has SQLite parse statements, without running any, on an empty in-memory database
    (``with SyntaxChecker() as check: check(file, sections)``).

    ``check`` raises BadMigrationFile naming the statement and line for a syntax error
    ("syntax error", "incomplete input", "unrecognized token") and for a statement that would
    change ``schema_migrations``, the tracking table. Errors that only a real schema could
    settle ("no such table") are not syntax errors and pass.
    """

    def __enter__(self) -> SyntaxChecker:
        self.probe = _probe()
        return self

    def __exit__(self, *exc: object) -> None:
        self.probe.close()

    def __call__(self, file: str, sections: list[tuple[str, tuple[Statement, ...]]]) -> None:
        for direction, statements in sections:
            label = "statement" if direction == "up" else "DOWN statement"
            for stmt in statements:
                problem = _problem(self.probe, stmt)
                if problem == "not authorized":
                    raise BadMigrationFile(
                        file, f"{label} {stmt.index} changes {TRACKING_TABLE}, the table where "
                        "vfmigrate records what is applied", line=stmt.line, hint="remove that statement; nothing was run")
                if problem:
                    raise BadMigrationFile(file, f"{label} {stmt.index} is not valid SQL ({problem})",
                                           line=stmt.line, hint="fix it; nothing was run")


def syntax_error(sql: str) -> str | None:
    """SQLite's syntax error for one statement, or None (see :func:`check_syntax`)."""
    probe = _probe()
    try:
        problem = _problem(probe, Statement(sql, 1, 1))
    finally:
        probe.close()
    return None if problem == "not authorized" else problem


def _probe() -> sqlite3.Connection:
    """An empty in-memory database with the tracking table, guarded as during a run."""
    probe = sqlite3.connect(":memory:")
    probe.execute(f"CREATE TABLE {TRACKING_TABLE} (version INTEGER PRIMARY KEY, name TEXT, "
                  "applied_at TIMESTAMP, checksum TEXT, execution_time_ms INTEGER)")
    probe.set_authorizer(guard_tracking_table)
    return probe


def _problem(probe: sqlite3.Connection, stmt: Statement) -> str | None:
    """SQLite's syntax error for ``stmt`` (or "not authorized"), found by compiling it
    under EXPLAIN, which runs nothing; None when it parses."""
    try:
        probe.execute(stmt.sql if stmt.keyword == "EXPLAIN" else "EXPLAIN " + stmt.sql)
    except sqlite3.Error as exc:
        text = str(exc)
        if text == "not authorized" or "syntax error" in text or "incomplete input" in text \
                or "unrecognized token" in text:
            return text
    return None


_TABLE_IN_ARG1 = {sqlite3.SQLITE_DROP_TABLE, sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE, sqlite3.SQLITE_DELETE}
_TABLE_IN_ARG2 = {sqlite3.SQLITE_CREATE_TRIGGER, sqlite3.SQLITE_CREATE_TEMP_TRIGGER, sqlite3.SQLITE_ALTER_TABLE}
WATCHED_ACTIONS = _TABLE_IN_ARG1 | _TABLE_IN_ARG2


def guard_tracking_table(action: int, arg1: str | None, arg2: str | None, db: str | None, source: str | None) -> int:
    """A sqlite3 authorizer that denies every change to ``schema_migrations`` (drop, alter,
    insert, update, delete, a trigger on it) and allows everything else."""
    if action not in WATCHED_ACTIONS:
        return sqlite3.SQLITE_OK
    if action == sqlite3.SQLITE_ALTER_TABLE:
        table, db = arg2, arg1
    else:
        table = arg1 if action in _TABLE_IN_ARG1 else arg2
    # Only the main database's table: VACUUM copies every table through a schema of its own.
    if db not in (None, "main") or table is None or table.lower() != TRACKING_TABLE:
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY
def _keep(statements: list[Statement], text: str, line: int) -> None:
    """Add ``text``, one complete statement starting on ``line``, unless it is only comments
    (or a lone ``;``). Its line is that of its first line of SQL, below any comments."""
    if is_only_comments(text.replace(";", " ")):
        return
    lines = text.split("\n")
    skip = leading_comment_lines(lines)
    statements.append(Statement("\n".join(lines[skip:]).strip(), line + skip, len(statements) + 1))


def leading_comment_lines(lines: list[str]) -> int:
    """How many of ``lines`` come before the first that holds SQL (blank or comment-only)."""
    skip = 0
    while skip < len(lines) and is_only_comments(lines[skip]):
        skip += 1
    return skip


def without_comments(text: str) -> str:
    """``text`` with each comment replaced by a space."""
    return _COMMENT.sub(" ", text) if "--" in text or "/*" in text else text


def is_only_comments(text: str) -> bool:
    return not without_comments(text).strip()


_TX_WORDS = {"BEGIN", "COMMIT", "END", "ROLLBACK"}


def unwrap_transaction(stmts: tuple[Statement, ...], file: str, warnings: list[str]) -> tuple[Statement, ...]:
    """Drop one ``BEGIN`` ... ``COMMIT`` pair that wraps a section; refuse any other use.

    The whole section runs in the runner's transaction anyway, so such a pair is redundant.
    Any other transaction control could commit half a migration, so the file is refused.
    """
    tx = [s for s in stmts if s.keyword in _TX_WORDS and not _is_rollback_to(s)]
    if not tx:
        return stmts
    if len(tx) == 2 and tx[0].keyword == "BEGIN" and tx[1].keyword in {"COMMIT", "END"}:
        warnings.append(
            f"BEGIN (line {tx[0].line}) and {tx[1].keyword} (line {tx[1].line}) are ignored: "
            "the whole migration already runs in one transaction"
        )
        kept = [s for s in stmts if s not in tx]
        return tuple(Statement(s.sql, s.line, i) for i, s in enumerate(kept, 1))
    bad = tx[0] if tx[0].keyword != "BEGIN" or len(tx) == 1 else tx[1]
    raise BadMigrationFile(
        file,
        f"{bad.keyword} inside a migration could commit or roll back part of it",
        line=bad.line,
        hint="remove it (each migration already runs in one transaction), or put "
        "'-- vfmigrate: no-transaction' above the UP marker to run the file as written",
    )


def _is_rollback_to(stmt: Statement) -> bool:
    words = stmt.words
    return words[:1] == ["ROLLBACK"] and ("TO" in words[1:3])


def refuse_outside_transaction(stmts: tuple[Statement, ...], file: str, warnings: list[str]) -> None:
    """Refuse statements that cannot work inside a transaction; warn about no-ops."""
    for stmt in stmts:
        _refuse_outside_transaction(stmt, file, warnings)


def _refuse_outside_transaction(stmt: Statement, file: str, warnings: list[str]) -> None:
    words = stmt.words
    if words[:1] == ["VACUUM"]:
        raise BadMigrationFile(
            file, "VACUUM cannot run inside a transaction", line=stmt.line,
            hint="put '-- vfmigrate: no-transaction' above the UP marker to run this file "
            "outside one (it is then not atomic)",
        )
    if words[:1] == ["PRAGMA"] and "FOREIGN_KEYS" in words[1:3]:
        warnings.append(
            f"PRAGMA foreign_keys (line {stmt.line}) has no effect inside a transaction; "
            "migrations run with foreign keys off and are checked with foreign_key_check after"
        )

