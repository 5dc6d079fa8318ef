"""The results: ratios to the floor, the targets of issue 5, the printed table, the JSON
file and the PNG chart (matplotlib, skipped when it is not installed)."""

from __future__ import annotations

import json
import math
import statistics
from pathlib import Path

from .measure import Row

# (name, workload, tool, what is compared, limit): the targets of issue 5.
TARGETS = (
    ("overhead on the small migrations ≤ 1.05× the floor", "up", "vfmigrate", "ratio", 1.05),
    ("per-migration overhead ≤ 1 ms", "up", "vfmigrate", "per_migration_ms", 1.0),
    ("overhead on the data migration ≤ 1.02× the floor", "data", "vfmigrate", "ratio", 1.02),
    ("cold start of status ≤ 1.3× `import sqlite3` (console script)", "cold-status", "vfmigrate (script)", "ratio", 1.3),
    ("cold start of status ≤ 1.3× `import sqlite3` (python -m)", "cold-status", "vfmigrate", "ratio", 1.3),
    ("status over the many files ≤ 200 ms (CLI)", "status-many", "vfmigrate", "median_ms", 200.0),
    ("status over the many files ≤ 200 ms (CLI, no cache: every file read)", "status-many", "vfmigrate (no cache)",
     "median_ms", 200.0),
    ("status over the many files ≤ 200 ms (%migrate, warm)", "status-many", "vfmigrate %migrate", "median_ms", 200.0),
)


def add_ratios(rows: list[Row]) -> None:
    """Each row's ratio to the floor of its workload: the median, over the rounds, of the row's
    time divided by the floor's time in the same round (``measure.rounds`` runs every tool once
    per round, back to back). The machine's speed drifts from round to round (on this VM the
    CPU time of the same UPDATE moved between 320 and 590 ms), and the per-round ratio cancels
    what a round's tools share. With it, a 95 % confidence interval of that median, and the
    ratio of the medians over the same rounds (see :func:`ratio_between`)."""
    floors = {r.workload: r for r in rows if r.tool == "floor" and r.median}
    for r in rows:
        floor = floors.get(r.workload)
        if r.median is None or floor is None:
            continue
        between = ratio_between(r, floor)
        if between is None:
            r.ratio = r.ratio_of_medians = r.median / floor.median
            continue
        r.ratio, r.ratio_of_medians = between["ratio"], between["ratio_of_medians"]
        r.ratio_ci = tuple(between["ratio_ci"]) if between["ratio_ci"] else None


def _paired(row: Row, base: Row) -> list[tuple[float, float]] | None:
    """``(row's time, base's time)`` of each round both ran in, or None when there is none.

    The i-th time of every row comes from round i, from the first round on: a tool that failed
    part-way, or a peer that sat out the rounds only the floor and vfmigrate ran
    (``Suite.noisy_rounds``), pairs with the base's first rounds, the ones it ran in."""
    n = min(len(row.times), len(base.times))
    if n == 0 or not all(b > 0 for b in base.times[:n]):
        return None
    return list(zip(row.times[:n], base.times[:n]))


def ratio_between(row: Row, base: Row) -> dict | None:
    """``row`` against ``base`` (the floor, or another row of its workload), round by round:
    ``{"ratio", "ratio_ci", "ratio_of_medians", "rounds"}`` over the rounds both ran in."""
    paired = _paired(row, base)
    if paired is None:
        return None
    ratios = sorted(t / b for t, b in paired)
    ci = median_ci(ratios)
    return {"ratio": statistics.median(ratios), "ratio_ci": list(ci) if ci else None,
            "ratio_of_medians": statistics.median(t for t, _ in paired) / statistics.median(b for _, b in paired),
            "rounds": len(paired)}


