"""Cost of the dynamic effort model at scale, for the core-hours table of ``docs/scaling.md``
(issue 15): what is paid once per plan (the policy solve, :func:`~spmopt.sim.model.decide_year`)
and what is paid per replication (the fast engine and its table).

Scenario ``saas-ae`` (dynamic monthly effort, deals, pull/push timing, attrition) with every
segment's ``count`` scaled in proportion to ``--reps`` reps in all (120 AEs + 30 enterprise at
its own size). For each size: one :func:`~spmopt.sim.fast.simulate_fast` run of
``--replications`` replications in this process (one engine thread), with ``decide_year``
wrapped to time it apart. Reported per size: ``decide_year`` CPU and wall seconds, the number of
rep types whose dynamic policies were solved (at most ``policy_types`` = 256 per segment), its
cost per rep and per type, and the engine's CPU seconds per replication and per rep-month (the
rest of the run: simulation and the result table). CPU seconds are less sensitive to the
machine's load than wall time; the 1-minute load average is recorded before and after each size.

Usage::

    python benchmarks/bench_dynamic_cost.py          # 150, 1,000 and 10,000 reps (~10 min alone)
    python benchmarks/bench_dynamic_cost.py --reps 150 --replications 4 --name scratch
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import record

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = "scenarios/saas-ae.toml"  # relative to the repository root


def resized(path: Path, reps: int):
    """The scenario with every segment's ``count = …`` scaled so that they sum to ``reps``."""
    from spmopt.scenario import Scenario

    text = path.read_text()
    counts = [int(c) for c in re.findall(r"(?m)^count = (\d+)", text)]
    total = sum(counts)
    scaled = [round(c * reps / total) for c in counts]
    scaled[0] += reps - sum(scaled)  # rounding remainder to the first segment
    values = iter(scaled)
    text = re.sub(r"(?m)^count = \d+", lambda _: f"count = {next(values)}", text)
    return Scenario.from_toml(text, source=str(path), base=path.parent)


def measure(path: Path, plan: str, reps: int, replications: int) -> dict:
    """Per-plan (decide_year) and per-replication (engine) cost of one run [seconds]."""
    import spmopt.sim.fast as fast
    from spmopt.sim.streams import RandomStreams

    scenario = resized(path, reps)
    model = scenario.model(plan)
    calls = []
    original = fast.decide_year

    def timed(*args, **kwargs):
        wall, cpu = time.perf_counter(), time.process_time()
        decisions = original(*args, **kwargs)
        types = {
            name: int(getattr(policy, "_policy", policy).size)
            for name, (_, policy) in decisions.policies.items()
        }
        calls.append((time.process_time() - cpu, time.perf_counter() - wall, types))
        return decisions

    load_before = os.getloadavg()[0]
    fast.decide_year = timed
    try:
        wall, cpu = time.perf_counter(), time.process_time()
        result = fast.simulate_fast(model, replications, RandomStreams(scenario.seed), workers=1)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        fast.decide_year = original
    decide_cpu = sum(c[0] for c in calls)
    decide_wall = sum(c[1] for c in calls)
    types = calls[0][2]
    seats = model.seats
    rep_months = seats * 12 * model.years * replications
    engine_cpu = cpu - decide_cpu
    return {
        "reps": seats,
        "segments": {name: int(seats_.size) for name, seats_ in model.segment_seats().items()},
        "replications": replications,
        "types_solved": types,
        "decide_year_cpu_seconds": round(decide_cpu, 2),
        "decide_year_wall_seconds": round(decide_wall, 2),
        "decide_year_cpu_seconds_per_rep": decide_cpu / seats,
        "decide_year_cpu_seconds_per_type": decide_cpu / sum(types.values()),
        "engine_cpu_seconds": round(engine_cpu, 2),
        "engine_cpu_seconds_per_replication": engine_cpu / replications,
        "engine_cpu_seconds_per_rep_month": engine_cpu / rep_months,
        "total_wall_seconds": round(wall, 2),
        "metadata_seconds": {
            key: round(float(value), 3)
            for key, value in result.metadata.items()
            if key.endswith("_seconds")
        },
        "load_average_1min_before": round(load_before, 2),
        "load_average_1min_after": round(os.getloadavg()[0], 2),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default=SCENARIO, help="relative to the repository root")
    parser.add_argument("--plan", default="incumbent")
    parser.add_argument("--reps", type=int, nargs="+", default=[150, 1_000, 10_000])
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--name", default="dynamic-cost-at-scale")
    args = parser.parse_args(argv)
    sizes = []
    for reps in args.reps:
        figure = measure(ROOT / args.scenario, args.plan, reps, args.replications)
        print(figure, flush=True)
        sizes.append(figure)
        path = record(args.name, {"scenario": args.scenario, "plan": args.plan, "sizes": sizes})
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
