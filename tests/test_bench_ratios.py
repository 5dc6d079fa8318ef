"""How the bench turns timings into ratios: rounds alternate their order, and a row's ratio
to the floor is the median of its per-round ratios, with a confidence interval (the ratio of
the medians when the runs do not line up)."""

from __future__ import annotations

import pytest

from bench.measure import Case, Row, rounds
from bench.report import add_ratios, median_ci, per_migration_ms, ratio_between


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


def test_a_tool_with_fewer_runs_pairs_with_the_floors_first_rounds():
    # A tool that failed in round 3, or a peer that sat out the rounds only the floor and
    # vfmigrate ran: its times are from the first rounds, and pair with the floor's there.
    floor = Row("w", "w", "floor", [1.0, 2.0, 3.0, 9.0])
    short = Row("w", "w", "tool", [3.0, 5.0])
    other = Row("v", "v", "tool", [1.0])  # a workload without a floor gets no ratio
    add_ratios([floor, short, other])

    assert short.ratio == pytest.approx((3.0 / 1.0 + 5.0 / 2.0) / 2)
    assert short.ratio_of_medians == pytest.approx(4.0 / 1.5)
    assert other.ratio is None and other.ratio_of_medians is None


def test_a_floor_that_stopped_short_pairs_the_rounds_it_ran_in_and_none_falls_back_to_the_medians():
    floor = Row("w", "w", "floor", [1.0, 2.0])  # failed in round 3
    tool = Row("w", "w", "tool", [3.0, 5.0, 4.0])
    zero = Row("v", "v", "floor", [0.0, 1.0])  # a time of 0: no ratio can be paired
    other = Row("v", "v", "tool", [1.0, 3.0])
    add_ratios([floor, tool, zero, other])

    assert tool.ratio == pytest.approx((3.0 + 2.5) / 2)
    assert tool.ratio_of_medians == pytest.approx(4.0 / 1.5)
    assert tool.ratio_ci is None  # two rounds are too few for a 95 % interval
    assert other.ratio == other.ratio_of_medians == pytest.approx(2.0 / 0.5)


def test_the_confidence_interval_of_the_median_comes_from_order_statistics():
    assert median_ci([1.0, 2.0, 3.0, 4.0, 5.0]) is None  # 2 x 1/32 > 5 %: no 95 % interval
    assert median_ci([float(i) for i in range(1, 7)]) == (1.0, 6.0)  # 2 x 1/64 <= 5 %
    assert median_ci([float(i) for i in range(1, 22)]) == (6.0, 16.0)  # the textbook k for n = 21
    low, high = median_ci([float(i) for i in range(1, 85)])
    assert (low, high) == (33.0, 52.0)


def test_a_rows_ratio_carries_its_confidence_interval():
    floor = Row("w", "w", "floor", [1.0] * 21)
    tool = Row("w", "w", "tool", [1.0 + i / 100 for i in range(21)])  # ratios 1.00 ... 1.20
    add_ratios([floor, tool])

    assert tool.ratio == pytest.approx(1.10)
    assert tool.ratio_ci == pytest.approx((1.05, 1.15))


def test_per_migration_overhead_is_the_median_of_per_round_differences():
    floor = Row("up", "up", "floor", [0.500, 0.900, 0.520])
    tool = Row("up", "up", "vfmigrate", [0.510, 0.910, 0.700])
    # Per round the tool adds 10, 10 and 180 ms: the median, 10 ms, over 500 migrations.
    assert per_migration_ms(tool, floor, 500) == pytest.approx(0.02)
    # A row with fewer or more runs pairs the rounds both ran in, from the first.
    assert per_migration_ms(Row("up", "up", "t", [0.7, 0.8]), floor, 100) == pytest.approx(0.05 / 100 * 1000)
    assert per_migration_ms(Row("up", "up", "t", [0.7, 0.8, 0.9, 1.0]), floor, 100) == pytest.approx(
        0.2 / 100 * 1000)


def test_a_row_against_another_pairs_the_rounds_both_ran_in():
    kept = Row("up", "up", "floor, journal kept", [1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    ours = Row("up", "up", "vfmigrate", [1.1, 2.2, 1.1, 1.1, 1.1, 1.1, 1.1, 9.0])  # one round more
    between = ratio_between(ours, kept)
    assert between["rounds"] == 7
    assert between["ratio"] == pytest.approx(1.1)
    assert between["ratio_ci"] == pytest.approx([1.1, 1.1])
    assert ratio_between(ours, Row("up", "up", "x", [])) is None
