"""Result objects the engine returns. Both front ends render these: the CLI prints their
``str()``, the notebook layer turns lists of them into DataFrames.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass


def display_path(path: str) -> str:
    """``path`` relative to the working folder when it lies inside it, else as given (a
    server's URL too: it is no path)."""
    if "://" in path:
        return path
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"


class ExecutionMode(str, enum.Enum):
    """How a runner executes: for real, or inside a transaction that is rolled back."""

    APPLY = "apply"
    DRY_RUN = "dry-run"


class MigrationState(str, enum.Enum):
    """Where a migration stands against one database."""

    APPLIED = "applied"
    PENDING = "pending"
    MODIFIED = "modified"          # applied, but the file's checksum differs
    MISSING = "missing"            # applied, but the file is gone
    OUT_OF_ORDER = "out-of-order"  # pending, yet below the newest applied version


@dataclass(frozen=True, slots=True)
class StatementResult:
    """One executed statement: its place in the file and the rows it changed."""

    index: int
    line: int
    sql: str  # the whole statement on one line, without comments
    rows_changed: int


@dataclass(frozen=True, slots=True)
class MigrationResult:
    """One migration run in one direction (or skipped because another runner applied it)."""

    version: int
    name: str
    direction: str  # "up" or "down"
    mode: ExecutionMode
    duration_ms: float
    rows_changed: int = 0
    statements: tuple[StatementResult, ...] = ()
    created: tuple[str, ...] = ()  # "table users", "index idx_users_email", ...
    dropped: tuple[str, ...] = ()
    altered: tuple[str, ...] = ()  # objects whose definition changed (ALTER TABLE, rebuilds)
    skipped: bool = False  # already done by a concurrent runner
    warnings: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.version:03d}_{self.name}"

    def __str__(self) -> str:
        if self.skipped:
            return f"Skipped {self.label} (already {'applied' if self.direction == 'up' else 'rolled back'} by another runner)"
        if self.mode is not ExecutionMode.DRY_RUN:  # one line a migration: kept short
            text = f"{_VERBS[self.direction]} {self.label} in {_ms(self.duration_ms)}"
            return text + f", {plural(self.rows_changed, 'row')} changed" if self.rows_changed else text
        text = f"Dry run ({self.direction}) {self.label} in {_ms(self.duration_ms)}"
        text += f": {plural(len(self.statements), 'statement')}, {plural(self.rows_changed, 'row')} changed"
        if self.created:
            text += "; creates " + ", ".join(self.created)
        if self.dropped:
            text += "; drops " + ", ".join(self.dropped)
        if self.altered:
            text += "; alters " + ", ".join(self.altered)
        return text + " (rolled back)"


_VERBS = {"up": "Applied", "down": "Rolled back"}


@dataclass(frozen=True, slots=True)
class RunReport:
    """What one ``up`` or ``down`` did to one database."""

    database: str
    direction: str
    mode: ExecutionMode
    results: tuple[MigrationResult, ...]
    version_before: int
    version_after: int
    backup_path: str | None = None
    integrity: str = "ok"
    foreign_key_violations: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()  # a dry run's rows at risk
    pruned_backups: tuple[str, ...] = ()  # old backups removed after this one (backup_keep)
    # False where no foreign_key_check can run (a remote server without the pragma).
    foreign_keys_checked: bool = True

    @property
    def ran(self) -> tuple[MigrationResult, ...]:
        return tuple(r for r in self.results if not r.skipped)

    def __str__(self) -> str:
        return "\n".join([*(str(r) for r in self.results), self.summary()])

    def summary(self) -> str:
        """The lines after the per-migration ones: version change, backup, checks."""
        lines = []
        if not self.ran:
            # version_after: another runner may have done the work while this one waited.
            lines.append(("Nothing to roll back" if self.direction == "down" else "Already up to date")
                         + f" (version {self.version_after})")
        elif self.mode is ExecutionMode.DRY_RUN:
            lines.extend(f"at risk: {f}" for f in self.findings)
            lines.append(f"Dry run: the database was not changed (still at version {self.version_before})")
        else:
            lines.append(f"Version {self.version_before} -> {self.version_after}")
        if self.backup_path:
            lines.append(f"Backup written to {display_path(self.backup_path)}")
        lines.extend(f"Removed old backup {display_path(p)} (backup_keep)" for p in self.pruned_backups)
        if self.integrity != "ok":
            lines.append(f"integrity_check: {self.integrity}")
        if self.foreign_key_violations:
            lines.append(f"foreign_key_check: {len(self.foreign_key_violations)} violations")
            lines.extend(f"  {v}" for v in self.foreign_key_violations[:20])
        elif self.ran and self.mode is ExecutionMode.APPLY:
            checked = "ok" if self.foreign_keys_checked else "not run on a remote database"
            lines.append(f"foreign_key_check: {checked}"
                         + ("" if self.direction == "up" else f"; integrity_check: {self.integrity}"))
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Finding:
    """Rows a statement puts at risk, counted on the real data inside a rolled-back run.
    ``kind``: drop-table, drop-column, delete, rebuild-loss, cascade or constraint-fails."""

    version: int
    file: str
    direction: str
    statement: int
    line: int
    kind: str
    object: str
    rows: int

    def __str__(self) -> str:
        return f"{self.file}, statement {self.statement} (line {self.line}): {self.kind} {self.object}: {plural(self.rows, 'row')}"


