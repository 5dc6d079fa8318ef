"""What the magics print around a run: a progress bar while ``up``/``down`` run in a kernel,
each database's summary, and the line saying what a cell magic wrote."""

from __future__ import annotations

from ..engine.config import Settings, Target
from ..engine.results import ExecutionMode, RunReport, display_path, plural
from . import actions, frames
from .progress import RunProgress


def run_with_progress(settings: Settings, targets, direction: str, *, bar: bool, dry_run: bool = False,
                      **options) -> list[tuple[Target, RunReport]]:
    """Run up or down on each target (``bar``: with a progress bar, replaced by one plain line
    when the run ends, so a saved notebook shows no widget), printing each summary."""
    progress, shown = _progress(targets, direction, settings.busy_timeout, **options) if bar else (RunProgress(), None)
    reports = []
    try:
        for target in targets:
            call = actions.up if direction == "up" else actions.down
            report = call(target, settings, dry_run=dry_run, progress=progress, **options)
            reports.append((target, report))
            print_summary(targets, target, report)
    except BaseException as exc:
        ended = "stopped" if isinstance(exc, (actions.RunInterrupted, KeyboardInterrupt)) else "failed"
        progress.finish(ended)
        _settle(shown, f"✗ {'stopped: rolled back' if ended == 'stopped' else 'failed'} after "
                       f"{progress.done} of {plural(progress.total, 'migration')}")
        raise
    progress.finish("dry run" if dry_run else "done")
    _settle(shown, f"✓ {progress.done} of {plural(progress.total, 'migration')}"
                   + (" (dry run: nothing changed)" if dry_run else ""))
    return reports


def _progress(targets, direction: str, busy_timeout: float, **options) -> tuple[RunProgress, tuple | None]:
    """A progress bar on display, and (its display handle, its box) to settle it with."""
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover
        return RunProgress(), None
    total = sum(actions.planned(t, direction, busy_timeout=busy_timeout, **options) for t in targets)
    if not total:
        return RunProgress(), None
    progress, box = RunProgress.widgets(total)
    return progress, (display(box, display_id=True), box)


def _settle(shown: tuple | None, line: str) -> None:
    """Replace the bar with ``line`` (plain text) and close its widgets."""
    if shown is None:
        return
    handle, box = shown
    if handle is not None:
        handle.update({"text/plain": line}, raw=True)
    for widget in (*box.children, box):
        widget.close()


def print_summary(targets, target: Target, report: RunReport) -> None:
    """Print what ran and the summary; a dry run's rows at risk are shown as a DataFrame
    (the columns of ``%migrate lint``) instead of ``at risk:`` lines."""
    lines = [str(r) for r in report.results if r.mode is ExecutionMode.DRY_RUN]
    lines += [f"warning: {w}" for w in report.warnings]
    lines += [line for line in report.summary().splitlines() if not line.startswith("at risk: ")]
    if report.findings:
        lines.append(f"Rows at risk ({plural(len(report.findings), 'finding')}, counted on the real data and rolled back):")
    if len(targets) > 1:
        lines = [f"{target.label}:"] + [f"  {line}" for line in lines]
    print("\n".join(lines))
    if report.findings:
        from IPython.display import display

        display(frames.findings_frame(report.findings))


def written(path: str, action: str, applied: bool) -> str:
    """The line saying what ``%%migration``/``%%schema`` did with the file."""
    shown = display_path(path)
    if action == "created":
        return f"Created {shown}"
    if action == "updated":
        return f"Restored {shown} to the SQL that was applied" if applied else f"Updated {shown} (not applied yet)"
    return f"Unchanged {shown} ({'applied' if applied else 'not applied yet'})"
