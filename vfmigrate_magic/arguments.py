"""The command-line grammar, shared by the ``vfmigrate`` command and the ``%migrate`` magic.

``build_parser`` makes the whole parser; the magic passes a parser class whose ``error()``
raises ``UsageError`` instead of exiting. ``parse_plain`` reads the plainest command lines
without argparse: its import and the parser's build (which pull in gettext, locale and
shutil) were a third of the start-up of ``vfmigrate status``.
"""

from __future__ import annotations

from types import SimpleNamespace

TYPE_CHECKING = False  # importing typing costs 2 ms at every start
if TYPE_CHECKING:
    import argparse
    from collections.abc import Sequence

COMMANDS = ("up", "down", "status", "create", "history", "check")
TARGET_OPTIONS = {"--database": "database", "--migrations": "migrations", "--db": "db", "--busy-timeout": "busy_timeout"}
# The commands parse_plain reads, with the defaults of their own options (down and create: argparse).
PLAIN_COMMANDS = {"status": {}, "history": {}, "check": {}, "up": {"to": None, "dry_run": False}}


def parse_plain(argv: Sequence[str]) -> SimpleNamespace | None:
    """``build_parser().parse_args(argv)`` for ``[--traceback] COMMAND`` with target options
    (``TARGET_OPTIONS``, written in full, each with a value not starting with ``-``) before or
    after COMMAND, one of ``PLAIN_COMMANDS``; for ``up`` also ``--dry-run`` and ``--to VERSION``.
    None for any other command line: the caller gives that to argparse, which says what is wrong.
    """
    values: dict[str, object] = dict.fromkeys(TARGET_OPTIONS.values())
    values["traceback"] = False
    command = None
    i = 0
    while i < len(argv):
        word = argv[i]
        value = argv[i + 1] if i + 1 < len(argv) and not argv[i + 1].startswith("-") else None
        if command is None and word in PLAIN_COMMANDS:
            command = word
            values.update(PLAIN_COMMANDS[word], command=word)
        elif command is None and word == "--traceback":
            values["traceback"] = True
        elif word in TARGET_OPTIONS and value is not None:
            values[TARGET_OPTIONS[word]] = value
            i += 1
        elif command == "up" and word == "--dry-run":
            values["dry_run"] = True
        elif command == "up" and word == "--to" and value is not None:
            values["to"] = value
            i += 1
        else:
            return None
        i += 1
    if command is None:
        return None
    try:  # build_parser's conversions, for the values they accept (the others: argparse's message)
        if values["busy_timeout"] is not None:
            values["busy_timeout"] = float(values["busy_timeout"])
        if values.get("to") is not None:
            values["to"] = int(values["to"])
    except ValueError:
        return None
    if values.get("to") is not None and values["to"] < 0:
        return None
    return SimpleNamespace(**values)


def add_target_options(parser: argparse.ArgumentParser, default) -> None:
    """Options naming the database; accepted before or after the command word."""
    group = parser.add_argument_group("database selection")
    group.add_argument("--database", metavar="PATH", default=default,
                       help="SQLite file to migrate (env DATABASE_PATH)")
    group.add_argument("--migrations", metavar="DIR", default=default,
                       help="folder of NNN_name.sql files (env MIGRATIONS_DIR; default: migrations)")
    group.add_argument("--db", metavar="NAME", default=default,
                       help="a database named under [tool.vfmigrate.databases] in pyproject.toml")
    group.add_argument("--busy-timeout", metavar="SECONDS", type=float, default=default,
                       help="how long to wait for another writer's lock (env VFMIGRATE_BUSY_TIMEOUT; default 30)")


def _version(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a version number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a version is 0 or more, not {value}")
    return value


def _positive(text: str) -> int:
    value = _version(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def build_parser(prog: str = "vfmigrate", parser_class: type[argparse.ArgumentParser] | None = None,
                 *, with_cli_flags: bool = True, extra_commands: dict[str, str] | None = None) -> argparse.ArgumentParser:
    """The full argument parser: global options, then one sub-command.

    ``parser_class`` defaults to ``argparse.ArgumentParser``. ``extra_commands`` (name -> help)
    adds commands a front end has on top of the CLI's, such as the notebook's ``panel``; they
    take the database options only.
    """
    import argparse

    parser_class = parser_class or argparse.ArgumentParser
    parser = parser_class(
        prog=prog,
        description="SQLite schema migrations: apply, roll back, dry-run and report.",
        epilog="Databases and folders may also come from [tool.vfmigrate] in pyproject.toml.",
    )
    add_target_options(parser, None)
    if with_cli_flags:
        parser.add_argument("--traceback", action="store_true", help="show the full traceback on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=parser_class)

    def command(name: str, help: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        add_target_options(p, argparse.SUPPRESS)
        return p

    up = command("up", "apply every pending migration, in version order")
    up.add_argument("--to", metavar="VERSION", type=_version, help="stop after this version")
    up.add_argument("--dry-run", action="store_true",
                    help="run inside a transaction and roll back: report statements, rows and schema changes")

    down = command("down", "roll back the last applied migration (more with --steps, --to or --all)")
    which = down.add_mutually_exclusive_group()
    which.add_argument("--steps", metavar="N", type=_positive, help="roll back the last N migrations")
    which.add_argument("--to", metavar="VERSION", type=_version, help="roll back every migration above VERSION")
    which.add_argument("--all", action="store_true", help="roll back every applied migration")
    down.add_argument("--dry-run", action="store_true", help="run the DOWN inside a transaction and roll back")
    down.add_argument("--no-backup", dest="backup", action="store_false", default=None,
                      help="skip the online backup written beside the database first (env VFMIGRATE_BACKUP=0)")

    command("status", "current version; applied, pending, modified and missing migrations")
    create = command("create", "write the next migration file, NNN_name.sql, with its header filled in")
    create.add_argument("name", metavar="NAME", help="snake_case name, e.g. add_user_roles")
    command("history", "every up, down, dry run and failure logged for the database, with timings")
    command("check", "parse every migration file and report problems without touching a database")
    for name, text in (extra_commands or {}).items():
        command(name, text)
    return parser