@dataclass(frozen=True, slots=True)
class LintReport:
    """What ``lint`` found on one database: each pending UP (or, ``direction`` "down", each
    applied DOWN) run inside a transaction that was rolled back."""

    database: str
    direction: str
    checked: int  # migrations run
    findings: tuple[Finding, ...] = ()
    exists: bool = True  # False: no database file yet, so run on an empty one (no rows to count)
    failed: str = ""  # the migration that fails, and why: the check stopped there

    def __str__(self) -> str:
        what = "pending migration" if self.direction == "up" else "DOWN section"
        where = display_path(self.database) if self.exists else \
            f"an empty database ({display_path(self.database)} does not exist yet: no rows to count)"
        head = f"{plural(self.checked, what)} checked on {where}"
        fails = [f"fails: {self.failed} (later migrations not checked)"] if self.failed else []
        if not self.findings:
            return "\n".join([f"{head}: no rows at risk", *fails])
        return "\n".join([f"{head}: {plural(len(self.findings), 'finding')}", *(str(f) for f in self.findings), *fails])


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """One migration's row in ``status``."""

    version: int
    name: str
    state: MigrationState
    applied_at: str | None = None
    execution_time_ms: int | None = None
    checksum: str | None = None  # of the file, or the recorded one when the file is missing
    recorded_checksum: str | None = None
    reversible: bool | None = None  # the file has a DOWN section
    verified: bool | None = None  # the last ``verify`` of this very file: DOWN reversed UP; None: never

    @property
    def reversibility(self) -> str | None:
        """What is known of rolling it back: "verified" (the last ``verify`` of this very file
        passed), "fails verify", "not verified" (a DOWN no ``verify`` has run yet), "no DOWN";
        None when the file is missing."""
        if self.reversible is None:
            return None
        if not self.reversible:
            return "no DOWN"
        return {True: "verified", False: "fails verify", None: "not verified"}[self.verified]

    @property
    def label(self) -> str:
        return f"{self.version:03d}_{self.name}"


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Every migration known from the folder or the tracking table, in version order."""

    database: str
    migrations_dir: str
    current_version: int
    entries: tuple[StatusEntry, ...]
    exists: bool = True
    db_name: str | None = None
    folder_exists: bool = True

    def count(self, state: MigrationState) -> int:
        return sum(1 for e in self.entries if e.state is state)

    @property
    def pending(self) -> tuple[StatusEntry, ...]:
        return tuple(e for e in self.entries if e.state in (MigrationState.PENDING, MigrationState.OUT_OF_ORDER))

    @property
    def applied(self) -> tuple[StatusEntry, ...]:
        """The migrations with a tracking row (applied, its file changed, or its file missing):
        what a ``down`` would roll back, oldest first."""
        return tuple(e for e in self.entries if e.state in (MigrationState.APPLIED, MigrationState.MODIFIED,
                                                             MigrationState.MISSING))

    def __str__(self) -> str:
        title = f"{self.db_name}: " if self.db_name else ""
        lines = [f"{title}{display_path(self.database)}  (migrations: {display_path(self.migrations_dir)})"]
        if not self.exists:
            lines[0] += "  -- not created yet"
        if not self.folder_exists:
            lines[0] += "  -- the migrations folder does not exist yet"
        lines.append(f"Current version: {self.current_version}")
        entries = self.entries
        states = [e.state for e in entries]
        marks = {MigrationState.APPLIED: "✓", MigrationState.PENDING: "·", MigrationState.MODIFIED: "!",
                 MigrationState.MISSING: "?", MigrationState.OUT_OF_ORDER: "!"}
        words = {state: state.value for state in MigrationState}
        columns = (
            ["", *map(marks.__getitem__, states)],
            ["VERSION", *["%03d" % e.version for e in entries]],
            ["NAME", *[e.name for e in entries]],
            ["STATE", *map(words.__getitem__, states)],
            ["APPLIED AT (UTC)", *[e.applied_at or "" for e in entries]],
            ["TIME", *["" if e.execution_time_ms is None else f"{e.execution_time_ms} ms" for e in entries]],
        )
        template = "  ".join(f"%-{max(map(len, column))}s" for column in columns)
        lines.extend((template % row).rstrip() for row in zip(*columns))
        counts = {state: states.count(state) for state in MigrationState}
        totals = ", ".join(f"{n} {s.value}" for s, n in counts.items()
                           if n or s in (MigrationState.APPLIED, MigrationState.PENDING))
        lines.append(totals)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class CreatedMigration:
    """A migration file written by ``create``."""

    version: int
    name: str
    path: str

    def __str__(self) -> str:
        return f"Created {self.path}"


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One entry of the event log: an up, down, dry run or failure."""

    at: str
    database: str
    version: int
    name: str
    direction: str
    mode: str
    status: str  # "ok", "failed" or "refused"
    duration_ms: float
    rows_changed: int = 0
    error: str = ""
    checksum: str = ""  # of the file, for a verify event

    def __str__(self) -> str:
        """One line of ``vfmigrate history``."""
        what = (f"restore from {self.name} (version {self.version})" if self.direction == "restore"
                else f"{self.direction:<4} {self.mode:<7} {self.version:03d}_{self.name}")
        return f"{self.at}  {what}  {self.status:<7} {self.duration_ms:.0f} ms" + (f"  {self.error}" if self.error else "")
