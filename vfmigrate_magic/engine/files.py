"""Migration files: naming, parsing, statement splitting, checksums and discovery.

A file is ``NNN_snake_case_name.sql``: header comments, then ``-- === UP MIGRATION ===`` and
``-- === DOWN MIGRATION ===`` (both required). Nothing here touches a database.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

from .errors import BadMigrationFile, DuplicateVersion
from .records import Deferred, deferrable, peek, record
from .statements import (
    OUTSIDE_TRANSACTION_WORDS,
    TRANSACTION_WORDS,
    Statement,
    is_only_comments,
    leading_comment_lines,
    refuse_outside_transaction,
    split_statements,
    unwrap_transaction,
)

try:  # CPython's own SHA-1: imports in a tenth of a millisecond, hashlib (OpenSSL) in about three
    from _sha1 import sha1
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import sha1

FILE_PATTERN = re.compile(r"^(\d+)_([A-Za-z0-9_]+)\.sql$")
# A marker from its "--" to the end of its line; only spaces or tabs may come before it on the
# line (see _marker_lines). Starting at the literal "--" lets the regex engine skip ahead to
# each "--" instead of trying every line start: the scan is the bulk of parsing a file.
_MARKER = (r"--[ \t]*=+[ \t]*(UP|DOWN) MIGRATION[ \t]*=+[ \t]*$", re.IGNORECASE | re.MULTILINE)
_HEADER_LINE = (r"^[ \t]*--[ \t]*(Migration|Description|Author|Date)[ \t]*:[ \t]*(.*?)[ \t]*$",
                re.IGNORECASE | re.MULTILINE)
# A file opts out of the surrounding transaction with this line above the UP marker.
_NO_TRANSACTION_LINE = (r"^[ \t]*--[ \t]*vfmigrate:[ \t]*no-transaction[ \t]*$", re.IGNORECASE | re.MULTILINE)
# Those three are (pattern, flags) for re.compile at their first use (re keeps what it
# compiled): most runs need none of them, and compiling them was half a millisecond of a start.

DOWN_EMPTY_WARNING = "DOWN migration SQL is empty"
_READ_SIZE = 1 << 16


@record
class Migration:
    """A migration file, read and split into its sections. Running nothing, changing nothing.

    Statements are split on first use (``statements()``/``validate()``), so listing thousands
    of files for ``status`` only reads and hashes them.
    """

    version: int
    name: str
    path: Path = deferrable()  # given; made from its text when first read, by _read
    checksum: str
    up_sql: str
    down_sql: str
    up_line: int  # file line of the first line of each section
    down_line: int
    transactional: bool = True
    # From the header lines; read from the text when first asked for (``up`` never asks).
    description: str = deferrable("")
    author: str = deferrable("")
    date: str = deferrable("")

    def _sections(self) -> dict:
        """``{"up": statements, "down": statements, "warnings": warnings}``, worked out by
        ``validate()`` on first use and kept beside the fields."""
        split = self.__dict__.get("_split")
        if split is None:
            self.validate()
            split = self.__dict__["_split"]
        return split

    @property
    def filename(self) -> str:
        path = peek(self, "path")  # read without making the Path (see _read)
        if path.__class__ is not Deferred:
            return path.name
        text = path.args[0]
        return text[text.rfind(os.sep) + 1:] if os.altsep is None else os.path.basename(text)

    @property
    def label(self) -> str:
        """``003_add_roles`` -- the file name without ``.sql``."""
        return self.path.stem

    @property
    def up(self) -> tuple[Statement, ...]:
        return self.statements("up")

    @property
    def down(self) -> tuple[Statement, ...]:
        return self.statements("down")

    @property
    def reversible(self) -> bool:
        """True when the DOWN section holds SQL (read without splitting statements)."""
        return not is_only_comments(self.down_sql)

    @property
    def warnings(self) -> tuple[str, ...]:
        return self._sections()["warnings"]

    def statements(self, direction: str) -> tuple[Statement, ...]:
        """The UP or DOWN statements; raises BadMigrationFile if the section is malformed."""
        return self._sections()[direction]

    def validate(self) -> None:
        """Split both sections and check them; raises :class:`BadMigrationFile`."""
        if "_split" in self.__dict__:
            return
        warnings: list[str] = []
        file = self.filename
        up = split_statements(self.up_sql, file=file, first_line=self.up_line)
        down = split_statements(self.down_sql, file=file, first_line=self.down_line)
        if not up:
            warnings.append("UP migration SQL is empty")
        if not down:
            warnings.append(DOWN_EMPTY_WARNING)
        if self.transactional:
            # A cheap test on the whole text first, so most statements never have their
            # keywords worked out.
            said = (self.up_sql + "\n" + self.down_sql).upper()
            if any(word in said for word in TRANSACTION_WORDS):
                up = unwrap_transaction(up, file, warnings)
                down = unwrap_transaction(down, file, warnings)
            if any(word in said for word in OUTSIDE_TRANSACTION_WORDS):
                refuse_outside_transaction(up + down, file, warnings)
        self.__dict__["_split"] = {"up": up, "down": down, "warnings": tuple(warnings)}


def normalize(text: str) -> str:
    """Text with a UTF-8 BOM removed and CRLF/CR line endings turned into LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


