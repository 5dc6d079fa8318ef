"""Migration files: naming, parsing, statement splitting, checksums and discovery.

A file is ``NNN_snake_case_name.sql``: header comments, then ``-- === UP MIGRATION ===`` and
``-- === DOWN MIGRATION ===`` (both required). Nothing here touches a database.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path

from .errors import BadMigrationFile, DuplicateVersion
from .results import display_path
from .statements import (
    Statement,
    SyntaxChecker,
    is_only_comments,
    leading_comment_lines,
    refuse_outside_transaction,
    split_statements,
    unwrap_transaction,
)

FILE_PATTERN = re.compile(r"^(\d+)_([A-Za-z0-9_]+)\.sql$")
MAX_VERSION = 2**63 - 1  # SQLite's largest INTEGER
# A marker line: only spaces or tabs around it on its line.
_MARKER = re.compile(r"[ \t]*--[ \t]*=+[ \t]*(UP|DOWN) MIGRATION[ \t]*=+[ \t]*", re.IGNORECASE)
_HEADER_LINE = re.compile(r"[ \t]*--[ \t]*(Migration|Description|Author|Date)[ \t]*:[ \t]*(.*?)[ \t]*",
                          re.IGNORECASE)
# A file opts out of the surrounding transaction with this line above the UP marker.
_NO_TRANSACTION_LINE = re.compile(r"[ \t]*--[ \t]*vfmigrate:[ \t]*no-transaction[ \t]*", re.IGNORECASE)

DOWN_EMPTY_WARNING = "DOWN migration SQL is empty"


class Migration:
    """A migration file, read and split into its sections. Running nothing, changing nothing.

    The statements are split when first asked for (``up``, ``down``, ``warnings``,
    ``statements()``): ``status`` lists ten thousand files by their checksums and never
    needs them, and splitting was two thirds of reading a file. Splitting raises
    :class:`BadMigrationFile` for SQL that cannot be split (an incomplete statement, a NUL
    byte, transaction control inside a transaction); ``up`` and ``check`` split and check
    every pending file before anything runs.
    """

    def __init__(self, version: int, name: str, path: Path, up_sql: str, down_sql: str, *,
                 up_line: int = 1, down_line: int = 1, transactional: bool = True,
                 description: str = "", author: str = "", date: str = "") -> None:
        self.version = version
        self.name = name
        self.path = path
        self.up_sql = up_sql
        self.down_sql = down_sql
        self.up_line = up_line  # file line of the first line of each section
        self.down_line = down_line
        self.transactional = transactional
        self.description = description
        self.author = author
        self.date = date
        self.checksum = checksum(up_sql, down_sql)
        self.reversible = not is_only_comments(down_sql.replace(";", " "))  # the DOWN section holds SQL
        self.checked = False  # set by validate_all

    def __repr__(self) -> str:
        return f"Migration({self.filename!r}, checksum={self.checksum[:12]!r})"

    @property
    def filename(self) -> str:
        return self.path.name

    @property
    def label(self) -> str:
        """``003_add_roles`` -- the file name without ``.sql``."""
        return self.path.stem

    @functools.cached_property
    def _sections(self) -> tuple[tuple[Statement, ...], tuple[Statement, ...], tuple[str, ...]]:
        file = self.filename
        warnings: list[str] = []
        up = split_statements(self.up_sql, file=file, first_line=self.up_line)
        down = split_statements(self.down_sql, file=file, first_line=self.down_line)
        if not up:
            warnings.append("UP migration SQL is empty")
        if not down:
            warnings.append(DOWN_EMPTY_WARNING)
        if self.transactional:
            up = unwrap_transaction(up, file, warnings)
            down = unwrap_transaction(down, file, warnings)
            refuse_outside_transaction(up + down, file, warnings)
        return up, down, tuple(warnings)

    @property
    def up(self) -> tuple[Statement, ...]:
        return self._sections[0]

    @property
    def down(self) -> tuple[Statement, ...]:
        return self._sections[1]

    @property
    def warnings(self) -> tuple[str, ...]:
        return self._sections[2]

    def statements(self, direction: str) -> tuple[Statement, ...]:
        """The UP or DOWN statements."""
        return self.up if direction == "up" else self.down

    def validate(self) -> None:
        """Split both sections and have SQLite's parser read every statement (none is run);
        raises :class:`BadMigrationFile` naming the statement and line of a syntax error, or
        of a statement that would change the tracking table."""
        validate_all([self])


def validate_all(migrations: list[Migration]) -> None:
    """:meth:`Migration.validate` of each not checked yet, with one parser database for all of
    them (none when every one was checked before: a fleet checks its files once for all)."""
    unchecked = [m for m in migrations if not m.checked]
    if not unchecked:
        return
    with SyntaxChecker() as check:
        for m in unchecked:
            check(m.filename, [("up", m.up), ("down", m.down)])
            m.checked = True


def normalize(text: str) -> str:
    """Text with a UTF-8 BOM removed and CRLF/CR line endings turned into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def checksum(up_sql: str, down_sql: str) -> str:
    """SHA-1 (hex) over a migration's executable SQL: the UP and DOWN sections, normalized.

    Line endings, a BOM, and blank lines or spaces at a section's ends do not change it.
    """
    body = normalize(up_sql).strip() + "\n-- === DOWN MIGRATION ===\n" + normalize(down_sql).strip()
    return hashlib.sha1(body.encode("utf-8")).hexdigest()


