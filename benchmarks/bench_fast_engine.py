"""Fast engine throughput, its ratio to a bare numpy draw of the same random variables, and peak
memory (issue 4).

Model: the engine brief's SaaS AE test model scaled to ``--seats`` seats — deal sales (lognormal
sizes, Gamma cycle times), dynamic effort, hazard attrition with vacancies, payouts of the
shipped ``saas-ae`` plan; ``--timing`` adds pull/push timing at period ends.

Figures:

* **throughput**: rep-month-replications per second of ``simulate_fast`` excluding
  ``decide_year`` (policy solving, reported separately) and including building the table;
* **bare numpy**: the same random variables drawn with one generator in the same run — Poisson
  deal counts per (replication, seat, month) at the engine's mean monthly rates, a lognormal
  size and a closing lag per deal, a uniform per (replication, seat, month) for attrition, and
  the initial pipeline (a Poisson count per (replication, seat); creation month, size and lag
  per deal) — in the engine's chunk shapes; the ratio is bare time / engine time. The narrower
  reference of the first version (counts, sizes and attrition uniforms only) is reported too;
* engine and bare draws run interleaved in two rounds and each figure is its fastest round:
  the first touch of fresh memory is slow on this VM (the first round's engine time is
  reported apart);
* **peak memory** (``--memory``, a separate process so its peak is its own): ``iter_fast`` over
  ``--memory-replications`` replications, each chunk summarised (replication metrics) and
  dropped, as a long run writing chunks would do; resident-set peak (``VmHWM``).

Usage::

    python benchmarks/bench_fast_engine.py                     # 10,000 seats × 100 replications
    python benchmarks/bench_fast_engine.py --memory            # plus 1,000 replications, peak RSS
    python benchmarks/bench_fast_engine.py --seats 2000 --replications 20   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from spmopt.sim.fast import default_chunk, iter_fast, simulate_fast
from spmopt.sim.model import SimulationModel, closing_lags, decide_year
from spmopt.sim.results import replication_metrics
from spmopt.sim.streams import RandomStreams

sys.path.insert(0, str(Path(__file__).parent))
from common import machine, record
from engine_model import saas_test_model

MONTHS = 12


def bare_numpy(
    model: SimulationModel,
    replications: int,
    mean_effort: float,
    seed: int,
    full: bool = True,
    workers: int = 1,
):
    """(wall, CPU) seconds to draw the engine's random variables with plain numpy, in its chunk
    shapes.

    Per (replication, seat, month): a Poisson deal count at the engine's mean monthly rate and an
    attrition uniform; per deal: a lognormal size and (``full``) a closing lag from the
    segment's lag table (``Generator.choice`` with probabilities). With ``full``, also the
    initial pipeline of each (replication, seat): a Poisson count of the deals created before
    the start that are still open, and per such deal its month of creation, its size and its
    lag. ``full=False`` is the narrower reference of the first benchmark (counts, sizes and
    attrition uniforms only). ``workers`` > 1 draws the chunks in that many threads, as the
    engine does (the CPU figure is then the calling thread's only).
    """
    reps = model.population.arrays
    technology = model.segments["ae"].technology
    weights = model.segments["ae"].seasonality.weights
    rate = weights[:, None] * (reps.base_sales + reps.effectiveness * mean_effort)
    rate = rate / technology.deal_size_mean  # (12, N) deals per seat-month
    lags = closing_lags(technology)
    lags = lags / lags.sum()
    back = np.arange(1, lags.size)  # months before the start a pipeline deal was created
    open_at_start = weights[(-back) % MONTHS] * (1.0 - np.cumsum(lags)[:-1])
    initial_rate = rate.mean(axis=0) * MONTHS * open_at_start.sum() / weights.sum()
    mu, sigma = technology.size_log_mu, technology.deal_size_sigma
    chunk = default_chunk(model.seats, replications)
    starts = range(0, replications, chunk)

    def draw(first: int, rng: np.random.Generator) -> None:
        size = (min(chunk, replications - first), MONTHS, model.seats)
        counts = rng.poisson(np.broadcast_to(rate, size))
        deals = int(counts.sum())
        rng.lognormal(mu, sigma, deals)
        rng.random(size)
        if not full:
            return
        rng.choice(lags.size, deals, p=lags)
        initial = int(rng.poisson(np.broadcast_to(initial_rate, size[::2])).sum())
        rng.choice(back.size, initial, p=open_at_start / open_at_start.sum())
        rng.lognormal(mu, sigma, initial)
        rng.choice(lags.size, initial, p=lags)

    generators = np.random.default_rng(seed).spawn(len(starts))
    start, cpu = time.perf_counter(), time.thread_time()
    if workers == 1:
        for first, rng in zip(starts, generators, strict=True):
            draw(first, rng)
    else:  # chunks in threads, one generator each (numpy releases the GIL while drawing)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(draw, starts, generators))
    return time.perf_counter() - start, time.thread_time() - cpu


def peak_rss_mib() -> float:
    """Peak resident set of this process [MiB]: ``VmHWM`` of /proc/self/status (getrusage's
    ``ru_maxrss`` would include the parent's peak: Linux carries it across fork and exec)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def throughput(
    seats: int, replications: int, timing: bool, seed: int, workers: int = 1, rounds: int = 2
) -> dict:
    """Engine and bare-numpy timings, interleaved over ``rounds`` rounds; the figures are each
    one's fastest round (the first round also touches fresh memory, which is slow on this VM:
    its time is reported as ``engine_first_round_seconds``)."""
    model = saas_test_model(seats, timing)
    clock = time.perf_counter()
    decisions = decide_year(model, model.initial_quotas())
    decide = time.perf_counter() - clock
    del decisions
    simulate_fast(model, 2, RandomStreams(seed + 1), workers=1)  # warm-up: imports, allocator
    load = os.getloadavg()[0]
    cells = seats * MONTHS * replications
    engine, bare, narrow, threaded = [], [], [], []
    for _ in range(rounds):
        result = simulate_fast(model, replications, RandomStreams(seed), workers=workers)
        meta = result.metadata
        engine.append(
            (
                meta["simulate_seconds"] + meta["table_seconds"],
                meta["simulate_cpu_seconds"] + meta["table_cpu_seconds"],  # engine threads
            )
        )
        table = result.rep_periods
        mean_effort = float(table["effort"][table["occupied"]].mean())
        deals_closed = int(table["deals_closed"].sum())
        rss, table_mib = peak_rss_mib(), table.memory_usage(deep=False).sum() / 2**20
        del result, table
        bare.append(bare_numpy(model, replications, mean_effort, seed))
        narrow.append(bare_numpy(model, replications, mean_effort, seed, full=False))
        if workers > 1:
            threaded.append(bare_numpy(model, replications, mean_effort, seed, workers=workers))
    (seconds, engine_cpu), (bare_wall, bare_cpu) = min(engine), min(bare)
    narrow_wall = min(narrow)[0]
    figures = {
        "seats": seats,
        "replications": replications,
        "timing": timing,
        "workers": workers,
        "rounds": rounds,
        "rep_month_replications": cells,
        "load_average_before": round(load, 2),
        "decide_year_seconds": round(decide, 3),
        "engine_first_round_seconds": round(engine[0][0], 3),
        "engine_seconds": round(seconds, 3),
        "engine_per_second": round(cells / seconds),
        "engine_cpu_seconds": round(engine_cpu, 3),
        "engine_per_cpu_second": round(cells / engine_cpu),
        "deals_closed": deals_closed,
        "peak_rss_mib_with_table": round(rss),
        "table_mib": round(table_mib),
        "bare_numpy_seconds": round(bare_wall, 3),
        "bare_numpy_per_second": round(cells / bare_wall),
        "bare_numpy_cpu_seconds": round(bare_cpu, 3),
        "ratio_to_bare_numpy": round(bare_wall / seconds, 3),
        "ratio_to_bare_numpy_cpu": round(bare_cpu / engine_cpu, 3),
        "narrow_bare_numpy_seconds": round(narrow_wall, 3),
        "ratio_to_narrow_bare_numpy": round(narrow_wall / seconds, 3),
    }
    if threaded:  # the bare draw in as many threads as the engine
        threaded_wall = min(threaded)[0]
        figures["bare_numpy_same_threads_seconds"] = round(threaded_wall, 3)
        figures["ratio_to_bare_numpy_same_threads"] = round(threaded_wall / seconds, 3)
    return figures


def memory_child(seats: int, replications: int, seed: int, workers: int) -> dict:
    """Run in a fresh process: iter_fast over many replications, summarising each chunk."""
    model = saas_test_model(seats, timing=False)
    start = time.perf_counter()
    parts = []
    meta = {}
    for part in iter_fast(model, replications, RandomStreams(seed), workers=workers):
        parts.append(replication_metrics(part.rep_periods))
        meta = part.metadata
        del part
    seconds = time.perf_counter() - start
    return {
        "seats": seats,
        "replications": replications,
        "rep_month_replications": seats * MONTHS * replications,
        "chunk_replications": meta["chunk_replications"],
        "workers": workers,
        "wall_seconds_incl_decide_and_summaries": round(seconds, 1),
        "engine_seconds": round(meta["chunk_seconds"], 1),
        "decide_year_seconds": round(meta["decide_year_seconds"], 2),
        "peak_rss_mib": round(peak_rss_mib()),
        "replications_summarised": int(sum(len(p) for p in parts)),
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seats", type=int, default=10_000)
    parser.add_argument("--replications", type=int, default=100)
    parser.add_argument("--timing", action="store_true", help="also run with pull/push timing")
    parser.add_argument(
        "--workers", type=int, default=2, help="also run with this many worker threads (1: skip)"
    )
    parser.add_argument("--memory", action="store_true", help="peak-memory run (long)")
    parser.add_argument("--memory-replications", type=int, default=1000)
    parser.add_argument("--memory-workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--memory-child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-record", action="store_true", help="do not write results JSON")
    args = parser.parse_args(argv)
    if args.memory_child:
        print(
            json.dumps(
                memory_child(args.seats, args.memory_replications, args.seed, args.memory_workers)
            )
        )
        return {}
    figures = {"machine": machine()}
    figures["headline"] = throughput(args.seats, args.replications, False, args.seed)
    print(json.dumps(figures["headline"], indent=2))
    if args.workers > 1:
        figures["threads"] = throughput(
            args.seats, args.replications, False, args.seed, workers=args.workers
        )
        print(json.dumps(figures["threads"], indent=2))
    if args.timing:
        figures["with_timing"] = throughput(args.seats, args.replications, True, args.seed)
        print(json.dumps(figures["with_timing"], indent=2))
    if args.memory:
        command = [
            sys.executable,
            __file__,
            "--memory-child",
            "--seats",
            str(args.seats),
            "--memory-replications",
            str(args.memory_replications),
            "--memory-workers",
            str(args.memory_workers),
            "--seed",
            str(args.seed),
        ]
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        figures["memory"] = json.loads(output.strip().splitlines()[-1])
        print(json.dumps(figures["memory"], indent=2))
    if not args.no_record:
        figures.pop("machine")
        record("fast_engine", figures)
    return figures


if __name__ == "__main__":
    main()
