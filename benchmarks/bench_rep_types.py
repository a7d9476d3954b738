"""Dynamic policy of a large heterogeneous segment in ``decide_year``: binned rep types against
every rep solved alone (issue 9, item 3). Prints figures; record them in results/behaviour.md
and docs/simulation-model.md.

Population: ``bench_behaviour.population(n, seed=7)`` (h, k, c, r and quota all differ), the
``bench`` plan, ``NormalSales(sigma=150_000)``. Errors of the initial effort (month 0,
attainment 0) relative to the rep's own (floored at 5% of the median); total expected sales
from 200 common-random-number paths per rep.

Usage: ``.venv/bin/python benchmarks/bench_rep_types.py [--reps 2000] [--types 64 256 1024]
[--reference ref.npz]`` (the reference, every rep alone, takes ~2–4 min for 2,000 reps;
``--reference`` caches it).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from bench_behaviour import PLAN, population

import spmopt
from spmopt.reps.behaviour.registry import behaviour_from_dict
from spmopt.reps.technology import NormalSales
from spmopt.sim.model import Segment, SimulationModel, decide_year
from spmopt.sim.streams import RandomStreams

PATHS = 200


def solve(n: int, max_types: int):
    """(initial effort (N,), expected annual sales (N,), decide_year seconds)."""
    reps = population(n, seed=7).with_columns(segment=np.array(["ae"] * n))
    segment = Segment("ae", spmopt.Plan.from_dict(PLAN), NormalSales(sigma=150_000))
    behaviour = behaviour_from_dict({"effort": {"model": "dynamic"}})
    model = SimulationModel("rep-types", reps, {"ae": segment}, behaviour=behaviour)
    start = time.perf_counter()
    decisions = decide_year(model, model.initial_quotas(), max_types=max_types)
    seconds = time.perf_counter() - start
    situation = decisions.situations["ae"]
    arrays = situation.reps
    sd = situation.sales.sd_annual(arrays)
    shocks = RandomStreams(5).generator("rep-types").standard_normal((12, PATHS, n))
    seats = np.broadcast_to(np.arange(n), (PATHS, n))
    attainment = np.zeros((PATHS, n))
    total = np.zeros((PATHS, n))
    for month in range(12):
        exposure = situation.productivity[:, month]
        effort = decisions.effort(seats, month, attainment)
        sales = exposure * (arrays.base_sales + arrays.effectiveness * effort)
        sales = sales + np.sqrt(exposure) * sd * shocks[month]
        total += sales
        attainment = attainment + sales / situation.quota
    return decisions.effort(np.arange(n), 0, 0.0), total.mean(axis=0), seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--types", type=int, nargs="+", default=[64, 256, 1024])
    parser.add_argument(
        "--reference", type=Path, help="an .npz caching the every-rep-alone solve (made if absent)"
    )
    args = parser.parse_args()
    if args.reference is not None and args.reference.exists():
        cached = np.load(args.reference)
        effort, sales, seconds = cached["effort"], cached["sales"], float(cached["seconds"])
    else:
        effort, sales, seconds = solve(args.reps, 10**9)
        if args.reference is not None:
            np.savez(args.reference, effort=effort, sales=sales, seconds=seconds)
    print(f"every rep alone: {seconds:.1f} s")
    floor = np.maximum(np.abs(effort), 0.05 * np.median(effort))
    for max_types in args.types:
        binned, binned_sales, seconds = solve(args.reps, max_types)
        error = np.abs(binned - effort) / floor
        print(
            f"max_types {max_types}: effort error mean {error.mean():.2%}, "
            f"p99 {np.quantile(error, 0.99):.1%}, max {error.max():.1%}; "
            f"total sales {binned_sales.sum() / sales.sum() - 1:+.3%}; {seconds:.1f} s"
        )


if __name__ == "__main__":
    main()
