"""Settings: which databases, which migrations folders, how long to wait for a lock.

One function, :func:`resolve`, applies the order every front end uses:
explicit argument > environment (``DATABASE_PATH``, ``MIGRATIONS_DIR``,
``VFMIGRATE_BUSY_TIMEOUT``, ``VFMIGRATE_BACKUP``, ``VFMIGRATE_BACKUP_KEEP``, ``VFMIGRATE_TX``,
``VFMIGRATE_AUTH_TOKEN``, ``VFMIGRATE_STATE_DIR``) > ``[tool.vfmigrate]`` in the nearest ``pyproject.toml`` > defaults.
``--db NAME`` picks a configured database; ``--database`` and ``--migrations`` then override its
fields. A database is a file, a pattern over files (a fleet), or a server's URL
(``http://HOST:PORT``, ``https://HOST``, ``libsql://HOST``), which is never expanded or joined
to a folder; a token for the server comes from the argument or ``VFMIGRATE_AUTH_TOKEN`` only.

```toml
[tool.vfmigrate]
busy_timeout = 30          # seconds to wait for another writer's lock
backup = true              # back up before every down (and every restore)
backup_keep = 10           # keep the newest 10 backups of each database (default: all)
tx = "file"                # a transaction per migration; "all": one for the whole run
state_dir = ".vfmigrate-state"  # keep event logs and backups here, not beside each database

[tool.vfmigrate.databases.settings]
path = "data/settings.db"            # relative to this pyproject.toml; or a URL, "libsql://HOST"
migrations = "migrations/settings"   # default: migrations/<name>
```
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .errors import ConfigError
from .locations import auth_token_from, checked_url, expand, is_url, state_base
from .results import display_path
from .sqlite import DEFAULT_BUSY_TIMEOUT

DEFAULT_MIGRATIONS = "migrations"
TOP_KEYS = {"databases", "busy_timeout", "backup", "backup_keep", "tx", "state_dir"}
DB_KEYS = {"path", "migrations"}
MAX_BUSY_TIMEOUT = 86400.0  # one day


@dataclass(frozen=True, slots=True)
class Target:
    """One database and its migrations folder. ``database`` is the SQLite file; it is None for
    a remote database (``url``: a Turso or libSQL server, with its ``auth_token``, which no
    repr shows) and for commands that need no database (``create``, ``check``) when none was
    named. ``state_dir``: the folder for vfmigrate's own files (see :attr:`base`), when they
    must not go beside the database (a LiteFS mount holds databases only)."""

    database: Path | None
    migrations: Path
    name: str | None = None
    url: str | None = None
    auth_token: str | None = field(default=None, repr=False, compare=False)
    state_dir: Path | None = None

    @property
    def base(self) -> Path:
        """Where vfmigrate keeps this database's event log (this path + ``.history.jsonl``) and
        backups (this path + ``.<UTC time>.v<N>.bak``): beside the file, or in ``state_dir``
        (:func:`.locations.state_base`); a remote database's in ``.vfmigrate/`` of the working
        folder, or in ``state_dir`` (:func:`.remote.local_base`)."""
        if self.url is not None:
            from .remote import local_base

            return local_base(self)
        return state_base(self.database, self.state_dir)

    @property
    def location(self) -> str:
        """Where the database is, as messages show it: the server's URL (without credentials),
        or the file's path (the migrations folder's when there is no database)."""
        if self.url is not None:
            from .hrana import shown_url

            return shown_url(self.url)
        return display_path(str(self.database if self.database is not None else self.migrations))

    @property
    def label(self) -> str:
        return self.name or self.location


@dataclass(frozen=True, slots=True)
class Settings:
    """Resolved settings. ``targets`` holds one database, or every configured one."""

    targets: tuple[Target, ...]
    busy_timeout: float = DEFAULT_BUSY_TIMEOUT
    backup: bool = True
    config_file: Path | None = None
    names: tuple[str, ...] = ()  # every configured database name
    author: str = ""  # written into new migration files: VFMIGRATE_AUTHOR, else the login name
    tx: str = "file"  # "file": a transaction per migration; "all": one for the whole run
    backup_keep: int | None = None  # keep the newest N backups of a database; None: all
    fleet: bool = False  # a database was given as a pattern: targets are the files it matched

    @property
    def target(self) -> Target:
        """The single target; raises ConfigError when several are configured and none picked,
        or a pattern matched several files (a fleet)."""
        if len(self.targets) != 1 and self.fleet:
            raise ConfigError(f"the --database pattern matches {len(self.targets)} database files, and this command "
                              "works on one: name a single file (up, down, status, lint and verify take a pattern)")
        if len(self.targets) != 1:
            raise ConfigError(
                f"{len(self.targets)} databases are configured in {_shown(self.config_file)}: "
                f"choose one with --db NAME ({', '.join(self.names)})"
            )
        return self.targets[0]


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` with a ``[tool.vfmigrate]`` table, from ``start`` up."""
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                if "vfmigrate" in candidate.read_text(encoding="utf-8"):
                    return candidate
            except (OSError, UnicodeDecodeError):
                continue
    return None


