"""`spmopt.compare`: simulate several plans on one scenario with common random numbers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from spmopt.analysis.compare import (
    comparison_table,
    paired_differences,
    pay_at_attainments,
    pay_distribution,
)
from spmopt.plan.plan import Plan
from spmopt.run.simulation import as_scenario, simulate
from spmopt.scenario import Scenario


@dataclass(frozen=True, eq=False)
class Comparison:
    """Plans compared on one scenario.

    ``table``: one row per plan (P10/P50/P90 comp cost, cost of sales, probability of
    overrunning the budget with its Wilson interval, share at quota, revenue, profit);
    ``differences``: each plan minus the first, paired by replication, with confidence
    intervals; ``metrics``: per-replication figures of every plan; ``pay``: how pay spreads
    over reps (median and typical-rep pay, P10/P50/P90, Gini, top decile over median; see
    :func:`~spmopt.analysis.compare.pay_distribution`); ``pay_at_attainment``: each plan's pay
    at given attainments, from its curve.
    """

    scenario_id: str
    budget: float | None
    table: pd.DataFrame
    differences: pd.DataFrame
    metrics: pd.DataFrame
    pay: pd.DataFrame | None = None
    pay_at_attainment: pd.DataFrame | None = None
    plans: tuple[Plan, ...] = ()

    def write(self, out_dir: str | Path) -> list[Path]:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        names = ["table", "differences", "metrics"]
        names += [name for name in ("pay", "pay_at_attainment") if getattr(self, name) is not None]
        for name in names:
            path = (
                out_dir / f"comparison_{name}.csv"
                if name != "table"
                else out_dir / "comparison.csv"
            )
            getattr(self, name).to_csv(path, index=False, float_format="%.10g")
            written.append(path)
        return written


def compare(
    scenario: str | Path | Scenario,
    plans: Sequence[str | Plan] | None = None,
    *,
    replications: int | None = None,
    seed: int | None = None,
    engine: str | None = None,
    attainments: Sequence[float] = (0.5, 1.0, 1.5),
    progress: Callable[[int], None] | None = None,
) -> Comparison:
    """Simulate each plan (names from the scenario's ``[plans]`` or Plan objects; default: all
    of the scenario's plans) on the same scenario and seed, and compare them for finance.

    ``attainments``: ratios at which ``pay_at_attainment`` reads each plan's pay off its curve.
    """
    scenario = as_scenario(scenario)
    plans = list(scenario.plans) if not plans else list(plans)
    frames, pays = [], []
    for position, plan in enumerate(plans):
        result = simulate(scenario, plan, replications=replications, seed=seed, engine=engine)
        frames.append(result.replication_metrics())
        pays.append(pay_distribution(result.rep_years()))
        if progress:
            progress(position + 1)
    metrics = pd.concat(frames, ignore_index=True)
    budget = scenario.spec.finance.comp_budget
    resolved = tuple(plan if isinstance(plan, Plan) else scenario.plan_of(plan) for plan in plans)
    baseline = metrics["plan_id"].iloc[0]
    return Comparison(
        scenario_id=scenario.id,
        budget=budget,
        table=comparison_table(metrics, budget),
        differences=paired_differences(metrics, baseline),
        metrics=metrics,
        pay=pd.concat(pays, ignore_index=True),
        pay_at_attainment=pay_at_attainments(resolved, attainments),
        plans=resolved,
    )