def median_ci(values: list[float], confidence: float = 0.95) -> tuple[float, float] | None:
    """A distribution-free confidence interval of the median of ``values`` (sorted): the
    k-th smallest and k-th largest, k from the binomial distribution (each value falls below
    the true median with probability 1/2). None for fewer than 6 values, too few for 95 %."""
    n = len(values)
    tail = (1 - confidence) / 2
    below = 0.0  # P(at most j of n values fall below the median)
    k = 0
    for j in range(n):
        below += math.comb(n, j) / 2 ** n
        if below > tail:
            break
        k = j + 1
    if k == 0:
        return None
    return values[k - 1], values[n - k]


def per_migration_ms(row: Row, floor: Row, migrations: int) -> float:
    """The time a tool adds per migration: the median of its per-round differences to the
    floor (or the difference of the medians when the runs do not line up), divided out."""
    paired = _paired(row, floor)
    extra = statistics.median(t - f for t, f in paired) if paired else row.median - floor.median
    return extra / migrations * 1000


def targets(rows: list[Row], small: int, dry_run: dict | None) -> list[dict]:
    by = {(r.workload, r.tool): r for r in rows}
    out = []
    for name, workload, tool, what, limit in TARGETS:
        row, floor = by.get((workload, tool)), by.get((workload, "floor"))
        value, extra = None, {}
        if row is not None and row.median is not None:
            if what == "ratio":
                value = row.ratio
                extra["ratio_ci"] = list(row.ratio_ci) if row.ratio_ci else None
                extra["ratio_of_medians"] = row.ratio_of_medians
                extra["rounds"] = len(row.times)
            elif what == "median_ms":
                value = row.median * 1000
            elif what == "per_migration_ms" and floor is not None and floor.median is not None:
                value = per_migration_ms(row, floor, small)
        out.append({"target": name, "workload": workload, "tool": tool, "measure": what, "limit": limit,
                    "value": value, "met": None if value is None else value <= limit, **extra})
    copies = (dry_run or {}).get("copies")
    out.append({"target": "a dry run never copies the database", "workload": "data-dry-run", "tool": "vfmigrate",
                "measure": "copies", "limit": False, "value": copies,
                "met": None if copies is None else not copies, "why": (dry_run or {}).get("why", "")})
    return out


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.3f} s"


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _interval(ci) -> str:
    return "-" if not ci else f"{ci[0]:.2f}–{ci[1]:.2f}"


def table(rows: list[Row], earlier: dict | None = None) -> str:
    """The table as text: one line per (workload, tool); a skipped row shows why instead."""
    head = ["workload", "tool", "runs", "min", "median", "× floor", "95% CI", "med ÷ med"]
    if earlier is not None:
        head += ["earlier ×", "median Δ"]
    lines: list[tuple[list[str], str]] = []
    previous = None
    for r in rows:
        name = [r.label if r.workload != previous else "", r.tool]
        previous = r.workload
        if r.skipped:
            lines.append((name, r.skipped))
            continue
        cells = [str(len(r.times)), seconds(r.min), seconds(r.median), _ratio(r.ratio), _interval(r.ratio_ci),
                 _ratio(r.ratio_of_medians)]
        if earlier is not None:
            old = earlier.get((r.workload, r.tool)) or {}
            if old.get("median_s") and r.median:
                ratio = old.get("ratio")
                cells += ["-" if ratio is None else f"{ratio:.2f}", f"{(r.median / old['median_s'] - 1) * 100:+.0f}%"]
            else:
                cells += ["-", "-"]
        lines.append((name + cells, ""))
    widths = [len(h) for h in head]
    for cells, skipped in lines:
        for i, cell in enumerate(cells):
            widths[i] = max(widths[i], len(cell))
    out = ["  ".join(h.ljust(w) if i < 2 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths)))]
    for cells, skipped in lines:
        left = f"{cells[0].ljust(widths[0])}  {cells[1].ljust(widths[1])}"
        if skipped:
            out.append(f"{left}  {skipped}")
        else:
            out.append(left + "".join(f"  {c.rjust(w)}" for c, w in zip(cells[2:], widths[2:])))
    return "\n".join(line.rstrip() for line in out)


