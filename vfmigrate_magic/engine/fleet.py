"""Fleet mode: one command over many database files, e.g. one database per tenant.

A ``--database`` value (or a configured ``path``) holding ``*``, ``?`` or ``[`` is a pattern;
:func:`.config.resolve` turns it into one target per existing file, in sorted order. The
commands then run here, on each target:

- the migrations folder is read (and, for ``up``, every file checked by SQLite's parser) once,
  before any database is opened; each database gets the files already read;
- ``jobs`` databases run at once, each in a worker process (``jobs=1``: one after another, in
  this process);
- by default no new database is started after the first failure (those already running end);
  ``keep_going`` runs them all and reports each failure; ``canary`` runs the first K databases
  first and stops there if any of them fails;
- each database's outcome is reported as it ends (``on_outcome``), and the whole run as a
  :class:`FleetReport`, whose exit code is the worst of the databases'.
"""

from __future__ import annotations

import concurrent.futures
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import Target
from .errors import MigrationError
from .files import Migration, discover, validate_all
from .results import ExecutionMode, MigrationState, display_path, plural

# Exit codes from the least to the most serious: a fleet exits with the worst of its databases'.
SEVERITY = (0, 8, 7, 1, 3, 4, 6, 5, 2, 130)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a command did to one database of the fleet: its result, or the error that ended it."""

    target: Target
    result: object | None = None  # RunReport, StatusReport, LintReport or VerifyReport
    error: str = ""  # the engine's one-line message
    kind: str = ""  # the error's class name
    exit_code: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.error)


@dataclass(frozen=True)
class FleetReport:
    """Every database's outcome (in the fleet's sorted order), those never started, and why the
    run stopped early ("" when it did not)."""

    outcomes: tuple[Outcome, ...]
    not_started: tuple[Target, ...] = ()
    stopped: str = ""  # "canary": one of the first K failed; "failure": the first failure stopped it


# What the summary counts, in the order it says them.
WORDS = ("migrated", "rolled back", "rehearsed", "up to date", "nothing to roll back", "pending", "drifted", "clean",
         "with findings", "verified", "fails verify", "failed")


class Tally:
    """What a front end says of a fleet run: one line per database (:meth:`add`), and the
    summary, ``1000 databases: 998 migrated, 1 up to date, 1 failed`` (:meth:`summary`).
    ``check``: ``status --check``'s exit codes (3 drift, 8 pending) for each database."""

    def __init__(self, command: str, *, check: bool = False) -> None:
        self.command, self.check = command, check
        self.counts: dict[str, int] = {}
        self.codes: list[int] = []

    def add(self, outcome: Outcome) -> str:
        """Count ``outcome``; its line (without the database's name)."""
        word, line, code = self._describe(outcome)
        self.counts[word] = self.counts.get(word, 0) + 1
        self.codes.append(code)
        return line

    @property
    def exit_code(self) -> int:
        return worst(self.codes)

    def summary(self, report: FleetReport) -> str:
        total = len(report.outcomes) + len(report.not_started)
        counted = sorted(self.counts.items(), key=lambda item: WORDS.index(item[0]))
        line = f"{plural(total, 'database')}: " + ", ".join(f"{n} {word}" for word, n in counted)
        if report.not_started:
            why = ("one of the first --canary databases failed" if report.stopped == "canary"
                   else "stopped at the first failure (--keep-going runs every one)")
            line += f"; {len(report.not_started)} not started: {why}"
        return line

    def _describe(self, outcome: Outcome) -> tuple[str, str, int]:
        """(the word the summary counts, the database's line, its exit code)."""
        if outcome.failed:
            return "failed", f"failed: {outcome.error}", outcome.exit_code
        r, command = outcome.result, self.command
        if command in ("up", "down"):
            if not r.ran:
                word = "up to date" if command == "up" else "nothing to roll back"
                return word, f"{word} (version {r.version_after})", 0
            n = plural(len(r.ran), "migration")
            if r.mode is ExecutionMode.DRY_RUN:
                return "rehearsed", f"dry run of {n}, nothing changed (version {r.version_before})", 0
            done = "applied" if command == "up" else "rolled back"
            line = f"{n} {done}, version {r.version_before} -> {r.version_after}"
            backup = f"; backup {display_path(r.backup_path)}" if r.backup_path else ""
            return ("migrated" if command == "up" else "rolled back"), line + backup, 0
        if command == "status":
            states = [e.state for e in r.entries]
            drift = [s for s in states if s in (MigrationState.MODIFIED, MigrationState.MISSING,
                                                MigrationState.OUT_OF_ORDER)]
            pending = states.count(MigrationState.PENDING)
            if drift:
                said = ", ".join(f"{states.count(s)} {s.value}" for s in dict.fromkeys(drift))
                return "drifted", f"version {r.current_version}; {said}", 3 if self.check else 0
            if pending:
                return "pending", f"version {r.current_version}; {pending} pending", 8 if self.check else 0
            return "up to date", f"version {r.current_version}, up to date", 0
        if command == "lint":
            if r.findings:
                return "with findings", plural(len(r.findings), "finding"), 7
            if r.failed:
                return "failed", f"failed: {r.failed}", 1
            return "clean", f"{r.checked} checked, nothing at risk", 0
        if r.ok:
            return "verified", "every DOWN reverses its UP", 0
        return "fails verify", str(r).splitlines()[0], 7


