"""What a run reports: each row's ratio to the floor, the budget's targets met or not, the
printed table, the JSON file and the PNG chart (when matplotlib can be imported)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from .stats import Case, Estimate, estimate, paired_ratio, per_second

PER_SECOND = "databases/s"
# The budget (goals for the code, read from a full run): (workload, tool measured, compared with,
# limit, text). Compared with the floor or a peer: the median of per-round ratios, at most the
# limit; with None: the median seconds, at most the limit; with PER_SECOND: the median of the
# databases handled per second, round by round, at least the limit. The panel's steps are named
# for the sizes of a full run (tiny mode has others: there these targets are not measured).
BUDGET = (
    ("up", "vfmigrate", "floor", 1.05, "≤ 1.05× the floor"),
    ("data", "vfmigrate", "floor", 1.03, "≤ 1.03× the floor"),
    ("cold-status", "vfmigrate", "yoyo", 0.5, "≤ 0.5× yoyo's (`list`)"),
    ("cold-status", "vfmigrate", "alembic", 0.2, "≤ 0.2× Alembic's (`history`)"),
    ("status", "vfmigrate", "yoyo", 0.2, "≤ 0.2× yoyo's `list`"),
    ("noop-up", "vfmigrate", "yoyo", 2 / 3, "≤ 2/3 of yoyo's `apply`"),
    ("status-1k", "vfmigrate", None, 0.150, "≤ 150 ms, every file read"),
    ("status-10k", "vfmigrate", None, 0.500, "≤ 500 ms, every file read"),
    ("rebuild", "vfmigrate", "floor", 1.2, "≤ 1.2× the hand-written rebuild"),
    ("panel", "redraw 500", None, 0.025, "≤ 25 ms"),
    ("panel", "redraw 10,000", None, 0.150, "≤ 150 ms"),
    ("fleet", "vfmigrate", "floor", 1.25, "≤ 1.25× the floor (sqlite3 in a pool of 2 processes)"),
    ("fleet", "vfmigrate", PER_SECOND, 150, "≥ 150 databases/s"),
    ("fleet-tx-all", "vfmigrate", PER_SECOND, 600, "≥ 600 databases/s"),
    ("fleet-status", "vfmigrate", None, 1.0, "≤ 1 s"),
    ("remote", "vfmigrate", "floor", 1.2, "≤ 1.2× the floor (the same batches with urllib)"),
)


def _interval(e: Estimate | None) -> list[float] | None:
    return list(e.ci) if e and e.ci else None


def rows(results: dict[str, list[Case]], labels: dict[str, str]) -> list[dict]:
    """One row per workload and tool: its times, their median, and its ratio to its base in its
    workload, the floor (the median of the per-round ratios, with its 95 % confidence interval);
    in the fleet workloads, its databases per second as well (with theirs)."""
    out = []
    for workload, cases in results.items():
        by_tool = {c.tool: c for c in cases}
        for case in cases:
            median = estimate(case.times)
            base = by_tool.get(case.base)
            ratio = paired_ratio(case.times, base.times) if base else None
            row = {"workload": workload, "label": labels[workload], "tool": case.tool, "rounds": len(case.times),
                   "median_s": median.median if median else None, "base": case.base,
                   "ratio": ratio.median if ratio else None, "ratio_ci": _interval(ratio),
                   "times_s": case.times, "error": case.error}
            if case.databases:
                rate = per_second(case.databases, case.times)
                row |= {"databases": case.databases, "per_second": rate.median if rate else None,
                        "per_second_ci": _interval(rate)}
            out.append(row)
    return out


def targets(results: dict[str, list[Case]], labels: dict[str, str]) -> list[dict]:
    """Each target of the budget: the value measured in this run (None when a tool is missing)
    with its 95 % confidence interval, and whether it is met (the median at most the limit)."""
    out = []
    for workload, tool, against, limit, text in (t for t in BUDGET if t[0] in results):
        cases = {c.tool: c for c in results[workload]}
        times = {name: c.times for name, c in cases.items()}
        ours = times.get(tool) or []
        if against == PER_SECOND:
            found = per_second(cases[tool].databases, ours) if tool in cases else None
        else:
            found = estimate(ours) if against is None else paired_ratio(ours, times.get(against) or [])
        value = found.median if found else None
        met = None if value is None else value >= limit if against == PER_SECOND else value <= limit
        out.append({"target": f"{labels[workload]}: {tool} {text}", "workload": workload, "tool": tool,
                    "against": against, "limit": limit, "value": value, "ci": _interval(found),
                    "rounds": found.n if found else 0, "met": met,
                    "missing": [t for t in (tool, against) if t and t != PER_SECOND and not times.get(t)]})
    return out


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.3f} s"


def _ci(ci: list[float] | None) -> str:
    return f"{ci[0]:.2f}–{ci[1]:.2f}" if ci else "-"


def table(rows: list[dict], base: str = "floor") -> str:
    """The table as text: workload, tool, rounds, median, ratio to the base (the floor) and its
    interval; when a fleet workload is in it, a column of databases per second (median)."""
    head = f"× {base}"
    w, t, x = max([len(r["label"]) for r in rows] + [8]), max([len(r["tool"]) for r in rows] + [9]), max(len(head), 7)
    rates = any("per_second" in r for r in rows)
    rate_head = f"  {'db/s':>6}" if rates else ""
    out = [f"{'workload':{w}}  {'tool':{t}}  {'rounds':>6}  {'median':>9}{rate_head}  {head:>{x}}  95% CI"]
    previous = None
    for r in rows:
        left = f"{'' if r['label'] == previous else r['label']:{w}}  {r['tool']:{t}}"
        previous = r["label"]
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        rate = "" if not rates else f"  {'-' if r.get('per_second') is None else format(r['per_second'], '.0f'):>6}"
        out.append(f"{left}  left out: {r['error']}" if r["error"] else
                   f"{left}  {r['rounds']:>6}  {seconds(r['median_s']):>9}{rate}  {ratio:>{x}}  {_ci(r['ratio_ci'])}")
    return "\n".join(out)


def targets_text(found: list[dict]) -> str:
    lines = []
    for t in found:
        mark = {True: "met    ", False: "NOT MET", None: "n/a    "}[t["met"]]
        if t["value"] is None:
            shown = f"not measured ({' and '.join(t['missing'])} did not run)"
        else:
            if t["against"] == PER_SECOND:
                shown, ci = f"{t['value']:.0f} {PER_SECOND}", t["ci"] and f"{t['ci'][0]:.0f}–{t['ci'][1]:.0f}"
            else:
                shown = f"{t['value']:.2f}×" if t["against"] else seconds(t["value"])
                ci = t["ci"] and (_ci(t["ci"]) if t["against"] else f"{seconds(t['ci'][0])}–{seconds(t['ci'][1])}")
            rounds = f"{t['rounds']} round{'s' if t['rounds'] != 1 else ''}"
            shown += f" (95% CI {ci}, {rounds})" if ci else f" ({rounds})"
        lines.append(f"  {mark}  {t['target']}: {shown}")
    return "\n".join(lines)


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def write_chart(path: Path, rows: list[dict], title: str) -> str | None:
    """A bar per workload and tool: its ratio to the floor (log scale), the whisker its 95 %
    confidence interval. Returns why it was skipped, or None when written."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FuncFormatter
    except ImportError:
        return "matplotlib is not installed (pip install matplotlib)"
    shown = [r for r in rows if r["ratio"] is not None and r["tool"] != r["base"]][::-1]  # the first on top
    colours = {t: plt.get_cmap("tab10")(i % 10) for i, t in enumerate(dict.fromkeys(r["tool"] for r in rows))}
    fig, ax = plt.subplots(figsize=(10, 1.5 + 0.32 * len(shown)))
    for y, r in enumerate(shown):
        ci = r["ratio_ci"]
        whisker = [[r["ratio"] - ci[0]], [ci[1] - r["ratio"]]] if ci else None
        ax.barh(y, r["ratio"], color=colours[r["tool"]], xerr=whisker, capsize=2)
        ax.text((ci[1] if ci else r["ratio"]) * 1.04, y, f"{r['ratio']:.2f}× ({seconds(r['median_s'])})",
                va="center", fontsize=7)
    ax.set_yticks(range(len(shown)), [f"{r['label']}: {r['tool']}" if r["base"] == "floor" else
                                      f"{r['workload']}: {r['tool']} ÷ {r['base']}" for r in shown], fontsize=7)
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:g}×"))
    ax.set_xlabel("time ÷ the floor's time in the same round (median over the rounds, whisker: 95% CI; log scale; "
                  "lower is better)\nthe panel: ÷ the old Styler table's time at the same size", fontsize=8)
    fig.suptitle("\n".join(textwrap.wrap(title, 120)), fontsize=9)
    ax.set_xlim(right=ax.get_xlim()[1] * 3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None
