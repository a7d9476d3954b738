"""The reps' decision (``decide_year``: every seat's effort policy and certainty equivalent) of
saas-ae under its capped and bonus-based plans (issue 14: the bonus plan's decision should be
within 2× of the capped plan's). Prints both times and their ratio; record them in
results/decision.md.

Usage: ``.venv/bin/python benchmarks/bench_decision.py [--repeats 1] [--plans capped bonus]``
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from spmopt.scenario import Scenario
from spmopt.sim.model import decide_year

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "saas-ae.toml"


def decision_seconds(scenario: Scenario, plan: str, repeats: int) -> float:
    """Median wall-clock seconds of the first year's decision under ``plan``."""
    model = scenario.model(plan)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        decide_year(model, model.initial_quotas())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--plans", nargs=2, default=["capped", "bonus"])
    args = parser.parse_args()
    scenario = Scenario.load(SCENARIO)
    seconds = {plan: decision_seconds(scenario, plan, args.repeats) for plan in args.plans}
    for plan, value in seconds.items():
        print(f"{plan}: decide_year {value:.1f} s")
    first, second = args.plans
    print(f"ratio {second}/{first}: {seconds[second] / seconds[first]:.1f}x (target <= 2x)")


if __name__ == "__main__":
    main()