def targets_text(results: list[dict]) -> str:
    lines = []
    for t in results:
        mark = {True: "met   ", False: "MISSED", None: "n/a   "}[t["met"]]
        value = t["value"]
        if t["measure"] == "copies":
            shown = {True: "copies", False: "no copy", None: "not measured"}[value]
            lines.append(f"  {mark} {t['target']}: {shown} ({t.get('why', '')})")
            continue
        unit = {"ratio": "×", "median_ms": " ms", "per_migration_ms": " ms"}[t["measure"]]
        shown = "not measured" if value is None else f"{value:.2f}{unit}"
        if t.get("ratio_of_medians") is not None:
            ci = f"95% CI {_interval(t['ratio_ci'])}, " if t.get("ratio_ci") else ""
            shown += f" ({t['rounds']} rounds; {ci}ratio of the medians {t['ratio_of_medians']:.2f}×)"
        lines.append(f"  {mark} {t['target']}: {shown}")
    return "\n".join(lines)


def row_dict(r: Row) -> dict:
    return {"workload": r.workload, "label": r.label, "tool": r.tool, "runs": len(r.times), "min_s": r.min,
            "median_s": r.median, "ratio": r.ratio, "ratio_ci": list(r.ratio_ci) if r.ratio_ci else None,
            "ratio_of_medians": r.ratio_of_medians, "times_s": r.times,
            "note": r.note, "skipped": r.skipped, "derived": r.derived}


def load_earlier(path: Path) -> dict:
    data = json.loads(path.read_text(encoding="utf-8"))
    return {(r["workload"], r["tool"]): r for r in data.get("rows", [])}


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def write_chart(path: Path, rows: list[Row], title: str) -> str | None:
    """A bar per tool and workload: its ratio to the floor (log scale), as in the table.
    Returns why it was skipped, or None when written."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return "matplotlib is not installed (pip install -e '.[bench]')"
    shown = [r for r in rows if r.ratio is not None and r.tool != "floor"]
    workloads = list(dict.fromkeys(r.label for r in shown))
    tools = list(dict.fromkeys(r.tool for r in shown))
    palette = plt.get_cmap("tab10" if len(tools) <= 10 else "tab20")
    colours = {t: palette(i % palette.N) for i, t in enumerate(tools)}
    floors = {r.label: r.median for r in rows if r.tool == "floor" and r.median}
    fig, ax = plt.subplots(figsize=(11, 1.2 + 0.3 * len(shown) + 0.25 * len(workloads)))
    y, ticks, tick_labels = 0.0, [], []
    used = set()
    for label in reversed(workloads):
        group = [r for r in shown if r.label == label]
        start = y
        for r in reversed(group):
            # The whisker: the 95 % confidence interval of the median ratio.
            whisker = [[r.ratio - r.ratio_ci[0]], [r.ratio_ci[1] - r.ratio]] if r.ratio_ci else None
            ax.barh(y, r.ratio, color=colours[r.tool], height=0.8, xerr=whisker,
                    error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "0.25"},
                    label=r.tool if r.tool not in used else None)
            used.add(r.tool)
            right = r.ratio_ci[1] if r.ratio_ci else r.ratio
            ax.text(right * 1.03, y, f"{r.ratio:.2f}× ({seconds(r.median)})", va="center", fontsize=7)
            y += 1
        ticks.append((start + y - 1) / 2)
        tick_labels.append(f"{label}\n(floor {seconds(floors.get(label))})")
        y += 0.8
    ax.axvline(1.0, color="black", linewidth=1)
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:g}×"))
    ax.set_yticks(ticks, tick_labels, fontsize=8)
    ax.set_xlabel("time ÷ the floor's time in the same round: the median over the rounds, the whisker its 95% "
                  "confidence interval\n(log scale; 1 = plain sqlite3 running the same SQL; lower is better)")
    ax.set_title(title, fontsize=9)
    handles, names = ax.get_legend_handles_labels()
    order = sorted(range(len(names)), key=lambda i: tools.index(names[i]))
    ax.legend([handles[i] for i in order], [names[i] for i in order], fontsize=8, loc="lower right")
    ax.set_xlim(right=ax.get_xlim()[1] * 2.5)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None
