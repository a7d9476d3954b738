"""Power of the engine agreement checks against a 3% shift in mean sales.

The checks are ``agreement_pvalues`` of ``tests/sim/test_engine_agreement.py`` on its test model
(80 SaaS AEs, dynamic effort, pull/push timing, attrition, one plan year), rejecting when any
p-value falls below ``FALSE_FAILURE / number of checks``. The script simulates a pool of
replications with each engine, then, in each trial, draws ``R`` replications without replacement
from each pool, multiplies the event engine's credited sales by 1.03 and applies the checks. A
random subset of iid replications is itself iid, so each trial's rejection has exactly the
probability it would have on fresh runs of ``R`` replications; trials sharing pool replications
are correlated, which only widens the estimate's uncertainty (the standard error printed is the
binomial one, a lower bound). The same trials without the shift give the false-failure rate.

Usage: ``python benchmarks/agreement_power.py [--pool 400] [--trials 100] [--sizes 60 100 140]
[--cache DIR]``;
writes ``benchmarks/results/agreement_power.json``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "sim"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import record  # noqa: E402
from test_engine_agreement import FALSE_FAILURE, agreement_pvalues, brief_model  # noqa: E402

from spmopt.sim.events import simulate_events  # noqa: E402
from spmopt.sim.fast import simulate_fast  # noqa: E402
from spmopt.sim.results import SimulationResult  # noqa: E402
from spmopt.sim.streams import RandomStreams  # noqa: E402

SHIFT = 1.03  # the event engine's credited sales × SHIFT


def subset(result: SimulationResult, replications: np.ndarray, scale: float = 1.0):
    """The replications ``replications`` of ``result``, credited sales multiplied by ``scale``."""
    periods = result.rep_periods
    periods = periods[periods["replication"].isin(replications)].copy()
    periods["credited"] = periods["credited"] * scale
    return SimulationResult(periods)


def rejects(events: SimulationResult, fast: SimulationResult) -> bool:
    """Whether the agreement test rejects (some p-value below its Bonferroni level)."""
    pvalues = agreement_pvalues(events, fast)
    return min(pvalues.values()) < FALSE_FAILURE / len(pvalues)


def pools(seats: int, replications: int, cache: Path | None):
    """The two engines' pools of ``replications`` replications of the test model with ``seats``
    seats, read from ``cache`` when it holds them (simulated and written there otherwise)."""
    paths = None
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        paths = [cache / f"{name}-{seats}-{replications}.parquet" for name in ("events", "fast")]
        if all(path.exists() for path in paths):
            return tuple(SimulationResult(pd.read_parquet(path)) for path in paths)
    model = brief_model(count=seats)
    events = simulate_events(model, replications, RandomStreams(1001))
    fast = simulate_fast(model, replications, RandomStreams(2002))
    if paths is not None:
        for result, path in zip((events, fast), paths, strict=True):
            result.rep_periods.to_parquet(path)
    return events, fast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=400, help="replications per engine")
    parser.add_argument("--trials", type=int, default=100, help="trials per size")
    parser.add_argument("--sizes", type=int, nargs="+", default=[60, 100, 140])
    parser.add_argument("--seats", type=int, default=80)
    parser.add_argument("--cache", type=Path, help="directory keeping the pools between runs")
    args = parser.parse_args()
    clock = time.perf_counter()
    events, fast = pools(args.seats, args.pool, args.cache)
    simulate_seconds = time.perf_counter() - clock
    rng = RandomStreams(3003).generator("power")
    figures = {
        "seats": args.seats,
        "pool_replications": args.pool,
        "trials": args.trials,
        "shift": SHIFT,
        "false_failure_per_test": FALSE_FAILURE,
        "simulate_seconds": round(simulate_seconds, 1),
        "sizes": {},
    }
    for size in args.sizes:
        shifted = null = 0
        for _ in range(args.trials):
            a = rng.choice(args.pool, size, replace=False)
            b = rng.choice(args.pool, size, replace=False)
            fast_part = subset(fast, b)
            shifted += rejects(subset(events, a, SHIFT), fast_part)
            null += rejects(subset(events, a), fast_part)
        power = shifted / args.trials
        figures["sizes"][str(size)] = {
            "power": power,
            "power_se": round(float(np.sqrt(power * (1 - power) / args.trials)), 3),
            "null_rejections": null,
        }
        print(f"R = {size}: power {power:.2f} ({shifted}/{args.trials}), null {null}", flush=True)
        figures["seconds"] = round(time.perf_counter() - clock, 1)
        record("agreement_power", figures)  # after each size: a long run keeps what it found


if __name__ == "__main__":
    main()
