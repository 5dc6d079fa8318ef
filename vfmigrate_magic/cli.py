"""The ``vfmigrate`` command (also ``migrate`` and ``python -m vfmigrate_magic``).

A thin shell over the engine: parse arguments, resolve settings, call, print, exit code.
Imports only the standard library and the engine.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Sequence

from .arguments import FLEET_COMMANDS, build_parser, needs_database
from .engine import commands, config
from .engine.errors import MigrationError
from .engine.results import display_path, plural

EXIT_OK, EXIT_USAGE, EXIT_DRIFT, EXIT_FINDINGS, EXIT_PENDING, EXIT_INTERRUPTED = 0, 2, 3, 7, 8, 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit code (the README's table; ``MigrationError.exit_code``)."""
    called = os.path.basename(sys.argv[0]) if argv is None else ""
    prog = "migrate" if called == "migrate" else "vfmigrate"
    args = build_parser(prog).parse_args(argv)
    results: list = []  # (target, result) of each database the command ran on
    if not args.json:
        return _run(args, prog, results)[0]
    # --json: stdout holds the document only; every other line goes to stderr.
    out = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        code, failure = _run(args, prog, results)
    from .json_output import document, error

    print(json.dumps(error(failure) if failure is not None else document(args.command, results),
                     indent=2, default=str), file=out)
    return code


def _run(args, prog: str, results: list) -> tuple[int, MigrationError | None]:
    """Run the command, appending each database's result to ``results``; the exit code, and
    the engine error that ended it (None when none did)."""
    try:
        settings = config.resolve(database=args.database, migrations=args.migrations, db=args.db,
                                  busy_timeout=args.busy_timeout, backup=getattr(args, "backup", None),
                                  tx=getattr(args, "tx", None), auth_token=args.auth_token, state_dir=args.state_dir,
                                  need_database=needs_database(args))
        if settings.fleet and args.command in FLEET_COMMANDS:
            return _cmd_fleet(args, settings, results), None
        return COMMANDS[args.command](args, settings, results), None
    except MigrationError as exc:
        if args.traceback:
            raise
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return exc.exit_code, exc
    except KeyboardInterrupt:
        print(f"{prog}: interrupted; the migration that was running was rolled back", file=sys.stderr)
        return EXIT_INTERRUPTED, None
    except BrokenPipeError:
        # The reader went away (`vfmigrate status | head`): stop quietly, as other commands do;
        # stdout goes to /dev/null so that the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1, None


def _print_result(result) -> None:
    print(f"  {result}", flush=True)


def _heading(settings: config.Settings, target: config.Target) -> None:
    if len(settings.targets) > 1 or target.name:
        print(f"{target.name or 'database'}: {target.location}", flush=True)


def _cmd_up(args, settings: config.Settings, results: list) -> int:
    for target in settings.targets:
        _heading(settings, target)
        report = commands.up(target, to=args.to, dry_run=args.dry_run, busy_timeout=settings.busy_timeout,
                             on_result=_print_result, tx=settings.tx)
        results.append((target, report))
        for warning in report.warnings:
            print(f"  warning: {warning}")
        print(_indent(report.summary()))
    return EXIT_OK


def _cmd_down(args, settings: config.Settings, results: list) -> int:
    target = settings.target
    _heading(settings, target)
    report = commands.down(target, steps=args.steps, to=args.to, all=args.all, dry_run=args.dry_run,
                           backup=settings.backup, backup_keep=settings.backup_keep,
                           busy_timeout=settings.busy_timeout, on_result=_print_result,
                           tx=settings.tx)
    results.append((target, report))
    print(_indent(report.summary()))
    return EXIT_OK if report.integrity == "ok" else 6


def _cmd_status(args, settings: config.Settings, results: list) -> int:
    from .engine.results import MigrationState

    states = set()
    for i, target in enumerate(settings.targets):
        if i:
            print()
        report = commands.status(target, busy_timeout=settings.busy_timeout)
        results.append((target, report))
        print(report)
        states |= {e.state for e in report.entries}
    if not args.check:
        return EXIT_OK
    if states & {MigrationState.MODIFIED, MigrationState.MISSING, MigrationState.OUT_OF_ORDER}:
        return EXIT_DRIFT
    return EXIT_PENDING if MigrationState.PENDING in states else EXIT_OK


def _cmd_create(args, settings: config.Settings, results: list) -> int:
    created = commands.create(settings.target, args.name, author=settings.author)
    results.append((settings.target, created))
    print(f"Created {display_path(created.path)}")
    return EXIT_OK


