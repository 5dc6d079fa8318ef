"""Rounds of runs, and what is read from them: the median of paired per-round ratios with a
distribution-free 95 % confidence interval."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field


class BenchError(Exception):
    """A tool failed or did not do the work; the message is one line."""


@dataclass
class Case:
    """One tool in one workload. ``run`` does one run and returns its seconds (only the command
    is timed); ``setup`` runs before it, untimed. ``rounds``: how many rounds it takes part
    in (0: all of them). ``base``: the case its ratio is against, round by round (the floor; in
    the panel's workload, the old Styler table of the same size). ``databases``: how many
    databases one run handles (the fleet workloads), for its rate in databases per second."""

    tool: str
    run: Callable[[], float]
    setup: Callable[[], None] | None = None
    rounds: int = 0
    times: list[float] = field(default_factory=list)
    error: str = ""
    base: str = "floor"
    databases: int = 0


def run_rounds(cases: list[Case], rounds: int, say: Callable[[str], None] = print) -> None:
    """One untimed warm-up round, then ``rounds`` rounds; a round runs every case once, back to
    back, so a slow moment of the machine falls on the tools of that round alike. Every other
    round runs them in reverse order (A B C, C B A, ...): no tool always goes first. The i-th
    time of every case is from round i, which is what pairs them. A case that fails is left out
    from then on, with one line."""
    for i in range(-1, rounds):
        for case in cases if i % 2 == 0 else cases[::-1]:
            if case.error or (case.rounds and i >= case.rounds):
                continue
            try:
                if case.setup:
                    case.setup()
                seconds = case.run()
            except BenchError as exc:
                case.error = str(exc)
                say(f"  {case.tool}: failed, left out: {exc}")
                continue
            if i >= 0:
                case.times.append(seconds)


@dataclass(frozen=True)
class Estimate:
    """A median and its 95 % confidence interval (None when there are too few values)."""

    median: float
    ci: tuple[float, float] | None
    n: int


def median_ci(values: list[float], confidence: float = 0.95) -> tuple[float, float] | None:
    """A distribution-free confidence interval of the median: the k-th smallest and the k-th
    largest of the values, with the largest k for which P(Binomial(n, 1/2) < k) <= (1 -
    confidence) / 2 (each value falls below the true median with probability 1/2). None for
    fewer than 6 values, too few for 95 %."""
    ordered = sorted(values)
    n = len(ordered)
    tail = (1 - confidence) / 2
    k, below = 0, 0.0
    while k < n:
        below += math.comb(n, k) / 2**n  # P(fewer than k + 1 values fall below the median)
        if below > tail:
            break
        k += 1
    return (ordered[k - 1], ordered[n - k]) if k else None


def estimate(values: list[float]) -> Estimate | None:
    return Estimate(statistics.median(values), median_ci(values), len(values)) if values else None


def paired_ratio(times: list[float], base: list[float]) -> Estimate | None:
    """``times`` against ``base`` round by round: the median of time ÷ base's time in the same
    round, over the rounds both ran in (the first ones: see :func:`run_rounds`)."""
    return estimate([t / b for t, b in zip(times, base, strict=False) if b > 0])


def per_second(count: int, times: list[float]) -> Estimate | None:
    """``count`` databases (or anything) a run, over each run's seconds: the median rate, with its
    interval (the rate of the median time, as a rate falls as the time grows)."""
    return estimate([count / t for t in times if t > 0])
