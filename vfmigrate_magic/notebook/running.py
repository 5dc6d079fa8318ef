"""What the magics print around a run: a progress bar while ``up``/``down`` run in a kernel,
each database's summary, and the line saying what a cell magic wrote."""

from __future__ import annotations

from ..engine.config import Settings, Target
from ..engine.results import ExecutionMode, RunReport, display_path, plural
from . import actions, frames
from .progress import RunProgress


def run_with_progress(settings: Settings, targets, direction: str, *, bar: bool, dry_run: bool = False,
                      **options) -> list[tuple[Target, RunReport]]:
    """Run up or down on each target (``bar``: with a progress bar), printing each summary."""
    progress = _progress(targets, direction, **options) if bar else RunProgress()
    reports = []
    try:
        for target in targets:
            call = actions.up if direction == "up" else actions.down
            report = call(target, settings, dry_run=dry_run, progress=progress, **options)
            reports.append((target, report))
            print_summary(targets, target, report)
    except BaseException:
        progress.finish(False, "failed")
        raise
    progress.finish(True)
    return reports


def _progress(targets, direction: str, **options) -> RunProgress:
    try:
        from IPython.display import display
    except ImportError:  # pragma: no cover
        return RunProgress()
    total = sum(actions.planned(t, direction, **options) for t in targets)
    if not total:
        return RunProgress()
    progress, box = RunProgress.widgets(total)
    display(box)
    return progress


def print_summary(targets, target: Target, report: RunReport) -> None:
    """Print what ran and the summary; a dry run's rows at risk are shown as a DataFrame
    (the columns of ``%migrate lint``) instead of ``at risk:`` lines."""
    lines = [str(r) for r in report.results if r.mode is ExecutionMode.DRY_RUN]
    lines += [f"warning: {w}" for w in report.warnings]
    lines += [line for line in report.summary().splitlines() if not line.startswith("at risk: ")]
    if report.findings:
        lines.append(f"Rows at risk ({plural(len(report.findings), 'finding')}, counted on the real data and rolled back):")
    if len(targets) > 1:
        lines = [f"{frames.database_label(target)}:"] + [f"  {line}" for line in lines]
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
