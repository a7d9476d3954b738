"""The reps' decision (``decide_year``: every seat's effort policy and certainty equivalent) of
saas-ae under its capped and bonus-based plans (issue 14: the bonus plan's decision should be
within 2× of the capped plan's). The plans are timed alternately (capped, bonus, capped, …) so
that both see the same load; prints each time, the medians and their ratio, the machine and the
load average. Record them in results/decision.md.

Usage: ``.venv/bin/python benchmarks/bench_decision.py [--repeats 2] [--plans capped bonus]``
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from pathlib import Path

from spmopt.scenario import Scenario
from spmopt.sim.model import decide_year

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "saas-ae.toml"


def decision_seconds(scenario: Scenario, plan: str) -> float:
    """Wall-clock seconds of the first year's decision under ``plan``."""
    model = scenario.model(plan)
    start = time.perf_counter()
    decide_year(model, model.initial_quotas())
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--plans", nargs=2, default=["capped", "bonus"])
    args = parser.parse_args()
    scenario = Scenario.load(SCENARIO)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.python_version()}")
    print(f"load average before: {os.getloadavg()[0]:.1f}", flush=True)
    seconds = {plan: [] for plan in args.plans}
    for _ in range(args.repeats):
        for plan in args.plans:
            seconds[plan].append(decision_seconds(scenario, plan))
            print(f"{plan}: decide_year {seconds[plan][-1]:.1f} s", flush=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    median = {plan: statistics.median(values) for plan, values in seconds.items()}
    for plan, value in median.items():
        print(f"{plan}: median decide_year {value:.1f} s over {args.repeats}")
    first, second = args.plans
    print(f"ratio {second}/{first}: {median[second] / median[first]:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
