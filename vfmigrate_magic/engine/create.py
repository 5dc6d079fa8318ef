"""``create NAME``: write the next migration file with its header filled in."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path

from .errors import DatabaseError, RefusedByState, UsageError
from .files import FILE_PATTERN, Migration, discover, parse_text
from .results import CreatedMigration

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,98}$")

TEMPLATE = """-- Migration: {label}
-- Description: {description}
-- Author: {author}
-- Date: {date}

-- === UP MIGRATION ===
{up}
-- === DOWN MIGRATION ===
{down}"""


def normalize_name(name: str) -> str:
    """``"Add user roles"`` -> ``add_user_roles``; raises UsageError for anything that is
    not a plain name (path separators, dots, quotes, an empty name, a leading digit)."""
    cleaned = re.sub(r"[\s\-]+", "_", name.strip()).lower()
    if not NAME_PATTERN.match(cleaned):
        raise UsageError(
            f"bad migration name {name!r}: use letters, digits and underscores, starting with a "
            "letter (e.g. add_user_roles); no paths, dots or quotes"
        )
    return cleaned


def render(label: str, up: str = "", down: str = "", *, description: str = "", author: str = "",
           on: str = "") -> str:
    """The text of a migration file."""
    up = up.strip("\n") + "\n" if up.strip() else "\n"
    down = down.strip("\n") + "\n" if down.strip() else "\n"
    return TEMPLATE.format(label=label, description=description, author=author, date=on, up=up, down=down)


def next_version(migrations_dir: str | os.PathLike[str]) -> int:
    """One more than the highest version in the folder (1 for an empty or missing folder)."""
    root = Path(migrations_dir)
    versions = [int(m.group(1)) for p in (root.iterdir() if root.is_dir() else ())
                if (m := FILE_PATTERN.match(p.name))]
    return max(versions, default=0) + 1


def create_migration(migrations_dir: str | os.PathLike[str], name: str, *, up: str = "", down: str = "",
                     description: str | None = None, author: str = "") -> CreatedMigration:
    """Write ``NNN_name.sql`` (next version, zero-padded to 3 digits) into the folder,
    creating the folder if needed. Never overwrites a file. Raises UsageError for a bad
    name and BadMigrationFile when the folder holds malformed files.
    """
    clean = normalize_name(name)
    root = Path(migrations_dir)
    description = description if description is not None else clean.replace("_", " ").capitalize()
    try:
        root.mkdir(parents=True, exist_ok=True)
        with _folder_lock(root):
            discover(root)  # refuse to add to a folder that is already broken (duplicate versions, ...)
            # Under the folder's lock, and with an exclusive create: two creators at the same
            # moment never write the same version; a number taken meanwhile is skipped.
            version = next_version(root)
            while True:
                label = f"{version:03d}_{clean}"
                path = root / f"{label}.sql"
                text = render(label, up, down, description=description, author=author, on=date.today().isoformat())
                try:
                    with open(path, "x", encoding="utf-8", newline="\n") as handle:
                        handle.write(text)
                except FileExistsError:
                    version = next_version(root)
                    continue
                return CreatedMigration(version, clean, str(path))
    except OSError as exc:
        raise DatabaseError(f"{root}: cannot write a migration file ({exc.strerror or exc}); "
                             "check the folder's permissions") from exc


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock on the folder itself (``flock`` on POSIX; nothing elsewhere)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the exclusive create alone
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


# --- Writing a migration again and again from a notebook cell (``%%migration NAME``) --------


def find_named(migrations_dir: str | os.PathLike[str], name: str) -> Migration | None:
    """The newest migration in the folder named ``NNN_<name>.sql`` (``name`` normalized), or
    None. Read-only; raises BadMigrationFile when the folder holds malformed files."""
    clean = normalize_name(name)
    if not Path(migrations_dir).exists():
        return None
    named = [m for m in discover(migrations_dir) if m.name == clean]
    return named[-1] if named else None


def write_named(migrations_dir: str | os.PathLike[str], name: str, *, up: str = "", down: str = "",
                applied: Mapping[int, str] | None = None, description: str | None = None,
                author: str = "") -> tuple[CreatedMigration, str]:
    """Write ``up``/``down`` as migration ``name`` so that running it again updates the same
    file instead of minting a new version each time. Returns the file and what was done:

    - ``"created"``: no file has that name yet; the next version is written (as ``create``).
    - ``"updated"``: the newest ``NNN_<name>.sql`` is not in ``applied`` (version -> recorded
      checksum) and its SQL differs; it is rewritten in place, keeping its version,
      description and author.
    - ``"unchanged"``: its SQL is already this SQL; nothing is written.

    Raises RefusedByState, writing nothing, when that file is applied and the SQL differs
    from what was applied; BadMigrationFile when the SQL is not complete statements or the
    folder is malformed. The text is parsed and checked before anything is written.
    """
    clean = normalize_name(name)
    root = Path(migrations_dir)
    existing = find_named(root, clean)
    if existing is None:
        _check_text(root / f"{next_version(root):03d}_{clean}.sql", render(f"{clean}", up, down))
        return create_migration(root, clean, up=up, down=down, description=description, author=author), "created"
    text = render(
        existing.label, up, down,
        description=description if description is not None else existing.description,
        author=existing.author,
        on=date.today().isoformat(),
    )
    fresh = _check_text(existing.path, text)
    result = CreatedMigration(existing.version, clean, str(existing.path))
    recorded = (applied or {}).get(existing.version)
    if recorded is not None:
        if fresh.checksum != recorded:
            raise RefusedByState(
                f"{existing.filename} is already applied and this SQL differs from what was applied; "
                "put the change in a new migration (a new name), or roll this one back first "
                "(down) and run again. Nothing was written."
            )
        if existing.checksum == recorded:
            return result, "unchanged"
        # The file was edited after it was applied and this SQL is what was applied: restore it.
    elif existing.checksum == fresh.checksum:
        return result, "unchanged"
    try:
        # Write beside it, then replace: a crash mid-write never leaves half a migration.
        fd, temp = tempfile.mkstemp(dir=existing.path.parent, prefix=f".{existing.path.name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(temp, existing.path)
    except OSError as exc:
        raise DatabaseError(f"{existing.path}: cannot write ({exc.strerror or exc}); check the file's permissions") from exc
    return result, "updated"


def _check_text(path: Path, text: str) -> Migration:
    """Parse and check the file that would be written at ``path`` (raises BadMigrationFile)."""
    migration = parse_text(text, path)
    migration.validate()
    return migration
