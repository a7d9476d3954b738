"""Benchmarking plan designs: the table does not depend on the executor or the block size."""

from __future__ import annotations

import pandas as pd

from spmopt.run.bench import benchmark
from spmopt.run.executors import run_tasks

SCENARIO = "scenarios/uncapped-windfall.toml"


def test_same_results_serially_and_in_processes_and_whatever_the_blocks():
    serial, metrics = benchmark([SCENARIO], ["uncapped"], replications=6, block=6)
    parallel, parallel_metrics = benchmark(
        [SCENARIO], ["uncapped"], replications=6, block=2, executor="processes", workers=2
    )
    pd.testing.assert_frame_equal(metrics, parallel_metrics)
    pd.testing.assert_frame_equal(serial, parallel)
    assert set(serial["metric"]) >= {"profit", "cost_of_sales", "share_at_quota"}


def test_run_tasks_keeps_task_order():
    tasks = [(pow, (2, n)) for n in range(6)]
    assert run_tasks(tasks, executor="processes", workers=2) == [1, 2, 4, 8, 16, 32]
