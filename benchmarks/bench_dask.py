"""Parallel efficiency of the Dask executor, its per-task overhead, and the cost per rep-month of
a benchmark task (issue 15).

Workload: ``--replications`` replications (default 200) of one plan on one scenario (default
``field-sales``), in tasks of ``--block`` replications (default 25), exactly as ``spmopt bench``
runs them (:func:`spmopt.run.suite.run_block`). Runs, interleaved in ``--rounds`` rounds:

* ``serial``: the tasks one after another in this process;
* ``dask_default``: a LocalCluster of 2 single-threaded worker processes with Dask's default
  configuration (``MALLOC_TRIM_THRESHOLD_=65536``, profiler every 10 ms, 20 ms ticks);
* ``dask_env``: the same with only the worker environment of the first fix
  (``MALLOC_TRIM_THRESHOLD_`` unset, one BLAS thread) — what ``spmopt bench`` started before;
* ``dask_tuned``: the LocalCluster ``spmopt bench --executor dask`` starts
  (:func:`spmopt.run.executors.dask_worker_config`: also no profiler, 1 s ticks, slower
  monitors, one malloc arena);
* ``processes``: :class:`concurrent.futures.ProcessPoolExecutor` with 2 workers, for reference;
* ``dask_arena_default`` (only with ``--variants``): the tuned cluster with glibc's default
  arenas (without ``MALLOC_ARENA_MAX=1``; ``docs/scaling.md``).

Each cluster is started for its run and closed after it (an idle cluster left running costs the
others CPU: 0.17 cores for a default one), and every worker runs one task before timing (as
this process does); start-up is reported apart. The order of the parallel runs rotates between
rounds. Speed-up = serial time / parallel time of the same round; the figure is the median over
rounds (and the best). Where the time goes, per run: the CPU seconds of the task threads (timed
inside the task, ``time.thread_time``), of the worker processes as a whole (the difference is
Dask's background threads) and of this process (client, scheduler, nannies). **Per-task
overhead**: 200 no-op tasks, wall time per task. **Cost per rep-month**: CPU seconds of the
serial run / rep-months simulated, for the core-hours estimate in ``docs/scaling.md``. The load
average (1 min) is recorded before and after: on a machine shared with other jobs, speed-ups
are only meaningful when it is low.

Usage::

    python benchmarks/bench_dask.py --rounds 7                   # field-sales, 200 replications
    python benchmarks/bench_dask.py --rounds 7 --block 100 --name dask-block100
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


PARALLEL = ("dask_default", "dask_env", "dask_tuned", "processes")


def _dask_config(name: str) -> dict:
    """The Dask configuration of cluster variant ``name``."""
    from spmopt.run.executors import dask_worker_config

    if name == "dask_default":
        return {}
    arena = "distributed.nanny.pre-spawn-environ.MALLOC_ARENA_MAX"
    if name == "dask_env":  # the first fix: the environment without the arena setting
        return {
            k: v
            for k, v in dask_worker_config().items()
            if ".pre-spawn-environ." in k and k != arena
        }
    if name == "dask_arena_default":  # the tuned cluster with glibc's default arenas
        return {k: v for k, v in dask_worker_config().items() if k != arena}
    return dask_worker_config()


def _cluster(name: str, workers: int):
    """A started LocalCluster of variant ``name``, its client and its start-up time [s]."""
    import dask
    from dask.distributed import Client, LocalCluster

    start = time.perf_counter()
    with dask.config.set(_dask_config(name)):
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


def _timed(function, *arguments):
    """``function(*arguments)`` with its wall and thread CPU seconds and the process id."""
    wall, cpu = time.perf_counter(), time.thread_time()
    result = function(*arguments)
    return result, time.perf_counter() - wall, time.thread_time() - cpu, os.getpid()


def _process_cpu(pids) -> dict[int, float]:
    """CPU seconds (user + system) used so far by each process in ``pids``."""
    import psutil

    seconds = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.Error:
            continue
        seconds[pid] = times.user + times.system
    return seconds


def _wait_for_exit(pids, timeout: float = 20.0) -> None:
    """Wait until the worker processes ``pids`` have ended, so that a closed cluster's
    shutdown does not run during the next variant's timing."""
    import psutil

    processes = []
    for pid in pids:
        try:
            processes.append(psutil.Process(pid))
        except psutil.Error:
            continue
    psutil.wait_procs(processes, timeout=timeout)


