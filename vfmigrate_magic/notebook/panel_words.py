"""What the panel says, as pure functions of the engine's reports (no widgets): which actions
the status allows and why not (:func:`button_states`, the buttons' tooltips), and what an action
did (:func:`outcome`, the result line)."""

from __future__ import annotations

from ..engine.results import ExecutionMode, MigrationState, RunReport, StatusReport, plural


def outcome(report: RunReport) -> str:
    """What an Up, Down or Dry run did, in one line for the result line."""
    ran = report.ran
    if not ran:
        return report.summary().splitlines()[0]
    count = plural(len(ran), "migration")
    ms = sum(r.duration_ms for r in ran)
    rows = sum(r.rows_changed for r in ran)
    if report.mode is ExecutionMode.DRY_RUN:
        at_risk = f"; {plural(len(report.findings), 'finding')} of rows at risk" if report.findings else ""
        return (f"dry run: nothing changed (still at version {report.version_before}); {count} rehearsed, "
                f"{plural(rows, 'row')} would change{at_risk}")
    verb = "applied" if report.direction == "up" else "rolled back"
    backup = f"; backup {report.backup_path.rsplit('/', 1)[-1]}" if report.backup_path else ""
    checks = "" if report.integrity == "ok" and not report.foreign_key_violations else \
        f"; check failed: {report.summary().splitlines()[-1]}"
    return (f"{count} {verb} in {ms:.1f} ms, version {report.version_before} → {report.version_after}, "
            f"{plural(rows, 'row')} changed{backup}{checks}")


def button_states(status: StatusReport | None, to: int | None, *, backup: bool = True) -> dict[str, tuple[bool, str]]:
    """For ``up``, ``dry_run`` and ``down``: (enabled, tooltip) from the status and the target.
    A button is disabled when the engine would refuse what it does; its tooltip says why."""
    if status is None:
        why = "the status could not be read (see the log)"
        return {"up": (False, f"Up: {why}"), "dry_run": (False, f"Dry run: {why}"), "down": (False, f"Down: {why}")}
    entries = status.entries
    changed = [e for e in entries if e.state is MigrationState.MODIFIED]
    below = [e for e in entries if e.state is MigrationState.OUT_OF_ORDER]
    pending = [e for e in entries if e.state is MigrationState.PENDING and (to is None or e.version <= to)]
    upto = f" up to version {to}" if to is not None else ""
    if changed:
        refusal = (f"refused: {changed[0].label} changed after it was applied; restore the file "
                   "(put the change in a new migration)")
    elif below:
        refusal = (f"refused: {below[0].label} is pending below the applied version {status.current_version} "
                   "(out of order); renumber it")
    elif not pending:
        refusal = f"nothing pending{upto}"
    else:
        refusal = ""
    which = pending[0].label if len(pending) == 1 else f"{len(pending)} migrations ({pending[0].label} … {pending[-1].label})" \
        if pending else ""
    states = {
        "up": (not refusal, f"Up: {refusal}" if refusal else f"Up: apply {which}{upto}"),
        "dry_run": (not refusal, f"Dry run: {refusal}" if refusal else
                    f"Dry run: run {which}{upto} in a transaction, count the rows at risk, and roll back"),
    }
    applied = status.applied
    if not applied:
        states["down"] = (False, "Down: nothing to roll back (version 0)")
        return states
    if to is None:
        undo = [applied[-1]]
    elif to >= status.current_version:
        states["down"] = (False, f"Down: the database is at version {status.current_version}; pick a lower version in 'to'")
        return states
    else:
        undo = [e for e in reversed(applied) if e.version > to]
    for e in undo:
        if e.state is MigrationState.MISSING:
            states["down"] = (False, f"Down: refused: the file of {e.label} is missing; restore it to roll back")
            return states
        if e.state is MigrationState.MODIFIED:
            states["down"] = (False, f"Down: refused: {e.label} changed after it was applied; restore the file")
            return states
        if e.reversible is False:
            states["down"] = (False, f"Down: {e.label} has no DOWN section (irreversible); restore a backup instead")
            return states
    what = f"roll back {undo[0].label}" if len(undo) == 1 else f"roll back {len(undo)} migrations to version {to}"
    states["down"] = (True, f"Down: {what}" + (" (backup first)" if backup else " (no backup: backup is off)"))
    return states