def worst(codes: Sequence[int]) -> int:
    """The most serious of ``codes`` (0 for none)."""
    return max(codes, key=lambda c: SEVERITY.index(c) if c in SEVERITY else len(SEVERITY), default=0)


def read_folders(targets: Sequence[Target], *, check: bool) -> dict[Path, list[Migration]]:
    """Each migrations folder of the fleet, read once (``check``: every file's SQL through SQLite's
    parser too, as ``up`` does before it runs anything). Raises BadMigrationFile."""
    folders: dict[Path, list[Migration]] = {}
    for target in targets:
        if target.migrations not in folders:
            found = discover(target.migrations)
            if check:
                validate_all(found)
            folders[target.migrations] = found
    return folders


Task = Callable[..., object]  # task(target, migrations=...) -> result; raises MigrationError
# The options of the commands that task_for passes on.
TASK_OPTIONS = ("to", "dry_run", "steps", "all", "down")


def task_for(command: str, settings, *, to: int | None = None, dry_run: bool = False, steps: int | None = None,
             all: bool = False, down: bool = False) -> Task:
    """What each database of the fleet gets for ``command`` (up, down, status, lint, verify) with
    these options and ``settings`` (a :class:`.config.Settings`): a partial of a module-level
    function, so that it can be sent to worker processes."""
    from . import commands

    if command == "up":
        return functools.partial(commands.up, to=to, dry_run=dry_run, busy_timeout=settings.busy_timeout,
                                 tx=settings.tx)
    if command == "down":
        return functools.partial(commands.down, steps=steps, to=to, all=all, dry_run=dry_run, backup=settings.backup,
                                 backup_keep=settings.backup_keep, busy_timeout=settings.busy_timeout, tx=settings.tx)
    if command == "status":
        return functools.partial(commands.status, busy_timeout=settings.busy_timeout)
    if command == "lint":
        return functools.partial(commands.lint, down=down, busy_timeout=settings.busy_timeout)
    if command == "verify":
        return functools.partial(commands.verify, all=all, busy_timeout=settings.busy_timeout)
    raise ValueError(f"no fleet mode for {command!r}")


def run_command(command: str, settings, options: dict, *, jobs: int = 1, keep_going: bool = False,
                canary: int = 0, check: bool = False,
                say: Callable[[Target, str], None] | None = None) -> tuple[FleetReport, Tally]:
    """What both front ends do for a command over a fleet: read the folders once, run the
    command's task on every database, tell ``say(target, line)`` as each one ends; the report
    and the tally (its summary, counts and exit code). ``options``: the command's, any of
    TASK_OPTIONS (others are ignored)."""
    task = task_for(command, settings, **{k: v for k, v in options.items() if k in TASK_OPTIONS})
    folders = read_folders(settings.targets, check=command == "up")
    tally = Tally(command, check=check)

    def said(outcome: Outcome) -> None:
        line = tally.add(outcome)
        if say is not None:
            say(outcome.target, line)

    report = run(settings.targets, task, folders, jobs=jobs, keep_going=keep_going, canary=canary, on_outcome=said)
    return report, tally


