"""The ``vfmigrate`` command (also ``migrate`` and ``python -m vfmigrate_magic``).

A thin shell over the engine: parse arguments, resolve settings, call, print, exit code.
Imports only the standard library and the engine, so it starts fast.
"""

from __future__ import annotations

import gc
import os
import sys

from .arguments import build_parser, parse_plain

TYPE_CHECKING = False  # importing typing costs 2 ms at every start
if TYPE_CHECKING:
    from collections.abc import Sequence

    from .engine import config
    from .engine.coalesce import Coalescer
    from .engine.results import MigrationResult

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (0 ok, 1 error, 2 usage, 130 interrupted)."""
    called = os.path.basename(sys.argv[0]) if argv is None else ""
    prog = "migrate" if called == "migrate" else "vfmigrate"
    # Plain command lines are read without argparse (start-up time); the rest goes to argparse.
    args = parse_plain(sys.argv[1:] if argv is None else argv) or build_parser(prog).parse_args(argv)
    # A command is one short process: reference counting frees what it makes, and the cyclic
    # collector, which walked every object alive (five hundred parsed files) every few
    # hundred allocations, was 4 % of the work of an `up`.
    gc.disable()
    # The engine is imported only once the arguments are good: --help and usage errors stay quick.
    from .engine import config
    from .engine.errors import MigrationError

    try:
        settings = config.resolve(database=args.database, migrations=args.migrations, db=args.db,
                                  busy_timeout=args.busy_timeout, backup=getattr(args, "backup", None))
        return COMMANDS[args.command](args, settings)
    except MigrationError as exc:
        if args.traceback:
            raise
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; the migration that was running was rolled back", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`vfmigrate status | head`): stop quietly, as other commands do;
        # stdout goes to /dev/null so that the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR


def _results_printer() -> Coalescer:
    """Prints one line a migration for ``on_result=printer.add``: the lines of a batch
    together, within 0.1 s while migrations keep finishing and within a second while a long
    one runs (engine.coalesce). Printing and flushing each line between two commits was a
    tenth of an ``up`` of many small migrations. ``close()`` prints the rest."""
    from .engine.coalesce import Coalescer

    def write(results: list[MigrationResult]) -> None:
        sys.stdout.write("".join(f"  {r}\n" for r in results))
        sys.stdout.flush()

    return Coalescer(write)


def _heading(settings: config.Settings, target: config.Target) -> None:
    if len(settings.targets) > 1 or target.name:
        print(f"{target.name or 'database'}: {_rel(target.database)}", flush=True)


def _cmd_up(args, settings: config.Settings) -> int:
    from .engine import commands

    for target in settings.targets:
        _heading(settings, target)
        printer = _results_printer()
        try:
            report = commands.up(target, to=args.to, dry_run=args.dry_run, busy_timeout=settings.busy_timeout,
                                 on_result=printer.add)
        finally:
            printer.close()
        for warning in report.warnings:
            print(f"  warning: {warning}")
        print(_indent(report.summary()))
    return EXIT_OK


def _cmd_down(args, settings: config.Settings) -> int:
    from .engine import commands

    target = settings.target
    _heading(settings, target)
    printer = _results_printer()
    try:
        report = commands.down(target, steps=args.steps, to=args.to, all=args.all, dry_run=args.dry_run,
                               backup=settings.backup, busy_timeout=settings.busy_timeout, on_result=printer.add)
    finally:
        printer.close()
    print(_indent(report.summary()))
    return EXIT_OK if report.integrity == "ok" else EXIT_ERROR


def _cmd_status(args, settings: config.Settings) -> int:
    from .engine import commands

    for i, target in enumerate(settings.targets):
        if i:
            print()
        print(commands.status(target, busy_timeout=settings.busy_timeout))
    return EXIT_OK


def _cmd_create(args, settings: config.Settings) -> int:
    from .engine import commands

    created = commands.create(settings.target, args.name)
    print(f"Created {_rel(created.path)}")
    return EXIT_OK


def _cmd_history(args, settings: config.Settings) -> int:
    from .engine import commands

    for target in settings.targets:
        _heading(settings, target)
        events = commands.history(target)
        if not events:
            print("  no events logged yet")
        for e in events:
            line = f"  {e.at}  {e.direction:<4} {e.mode:<7} {e.version:03d}_{e.name}  {e.status:<6} {e.duration_ms:.0f} ms"
            print(line + (f"  {e.error}" if e.error else ""))
    return EXIT_OK


def _cmd_check(args, settings: config.Settings) -> int:
    from .engine import commands

    for target in settings.targets:
        count = commands.check(target)
        print(f"{target.label}: {count} migration files in {_rel(target.migrations)} are well-formed")
    return EXIT_OK


COMMANDS = {"up": _cmd_up, "down": _cmd_down, "status": _cmd_status, "create": _cmd_create,
            "history": _cmd_history, "check": _cmd_check}


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())


def _rel(path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return rel if not rel.startswith("..") else str(path)
