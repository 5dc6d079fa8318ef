"""How the bench turns timings into ratios: rounds alternate their order, and a row's ratio
to the floor is the median of its per-round ratios (the ratio of the medians when the runs
do not line up)."""

from __future__ import annotations

import pytest

from bench.measure import Case, Row, rounds
from bench.report import add_ratios, per_migration_ms


def test_rounds_alternate_the_order_of_the_tools_and_keep_each_time_in_its_round():
    ran: list[str] = []
    clock = iter(range(100))

    def case(name: str) -> Case:
        def run() -> float:
            ran.append(name)
            return float(next(clock))
        return Case(name, run)

    cases = [case("floor"), case("a"), case("b")]
    rounds(cases, runs=3, warmup=1, say=lambda _: None)

    assert ran == ["floor", "a", "b", "b", "a", "floor", "floor", "a", "b", "b", "a", "floor"]
    # The warm-up round is dropped; the i-th time of every case is from the same round.
    assert [c.times for c in cases] == [[5.0, 6.0, 11.0], [4.0, 7.0, 10.0], [3.0, 8.0, 9.0]]


def test_the_ratio_is_the_median_of_per_round_ratios_which_cancels_a_slow_round():
    # Round 2 is slow for both tools (the machine, not the tool): per round, the tool takes
    # 1.01x the floor. The ratio of the medians would say 1.20x.
    floor = Row("w", "w", "floor", [1.00, 2.00, 1.00])
    tool = Row("w", "w", "tool", [1.01, 2.02, 1.40])
    add_ratios([floor, tool])

    assert tool.ratio == pytest.approx(1.01)
    assert tool.ratio_of_medians == pytest.approx(1.40 / 1.00)
    assert floor.ratio == pytest.approx(1.0)


def test_a_tool_whose_runs_stop_short_gets_the_ratio_of_the_medians():
    floor = Row("w", "w", "floor", [1.0, 2.0, 3.0])
    failed_late = Row("w", "w", "tool", [3.0, 5.0])
    other = Row("v", "v", "tool", [1.0])  # a workload without a floor gets no ratio
    add_ratios([floor, failed_late, other])

    assert failed_late.ratio == pytest.approx(4.0 / 2.0)
    assert other.ratio is None and other.ratio_of_medians is None


def test_per_migration_overhead_is_the_median_of_per_round_differences():
    floor = Row("up", "up", "floor", [0.500, 0.900, 0.520])
    tool = Row("up", "up", "vfmigrate", [0.510, 0.910, 0.700])
    # Per round the tool adds 10, 10 and 180 ms: the median, 10 ms, over 500 migrations.
    assert per_migration_ms(tool, floor, 500) == pytest.approx(0.02)
    assert per_migration_ms(Row("up", "up", "t", [0.7, 0.8]), floor, 100) == pytest.approx((0.75 - 0.52) / 100 * 1000)