def checksum(up_sql: str, down_sql: str) -> str:
    """SHA-1 (hex) over a migration's executable SQL: the UP and DOWN sections, normalized.

    Line endings, a BOM, and blank lines or spaces at a section's ends do not change it.
    """
    return _checksum(normalize(up_sql), normalize(down_sql))


def _checksum(up_sql: str, down_sql: str) -> str:
    """:func:`checksum` of sections that are already normalized (as read by this module)."""
    body = up_sql.strip() + "\n-- === DOWN MIGRATION ===\n" + down_sql.strip()
    return sha1(body.encode("utf-8")).hexdigest()


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
    return int(match.group(1)), match.group(2)


def markers(text: str) -> set[str]:
    """Which marker lines the text holds: a subset of ``{"UP", "DOWN"}``."""
    return {m.group(1).upper() for m in _marker_lines(normalize(text))}


def _marker_lines(text: str) -> Iterator[re.Match[str]]:
    """The marker lines of normalized ``text``: matches of ``_MARKER`` with nothing but
    spaces or tabs before them on their line."""
    for match in re.compile(*_MARKER).finditer(text):
        start = match.start()
        if not text[text.rfind("\n", 0, start) + 1:start].strip(" \t"):
            yield match


def parse_text(text: str, path: Path, version: int | None = None, name: str | None = None) -> Migration:
    """Parse a migration's text. Raises :class:`BadMigrationFile` naming the file and line.

    The markers and header lines are found with regexes over the whole text (not line by
    line), so listing ten thousand files for ``status`` stays quick.
    """
    if version is None or name is None:
        version, name = parse_name(path.name)
    return _parse(normalize(text), path, path.name, version, name)


def _parse(text: str, path: Path | Deferred, filename: str, version: int, name: str) -> Migration:
    """:func:`parse_text` of normalized text, for the file ``filename`` at ``path``."""
    found = _standard_markers(text)
    if found is None:
        up, down = _markers_by_regex(text, filename)
    else:
        up = (text.count("\n", 0, found[0]), found[0], found[1])
        down = (text.count("\n", 0, found[2]), found[2], found[3])
    # up and down: (line number from 0, offset of the line's start, offset after its end)
    if down[0] < up[0]:
        raise BadMigrationFile(filename, "the DOWN MIGRATION marker comes before the UP marker",
                               line=down[0] + 1, hint="put the UP section first")
    head = text[:up[1]]
    if not _only_line_comments(head) and not is_only_comments(head):
        raise BadMigrationFile(filename, "SQL before the UP MIGRATION marker",
                               line=leading_comment_lines(head.split("\n")) + 1,
                               hint="move it below '-- === UP MIGRATION ==='")
    transactional = "no-transaction" not in head.lower() or re.compile(*_NO_TRANSACTION_LINE).search(head) is None
    up_sql, down_sql = _cut(text, up[2], down[1], down[2])
    return Migration(  # the fields in order: positional arguments cost less (a file each)
        version, name, path, _checksum(up_sql, down_sql), up_sql, down_sql, up[0] + 2, down[0] + 2,
        transactional, Deferred(_header, head, "description"), Deferred(_header, head, "author"),
        Deferred(_header, head, "date"),
    )


