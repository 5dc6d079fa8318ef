"""The command-line grammar, shared by the ``vfmigrate`` command and the ``%migrate`` magic.

``build_parser`` makes the whole parser; the magic passes a parser class whose ``error()``
raises ``UsageError`` instead of exiting.
"""

from __future__ import annotations

import argparse

from .engine.config import MAX_BUSY_TIMEOUT
from .engine.files import MAX_VERSION

COMMANDS = ("up", "down", "status", "create", "history", "check", "lint", "verify", "schema", "diff", "backups",
            "restore")
SCHEMA_FORMATS = ("text", "sql", "mermaid", "json")
# The commands that run over a fleet (a --database pattern): they take --jobs, --keep-going, --canary.
FLEET_COMMANDS = ("up", "down", "status", "lint", "verify")


def needs_database(args: argparse.Namespace) -> bool:
    """Whether the command works on a database, or on the migrations folder alone (``create``,
    ``check``, ``schema --at``, ``diff`` without ``--from-database``)."""
    command = getattr(args, "command", None)
    if command in ("schema", "erd"):
        return args.at is None
    if command == "diff":
        return args.from_database
    if command == "verify":
        return not args.all
    return command not in ("create", "check")


def add_target_options(parser: argparse.ArgumentParser, default, *, token: bool = False) -> None:
    """Options naming the database; accepted before or after the command word. ``token``: also
    ``--auth-token`` (the command line only: in a notebook, a token typed in a cell would be
    saved with it, so the magics take it from VFMIGRATE_AUTH_TOKEN)."""
    group = parser.add_argument_group("database selection")
    group.add_argument("--database", metavar="PATH|URL", default=default,
                       help="SQLite file to migrate, a pattern over files (a fleet), or a Turso/libSQL server: "
                       "http://HOST:PORT, https://HOST or libsql://HOST (env DATABASE_PATH)")
    group.add_argument("--migrations", metavar="DIR", default=default,
                       help="folder of NNN_name.sql files (env MIGRATIONS_DIR; default: migrations)")
    group.add_argument("--db", metavar="NAME", default=default,
                       help="a database named under [tool.vfmigrate.databases] in pyproject.toml")
    group.add_argument("--busy-timeout", metavar="SECONDS", type=_seconds, default=default,
                       help="how long to wait for another writer's lock (env VFMIGRATE_BUSY_TIMEOUT; default 30)")
    group.add_argument("--state-dir", metavar="DIR", default=default,
                       help="keep the event logs and backups in DIR instead of beside each database, e.g. outside "
                       "a LiteFS mount (env VFMIGRATE_STATE_DIR)")
    if token:
        group.add_argument("--auth-token", metavar="TOKEN", default=default,
                           help="the server's auth token, for a URL --database (env VFMIGRATE_AUTH_TOKEN, which keeps "
                           "it out of the process list)")




def _bounded(convert: type, low: float, high: float, noun: str, rule: str):
    """An argparse ``type``: ``convert(text)`` within ``low``..``high`` (NaN is outside)."""
    def parse(text: str):
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not {noun}: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{rule}, not {text.strip()}")
        return value
    return parse


_version = _bounded(int, 0, MAX_VERSION, "a version number", f"a version is a whole number from 0 to {MAX_VERSION}")
_steps = _bounded(int, 1, MAX_VERSION, "a number of steps", "a number of steps is 1 or more")
# config.resolve checks the same range for the environment and pyproject.toml.
_seconds = _bounded(float, 0, MAX_BUSY_TIMEOUT, "a number of seconds",
                    f"a number of seconds from 0 to {MAX_BUSY_TIMEOUT:g} (one day)")


