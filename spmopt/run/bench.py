"""Benchmarking plan designs: scenarios × plans × replications, run on any executor.

Each (scenario, plan, block of replications) is one task; blocks use their own replication
streams, so the table is identical whatever the executor, the number of workers or the block
size.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from spmopt.errors import SpmoptInputError
from spmopt.run.executors import run_tasks
from spmopt.run.simulation import simulate
from spmopt.scenario import Scenario
from spmopt.sim.results import summarise


def _block(path: str, plan: str, first: int, count: int, seed: int | None, engine: str | None):
    """Per-replication metrics of one block of replications (runs in a worker)."""
    result = simulate(
        path, plan, replications=count, first_replication=first, seed=seed, engine=engine
    )
    metrics = result.replication_metrics()
    metrics["plan_name"] = plan
    metrics["replication"] = range(first, first + count)
    return metrics


def benchmark(
    scenarios: Sequence[str | Path],
    plans: Sequence[str] | None = None,
    *,
    replications: int | None = None,
    block: int = 25,
    seed: int | None = None,
    engine: str | None = None,
    executor: str = "serial",
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    on_skip: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate every scenario under each of its plans (or the named ``plans`` where present).

    A named plan missing from a scenario is skipped and reported through ``on_skip(message)``
    (default: a :class:`UserWarning`); a named plan that no scenario has, a ``block`` or
    ``replications`` below 1 raise :class:`~spmopt.errors.SpmoptInputError`.

    Returns ``(summary, metrics)``: the summary has one row per scenario, plan and metric (mean,
    standard error, confidence interval, P10/P50/P90); metrics one row per replication.
    """
    if block < 1:
        raise SpmoptInputError(f"block must be a positive number of replications, not {block}")
    if replications is not None and replications < 1:
        raise SpmoptInputError(f"replications must be positive, not {replications}")
    loaded = [(path, Scenario.load(path)) for path in scenarios]
    _check_plans(loaded, plans, on_skip)
    tasks = []
    for path, scenario in loaded:
        names = [name for name in (plans or scenario.plans) if name in scenario.plans]
        total = scenario.replications if replications is None else replications
        for name in names:
            for first in range(0, total, block):
                count = min(block, total - first)
                tasks.append((_block, (str(path), name, first, count, seed, engine)))
    report = None if progress is None else (lambda done: progress(done, len(tasks)))
    frames = run_tasks(tasks, executor=executor, workers=workers, progress=report)
    metrics = pd.concat(frames, ignore_index=True)
    summary = summarise(metrics)
    names = metrics.drop_duplicates(["scenario_id", "plan_id"])[
        ["scenario_id", "plan_id", "plan_name"]
    ]
    summary = summary.merge(names, on=["scenario_id", "plan_id"], how="left")
    return summary, metrics


def _check_plans(loaded, plans: Sequence[str] | None, on_skip) -> None:
    """Raise if a named plan is in no scenario; report the scenarios that lack a named plan."""
    if not plans:
        return
    available = sorted({name for _, scenario in loaded for name in scenario.plans})
    nowhere = [name for name in plans if name not in available]
    if nowhere:
        raise SpmoptInputError(
            f"no scenario has plan{'s' if len(nowhere) > 1 else ''} "
            f"{', '.join(repr(n) for n in nowhere)}; the scenarios' plans are "
            f"{', '.join(available)}"
        )
    for path, scenario in loaded:
        missing = [name for name in plans if name not in scenario.plans]
        if missing:
            message = (
                f"{path}: no plan {', '.join(repr(n) for n in missing)} in its [plans] "
                f"({', '.join(scenario.plans)}); skipped for this scenario"
            )
            if on_skip is None:
                warnings.warn(message, UserWarning, stacklevel=3)
            else:
                on_skip(message)