def _cut(text: str | bytes, up_end: int, down: int, down_end: int) -> tuple[str | bytes, str | bytes]:
    """The UP and DOWN sections of ``text``: after the UP marker's line up to the line before
    the DOWN marker, and after the DOWN marker's line to the end."""
    return text[up_end + 1:max(down - 1, up_end + 1)], text[down_end + 1:]


def _header(head: str, key: str) -> str:
    """The value of the first ``-- Key: value`` line of ``head`` (``key`` in lower case), or ""."""
    for line in re.compile(*_HEADER_LINE).finditer(head):
        if line.group(1).lower() == key:
            return line.group(2)
    return ""


_UP_LINE = "-- === UP MIGRATION ==="
_DOWN_LINE = "-- === DOWN MIGRATION ==="
_WORDS_AT = _UP_LINE.index("UP")  # where the words start in a standard marker line
assert _DOWN_LINE.index("DOWN") == _WORDS_AT
# What _standard_markers looks for, in str (for `up`) and in bytes (ASCII files, for `status`).
_STANDARD = {
    str: ("UP MIGRATION", "DOWN MIGRATION", _UP_LINE, _DOWN_LINE, "\n", ""),
    bytes: (b"UP MIGRATION", b"DOWN MIGRATION", _UP_LINE.encode(), _DOWN_LINE.encode(), b"\n", b""),
}


def _standard_markers(text: str | bytes) -> tuple[int, int, int, int] | None:
    """Where the UP and DOWN marker lines start and end, ``(up, up_end, down, down_end)``,
    when the normalized text (str, or ASCII bytes) holds each once, written as ``create``
    writes them on lines of their own, and nothing else the marker regex could match (its
    matches all hold "UP MIGRATION" or "DOWN MIGRATION", in any case); else None, and the
    regex decides. A few string searches instead of the regex: most files are written this
    way. The one rule for both readers, so `status` accepts what `up` accepts."""
    up_words, down_words, up_line, down_line, lf, end_of_text = _STANDARD[type(text)]
    upper = text.upper()
    # The first "UP MIGRATION" in any case must be the one of a standard line, and the last.
    up = upper.find(up_words) - _WORDS_AT
    down = upper.find(down_words) - _WORDS_AT
    up_end, down_end = up + len(up_line), down + len(down_line)
    if (up < 0 or down <= 0 or not text.startswith(up_line, up) or not text.startswith(down_line, down)
            or upper.find(up_words, up_end) >= 0 or upper.find(down_words, down_end) >= 0
            or (up and text[up - 1:up] != lf) or text[down - 1:down] != lf
            or text[up_end:up_end + 1] not in (lf, end_of_text) or text[down_end:down_end + 1] not in (lf, end_of_text)):
        return None
    return up, up_end, down, down_end


