"""Parallel efficiency of the Dask executor, its per-task overhead, and the cost per rep-month of
a benchmark task (issue 15).

Workload: ``--replications`` replications (default 200) of one plan on one scenario (default
``field-sales``), in tasks of ``--block`` replications (default 25), exactly as ``spmopt bench``
runs them (:func:`spmopt.run.suite.run_block`). Runs, interleaved in ``--rounds`` rounds:

* ``serial``: the tasks one after another in this process;
* ``dask_default``: a LocalCluster of 2 single-threaded worker processes with Dask's default
  worker environment (``MALLOC_TRIM_THRESHOLD_=65536``);
* ``dask_tuned``: the LocalCluster ``spmopt bench --executor dask`` starts
  (:func:`spmopt.run.executors.dask_worker_config`: ``MALLOC_TRIM_THRESHOLD_`` unset);
* ``processes``: :class:`concurrent.futures.ProcessPoolExecutor` with 2 workers, for reference.

Clusters are started and every worker runs one task (as this process does) before timing; start-up is reported
apart. Speed-up = serial time / parallel time of the same round; the figure is the median over
rounds (and the best). **Per-task overhead**: 200 no-op tasks on the tuned cluster, wall time per
task. **Cost per rep-month**: CPU seconds of the serial run / rep-months simulated, for the
core-hours estimate in ``docs/scaling.md``. The load average (1 min) is recorded before and after:
on a machine shared with other jobs, speed-ups are only meaningful when it is below ~1.

Usage::

    python benchmarks/bench_dask.py                       # field-sales, 200 replications, 3 rounds
    python benchmarks/bench_dask.py --scenario scenarios/saas-ae.toml --rounds 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import record


def _noop(value: int) -> int:
    return value


def _tasks(scenario_path: str, plan: str, replications: int, block: int):
    from spmopt.run.suite import Task, load_scenario_cached, run_block

    scenario = load_scenario_cached(Path(scenario_path))
    engine = scenario.spec.scenario.engine
    return [
        (
            run_block,
            (
                scenario,
                Task(
                    scenario_path,
                    plan,
                    plan,
                    None,
                    scenario.seed,
                    first,
                    min(block, replications - first),
                    engine,
                ),
            ),
        )
        for first in range(0, replications, block)
    ], scenario


def cost_at_scale(scenario_path: str, plan: str, reps: int, replications: int) -> dict:
    """CPU seconds per rep-month of one bench task with the scenario's first segment resized to
    ``reps`` reps (``count = …`` in its file), ``replications`` replications."""
    import re

    from spmopt.run.suite import Task, run_block
    from spmopt.scenario import Scenario

    path = Path(scenario_path)
    text = re.sub(r"(?m)^count = \d+", f"count = {reps}", path.read_text(), count=1)
    scenario = Scenario.from_toml(text, source=str(path), base=path.parent)
    size = len(scenario.population)
    task = Task(str(path), plan, plan, None, scenario.seed, 0, replications, "fast")
    cpu = time.process_time()
    run_block(scenario, task)
    seconds = time.process_time() - cpu
    rows = size * 12 * scenario.spec.scenario.years * replications
    return {
        "reps": size,
        "replications": replications,
        "cpu_seconds": round(seconds, 2),
        "cpu_seconds_per_rep_month": seconds / rows,
    }


def _cluster(tuned: bool, workers: int):
    import dask
    from dask.distributed import Client, LocalCluster

    from spmopt.run.executors import dask_worker_config

    config = dask_worker_config() if tuned else {}
    start = time.perf_counter()
    with dask.config.set(config):
        cluster = LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            silence_logs=40,
        )
    client = Client(cluster)
    client.run(lambda: __import__("spmopt.run.suite"))  # warm the workers' imports
    return cluster, client, time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="scenarios/field-sales.toml")
    parser.add_argument("--plan", default="incumbent")
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--block", type=int, default=25)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--name", default="dask")
    parser.add_argument(
        "--scale-reps", type=int, default=0, help="also time one task with this many reps"
    )
    parser.add_argument("--scale-replications", type=int, default=4)
    args = parser.parse_args(argv)
    if args.rounds == 0:  # only the cost at scale
        figure = cost_at_scale(args.scenario, args.plan, args.scale_reps, args.scale_replications)
        figure["load_average_1min"] = round(os.getloadavg()[0], 2)
        print(figure)
        record(args.name, {"scenario": args.scenario, "plan": args.plan, "cost_at_scale": figure})
        return 0

    import pandas as pd

    from spmopt.run.executors import run_on_client, run_tasks

    load_before = os.getloadavg()[0]
    tasks, scenario = _tasks(args.scenario, args.plan, args.replications, args.block)
    rows_per_run = args.replications * len(scenario.population) * 12 * scenario.spec.scenario.years
    run_tasks(tasks[:1])  # warm this process's imports and caches
    clusters = {
        name: _cluster(name == "dask_tuned", args.workers)
        for name in ("dask_default", "dask_tuned")
    }
    for _, client, _ in clusters.values():  # warm each worker as this process was warmed
        run_on_client(client, tasks[: args.workers])
    timings: dict[str, list[float]] = {
        "serial": [],
        "dask_default": [],
        "dask_tuned": [],
        "processes": [],
    }
    serial_cpu = []
    reference = None
    for _ in range(args.rounds):
        start, cpu = time.perf_counter(), time.process_time()
        serial = run_tasks(tasks)
        timings["serial"].append(time.perf_counter() - start)
        serial_cpu.append(time.process_time() - cpu)
        reference = pd.concat(serial, ignore_index=True)
        for name in ("dask_default", "dask_tuned"):
            start = time.perf_counter()
            frames = run_on_client(clusters[name][1], tasks)
            timings[name].append(time.perf_counter() - start)
            pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), reference)
        start = time.perf_counter()
        run_tasks(tasks, executor="processes", workers=args.workers)
        timings["processes"].append(time.perf_counter() - start)

    client = clusters["dask_tuned"][1]
    noops = [(_noop, (n,)) for n in range(200)]
    run_on_client(client, noops)
    start = time.perf_counter()
    run_on_client(client, noops)
    overhead = (time.perf_counter() - start) / len(noops)
    for cluster, client, _ in clusters.values():
        client.close()
        cluster.close()
    load_after = os.getloadavg()[0]

    speedups = {
        name: [s / t for s, t in zip(timings["serial"], timings[name], strict=True)]
        for name in ("dask_default", "dask_tuned", "processes")
    }
    cpu_per_row = min(serial_cpu) / rows_per_run
    figures = {
        "scenario": args.scenario,
        "plan": args.plan,
        "replications": args.replications,
        "block": args.block,
        "tasks": len(tasks),
        "workers": args.workers,
        "rounds": args.rounds,
        "load_average_1min_before": round(load_before, 2),
        "load_average_1min_after": round(load_after, 2),
        "seconds": {name: [round(t, 3) for t in values] for name, values in timings.items()},
        "speedup_median": {n: round(statistics.median(v), 3) for n, v in speedups.items()},
        "speedup_best": {n: round(max(v), 3) for n, v in speedups.items()},
        "cluster_start_seconds": {n: round(c[2], 2) for n, c in clusters.items()},
        "per_task_overhead_seconds": round(overhead, 5),
        "rep_months_per_run": rows_per_run,
        "serial_cpu_seconds_per_rep_month": cpu_per_row,
        "results_identical_to_serial": True,
    }
    path = record(args.name, figures)
    print(f"wrote {path}")
    for key, value in figures.items():
        print(f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
