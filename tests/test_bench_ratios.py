"""How the bench turns timings into figures: rounds alternate their order and pair the tools'
times; a ratio is the median of the per-round ratios, with a distribution-free 95 % confidence
interval from order statistics; the budget's targets are read from them."""

from __future__ import annotations

import pytest

from bench.report import rows, table, targets
from bench.stats import BenchError, Case, median_ci, paired_ratio, run_rounds


def test_the_confidence_interval_of_the_median_is_a_pair_of_order_statistics():
    # k is the largest with P(Binomial(n, 1/2) < k) <= 2.5 %: the k-th smallest and k-th largest.
    assert median_ci([float(i) for i in range(1, 6)]) is None  # n = 5: even k = 1 leaves 2 x 1/32 > 5 %
    assert median_ci([float(i) for i in range(1, 7)]) == (1.0, 6.0)  # n = 6: 2 x 1/64 <= 5 %, k = 1
    assert median_ci([float(i) for i in range(1, 22)]) == (6.0, 16.0)  # n = 21: k = 6
    assert median_ci([float(i) for i in range(1, 85)]) == (33.0, 52.0)  # n = 84: k = 33
    assert median_ci([5.0, 1.0, 4.0, 2.0, 6.0, 3.0]) == (1.0, 6.0)  # the values need not come sorted


def test_the_ratio_is_the_median_of_per_round_ratios_which_cancels_a_slow_round():
    # Round 2 is slow for both tools (the machine, not the tool): per round the tool takes
    # 1.01x the floor, where the ratio of the medians would say 1.40x.
    ratio = paired_ratio([1.01, 2.02, 1.40], [1.00, 2.00, 1.00])
    assert ratio.median == pytest.approx(1.01)
    assert ratio.n == 3 and ratio.ci is None  # three rounds are too few for a 95 % interval


def test_a_tool_with_fewer_rounds_pairs_with_the_first_rounds_of_the_other():
    # A peer that sat out the rounds only the floor and vfmigrate ran (or a tool that failed in
    # round 3): its i-th time is from round i, like the floor's.
    ratio = paired_ratio([3.0, 5.0], [1.0, 2.0, 3.0, 9.0])
    assert ratio.n == 2 and ratio.median == pytest.approx((3.0 + 2.5) / 2)
    assert paired_ratio([1.0], []) is None


def test_the_ratio_of_21_rounds_carries_the_6th_and_16th_smallest_ratios_as_its_interval():
    floor = [0.5] * 21
    tool = [0.5 * (1.0 + i / 100) for i in (20, 0, 19, 1, 18, 2, 17, 3, 16, 4, 15, 5, 14, 6, 13, 7, 12, 8, 11, 9, 10)]
    ratio = paired_ratio(tool, floor)
    assert ratio.median == pytest.approx(1.10)
    assert ratio.ci == pytest.approx((1.05, 1.15))


def test_rounds_alternate_the_order_drop_the_warm_up_and_let_a_case_sit_out_after_its_rounds():
    ran: list[str] = []
    clock = iter(range(100))

    def case(name: str, rounds: int = 0) -> Case:
        def run() -> float:
            ran.append(name)
            return float(next(clock))
        return Case(name, run, rounds=rounds)

    cases = [case("floor"), case("a"), case("peer", rounds=1)]
    run_rounds(cases, 3, say=lambda _: None)

    # The warm-up round first (reversed), then A B C, C B A, A B C, the peer only in round 1.
    assert ran == ["peer", "a", "floor", "floor", "a", "peer", "a", "floor", "floor", "a"]
    assert [c.times for c in cases] == [[3.0, 7.0, 8.0], [4.0, 6.0, 9.0], [5.0]]


def test_a_failing_case_is_left_out_with_one_line_and_the_others_go_on():
    said: list[str] = []
    calls = iter([0.1, 0.2, None, 0.3])

    def flaky() -> float:
        value = next(calls)
        if value is None:
            raise BenchError("vfmigrate up exited 1: locked")
        return value

    cases = [Case("vfmigrate", flaky), Case("floor", lambda: 0.5)]
    run_rounds(cases, 3, say=said.append)

    assert cases[0].times == [0.2] and cases[0].error == "vfmigrate up exited 1: locked"
    assert cases[1].times == [0.5, 0.5, 0.5]
    assert said == ["  vfmigrate: failed, left out: vfmigrate up exited 1: locked"]


def _cases(**times: list[float]) -> list[Case]:
    return [Case(tool.replace("_", "-"), float, times=t) for tool, t in times.items()]


def test_rows_give_each_tool_its_median_and_its_paired_ratio_to_the_floor():
    results = {"up": _cases(floor=[1.0] * 6, vfmigrate=[1.1, 1.0, 1.2, 1.1, 1.3, 0.9])}
    (floor, ours) = rows(results, {"up": "up, 500 migrations"})

    assert floor["ratio"] == 1.0 and floor["median_s"] == 1.0
    assert ours["label"] == "up, 500 migrations" and ours["rounds"] == 6
    assert ours["median_s"] == pytest.approx(1.1) and ours["ratio"] == pytest.approx(1.1)
    assert ours["ratio_ci"] == pytest.approx([0.9, 1.3])
    lines = table([floor, ours]).splitlines()
    assert lines[2].split() == ["vfmigrate", "6", "1.100", "s", "1.10", "0.90–1.30"]


def test_targets_compare_with_the_floor_a_named_peer_or_a_time_and_say_whether_they_are_met():
    labels = {"up": "up", "cold-status": "cold status", "status-10k": "status, 10,000 files"}
    results = {
        "up": _cases(floor=[1.0, 2.0, 1.0], vfmigrate=[1.04, 2.2, 1.04]),  # 1.04x per round, 1.1x in the slow one
        "cold-status": _cases(floor=[0.02] * 3, vfmigrate=[0.03] * 3, yoyo=[0.1] * 3, alembic=[0.12] * 3),
        "status-10k": _cases(floor=[0.2] * 3, vfmigrate=[0.4, 0.6, 0.45]),
    }
    found = {(t["workload"], t["against"]): t for t in targets(results, labels)}

    assert set(found) == {("up", "floor"), ("cold-status", "yoyo"), ("cold-status", "alembic"), ("status-10k", None)}
    assert found["up", "floor"]["value"] == pytest.approx(1.04) and found["up", "floor"]["met"] is True
    assert found["cold-status", "yoyo"]["value"] == pytest.approx(0.3) and found["cold-status", "yoyo"]["met"]
    assert found["cold-status", "alembic"]["value"] == pytest.approx(0.25)
    assert found["cold-status", "alembic"]["met"] is False  # at most a fifth of Alembic's
    assert found["status-10k", None]["value"] == pytest.approx(0.45) and found["status-10k", None]["met"] is True
    # A peer that did not run: the target is not measured rather than met.
    (cold,) = [t for t in targets({"cold-status": _cases(floor=[0.02], vfmigrate=[0.03])}, labels)
               if t["against"] == "yoyo"]
    assert cold["value"] is None and cold["met"] is None