def run(targets: Sequence[Target], task: Task, folders: dict[Path, list[Migration]], *, jobs: int = 1,
        keep_going: bool = False, canary: int = 0,
        on_outcome: Callable[[Outcome], None] | None = None) -> FleetReport:
    """Run ``task`` on each target as the module docstring says. ``task`` must be picklable when
    ``jobs`` > 1 (a module-level function, or a ``functools.partial`` of one)."""
    order = list(targets)
    done: list[Outcome] = []

    def record(outcome: Outcome) -> None:
        done.append(outcome)
        if on_outcome is not None:
            on_outcome(outcome)

    first, rest = (order[:canary], order[canary:]) if canary else ([], order)
    stopped = ""
    with _Runner(task, folders, jobs) as runner:
        if first:
            runner.each(first, record, stop_at_failure=not keep_going)
            if any(o.failed for o in done):
                stopped = "canary"
        if not stopped:
            if not runner.each(rest, record, stop_at_failure=not keep_going):
                stopped = "failure"
    finished = {o.target for o in done}
    position = {t: i for i, t in enumerate(order)}
    outcomes = tuple(sorted(done, key=lambda o: position[o.target]))
    return FleetReport(outcomes, tuple(t for t in order if t not in finished), stopped)


class _Runner:
    """Runs tasks in this process (one job) or in a pool of worker processes, each of which is
    handed the folders once, when it starts."""

    def __init__(self, task: Task, folders: dict[Path, list[Migration]], jobs: int) -> None:
        self.task, self.folders, self.jobs = task, folders, jobs
        self.pool: concurrent.futures.ProcessPoolExecutor | None = None

    def __enter__(self) -> _Runner:
        if self.jobs > 1:
            self.pool = concurrent.futures.ProcessPoolExecutor(self.jobs, initializer=_start_worker,
                                                               initargs=(self.folders,))
        return self

    def __exit__(self, kind, exc, tb) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)

    def each(self, targets: Sequence[Target], record: Callable[[Outcome], None], *, stop_at_failure: bool) -> bool:
        """Run ``targets``; False when a failure stopped it before every one had started."""
        if self.pool is None:
            for i, target in enumerate(targets):
                outcome = _attempt(self.task, target, self.folders)
                record(outcome)
                if outcome.failed and stop_at_failure and i + 1 < len(targets):
                    return False
            return True
        queue = iter(targets)
        running: set[concurrent.futures.Future] = set()
        left = len(targets)
        failed = False
        while True:
            # One task a worker and one more, so no worker idles while the next is handed over; the
            # pool sends that many to its workers at once, and they cannot be called back.
            while not failed and len(running) < 8 * self.jobs and (target := next(queue, None)) is not None:
                running.add(self.pool.submit(_attempt_in_worker, self.task, target))
            if not running:
                return not (failed and left)
            finished, running = concurrent.futures.wait(running, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in finished:
                outcome = future.result()
                left -= 1
                record(outcome)
                if outcome.failed and stop_at_failure and not failed:
                    failed = True
                    for waiting in list(running):  # queued, not started: they are not run
                        if waiting.cancel():
                            running.discard(waiting)


def _attempt(task: Task, target: Target, folders: dict[Path, list[Migration]]) -> Outcome:
    try:
        return Outcome(target, task(target, migrations=folders.get(target.migrations)))
    except MigrationError as exc:
        return Outcome(target, None, str(exc), type(exc).__name__, exc.exit_code)


_FOLDERS: dict[Path, list[Migration]] = {}  # a worker's copy of the folders, set when it starts


def _start_worker(folders: dict[Path, list[Migration]]) -> None:
    global _FOLDERS
    _FOLDERS = folders


def _attempt_in_worker(task: Task, target: Target) -> Outcome:
    return _attempt(task, target, _FOLDERS)