def build_parser(prog: str = "vfmigrate", parser_class: type[argparse.ArgumentParser] | None = None,
                 *, with_cli_flags: bool = True, extra_commands=None) -> argparse.ArgumentParser:
    """The full argument parser: global options, then one sub-command.

    ``parser_class`` defaults to ``argparse.ArgumentParser``. ``extra_commands(command)`` adds
    the commands a front end has on top of the CLI's, such as the notebook's ``panel``:
    ``command(name, help)`` returns the new command's parser (with the database options).
    """
    parser_class = parser_class or argparse.ArgumentParser
    parser = parser_class(
        prog=prog,
        description="SQLite schema migrations: apply, roll back, dry-run and report.",
        epilog="Databases and folders may also come from [tool.vfmigrate] in pyproject.toml.",
    )
    add_target_options(parser, None, token=with_cli_flags)
    if with_cli_flags:
        parser.add_argument("--traceback", action="store_true", help="show the full traceback on errors")
        parser.add_argument("--json", action="store_true", help="print one JSON document on stdout (the rest goes "
                            "to stderr); on failure {\"error\": {\"kind\", \"message\"}} with the exit code")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=parser_class)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        add_target_options(p, argparse.SUPPRESS, token=with_cli_flags)
        if name in FLEET_COMMANDS:
            add_fleet_options(p)
        return p

    up = command("up", "apply every pending migration, in version order")
    up.add_argument("--to", metavar="VERSION", type=_version, help="stop after this version")
    up.add_argument("--tx", choices=("file", "all"), default=None, help="file (default): a transaction per "
                    "migration; all: the whole run in one, so a failure leaves the database as before (env VFMIGRATE_TX)")
    up.add_argument("--dry-run", action="store_true",
                    help="run inside a transaction and roll back: report statements, rows and schema changes")

    down = command("down", "roll back the last applied migration (more with --steps, --to or --all)")
    which = down.add_mutually_exclusive_group()
    which.add_argument("--steps", metavar="N", type=_steps, help="roll back the last N migrations")
    which.add_argument("--to", metavar="VERSION", type=_version, help="roll back every migration above VERSION")
    which.add_argument("--all", action="store_true", help="roll back every applied migration")
    down.add_argument("--dry-run", action="store_true", help="run the DOWN inside a transaction and roll back")
    down.add_argument("--tx", choices=("file", "all"), default=None, help="file (default) or all: every DOWN "
                      "of the run in one transaction (env VFMIGRATE_TX)")
    down.add_argument("--no-backup", dest="backup", action="store_false", default=None,
                      help="skip the online backup written beside the database first (env VFMIGRATE_BACKUP=0)")

    status = command("status", "current version; applied, pending, modified and missing migrations")
    status.add_argument("--check", action="store_true", help="for CI: exit 3 on drift (a modified, missing or "
                        "out-of-order migration), 8 when migrations are pending, 0 when up to date")
    create = command("create", "write the next migration file, NNN_name.sql, with its header filled in")
    create.add_argument("name", metavar="NAME", help="snake_case name, e.g. add_user_roles")
    command("history", "every up, down, dry run, failure, verify and restore logged for the database, with timings")
    command("check", "parse every migration file and report problems without touching a database")
    lint = command("lint", "count the rows each pending migration puts at risk, run on the real data and "
                   "rolled back (exit 7 with findings)")
    lint.add_argument("--down", action="store_true", help="check the DOWN of every applied migration instead")
    verify = command("verify", "prove each pending migration's DOWN reverses its UP, on a copy in memory "
                     "(exit 7 if one does not)")
    verify.add_argument("--all", action="store_true", help="every migration, replayed from an empty database")
    schema = command("schema", "the database's schema: tables, columns, keys, indexes, views, triggers")
    schema.add_argument("--format", choices=SCHEMA_FORMATS, default="text",
                        help="text (default); sql: CREATE statements that replay into an empty database; "
                        "mermaid: an erDiagram; json")
    add_at_option(schema)
    diff = command("diff", "write the next migration: from the migrations' schema to the one in FILE")
    diff.add_argument("--want", metavar="FILE", required=True, help="the desired schema as CREATE statements")
    diff.add_argument("--name", metavar="NAME", default="schema_change", help="the new migration's name "
                      "(default: schema_change)")
    diff.add_argument("--print", dest="print_only", action="store_true", help="print the migration, write nothing")
    diff.add_argument("--from-database", action="store_true",
                      help="start from the live database's schema instead of the migration files' head")
    command("backups", "list the backups beside the database: path, version, time, size")
    restore = command("restore", "replace the database with a backup, after backing it up as it is")
    restore.add_argument("backup", metavar="BACKUP", help="a backup file: a path, or a name as 'backups' lists it")
    if extra_commands is not None:
        extra_commands(command)
    return parser


def add_fleet_options(parser: argparse.ArgumentParser) -> None:
    """--jobs, --keep-going and --canary: how a command runs over a fleet (a --database pattern)."""
    group = parser.add_argument_group("fleet (a --database pattern such as 'tenants/*.db')")
    group.add_argument("--jobs", metavar="N", type=_bounded(int, 1, 256, "a number of jobs", "--jobs is a whole number from 1 to 256"),
                       default=1, help="run N databases at once, each in a process of its own (default 1)")
    group.add_argument("--keep-going", action="store_true",
                       help="after a database fails, go on with the others (default: start no new one)")
    group.add_argument("--canary", metavar="K", type=_bounded(int, 1, 10**9, "a number of databases", "--canary is 1 or more"),
                       default=0, help="run the first K databases (sorted) first, and stop if any of them fails")


def add_at_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--at", metavar="VERSION", type=_version,
                        help="the schema the migration files give at VERSION, replayed in memory (no database needed)")
