"""``vfmigrate --json``: the engine's result objects as one JSON document per command, with the
same fields as the notebook's DataFrames. Standard library only."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .engine.config import Target
from .engine.fleet import FleetReport


@dataclass(frozen=True)
class FleetRun:
    """A command run over a fleet: the engine's report and the summary's counts by word."""

    report: FleetReport
    summary: dict[str, int]


def _target(target: Target) -> dict:
    found = {"name": target.name, "path": str(target.database) if target.database is not None else None}
    return found if target.url is None else {**found, "url": target.location}


def _name(target: Target) -> str:
    """How a row of a list that spans databases names its database: configured name, else path (or URL)."""
    return target.name or (target.location if target.url is not None else str(target.database))


def _status(target: Target, report) -> dict:
    return {**_target(target), "current_version": report.current_version, "migrations": [
        {"version": e.version, "name": e.name, "state": e.state.value, "applied_at": e.applied_at,
         "execution_time_ms": e.execution_time_ms, "checksum": e.checksum, "reversible": e.reversibility}
        for e in report.entries]}


def _run(target: Target, report) -> dict:
    return {**_target(target), "version_before": report.version_before, "version_after": report.version_after,
            "backup_path": report.backup_path, "results": [
                {"version": r.version, "name": r.name, "direction": r.direction, "mode": r.mode.value,
                 "status": "skipped" if r.skipped else "ok", "duration_ms": round(r.duration_ms, 3),
                 "rows_changed": r.rows_changed} for r in report.results],
            "findings": [dataclasses.asdict(f) for f in report.findings],
            "warnings": list(report.warnings)}


def document(command: str, collected: list) -> dict:
    """The document for ``command`` from what it returned for each target (a FleetRun for a fleet)."""
    if len(collected) == 1 and isinstance(collected[0], FleetRun):
        return _fleet(command, collected[0])
    if command == "status":
        return {"databases": [_status(t, r) for t, r in collected]}
    if command in ("up", "down"):
        return {"databases": [_run(t, r) for t, r in collected]}
    if command == "lint":
        return {"databases": [{**_target(t), "direction": r.direction, "checked": r.checked, "exists": r.exists,
                               "failed": r.failed or None}
                              for t, r in collected],
                "findings": [{"database": _name(t), **dataclasses.asdict(f)}
                             for t, r in collected for f in r.findings]}
    if command == "verify":
        return {"databases": [{**_target(t), "ok": r.ok} for t, r in collected],
                "migrations": [{"database": _name(t), "version": m.version, "file": m.file, "ok": m.ok,
                                "problems": list(m.problems)} for t, r in collected for m in r.migrations]}
    if command == "history":
        return {"events": [{**dataclasses.asdict(e), "database": _name(t)}
                           for t, events in collected for e in events]}
    if command == "check":
        return {"databases": [{**_target(t), "migrations": str(t.migrations), "files": n} for t, n in collected]}
    if command == "create":
        return {"created": [dataclasses.asdict(c) for _, c in collected]}
    if command == "schema":
        from .engine.schema import to_json

        return {"databases": [{**_target(t), "schema": to_json(s)} for t, s in collected]}
    if command == "diff":
        return {"diffs": [{"want": d.want, "path": d.path, "changes": [dataclasses.asdict(c) for c in d.changes],
                           "text": d.text, "down_refused": d.down_refused} for _, d in collected]}
    if command == "backups":
        return {"databases": [{**_target(t), "backups": [dataclasses.asdict(b) for b in found]} for t, found in collected]}
    if command == "restore":
        return {"databases": [{**_target(t), **{k: v for k, v in dataclasses.asdict(r).items() if k != "database"}}
                              for t, r in collected]}
    raise ValueError(command)


def _fleet(command: str, run: FleetRun) -> dict:
    """As for one database each, with each failed database's error in the ``databases`` list, the
    summary's counts and the databases never started."""
    outcomes = run.report.outcomes
    doc = document(command, [(o.target, o.result) for o in outcomes if not o.failed])
    failed = [{**_target(o.target), "error": {"kind": o.kind, "message": o.error, "exit_code": o.exit_code}}
              for o in outcomes if o.failed]
    order = {str(o.target.database): i for i, o in enumerate(outcomes)}
    doc["databases"] = sorted(doc.get("databases", []) + failed, key=lambda d: order[d["path"]])
    doc["summary"] = {"databases": len(outcomes) + len(run.report.not_started), **run.summary,
                      "not started": len(run.report.not_started)}
    doc["not_started"] = [str(t.database) for t in run.report.not_started]
    return doc


def error(exc: Exception) -> dict:
    return {"error": {"kind": type(exc).__name__, "message": str(exc)}}
