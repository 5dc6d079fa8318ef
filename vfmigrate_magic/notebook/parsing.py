"""The magics' argument parsing: the CLI's grammar (``arguments.build_parser``) with a parser
class whose errors raise IPython's ``UsageError`` instead of exiting the kernel.
"""

from __future__ import annotations

import argparse
import shlex

from IPython.core.error import UsageError

from ..arguments import add_at_option, add_target_options, build_parser


class HelpShown(Exception):
    """``-h``/``--help`` printed the help; the magic returns nothing."""


class MagicArgumentParser(argparse.ArgumentParser):
    """argparse that raises ``UsageError`` (one line, no traceback) rather than exiting."""

    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message}")

    def exit(self, status: int = 0, message: str | None = None):
        if status == 0:
            raise HelpShown()
        raise UsageError((message or f"{self.prog}: error").strip())


def _notebook_commands(command) -> None:
    command("panel", "open the migration panel: database picker, status table, Up, Down, Dry run, Refresh")
    add_at_option(command("erd", "draw the schema as an entity-relationship diagram (Mermaid)"))


def migrate_parser() -> argparse.ArgumentParser:
    """``%migrate``: the CLI's commands and options, plus the notebook's ``panel`` and ``erd``."""
    return build_parser("%migrate", MagicArgumentParser, with_cli_flags=False, extra_commands=_notebook_commands)


def schema_parser() -> argparse.ArgumentParser:
    """``%%schema [NAME] [--dry-run | --apply] [--db NAME | --database PATH] [--migrations DIR]``."""
    parser = MagicArgumentParser(
        prog="%%schema",
        description="The cell is the schema you want, as CREATE statements: the plan to get there from the "
        "migration files' schema is shown, then written as migration NAME; running the cell again updates "
        "the same file until it is applied.",
    )
    parser.add_argument("name", metavar="NAME", nargs="?", default="schema_change",
                        help="snake_case name of the migration (default: schema_change)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--apply", action="store_true", help="then apply it, with any pending migration before it")
    mode.add_argument("--dry-run", action="store_true",
                      help="then run it in a transaction that is rolled back: rows changed per statement")
    add_target_options(parser, None)
    return parser


def migration_parser() -> argparse.ArgumentParser:
    """``%%migration NAME [--apply | --dry-run] [--db NAME | --database PATH] [--migrations DIR]``."""
    parser = MagicArgumentParser(
        prog="%%migration",
        description="Write the cell (UP SQL, then '-- === DOWN MIGRATION ===', then DOWN SQL) as "
        "migration NAME; running the cell again updates the same file until it is applied.",
    )
    parser.add_argument("name", metavar="NAME", help="snake_case name, e.g. add_user_roles")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--apply", action="store_true",
                      help="then apply it, with any pending migration before it")
    mode.add_argument("--dry-run", action="store_true",
                      help="then run it (and any pending one before it) in a transaction that is rolled "
                      "back: rows changed per statement, objects created and dropped")
    add_target_options(parser, None)
    return parser


def split_line(line: str) -> list[str]:
    """The magic's line as arguments: shell-style quoting, a trailing ``;`` dropped."""
    line = line.strip().rstrip(";").rstrip()
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(f"cannot read the arguments ({exc}): {line}") from None


def parse(parser: argparse.ArgumentParser, line: str) -> argparse.Namespace | None:
    """Parse ``line``; None after ``--help`` was printed. Raises UsageError."""
    try:
        return parser.parse_args(split_line(line))
    except HelpShown:
        return None
