"""``%migrate`` and ``%%migration``: SQLite migrations from a notebook.

Load with ``%load_ext vfmigrate_magic``. The database and folder come from the same places as
for the ``vfmigrate`` command (``--database``/``--db``/``--migrations`` on the line,
``DATABASE_PATH``/``MIGRATIONS_DIR``, ``[tool.vfmigrate]`` in the nearest ``pyproject.toml``),
with one more level between the line and the environment: ``%config``::

    %config MigrateMagics                      # list the settings
    %config MigrateMagics.database = "app.db"  # or in ipython_config.py: c.MigrateMagics.database
    %config MigrateMagics.short_errors = False # full tracebacks instead of one-line errors

``%unload_ext vfmigrate_magic`` removes the magics again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class, output_can_be_silenced
from traitlets import Bool, Float, Unicode

from ..arguments import FLEET_COMMANDS, needs_database
from ..engine import commands
from ..engine.config import Settings, Target
from ..engine.create import write_named
from ..engine.errors import MigrationError
from ..engine.results import RunReport, display_path
from . import actions, frames, hints
from .cell import read_cell
from .parsing import migrate_parser, migration_parser, parse, schema_parser
from .running import run_with_progress, written


def _usage(parser) -> str:
    return "\n".join("    " + line for line in parser.format_help().splitlines())


@magics_class
class MigrateMagics(Magics):
    """Settings of ``%migrate`` and ``%%migration``; each is overridden by the magic's own options."""

    database = Unicode(None, allow_none=True, help="SQLite file to migrate, as --database "
                       "(when unset: DATABASE_PATH, then [tool.vfmigrate] in pyproject.toml)").tag(config=True)
    db = Unicode(None, allow_none=True, help="a database named under [tool.vfmigrate.databases], as --db").tag(config=True)
    migrations = Unicode(None, allow_none=True, help="folder of NNN_name.sql files, as --migrations "
                         "(when unset: MIGRATIONS_DIR, then pyproject.toml, then 'migrations')").tag(config=True)
    busy_timeout = Float(None, allow_none=True, help="seconds to wait for another writer's lock, as "
                         "--busy-timeout (when unset: VFMIGRATE_BUSY_TIMEOUT, pyproject.toml, 30)").tag(config=True)
    backup = Bool(None, allow_none=True, help="back up the database before every down (when unset: "
                  "VFMIGRATE_BACKUP, then pyproject.toml, then True); --no-backup skips it once").tag(config=True)
    short_errors = Bool(True, help="show errors as one line (UsageError) and stop Run All there; "
                        "False raises the engine's exception with its full traceback").tag(config=True)
    progress = Bool(True, help="show a progress bar while up and down run in a notebook (ipywidgets)").tag(config=True)

    _parser = migrate_parser()
    _cell_parser = migration_parser()
    _schema_parser = schema_parser()

    @output_can_be_silenced
    @line_magic("migrate")
    def migrate(self, line: str = ""):
        """Run a migration command; returns a pandas DataFrame.

        Examples::

            %migrate status                    # one row per migration: state, applied_at, time
            df = %migrate up --dry-run         # run and roll back: statements, rows, objects
            %migrate up                        # apply every pending migration
            %migrate down                      # roll back the last one (--steps N, --to V, --all)
            %migrate history --db {name}       # {python} values are expanded
            %migrate create add_user_roles     # write the next NNN_add_user_roles.sql
            %migrate backups                   # the backups beside the database; restore one with
            %migrate restore NAME              #   %migrate restore (after backing up the database)
            %migrate panel                     # buttons: Up, Down, Dry run, Refresh, Stop

        """
        args = parse(self._parser, line)
        if args is None:  # --help was printed
            return None
        with self._errors():
            settings = self._settings(args)
            if settings.fleet and args.command in FLEET_COMMANDS:
                return self._fleet(args, settings)
            return getattr(self, f"_cmd_{args.command}")(args, settings)

    migrate.__doc__ += "Usage:\n\n" + _usage(_parser)

    @cell_magic("migration")
    def migration(self, line: str, cell: str):
        """Write the cell as migration NAME, the same file again on every run until it is applied.

        The cell holds the UP SQL, then a ``-- === DOWN MIGRATION ===`` line and the DOWN SQL::

            %%migration add_user_roles --dry-run
            ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'user';
            CREATE INDEX idx_users_role ON users(role);
            -- === DOWN MIGRATION ===
            DROP INDEX idx_users_role;
            ALTER TABLE users DROP COLUMN role;

        The SQL is checked (complete statements, no BEGIN/COMMIT) before anything is written.
        Once the migration is applied, a changed cell is refused: write a new migration, or roll
        it back first. ``--dry-run`` returns each statement with the rows it would change;
        ``--apply`` returns what ran. An empty cell is refused by IPython itself.

        """
        args = parse(self._cell_parser, line)
        if args is None:
            return None
        with self._errors():
            settings = self._settings(args)
            target = settings.target
            sql = read_cell(args.name, cell)
            applied = self._applied(target, settings)
            created, action = write_named(target.migrations, args.name, up=sql.up, down=sql.down,
                                          applied=applied, description=sql.description or None,
                                          author=settings.author)
            print(written(created.path, action, created.version in applied))
            if not (args.apply or args.dry_run):
                for warning in sql.warnings:  # a run prints them with its summary
                    print(f"warning: {warning}")
                return None
            report = self._run(settings, [target], "up", to=created.version, dry_run=args.dry_run)[0][1]
            return frames.statements_frame(report) if args.dry_run else frames.run_frame(report)

    migration.__doc__ += "Usage:\n\n" + _usage(_cell_parser)

    @cell_magic("schema")
    def schema(self, line: str, cell: str):
        """The cell is the schema you want (CREATE statements): shows the plan that gets there
        from the migration files' schema, then writes it as migration NAME, as ``%%migration``
        does. A rebuild keeps every row; renames only from ``-- vfmigrate: rename ...`` lines::

            %%schema tighten_users --dry-run
            CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL COLLATE NOCASE);

        Returns the plan (object, change, method); ``--dry-run``/``--apply`` as ``%%migration``.

        """
        args = parse(self._schema_parser, line)
        if args is None:
            return None
        with self._errors():
            from ..engine.diff import write_cell
            from .schema_views import plan_frame

            settings = self._settings(args)
            target = settings.target
            applied = self._applied(target, settings)
            found, created, action = write_cell(target, args.name, cell, applied=applied, author=settings.author)
            if created is None:
                print("No difference: the migration files already give this schema; nothing written")
                return plan_frame(found)
            print(written(created.path, action, created.version in applied))
            if found.down_refused:
                print(f"warning: no DOWN section ({found.down_refused}); the migration is irreversible")
            if not (args.apply or args.dry_run):
                return plan_frame(found)
            report = self._run(settings, [target], "up", to=created.version, dry_run=args.dry_run)[0][1]
            return frames.statements_frame(report) if args.dry_run else frames.run_frame(report)

    schema.__doc__ += "Usage:\n\n" + _usage(_schema_parser)

    # -- commands --------------------------------------------------------------------------------

    def _fleet(self, args, settings: Settings):
        """A command over a fleet (a --database pattern): one line per database as it ends, the
        summary, and one frame with a database column; when a database failed, the summary is
        raised after the lines (Run All stops there)."""
        from ..engine import fleet

        command = args.command
        report, tally = fleet.run_command(
            command, settings, vars(args), jobs=args.jobs, keep_going=args.keep_going, canary=args.canary,
            check=getattr(args, "check", False),
            say=lambda target, line: print(f"{target.label}: {line}", flush=True))
        if any(o.failed for o in report.outcomes):
            raise MigrationError(tally.summary(report))
        print(tally.summary(report))
        done = [(o.target, o.result) for o in report.outcomes]
        if command == "status":
            return frames.status_frames(done)
        if command in ("up", "down"):
            return frames.run_frames(done)
        return None

    def _cmd_up(self, args, settings: Settings):
        reports = self._run(settings, settings.targets, "up", to=args.to, dry_run=args.dry_run)
        return frames.run_frames(reports)

    def _cmd_down(self, args, settings: Settings):
        options = {"steps": args.steps, "to": args.to, "all": args.all}
        reports = self._run(settings, [settings.target], "down", dry_run=args.dry_run, **options)
        report = reports[0][1]
        if report.integrity != "ok":
            raise MigrationError(f"integrity_check after the rollback: {report.integrity}")
        return frames.run_frames(reports)

    def _cmd_status(self, args, settings: Settings):
        return frames.status_frames([(t, commands.status(t, busy_timeout=settings.busy_timeout))
                                     for t in settings.targets])

    def _cmd_history(self, args, settings: Settings):
        return frames.history_frames([(t, commands.history(t)) for t in settings.targets])

    def _cmd_create(self, args, settings: Settings):
        return frames.created_frame(commands.create(settings.target, args.name, author=settings.author))

    def _cmd_check(self, args, settings: Settings):
        import pandas as pd

        rows = [{"database": t.label, "migrations": display_path(str(t.migrations)),
                 "files": commands.check(t), "ok": True} for t in settings.targets]
        return pd.DataFrame(rows, columns=["database", "migrations", "files", "ok"])

    def _cmd_lint(self, args, settings: Settings):
        report = commands.lint(settings.target, down=args.down, busy_timeout=settings.busy_timeout)
        print(str(report).splitlines()[0])
        return frames.findings_frame(report.findings)

    def _cmd_verify(self, args, settings: Settings):
        report = commands.verify(settings.target, all=args.all, busy_timeout=settings.busy_timeout)
        print(str(report).splitlines()[-1])
        return frames.verify_frame(report)

    def _cmd_backups(self, args, settings: Settings):
        return frames.backups_frame([(t, commands.backups(t)) for t in settings.targets])

    def _cmd_restore(self, args, settings: Settings):
        result = commands.restore(settings.target, args.backup, backup_keep=settings.backup_keep,
                                  busy_timeout=settings.busy_timeout)
        print(result)
        if result.integrity != "ok":
            raise MigrationError(f"integrity_check after the restore: {result.integrity}")
        return None

    def _cmd_schema(self, args, settings: Settings):
        from .schema_views import show_schema

        found = commands.schema(settings.target, at=args.at, busy_timeout=settings.busy_timeout)
        return show_schema(found, getattr(args, "format", "mermaid"))

    _cmd_erd = _cmd_schema  # erd has no --format: the diagram

    def _cmd_diff(self, args, settings: Settings):
        from .schema_views import plan_frame

        result = commands.diff(settings.target, args.want, name=args.name, print_only=args.print_only,
                               from_database=args.from_database, author=settings.author,
                               busy_timeout=settings.busy_timeout)
        print(result)
        return plan_frame(result)

    def _cmd_panel(self, args, settings: Settings):
        from .panel import MigrationPanel

        return MigrationPanel(settings=settings)

    # -- helpers ---------------------------------------------------------------------------------

    def _settings(self, args) -> Settings:
        """Line options win; then these traits; then environment, pyproject.toml, defaults."""
        line_picks = args.database is not None or args.db is not None
        backup = getattr(args, "backup", None)
        return actions.resolve(
            database=args.database if line_picks else self.database,
            db=args.db if line_picks else self.db,
            migrations=args.migrations if args.migrations is not None else self.migrations,
            busy_timeout=args.busy_timeout if args.busy_timeout is not None else self.busy_timeout,
            backup=backup if backup is not None else self.backup,
            tx=getattr(args, "tx", None),
            need_database=needs_database(args),
            state_dir=args.state_dir,
        )

    def _run(self, settings: Settings, targets, direction: str, *, dry_run: bool = False,
             **options) -> list[tuple[Target, RunReport]]:
        """Run up or down on each target, with a progress bar in a kernel, printing each summary."""
        bar = self.progress and getattr(self.shell, "kernel", None) is not None
        return run_with_progress(settings, targets, direction, bar=bar, dry_run=dry_run, **options)

    def _applied(self, target: Target, settings: Settings) -> dict[int, str]:
        """Version -> recorded checksum of what is applied (nothing when no database yet)."""
        if target.url is None and not target.database.exists():
            return {}
        report = commands.status(target, busy_timeout=settings.busy_timeout)
        return {e.version: e.recorded_checksum for e in report.entries if e.recorded_checksum is not None}

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """An engine error becomes a plain UsageError: one line, its advice in the notebook's
        words (``%%migration NAME``, ``%config``), and Run All stops here."""
        try:
            yield
        except MigrationError as exc:
            if not self.short_errors:
                raise
            raise UsageError(hints.for_notebook(exc)) from exc


def load_ipython_extension(ipython) -> None:
    """Register ``%migrate`` and ``%%migration`` (``%load_ext vfmigrate_magic``)."""
    ipython.register_magics(MigrateMagics)
    magics = ipython.magics_manager.registry[MigrateMagics.__name__]
    if magics not in ipython.configurables:  # IPython 9 adds it itself; older ones do not
        ipython.configurables.append(magics)


def unload_ipython_extension(ipython) -> None:
    """Remove the magics and their settings again (``%unload_ext vfmigrate_magic``)."""
    manager = ipython.magics_manager
    if manager.magics["line"].get("migrate") is not None:
        del manager.magics["line"]["migrate"]
    for cell in ("migration", "schema"):
        if manager.magics["cell"].get(cell) is not None:
            del manager.magics["cell"][cell]
    manager.registry.pop(MigrateMagics.__name__, None)
    ipython.configurables[:] = [c for c in ipython.configurables if not isinstance(c, MigrateMagics)]
