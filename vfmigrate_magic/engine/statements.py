"""SQL statements: splitting a section with ``sqlite3.complete_statement``, and the checks
on what a statement may do inside the one transaction a migration runs in.
"""

from __future__ import annotations

import re
import sqlite3
from itertools import accumulate

from .errors import BadMigrationFile
from .records import Deferred, deferrable, peek, record

# (pattern, flags) for re.compile at first use (re keeps what it compiled): a start-up saving.
_COMMENT = (r"--[^\n]*|/\*.*?(\*/|$)", re.DOTALL)
_FIRST_WORDS = (r"[A-Za-z_]+", 0)


@record
class Statement:
    """One complete SQL statement of a section, with the file line it starts on."""

    sql: str
    line: int = deferrable()  # worked out when first read (see _Lines)
    index: int  # 1-based position within its section

    @property
    def keyword(self) -> str:
        """The statement's first keyword, upper-case (``CREATE``, ``BEGIN``, ...)."""
        words = self._first_words
        return words[0] if words else ""

    @property
    def summary(self) -> str:
        """The statement on one line, shortened for messages and reports."""
        text = " ".join(_without_comments(self.sql).split())
        return text if len(text) <= 80 else text[:77] + "..."

    @property
    def _first_words(self) -> list[str]:
        """The first three words outside comments, upper-case: what the checks before a run
        read. Worked out once (kept beside the fields), as every statement is checked twice."""
        words = self.__dict__.get("_words")
        if words is None:
            words = [w.upper() for w in re.compile(*_FIRST_WORDS).findall(_without_comments(self.sql)[:200])[:3]]
            self.__dict__["_words"] = words
        return words


def split_statements(sql: str, *, file: str = "<sql>", first_line: int = 1) -> tuple[Statement, ...]:
    """Split SQL into complete statements with ``sqlite3.complete_statement``.

    The text is cut at a ``;`` only where what comes before it is a complete statement, so a
    ``;`` in a string, a comment or a trigger's ``BEGIN ... END`` does not cut; several
    statements on one line are split apart, and every statement knows its line. A last
    statement without its ``;`` is kept when adding the ``;`` completes it (as the sqlite3
    shell runs it). Raises :class:`BadMigrationFile` naming the line when text stays
    incomplete (an unclosed quote, parenthesis, comment or trigger body).
    """
    statements: list[Statement] = []
    lines = _Lines(sql, first_line)
    # Without comments, only blank lines can come before a statement's SQL: each is kept with
    # a few string operations, and its line worked out when first read.
    commented = "--" in sql or "/*" in sql
    complete = sqlite3.complete_statement
    begin = 0  # where the text not yet in a statement starts
    end = -1  # where the last ';' looked at is
    for part in sql.split(";")[:-1]:
        end += len(part) + 1
        piece = sql[begin:end + 1]
        if complete(piece):
            if commented:
                _keep_commented(statements, piece, lines.at(begin))
            else:
                body = piece.strip()
                if body != ";":
                    at = Deferred(lines.at, begin + len(piece) - len(piece.lstrip()))
                    statements.append(Statement(body, at, len(statements) + 1))
            begin = end + 1
    rest = sql[begin:].rstrip()
    if not is_only_comments(rest):
        if not complete(rest + "\n;"):
            raise BadMigrationFile(
                file,
                "incomplete SQL statement starting here (an unclosed quote, parenthesis, "
                "comment or trigger body?)",
                line=lines.at(begin) + leading_comment_lines(rest.split("\n")),
                hint="complete it; nothing was run",
            )
        _keep_commented(statements, rest + "\n;", lines.at(begin))
    for stmt in statements:
        # complete_statement() does not count parentheses; an unequal count is rare, so only
        # then is the statement parsed (EXPLAIN on an empty database: syntax errors only).
        if stmt.sql.count("(") != stmt.sql.count(")"):
            _check_syntax(stmt, file)
    return tuple(statements)


class _Lines:
    """The file line of any offset in one section, from a table of line ends made when first
    asked for: ``up`` reads no statement's line unless one fails, and a seed section of
    100,000 statements is counted once, not once a statement."""

    __slots__ = ("text", "first", "ends")

    def __init__(self, text: str, first_line: int) -> None:
        self.text = text
        self.first = first_line
        self.ends: list[int] | None = None

    def at(self, offset: int) -> int:
        # bisect is imported here, not at the top: it loads a shared library (_bisect), a
        # few tenths of a millisecond of every start, and most runs never ask for a line.
        from bisect import bisect_right

        if self.ends is None:
            # the offset just after each line's '\n'
            self.ends = list(accumulate(len(line) + 1 for line in self.text.split("\n")))
        return self.first + bisect_right(self.ends, offset)


def _check_syntax(stmt: Statement, file: str) -> None:
    problem = syntax_error(stmt.sql)
    if problem:
        raise BadMigrationFile(
            file, f"statement {stmt.index} is not valid SQL ({problem}; an unclosed parenthesis?)",
            line=stmt.line, hint="fix it; nothing was run",
        )


def syntax_error(sql: str) -> str | None:
    """SQLite's syntax error for ``sql``, or None. Parsed with EXPLAIN on an empty in-memory
    database, so unknown tables and columns are not errors here: only the grammar is checked."""
    if sql.lstrip().upper().startswith("EXPLAIN"):
        return None
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("EXPLAIN " + sql)
    except sqlite3.Error as exc:
        text = str(exc)
        if "syntax error" in text or "incomplete input" in text or "unrecognized token" in text:
            return text
    finally:
        probe.close()
    return None


def _keep_commented(statements: list[Statement], text: str, line: int) -> None:
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


def _without_comments(text: str) -> str:
    """``text`` with each comment replaced by a space. Most statements hold no ``--`` or
    ``/*``, so no comment either: the regex is then not run."""
    return re.compile(*_COMMENT).sub(" ", text) if "--" in text or "/*" in text else text


def is_only_comments(text: str) -> bool:
    return not _without_comments(text).strip()


_TX_WORDS = {"BEGIN", "COMMIT", "END", "ROLLBACK"}
# Words a section's upper-cased text must hold before its statements' keywords are worked out
# for unwrap_transaction (the first tuple) and refuse_outside_transaction (the second).
TRANSACTION_WORDS = tuple(sorted(_TX_WORDS))
OUTSIDE_TRANSACTION_WORDS = ("VACUUM", "PRAGMA")


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
        return tuple(Statement(s.sql, peek(s, "line"), i) for i, s in enumerate(kept, 1))
    bad = tx[0] if tx[0].keyword != "BEGIN" or len(tx) == 1 else tx[1]
    raise BadMigrationFile(
        file,
        f"{bad.keyword} inside a migration could commit or roll back part of it",
        line=bad.line,
        hint="remove it (each migration already runs in one transaction), or put "
        "'-- vfmigrate: no-transaction' above the UP marker to run the file as written",
    )


def _is_rollback_to(stmt: Statement) -> bool:
    words = stmt._first_words
    return words[:1] == ["ROLLBACK"] and ("TO" in words[1:3])


def refuse_outside_transaction(stmts: tuple[Statement, ...], file: str, warnings: list[str]) -> None:
    """Refuse statements that cannot work inside a transaction; warn about no-ops."""
    for stmt in stmts:
        _refuse_outside_transaction(stmt, file, warnings)


def _refuse_outside_transaction(stmt: Statement, file: str, warnings: list[str]) -> None:
    words = stmt._first_words
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
