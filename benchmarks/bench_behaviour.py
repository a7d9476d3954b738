"""Benchmarks of the behaviour models (issue 3). Prints figures; record them in results/behaviour.md.

1. Static best responses for 10,000 heterogeneous reps under a plan with threshold, accelerators,
   cap and a bonus (target: < 2 s).
2. Dynamic policy for 100 rep types, 12 months, a 301-point attainment grid (target: < 10 s),
   and how its accuracy changes with the grid size.
3. For information: static best responses under DealSales.

Usage: ``.venv/bin/python benchmarks/bench_behaviour.py [--quick]``
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

import numpy as np

import spmopt
from spmopt.reps.behaviour.dynamic import DynamicBestResponse
from spmopt.reps.behaviour.static import best_response
from spmopt.reps.population import Population
from spmopt.reps.situation import Situation
from spmopt.reps.technology import DealSales, NormalSales
from spmopt.sim.streams import RandomStreams

PLAN = {
    "schema_version": 1,
    "plan": {
        "id": "bench",
        "year_start": "2027-01-01",
        "base_salary": 95_000,
        "target_incentive": 90_000,
        "components": [
            {
                "id": "bookings",
                "measure": "bookings",
                "quota": 900_000,
                "tiers": [
                    {"from": 0.0, "rate": 0.10},
                    {"from": 1.0, "multiplier": 1.5},
                    {"from": 1.2, "multiplier": 2.0},
                ],
                "threshold": 0.5,
                "cap": 2.0,
                "max_payout": 200_000,
            }
        ],
        "bonuses": [{"id": "club", "measure": "bookings", "at": 1.0, "amount": 10_000}],
    },
}


def population(n: int, seed: int = 1) -> Population:
    spec = {
        "segments": {
            "ae": {
                "count": n,
                "base_sales": {"dist": "lognormal", "mean": 600_000, "sigma": 0.3},
                "effectiveness": {"dist": "gamma", "mean": 300_000, "sd": 60_000},
                "effort_cost": {"dist": "lognormal", "mean": 100_000, "sigma": 0.3},
                "risk_aversion": {"dist": "uniform", "low": 0.0, "high": 2e-5},
                "quota": {"dist": "uniform", "low": 800_000, "high": 1_000_000},
                "outside_option": 150_000,
            }
        }
    }
    return Population.generate(spec, RandomStreams(seed).generator("bench-population"))


def timed(function, repeats: int):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times), min(times)


def machine() -> str:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as handle:
            for line in handle:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} cores ({model}), Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )


def bench_static(plan, repeats):
    reps = population(10_000)
    technology = NormalSales(sigma=150_000)
    result, median, best = timed(lambda: best_response(plan, reps, technology), repeats)
    print(
        f"static, 10,000 reps, NormalSales: median {median:.2f} s, best {best:.2f} s "
        f"(target < 2 s); mean effort {result.effort.mean():.3f}, "
        f"share at quota {result.p_quota.mean():.3f}"
    )
    deal_reps = population(1_000, seed=2)
    deals = DealSales(deal_size_mean=60_000, deal_size_sigma=0.8)
    _, median, _ = timed(lambda: best_response(plan, deal_reps, deals), 1)
    print(f"static, 1,000 reps, DealSales: {median:.2f} s")


def bench_dynamic(plan, repeats):
    types = population(100, seed=3)
    situation = Situation(plan, types, NormalSales(sigma=150_000))
    model = DynamicBestResponse(grid_points=301)
    _, median, best = timed(lambda: model.solve(situation), repeats)
    print(
        f"dynamic, 100 types x 12 months x 301 points, monthly reviews: median {median:.2f} s,"
        f" best {best:.2f} s (target < 10 s)"
    )
    large = DynamicBestResponse(grid_points=1001)
    _, median, _ = timed(lambda: large.solve(situation), 1)
    print(f"dynamic, 100 types, 1,001 points: {median:.2f} s")
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[1] / "scenarios" / "plans" / "bonus-based.toml"
    mixed = Situation(spmopt.Plan.load(shipped), population(20, seed=5), NormalSales(150_000))
    _, median, _ = timed(lambda: DynamicBestResponse().solve(mixed), 1)
    print(
        f"dynamic, 20 types, bonus-based plan (quarterly curve + pacer, annual club; "
        f"13 year-to-date points x 75, 16 nodes): {median:.2f} s"
    )


def accuracy(plan):
    """Errors against a 4,001-point, 96-node reference on 10 rep types."""
    situation = Situation(plan, population(10, seed=4), NormalSales(sigma=150_000))
    reference = DynamicBestResponse(grid_points=4001, quadrature_nodes=96).solve(situation)
    months = np.arange(12)
    attainment = np.linspace(0.0, 1.8, 181)
    rows = np.arange(10)[:, None, None]
    ref_effort = reference.effort(rows, months[None, :, None], attainment[None, None, :])
    ref_ce = reference.certainty_equivalent()
    scale = ref_effort.max()
    print(
        "grid points | solve s | max |effort error| / max effort | mean |effort error| / max "
        "effort | max |CE error| (USD)"
    )
    for n in (51, 101, 201, 301, 601, 1201):
        model = DynamicBestResponse(grid_points=n)
        start = time.perf_counter()
        policy = model.solve(situation)
        seconds = time.perf_counter() - start
        error = np.abs(
            policy.effort(rows, months[None, :, None], attainment[None, None, :]) - ref_effort
        )
        ce_error = np.abs(policy.certainty_equivalent() - ref_ce).max()
        print(
            f"{n:>11} | {seconds:7.3f} | {error.max() / scale:.4f} | "
            f"{error.mean() / scale:.5f} | {ce_error:.2f}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repetition, no accuracy table")
    args = parser.parse_args()
    repeats = 1 if args.quick else 5
    plan = spmopt.Plan.from_dict(PLAN)
    print(f"machine: {machine()}")
    bench_static(plan, repeats)
    bench_dynamic(plan, repeats)
    if not args.quick:
        accuracy(plan)


if __name__ == "__main__":
    main()