def parse_name(filename: str) -> tuple[int, str]:
    """Version and name from ``NNN_snake_case_name.sql``; raises BadMigrationFile otherwise."""
    match = FILE_PATTERN.match(filename)
    if not match:
        raise BadMigrationFile(
            filename,
            "not a migration file name",
            hint="name it NNN_snake_case_name.sql (e.g. 004_add_user_roles.sql), "
            "or move it out of the migrations folder",
        )
    version = int(match.group(1))
    if version > MAX_VERSION:
        raise BadMigrationFile(filename, f"the version number is larger than SQLite's largest integer ({MAX_VERSION})",
                               hint="renumber it (vfmigrate create NAME picks the next number)")
    return version, match.group(2)


def markers(text: str) -> set[str]:
    """Which marker lines the text holds: a subset of ``{"UP", "DOWN"}``."""
    return {m.group(1).upper() for line in normalize(text).split("\n") if (m := _MARKER.fullmatch(line))}


def parse_text(text: str, path: Path, version: int | None = None, name: str | None = None) -> Migration:
    """Parse a migration's text. Raises :class:`BadMigrationFile` naming the file and line."""
    if version is None or name is None:
        version, name = parse_name(path.name)
    lines = normalize(text).split("\n")
    filename = path.name
    found: dict[str, int] = {}  # marker -> index of its line
    for index, line in enumerate(lines):
        if "MIGRATION" in line.upper() and (match := _MARKER.fullmatch(line)):
            which = match.group(1).upper()
            if which in found:
                raise BadMigrationFile(filename, f"second {which} MIGRATION marker", line=index + 1,
                                       hint=f"keep one '-- === {which} MIGRATION ===' line")
            found[which] = index
    if len(found) < 2:
        missing = " and ".join(f"'-- === {m} MIGRATION ==='" for m in ("UP", "DOWN") if m not in found)
        raise BadMigrationFile(filename, f"missing the {missing} marker", hint="both markers are required")
    up, down = found["UP"], found["DOWN"]
    if down < up:
        raise BadMigrationFile(filename, "the DOWN MIGRATION marker comes before the UP marker",
                               line=down + 1, hint="put the UP section first")
    head = lines[:up]
    if not is_only_comments("\n".join(head)):
        raise BadMigrationFile(filename, "SQL before the UP MIGRATION marker",
                               line=leading_comment_lines(head) + 1,
                               hint="move it below '-- === UP MIGRATION ==='")
    headers: dict[str, str] = {}
    transactional = True
    for line in head:
        if (match := _HEADER_LINE.fullmatch(line)) is not None:
            headers.setdefault(match.group(1).lower(), match.group(2))
        elif _NO_TRANSACTION_LINE.fullmatch(line) is not None:
            transactional = False
    return Migration(
        version, name, path, "\n".join(lines[up + 1:down]), "\n".join(lines[down + 1:]),
        up_line=up + 2, down_line=down + 2, transactional=transactional,
        description=headers.get("description", ""), author=headers.get("author", ""),
        date=headers.get("date", ""),
    )


def read_migration(path: Path, version: int | None = None, name: str | None = None) -> Migration:
    """Read and parse one file; unreadable or non-UTF-8 files raise BadMigrationFile."""
    try:
        # os.read rather than open(): half the time, which is most of `status` over 10,000 files.
        fd = os.open(path, os.O_RDONLY)
        try:
            parts = []
            while chunk := os.read(fd, 1 << 16):
                parts.append(chunk)
        finally:
            os.close(fd)
        raw = b"".join(parts)
    except OSError as exc:
        raise BadMigrationFile(path.name, f"cannot be read ({exc.strerror or exc})",
                               hint="check its permissions") from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BadMigrationFile(path.name, "is not UTF-8 text", line=line, hint="save it as UTF-8") from exc
    return parse_text(text, path, version, name)


def discover(folder: str | os.PathLike[str]) -> list[Migration]:
    """All migrations in ``folder``, in version order. Read-only.

    Files not ending in ``.sql`` are ignored. Raises BadMigrationFile for a missing folder, a
    ``.sql`` entry that is not a readable file inside the folder, a bad name or content, and
    DuplicateVersion when two files share a version.
    """
    root = Path(folder)
    if not root.exists():
        raise BadMigrationFile(display_path(str(root)), "the migrations folder does not exist",
                               hint="check --migrations / MIGRATIONS_DIR, or start one with 'vfmigrate create NAME'")
    if not root.is_dir():
        raise BadMigrationFile(display_path(str(root)), "is not a folder",
                               hint="point --migrations at the folder of .sql files")
    inside = root.resolve()
    found = []
    for entry in os.scandir(root):
        if not entry.name.lower().endswith(".sql"):
            continue
        if not entry.is_file():
            raise BadMigrationFile(entry.name, "is not a readable file (a folder, or a broken link?)",
                                   hint="remove it or point it at a migration file")
        if entry.is_symlink() and inside not in Path(entry.path).resolve().parents:
            raise BadMigrationFile(entry.name, f"links to a file outside {display_path(str(root))}",
                                   hint="copy the file into the migrations folder instead")
        version, name = parse_name(entry.name)
        found.append((version, entry.name, name))
    found.sort()
    seen: dict[int, str] = {}
    for version, filename, _ in found:
        if version in seen:
            raise DuplicateVersion(
                filename, f"has the same version {version} as {seen[version]}",
                hint="give one of them a new number (vfmigrate create NAME picks the next)",
            )
        seen[version] = filename
    return [read_migration(root / filename, version, name) for version, filename, name in found]
