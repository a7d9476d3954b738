"""Benchmarking plan designs: scenarios × plans × replications, run on any executor.

Each (scenario, plan, seed, block of replications) is one task; blocks use their own replication
streams, so the table is identical whatever the executor, the number of workers or the block
size. Scenario files with plan names (``--plans``) and plan files (``--plan-file``) are turned
into a :class:`~spmopt.run.suite.Suite` and run like a suite file.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from spmopt.errors import SpmoptInputError
from spmopt.plan.plan import Plan
from spmopt.run.suite import Design, Suite, SuiteScenario, load_scenario_cached, run_suite
from spmopt.sim.results import summarise


def suite_from_scenarios(
    scenarios: Sequence[str | Path],
    plans: Sequence[str] | None = None,
    plan_files: Sequence[str | Path] = (),
    *,
    replications: int | None = None,
    block: int = 25,
    seed: int | None = None,
    engine: str | None = None,
    on_skip: Callable[[str], None] | None = None,
) -> Suite:
    """A suite of the scenarios' plans (the named ``plans`` where present, else each scenario's
    own) and of plan files (applied to every scenario, named by their file name).

    Raises :class:`~spmopt.errors.SpmoptInputError` for a missing scenario or plan file, a
    named plan that no scenario has, a ``block`` or ``replications`` below 1.
    """
    if block < 1:
        raise SpmoptInputError(f"block must be a positive number of replications, not {block}")
    if replications is not None and replications < 1:
        raise SpmoptInputError(f"replications must be positive, not {replications}")
    loaded = [(Path(path), load_scenario_cached(Path(path))) for path in scenarios]
    _check_plans(loaded, plans, on_skip)
    names: dict[str, None] = {}
    for _, scenario in loaded:
        for name in plans or scenario.plans:
            names.setdefault(name)
    designs = [Design(name) for name in names]
    for path in plan_files:
        plan = Plan.load(path)
        name = Path(path).stem
        if name in names or any(design.name == name for design in designs):
            name = f"{name}-file"
        designs.append(Design(name, plan))
    return Suite(
        id="bench",
        scenarios=tuple(SuiteScenario(path) for path, _ in loaded),
        designs=tuple(designs),
        seeds=(seed,),
        replications=replications,
        block=block,
        engine=engine,
    )


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
    plan_files: Sequence[str | Path] = (),
    address: str | None = None,
    cache_dir: str | Path | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate every scenario under each of its plans (or the named ``plans`` where present),
    and under each plan file.

    A named plan missing from a scenario is skipped and reported through ``on_skip(message)``
    (default: a :class:`UserWarning`); a named plan that no scenario has, a ``block`` or
    ``replications`` below 1 raise :class:`~spmopt.errors.SpmoptInputError`.

    Returns ``(summary, metrics)``: the summary has one row per scenario, plan and metric (mean,
    standard error, confidence interval, P10/P50/P90); metrics one row per replication. For the
    leaderboard use :func:`spmopt.run.suite.bench`.
    """
    suite = suite_from_scenarios(
        scenarios,
        plans,
        plan_files,
        replications=replications,
        block=block,
        seed=seed,
        engine=engine,
        on_skip=on_skip,
    )
    metrics, _, _ = run_suite(
        suite,
        executor=executor,
        workers=workers,
        address=address,
        cache_dir=cache_dir,
        progress=progress,
    )
    return summary_of(metrics), metrics


def summary_of(metrics: pd.DataFrame) -> pd.DataFrame:
    """One row per scenario, plan and metric, with the plan's name in the scenario."""
    summary = summarise(metrics)
    names = metrics.drop_duplicates(["scenario_id", "plan_id"])[
        ["scenario_id", "plan_id", "plan_name"]
    ]
    return summary.merge(names, on=["scenario_id", "plan_id"], how="left")


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
                warnings.warn(message, UserWarning, stacklevel=4)
            else:
                on_skip(message)