def load_table(path: Path) -> dict:
    """``[tool.vfmigrate]`` of ``path``; raises ConfigError naming the file when it is bad."""
    import tomllib  # only when there is a pyproject.toml to read
    shown = _shown(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{shown}: cannot read [tool.vfmigrate] ({exc}); fix the file") from exc
    tool = data.get("tool", {})
    table = tool.get("vfmigrate", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{shown}: [tool.vfmigrate] must be a table")
    for key in table:
        if key not in TOP_KEYS:
            raise ConfigError(f"{shown}: unknown key tool.vfmigrate.{key}{_did_you_mean(key, TOP_KEYS)}")
    return table


def resolve(
    *,
    database: str | os.PathLike[str] | None = None,
    migrations: str | os.PathLike[str] | None = None,
    db: str | None = None,
    busy_timeout: float | None = None,
    backup: bool | None = None,
    tx: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    config_file: str | os.PathLike[str] | None = None,
    need_database: bool = True,
    auth_token: str | None = None,
    state_dir: str | os.PathLike[str] | None = None,
) -> Settings:
    """Resolve settings from arguments, environment, ``pyproject.toml`` and defaults.

    Reads files only. Raises ConfigError for an unknown database name, a bad config file, a
    value of the wrong type, a server URL that cannot be used (or carries credentials), or
    (with ``need_database``) a combination that names no database; without it, the
    migrations folder alone is a target (``create``, ``check``). ``auth_token`` (else
    ``VFMIGRATE_AUTH_TOKEN``) goes to every remote target; no message ever shows it.
    ``state_dir`` (else ``VFMIGRATE_STATE_DIR``, else ``tool.vfmigrate.state_dir``, relative to
    its pyproject.toml) goes to every target: see :attr:`Target.base`.
    """
    env = os.environ if env is None else env
    here = Path(cwd) if cwd is not None else Path.cwd()
    file = Path(config_file) if config_file is not None else find_pyproject(here)
    table = load_table(file) if file is not None else {}
    base = file.parent if file is not None else here
    shown = _shown(file)  # the file as error messages name it
    configured = _configured(table, base, shown)
    names = tuple(configured)

    timeout = _busy_timeout(busy_timeout, env, table, shown)
    if "backup" in table and not isinstance(table["backup"], bool):
        raise ConfigError(f"{shown}: tool.vfmigrate.backup must be true or false (no quotes), "
                          f"not {table['backup']!r}")
    do_backup = _first(backup, env_bool(env, "VFMIGRATE_BACKUP"), table.get("backup"), True)
    tx_mode = _tx(tx, env, table, shown)
    keep = _backup_keep(env, table, shown)
    state = _state_dir(state_dir, env, table, base, here, shown)

    given = database if database is not None else (env.get("DATABASE_PATH") or None)
    url = str(given) if is_url(given) else None
    arg_db = Path(database) if database is not None and url is None else None
    arg_mig = Path(migrations) if migrations is not None else None
    env_db = env.get("DATABASE_PATH") or None
    env_mig = env.get("MIGRATIONS_DIR") or None

    if db is not None:
        if db not in configured:
            where = f" in {shown}" if file else " (no pyproject.toml with [tool.vfmigrate] found)"
            known = f"; configured: {', '.join(names)}" if names else ""
            raise ConfigError(f"unknown database {db!r}{where}{_did_you_mean(db, names)}{known}")
        chosen = configured[db]
        if database is not None:  # --database replaces the configured file or URL
            chosen = replace(chosen, database=here / arg_db if url is None else None,
                             url=checked_url(url, "--database") if url is not None else None)
        targets = (replace(chosen, migrations=(here / arg_mig) if arg_mig else chosen.migrations),)
    elif url is not None or arg_db is not None or env_db is not None:
        # A server or a file, given by argument or environment; a configured database that is the
        # same one lends its name and migrations folder.
        if url is not None:
            url = checked_url(url, "--database" if database is not None else "DATABASE_PATH")
            path = None
            match = next((t for t in configured.values() if t.url == url), None)
        else:
            path = here / (arg_db or Path(env_db))
            match = next((t for t in configured.values() if t.database is not None and _same(t.database, path)),
                         None)
        if arg_mig is not None or env_mig is not None:
            folder = here / (arg_mig or Path(env_mig))
        else:
            folder = match.migrations if match is not None else here / DEFAULT_MIGRATIONS
        targets = (Target(path, folder, match.name if match else None, url=url),)
    elif configured:
        if arg_mig is not None or env_mig is not None:
            raise ConfigError(
                f"--migrations/MIGRATIONS_DIR with {len(configured)} configured databases: "
                f"also pick one with --db NAME ({', '.join(names)}) or give --database PATH"
            )
        targets = tuple(configured.values())
    elif not need_database:
        targets = (Target(None, here / (arg_mig or Path(env_mig or DEFAULT_MIGRATIONS))),)
    else:
        raise ConfigError(
            "no database given: pass --database PATH (or set DATABASE_PATH), or name databases "
            "under [tool.vfmigrate.databases] in pyproject.toml"
        )
    if any(t.url is not None for t in targets):
        token = auth_token_from(auth_token, env)
        targets = tuple(replace(t, auth_token=token) if t.url is not None else t for t in targets)
    if state is not None:
        targets = tuple(replace(t, state_dir=state) for t in targets)
    expanded = expand(targets)
    return Settings(expanded, timeout, bool(do_backup), file, names, env.get("VFMIGRATE_AUTHOR") or _login(), tx_mode,
                    keep, fleet=expanded is not targets)


def _tx(argument: str | None, env: Mapping[str, str], table: dict, file: str | None) -> str:
    """The transaction mode: argument > VFMIGRATE_TX > tool.vfmigrate.tx > "file"."""
    for value, where in ((argument, "--tx"), (env.get("VFMIGRATE_TX") or None, "VFMIGRATE_TX"),
                         (table.get("tx"), f"{file}: tool.vfmigrate.tx")):
        if value is None:
            continue
        if value not in ("file", "all"):
            raise ConfigError(f"{where} must be \"file\" or \"all\", not {value!r}")
        return value
    return "file"


def _state_dir(argument, env: Mapping[str, str], table: dict, base: Path, here: Path,
               file: str | None) -> Path | None:
    """The folder for event logs and backups: argument > VFMIGRATE_STATE_DIR (both relative to
    the working folder) > tool.vfmigrate.state_dir (relative to its pyproject.toml) > none."""
    if argument is not None and str(argument).strip():
        return here / argument
    if (env.get("VFMIGRATE_STATE_DIR") or "").strip():
        return here / env["VFMIGRATE_STATE_DIR"].strip()
    if "state_dir" not in table:
        return None
    value = table["state_dir"]
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{file}: tool.vfmigrate.state_dir must be a folder's path in quotes, not {value!r}")
    return base / value


def _backup_keep(env: Mapping[str, str], table: dict, file: str | None) -> int | None:
    """How many backups to keep: VFMIGRATE_BACKUP_KEEP > tool.vfmigrate.backup_keep > all."""
    text = (env.get("VFMIGRATE_BACKUP_KEEP") or "").strip()
    if text:
        value, where = int(text) if text.lstrip("-").isdigit() else text, "VFMIGRATE_BACKUP_KEEP"
    elif "backup_keep" in table:
        value, where = table["backup_keep"], f"{file}: tool.vfmigrate.backup_keep"
    else:
        return None
    if type(value) is not int or value < 1:
        raise ConfigError(f"{where} must be a whole number of 1 or more (leave it out to keep every backup), "
                          f"not {value!r}")
    return value


def _login() -> str:
    """The user's login name, or "" where the system has none."""
    import getpass

    try:
        return getpass.getuser()
    except Exception:  # no user name on this system (OSError; KeyError before Python 3.13)
        return ""


def _busy_timeout(argument: float | None, env: Mapping[str, str], table: dict, file: str | None) -> float:
    """The busy timeout from the first place that gives one, checked: a finite number of
    seconds from 0 to a day (SQLite would read infinity, NaN or a huge value as no wait)."""
    if argument is not None:
        value, where = argument, "--busy-timeout"
    elif env.get("VFMIGRATE_BUSY_TIMEOUT", "").strip():
        value, where = env["VFMIGRATE_BUSY_TIMEOUT"].strip(), "VFMIGRATE_BUSY_TIMEOUT"
    elif "busy_timeout" in table:
        value, where = table["busy_timeout"], f"{file}: tool.vfmigrate.busy_timeout"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{where} must be a number of seconds (no quotes), not {value!r}")
    else:
        return DEFAULT_BUSY_TIMEOUT
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not 0 <= seconds <= MAX_BUSY_TIMEOUT:
        raise ConfigError(f"{where} must be a number of seconds from 0 to {MAX_BUSY_TIMEOUT:g} (one day), "
                          f"not {value!r}")
    return seconds


def _configured(table: dict, base: Path, file: str | None) -> dict[str, Target]:
    databases = table.get("databases", {})
    if not isinstance(databases, dict):
        raise ConfigError(f"{file}: tool.vfmigrate.databases must be a table of named databases")
    out = {}
    for name, entry in databases.items():
        if not isinstance(entry, dict) or "path" not in entry:
            raise ConfigError(f"{file}: tool.vfmigrate.databases.{name} needs a path = \"...\"")
        for key in ("path", "migrations"):
            if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
                raise ConfigError(f"{file}: tool.vfmigrate.databases.{name}.{key} must be a path in quotes, "
                                  f"not {entry[key]!r}")
        for key in entry:
            if key not in DB_KEYS:
                raise ConfigError(
                    f"{file}: unknown key tool.vfmigrate.databases.{name}.{key}{_did_you_mean(key, DB_KEYS)}"
                )
        folder = base / entry.get("migrations", f"{DEFAULT_MIGRATIONS}/{name}")
        if is_url(entry["path"]):
            url = checked_url(entry["path"], f"{file}: tool.vfmigrate.databases.{name}.path")
            out[name] = Target(None, folder, name, url=url)
        else:
            out[name] = Target(base / entry["path"], folder, name)
    return out


def _shown(file: Path | None) -> str | None:
    """A settings file as messages name it: relative to the working folder when inside it."""
    return display_path(str(file)) if file is not None else None


def _first(*values):
    return next(v for v in values if v is not None)


def env_bool(env: Mapping[str, str], key: str) -> bool | None:
    """An on/off environment variable: None when unset or blank, False for 0/false/no/off,
    True for 1/true/yes/on (in any case); raises ConfigError for anything else."""
    value = (env.get(key) or "").strip().lower()
    if not value:
        return None
    if value in {"0", "false", "no", "off"}:
        return False
    if value in {"1", "true", "yes", "on"}:
        return True
    raise ConfigError(f"{key} must be 1/true/yes/on or 0/false/no/off, not {env[key]!r}")


def _same(a: Path, b: Path) -> bool:
    return os.path.abspath(a) == os.path.abspath(b)


def _did_you_mean(word: str, options) -> str:
    import difflib
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