def _run_parallel(name: str, tasks, workers: int, reference):
    """Wall seconds of the tasks on variant ``name``, where their CPU went, and start-up [s]."""
    import pandas as pd

    from spmopt.run.executors import run_on_client, run_tasks

    timed = [(_timed, (function, *arguments)) for function, arguments in tasks]
    if name == "processes":
        start = time.perf_counter()
        results = run_tasks(timed, executor="processes", workers=workers)
        seconds, startup, process_cpu, client_cpu = time.perf_counter() - start, None, None, None
    else:
        cluster, client, startup = _cluster(name, workers)
        pids = list(client.run(os.getpid).values())
        try:
            run_on_client(client, timed[:workers])  # one task per worker before timing
            before, own = _process_cpu(pids), time.process_time()
            start = time.perf_counter()
            results = run_on_client(client, timed)
            seconds = time.perf_counter() - start
            client_cpu, after = time.process_time() - own, _process_cpu(pids)
            process_cpu = sum(after[pid] - before[pid] for pid in pids if pid in before)
        finally:
            client.close()
            cluster.close()
            _wait_for_exit(pids)
    frames = [result[0] for result in results]
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), reference)
    task_cpu = sum(result[2] for result in results)
    return (
        seconds,
        {
            "task_cpu": round(task_cpu, 3),
            "task_wall": round(sum(result[1] for result in results), 3),
            "worker_process_cpu": None if process_cpu is None else round(process_cpu, 3),
            "client_process_cpu": None if client_cpu is None else round(client_cpu, 3),
            "workers_used": len({result[3] for result in results}),
        },
        startup,
    )


def _overhead(name: str, workers: int) -> float:
    """Wall seconds per no-op task on a cluster of variant ``name`` (200 tasks, after 200)."""
    from spmopt.run.executors import run_on_client

    cluster, client, _ = _cluster(name, workers)
    try:
        noops = [(_noop, (n,)) for n in range(200)]
        run_on_client(client, noops)
        start = time.perf_counter()
        run_on_client(client, noops)
        return (time.perf_counter() - start) / len(noops)
    finally:
        client.close()
        cluster.close()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", default="scenarios/field-sales.toml")
    parser.add_argument("--plan", default="incumbent")
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--block", type=int, default=25)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--name", default="dask")
    parser.add_argument(
        "--variants", default=",".join(PARALLEL), help="parallel runs, comma-separated"
    )
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

    from spmopt.run.executors import run_tasks

    variants = [name for name in args.variants.split(",") if name]
    load_before = os.getloadavg()[0]
    tasks, scenario = _tasks(args.scenario, args.plan, args.replications, args.block)
    rows_per_run = args.replications * len(scenario.population) * 12 * scenario.spec.scenario.years
    run_tasks(tasks[:1])  # warm this process's imports and caches
    timings: dict[str, list[float]] = {name: [] for name in ["serial", *variants]}
    cpu: dict[str, list[dict]] = {name: [] for name in ["serial", *variants]}
    startup: dict[str, list[float]] = {name: [] for name in variants if name != "processes"}
    loads = []
    for round_ in range(args.rounds):
        loads.append(round(os.getloadavg()[0], 2))
        start, own = time.perf_counter(), time.process_time()
        serial = run_tasks([(_timed, (function, *arguments)) for function, arguments in tasks])
        timings["serial"].append(time.perf_counter() - start)
        cpu["serial"].append(
            {
                "task_cpu": round(sum(result[2] for result in serial), 3),
                "client_process_cpu": round(time.process_time() - own, 3),
            }
        )
        reference = pd.concat([result[0] for result in serial], ignore_index=True)
        shift = round_ % len(variants)
        for name in variants[shift:] + variants[:shift]:
            seconds, figures, started = _run_parallel(name, tasks, args.workers, reference)
            timings[name].append(seconds)
            cpu[name].append(figures)
            if started is not None:
                startup[name].append(started)
        print(
            f"round {round_ + 1}: load {loads[-1]}, "
            + ", ".join(f"{name} {values[-1]:.2f} s" for name, values in timings.items()),
            flush=True,
        )
    overhead = {
        name: round(_overhead(name, args.workers), 5)
        for name in variants
        if name in ("dask_default", "dask_tuned")
    }
    load_after = os.getloadavg()[0]

    speedups = {
        name: [s / t for s, t in zip(timings["serial"], timings[name], strict=True)]
        for name in variants
    }
    cpu_per_row = min(entry["client_process_cpu"] for entry in cpu["serial"]) / rows_per_run
    figures = {
        "scenario": args.scenario,
        "plan": args.plan,
        "replications": args.replications,
        "block": args.block,
        "tasks": len(tasks),
        "workers": args.workers,
        "rounds": args.rounds,
        "load_average_1min_before": round(load_before, 2),
        "load_average_1min_per_round": loads,
        "load_average_1min_after": round(load_after, 2),
        "seconds": {name: [round(t, 3) for t in values] for name, values in timings.items()},
        "speedup": {n: [round(x, 3) for x in v] for n, v in speedups.items()},
        "speedup_median": {n: round(statistics.median(v), 3) for n, v in speedups.items()},
        "speedup_best": {n: round(max(v), 3) for n, v in speedups.items()},
        "cpu_seconds": cpu,
        "cluster_start_seconds_median": {
            n: round(statistics.median(v), 2) for n, v in startup.items()
        },
        "per_task_overhead_seconds": overhead,
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
