"""What ``status`` learned about each file of a big migrations folder, kept between runs.

``status`` reads and hashes every file to tell an applied migration from a modified one; over
ten thousand files that is most of its time. This keeps each file's checksum and reversibility
beside the file's identity as ``stat`` reports it (device, inode, size, modification and
change times, in nanoseconds), as git's index does, and uses them again while that identity is
unchanged. Any write to a file moves its change time, which no tool can set back, so an edited
file is always read again. A file changed in the last two seconds is not kept ("racy", as git
says): on a file system whose clock ticks coarsely a second edit in the same tick would keep
its change time. ``up`` and ``down`` never use this: they read and check every file.

The cache is one file per migrations folder in the user's cache folder
(``$VFMIGRATE_CACHE_DIR``, else ``$XDG_CACHE_HOME/vfmigrate`` or ``~/.cache/vfmigrate``),
written only for folders of :data:`MIN_FILES` files or more and only when something changed.
``VFMIGRATE_NO_CACHE=1`` turns it off. A cache that cannot be read, or was written by another
version, or by another user, is ignored; one that cannot be written is not written. Neither
is ever an error.
"""

from __future__ import annotations

import marshal
import os
import sys
import time
from _thread import get_ident  # threading's own, without importing threading

from .config import env_bool

try:
    from _sha1 import sha1
except ImportError:  # pragma: no cover - a Python built without it
    from hashlib import sha1

MIN_FILES = 1000  # smaller folders take a few milliseconds to read: nothing to keep
RACY_NS = 2_000_000_000  # files changed this recently are read again next time (see above)
# Bump when a file's summary would come out differently (the checksum or the parsing rules).
FORMAT = ("vfmigrate summary cache", 1, sys.implementation.cache_tag)

_OWN_UID = os.getuid() if hasattr(os, "getuid") else None

# {file name: ((st_dev, st_ino, st_size, st_mtime_ns, st_ctime_ns), checksum, reversible)}
Entries = dict


def folder() -> str | None:
    """The cache folder, or None when ``VFMIGRATE_NO_CACHE`` is set (read as
    ``VFMIGRATE_BACKUP`` is: 0, false, no, off or blank leave the cache on)."""
    env = os.environ
    if env_bool(env, "VFMIGRATE_NO_CACHE"):
        return None
    if env.get("VFMIGRATE_CACHE_DIR"):
        return env["VFMIGRATE_CACHE_DIR"]
    if os.name == "nt" and env.get("LOCALAPPDATA"):  # pragma: no cover - Windows
        return os.path.join(env["LOCALAPPDATA"], "vfmigrate", "Cache")
    return os.path.join(env.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "vfmigrate")


def cache_file(migrations: str) -> str | None:
    """Where the cache of the migrations folder ``migrations`` (its real path, as
    ``os.path.realpath`` gives it, here and below) lives; None when turned off."""
    where = folder()
    if where is None:
        return None
    return os.path.join(where, sha1(migrations.encode()).hexdigest() + ".cache")


def load(path: str, migrations: str) -> Entries:
    """The entries kept in ``path`` for the folder ``migrations``; {} when none are usable."""
    try:
        with open(path, "rb") as f:
            if _OWN_UID is not None and os.fstat(f.fileno()).st_uid != _OWN_UID:
                return {}  # not written by this user (a shared VFMIGRATE_CACHE_DIR?): not trusted
            kept = marshal.loads(f.read())  # marshal.load(f) reads object by object: 20x slower
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    if (type(kept) is not tuple or len(kept) != 3 or kept[0] != FORMAT
            or kept[1] != migrations or type(kept[2]) is not dict):
        return {}
    entries = kept[2]
    for value in entries.values():
        if type(value) is not tuple or len(value) != 3 or type(value[1]) is not str or type(value[2]) is not bool:
            return {}
    return entries


def save(path: str, migrations: str, entries: Entries) -> None:
    """Write ``entries`` to ``path`` atomically (a temporary file, then a rename); any OSError
    leaves the cache as it was."""
    temporary = f"{path}.{os.getpid()}.{get_ident()}.tmp"  # this thread's own
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(temporary, "wb") as f:
            f.write(marshal.dumps((FORMAT, migrations, entries)))
        os.replace(temporary, path)
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def identity(path: str) -> tuple[int, int, int, int, int]:
    """What ``stat`` says of the file at ``path`` that any write to it changes."""
    st = os.stat(path)
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


def settled_before() -> int:
    """Files whose modification and change times are before this (nanoseconds since the
    epoch) may be kept; later ones are read again next time."""
    return time.time_ns() - RACY_NS
