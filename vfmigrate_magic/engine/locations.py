"""What a database setting names: a SQLite file, a pattern over files (a fleet), or a server's URL
(a Turso or libSQL database), and the token for that server. Used by :func:`.config.resolve`."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from .errors import ConfigError
from .results import display_path

_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def state_base(database: str | os.PathLike[str], state_dir: str | os.PathLike[str] | None) -> Path:
    """Where vfmigrate keeps its own files for the database file ``database``: the event log is
    this path + ``.history.jsonl``, each backup this path + ``.<UTC time>.v<N>.bak``. The
    database's own path (its files beside it), unless ``state_dir`` is set: then that folder,
    under the database's whole real path, so that no two databases share a name there
    (``/var/lib/vfmigrate`` and ``/litefs/app.db``: ``/var/lib/vfmigrate/litefs/app.db``)."""
    if state_dir is None:
        return Path(database)
    real = Path(os.path.realpath(database))
    return Path(state_dir) / real.relative_to(real.anchor)


def is_url(value: str | os.PathLike[str] | None) -> bool:
    """Whether a database setting names a server (``scheme://...``) rather than a file."""
    return isinstance(value, str) and _URL.match(value) is not None


def checked_url(url: str, where: str) -> str:
    """``url`` when a Hrana client can use it; else ConfigError naming ``where`` it came from.
    Never a pattern: fleets are files."""
    from .hrana import endpoint, shown_url

    if "*" in url:
        raise ConfigError(f"{where}: {shown_url(url)} is a URL, and a URL cannot be a pattern (a fleet is a pattern "
                          "over database files)")
    try:
        endpoint(url)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return url


def auth_token_from(argument: str | None, env: Mapping[str, str]) -> str | None:
    """The server's token: argument > VFMIGRATE_AUTH_TOKEN > none. Surrounding blanks are
    dropped; a token that cannot go in an HTTP header is refused without being shown."""
    for value, where in ((argument, "--auth-token"), (env.get("VFMIGRATE_AUTH_TOKEN"), "VFMIGRATE_AUTH_TOKEN")):
        if value is None or not value.strip():
            continue
        token = value.strip()
        if not (token.isascii() and token.isprintable()) or any(c.isspace() for c in token):
            raise ConfigError(f"{where} holds a space, a line break or a character outside ASCII, so it is not a "
                              "token; check how it was copied")
        return token
    return None


# Files beside a database that a pattern such as "tenants/*" would also match: never databases.
_NOT_DATABASES = ("-journal", "-wal", "-shm", ".history.jsonl", ".bak", ".partial", ".lock")


def is_pattern(path: str | os.PathLike[str]) -> bool:
    """Whether a database path is a glob pattern over files (a fleet): it holds *, ? or [."""
    return any(c in str(path) for c in "*?[")


def expand(targets: tuple) -> tuple:
    """Each target whose database is a pattern, replaced by one target per existing file it
    matches, in sorted order (``**`` spans folders); the same tuple when there is none. A
    pattern that matches no file is refused."""
    if not any(t.database is not None and is_pattern(t.database) for t in targets):
        return targets
    import glob

    expanded = []
    for t in targets:
        if t.database is None or not is_pattern(t.database):
            expanded.append(t)
            continue
        files = sorted(Path(p) for p in glob.glob(str(t.database), recursive=True)
                       if not p.endswith(_NOT_DATABASES) and os.path.isfile(p))
        if not files:
            raise ConfigError(f"{display_path(str(t.database))}: no database file matches this pattern; check it "
                              "(and quote it, so that the shell passes it as written)")
        expanded.extend(replace(t, database=f, name=None) for f in files)
    return tuple(expanded)
