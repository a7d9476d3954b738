"""What reusing a plan's first-year decisions across bench tasks saves (issue 15,
``spmopt.run.decision_cache``).

Runs the tasks of the standard suite (``scenarios/suites/standard.toml``; ``--scenarios`` and
``--designs`` keep some, ``--replications`` per scenario, design and seed) serially in this process, in blocks of
each ``--blocks`` size, twice: *before*, every task solves its decisions
(:func:`~spmopt.sim.model.decide_year`, as ``spmopt bench`` did), and *after*, tasks share one
:class:`~spmopt.run.decision_cache.DecisionCache` as the tasks of a worker process do. Reported
per block size: CPU seconds (``process_time``) and wall seconds of both, their ratio, the
decisions solved and reused, and whether the two runs' metrics are identical (they must be).
The 1-minute load average is recorded before and after each run.

Usage::

    python benchmarks/bench_suite_cache.py                       # the whole standard suite
    python benchmarks/bench_suite_cache.py --scenarios saas-ae \\
        --designs accelerators capped --replications 10 --blocks 5 25
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import record

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "scenarios" / "suites" / "standard.toml"


class Uncached:
    """A stand-in for a :class:`DecisionCache` that solves every time (the code before it)."""

    hits = misses = 0

    def decider(self, context: str = ""):
        from spmopt.sim.model import decide_year

        def decide(*args, **kwargs):
            self.misses += 1
            return decide_year(*args, **kwargs)

        return decide


def run(pairs, decisions) -> tuple[object, float, float]:
    """The suite's metrics with ``decisions`` shared by every task, CPU and wall seconds."""
    import pandas as pd

    from spmopt.run.suite import run_block

    cpu, clock = time.process_time(), time.perf_counter()
    frames = [run_block(scenario, task, decisions) for scenario, task in pairs]
    return (
        pd.concat(frames, ignore_index=True),
        time.process_time() - cpu,
        time.perf_counter() - clock,
    )


def measure(scenarios, designs, replications: int, block: int) -> dict:
    """Before and after at one block size."""
    from spmopt.run.decision_cache import DecisionCache
    from spmopt.run.suite import Suite, load_scenario_cached, plan_tasks

    suite = Suite.load(SUITE)
    if scenarios:
        kept = tuple(
            e for e in suite.scenarios if load_scenario_cached(e.path).id in set(scenarios)
        )
        suite = replace(suite, scenarios=kept)
    if designs:
        suite = replace(suite, designs=tuple(d for d in suite.designs if d.name in set(designs)))
    suite = replace(suite, replications=replications, block=block)
    pairs = plan_tasks(suite)
    figures = {"block": block, "tasks": len(pairs)}
    results = {}
    for name, decisions in (("before", Uncached()), ("after", DecisionCache())):
        load = os.getloadavg()[0]
        metrics, cpu, wall = run(pairs, decisions)
        results[name] = metrics
        figures[name] = {
            "cpu_seconds": round(cpu, 2),
            "wall_seconds": round(wall, 2),
            "decisions_solved": decisions.misses,
            "decisions_reused": decisions.hits,
            "load_before": round(load, 2),
            "load_after": round(os.getloadavg()[0], 2),
        }
        print(block, name, figures[name], flush=True)
    figures["identical_metrics"] = bool(results["before"].equals(results["after"]))
    figures["cpu_ratio_before_over_after"] = round(
        figures["before"]["cpu_seconds"] / figures["after"]["cpu_seconds"], 2
    )
    figures["wall_ratio_before_over_after"] = round(
        figures["before"]["wall_seconds"] / figures["after"]["wall_seconds"], 2
    )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", nargs="*", default=None, help="scenario ids to keep")
    parser.add_argument("--designs", nargs="*", default=None, help="design names to keep")
    parser.add_argument("--replications", type=int, default=25)
    parser.add_argument("--blocks", type=int, nargs="+", default=[5, 25])
    parser.add_argument("--name", default="suite-cache")
    args = parser.parse_args()
    figures = {
        "suite": str(SUITE.relative_to(ROOT)),
        "scenarios": args.scenarios or "all",
        "designs": args.designs or "all",
        "replications": args.replications,
        "runs": [
            measure(args.scenarios, args.designs, args.replications, block) for block in args.blocks
        ],
    }
    print(record(args.name, figures))


if __name__ == "__main__":
    main()