def _markers_by_regex(text: str, filename: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The UP and DOWN markers, found with the marker regex; raises BadMigrationFile when one
    is missing or doubled."""
    up = down = None
    for match in _marker_lines(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        found = (text.count("\n", 0, line_start), line_start, match.end())
        which = match.group(1).upper()
        if (up if which == "UP" else down) is not None:
            raise BadMigrationFile(filename, f"second {which} MIGRATION marker", line=found[0] + 1,
                                   hint=f"keep one '-- === {which} MIGRATION ===' line")
        if which == "UP":
            up = found
        else:
            down = found
    if up is None or down is None:
        missing = " and ".join(
            m for m, at in (("'-- === UP MIGRATION ==='", up), ("'-- === DOWN MIGRATION ==='", down)) if at is None
        )
        raise BadMigrationFile(filename, f"missing the {missing} marker", hint="both markers are required")
    return up, down


def _only_line_comments(text: str) -> bool:
    """Whether every line is blank or a ``--`` comment: a quick sufficient test for
    :func:`is_only_comments` (which also reads ``/* */`` comments)."""
    for line in text.split("\n"):
        if not line.lstrip(" \t").startswith("--") and line.strip():
            return False
    return True


def _read_bytes(path: str, filename: str) -> bytes:
    """A file's bytes; an unreadable file raises BadMigrationFile."""
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            # Reads of 64 KiB until a short one: a migration file takes one read and no fstat
            # (a system call that was a third of reading ten thousand files for `status`).
            raw = os.read(fd, _READ_SIZE)
            if len(raw) == _READ_SIZE:
                parts = [raw]
                while len(parts[-1]) == _READ_SIZE:
                    parts.append(os.read(fd, _READ_SIZE))
                raw = b"".join(parts)
        finally:
            os.close(fd)
    except OSError as exc:
        raise BadMigrationFile(filename, f"cannot be read ({exc.strerror or exc})",
                               hint="check its permissions") from exc
    return raw


def _decode(raw: bytes, filename: str) -> str:
    """A file's text, normalized; non-UTF-8 bytes raise BadMigrationFile."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise BadMigrationFile(filename, "is not UTF-8 text", line=line, hint="save it as UTF-8") from exc
    return normalize(text)


def read_migration(path: Path, version: int | None = None, name: str | None = None) -> Migration:
    """Read and parse one file; unreadable or non-UTF-8 files raise BadMigrationFile."""
    return _read(str(path), path.name, version, name)


def _read(path: str, filename: str, version: int | None, name: str | None) -> Migration:
    # The Path is made when first asked for: `up` of many files never needs most of them.
    return _parse(_decode(_read_bytes(path, filename), filename), Deferred(Path, path), filename, version, name)


def _entries(folder: str | os.PathLike[str]) -> list[tuple[int, str, str, str]]:
    """``(version, filename, name, path)`` of every ``.sql`` file in the folder, by version
    (then file name: the tuples sort as they are, file names being unique in a folder).

    Raises BadMigrationFile for a missing folder, a bad name, an unreadable entry or a link
    out of the folder, and DuplicateVersion when two files share a version.
    """
    root = Path(folder)
    if not root.exists():
        raise BadMigrationFile(str(root), "the migrations folder does not exist",
                               hint="check --migrations / MIGRATIONS_DIR, or start one with 'vfmigrate create NAME'")
    if not root.is_dir():
        raise BadMigrationFile(str(root), "is not a folder", hint="point --migrations at the folder of .sql files")
    found = []
    inside = root.resolve()
    match = FILE_PATTERN.match
    for entry in os.scandir(root):
        filename = entry.name
        if not filename.lower().endswith(".sql"):
            continue
        if not entry.is_file():
            raise BadMigrationFile(filename, "is not a readable file (a folder, or a broken link?)",
                                   hint="remove it or point it at a migration file")
        if entry.is_symlink() and inside not in Path(entry.path).resolve().parents:
            raise BadMigrationFile(filename, f"links to a file outside {root}",
                                   hint="copy the file into the migrations folder instead")
        parts = match(filename)
        if parts is None:
            parse_name(filename)  # raises, naming the file
        found.append((int(parts[1]), filename, parts[2], entry.path))
    found.sort()
    seen: dict[int, str] = {}
    for version, filename, _, _ in found:
        if version in seen:
            raise DuplicateVersion(
                filename, f"has the same version {version} as {seen[version]}",
                hint="give one of them a new number (vfmigrate create NAME picks the next)",
            )
        seen[version] = filename
    return found


def discover(folder: str | os.PathLike[str]) -> list[Migration]:
    """All migrations in ``folder``, in version order. Read-only.

    Files not ending in ``.sql`` and subfolders are ignored. Raises BadMigrationFile for a
    ``.sql`` file with a bad name or content or a missing folder, and DuplicateVersion when
    two files share a version.
    """
    return [_read(path, filename, version, name) for version, filename, name, path in _entries(folder)]


_SECTIONS_JOIN = b"\n-- === DOWN MIGRATION ===\n"  # as in _checksum
# What str.strip() removes from ASCII text: bytes.strip() alone would keep \x1c-\x1f.
_ASCII_SPACE = b" \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"


def _strip(section: bytes) -> bytes:
    """``section.decode().strip().encode()``, without decoding when the ends are ASCII."""
    stripped = section.strip(_ASCII_SPACE)
    if stripped and (stripped[0] > 127 or stripped[-1] > 127):  # perhaps U+00A0, U+3000, ...
        stripped = stripped.decode().strip().encode()
    return stripped


def summarize(folder: str | os.PathLike[str], *, cache: bool = True) -> list[tuple[int, str, str, bool]]:
    """``(version, name, checksum, reversible)`` of every file in ``folder``, by version. Read-only
    (but for the cache below).

    The checksums equal those of :func:`discover`; files with the standard marker lines are
    not parsed further (``up`` parses and checks everything before it runs anything). Plain
    tuples, and the sections hashed as the bytes read: ten thousand files for ``status``.
    For a folder of :data:`.summary_cache.MIN_FILES` files or more, a file whose ``stat`` is
    as it was at the last call is not read again (see :mod:`.summary_cache`; ``cache=False``
    reads every file). Raises like :func:`discover` for the folder and for files whose
    markers it must parse.
    """
    from . import summary_cache  # here: `up` never needs it

    entries = _entries(folder)
    real = os.path.realpath(folder) if cache and len(entries) >= summary_cache.MIN_FILES else None
    where = summary_cache.cache_file(real) if real is not None else None
    if where is None:
        return [(version, name, *_summary(path, filename, version, name)) for version, filename, name, path in entries]
    kept = summary_cache.load(where, real)
    settled = summary_cache.settled_before()
    identity = summary_cache.identity
    fresh, learned, out = {}, False, []
    for version, filename, name, path in entries:
        try:
            key = identity(path)  # before reading: a write after it changes the key for next time
        except OSError:
            key = None  # _summary raises, naming the file
        hit = kept.get(filename)
        if hit is not None and hit[0] == key:
            fresh[filename] = hit
            checksum, reversible = hit[1], hit[2]
        else:
            checksum, reversible = _summary(path, filename, version, name)
            if key is not None and key[3] < settled and key[4] < settled:
                fresh[filename] = (key, checksum, reversible)
                learned = True
        out.append((version, name, checksum, reversible))
    if learned or len(fresh) != len(kept):  # something new to keep, or something gone
        summary_cache.save(where, real, fresh)
    return out


def _summary(path: str, filename: str, version: int, name: str) -> tuple[str, bool]:
    """The checksum and reversibility of one file, read and hashed as :func:`summarize` says.
    (A change to what this returns for a file needs a new ``summary_cache.FORMAT``.)"""
    raw = _read_bytes(path, filename)
    # ASCII with LF line endings is already valid, normalized UTF-8: no decoding needed.
    text = raw if raw.isascii() and b"\r" not in raw else _decode(raw, filename)
    found = _standard_markers(text)
    if found is not None and found[0] < found[2]:
        sections = _cut(text, *found[1:])
    else:  # the full parse: it finds the markers, or raises as `up` would
        m = _parse(text if type(text) is str else text.decode(), Deferred(Path, path), filename, version, name)
        sections = m.up_sql, m.down_sql
    if type(sections[0]) is str:  # decoded text, or the full parse's
        sections = sections[0].encode(), sections[1].encode()
    up, down = _strip(sections[0]), _strip(sections[1])
    # A stripped DOWN that starts with neither '-' nor '/' starts with SQL, not a comment.
    reversible = bool(down) and (down[0] not in b"-/" or not is_only_comments(down.decode()))
    return sha1(up + _SECTIONS_JOIN + down).hexdigest(), reversible