def _cmd_history(args, settings: config.Settings, results: list) -> int:
    for target in settings.targets:
        _heading(settings, target)
        events = commands.history(target)
        results.append((target, events))
        if not events:
            print("  no events logged yet")
        for event in events:
            print(f"  {event}")
    return EXIT_OK


def _cmd_check(args, settings: config.Settings, results: list) -> int:
    for target in settings.targets:
        count = commands.check(target)
        results.append((target, count))
        print(f"{target.label}: {count} migration files in {display_path(str(target.migrations))} are well-formed")
    return EXIT_OK


def _cmd_lint(args, settings: config.Settings, results: list) -> int:
    code = _each_report(settings, results, lambda t: commands.lint(t, down=args.down, busy_timeout=settings.busy_timeout),
                        lambda report: not report.findings)
    # A migration that fails with nothing counted is a failure (1); with findings, they say why (7).
    return 1 if code == EXIT_OK and any(report.failed for _, report in results) else code


def _cmd_verify(args, settings: config.Settings, results: list) -> int:
    return _each_report(settings, results, lambda t: commands.verify(t, all=args.all, busy_timeout=settings.busy_timeout),
                        lambda report: report.ok)


def _each_report(settings: config.Settings, results: list, call, clean) -> int:
    """Run ``call`` on each target and print its report; exit 7 when one is not ``clean``."""
    code = EXIT_OK
    for target in settings.targets:
        _heading(settings, target)
        report = call(target)
        results.append((target, report))
        print(_indent(str(report)) if len(settings.targets) > 1 or target.name else str(report))
        code = code if clean(report) else EXIT_FINDINGS
    return code


def _cmd_schema(args, settings: config.Settings, results: list) -> int:
    from .engine import schema

    if args.format != "text":
        found = commands.schema(settings.target, at=args.at, busy_timeout=settings.busy_timeout)
        results.append((settings.target, found))
        if args.format == "json":
            import json

            print(json.dumps(schema.to_json(found), indent=2))
        else:
            print((schema.render_sql if args.format == "sql" else schema.render_mermaid)(found).rstrip("\n"))
        return EXIT_OK
    for i, target in enumerate(settings.targets):
        if i:
            print()
        _heading(settings, target)
        found = commands.schema(target, at=args.at, busy_timeout=settings.busy_timeout)
        results.append((target, found))
        print(schema.render_text(found).rstrip("\n") or "(no tables, views or triggers)")
    return EXIT_OK


def _cmd_diff(args, settings: config.Settings, results: list) -> int:
    result = commands.diff(settings.target, args.want, name=args.name, print_only=args.print_only,
                           from_database=args.from_database, author=settings.author, busy_timeout=settings.busy_timeout)
    results.append((settings.target, result))
    print(result)
    return EXIT_OK


def _cmd_backups(args, settings: config.Settings, results: list) -> int:
    for target in settings.targets:
        found = commands.backups(target)
        results.append((target, found))
        where = (f"beside {display_path(str(target.database))}" if target.url is None and target.state_dir is None
                 else f"in {display_path(str(target.base.parent))}")
        print(f"{target.label}: " + (f"{plural(len(found), 'backup')} {where}, oldest first" if found
                                     else f"no backups {where}"))
        for backup in found:
            print(f"  {backup}")
    return EXIT_OK


def _cmd_restore(args, settings: config.Settings, results: list) -> int:
    result = commands.restore(settings.target, args.backup, backup_keep=settings.backup_keep,
                              busy_timeout=settings.busy_timeout)
    results.append((settings.target, result))
    print(result)
    return EXIT_OK if result.integrity == "ok" else 6


COMMANDS = {"up": _cmd_up, "down": _cmd_down, "status": _cmd_status, "create": _cmd_create,
            "history": _cmd_history, "check": _cmd_check, "lint": _cmd_lint, "verify": _cmd_verify,
            "schema": _cmd_schema, "diff": _cmd_diff,
            "backups": _cmd_backups, "restore": _cmd_restore}


# -- fleets: a --database pattern -----------------------------------------------------------------


def _cmd_fleet(args, settings: config.Settings, results: list) -> int:
    """Run the command on every database of the fleet: one line each as it ends, then a summary;
    the exit code is the worst of the databases'."""
    from .engine import fleet
    from .json_output import FleetRun

    report, tally = fleet.run_command(
        args.command, settings, vars(args), jobs=args.jobs, keep_going=args.keep_going, canary=args.canary,
        check=getattr(args, "check", False),
        say=lambda target, line: print(f"{display_path(str(target.database))}: {line}", flush=True))
    print(tally.summary(report))

    results.append(FleetRun(report, dict(tally.counts)))
    return tally.exit_code


def _indent(text: str) -> str:
    return "\n".join(f"  {line}" for line in text.splitlines())
