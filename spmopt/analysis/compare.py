"""Finance's comparison of plans on one scenario, from per-replication metrics (tables only).

Plans simulated on the same scenario and seed see common random numbers, so differences
between plans are paired replication by replication and their confidence intervals are narrow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

FIGURES = ("revenue", "comp_cost", "incentive_cost", "cost_of_sales", "profit", "share_at_quota")


def comparison_table(metrics: pd.DataFrame, budget: float | None = None) -> pd.DataFrame:
    """One row per plan: P10/P50/P90 of comp cost, mean cost of sales, probability that comp
    cost overruns ``budget``, share of reps at quota, revenue and profit (annual means).

    ``metrics``: per-replication rows with ``plan_id`` and the columns of
    :func:`spmopt.sim.results.replication_metrics`.
    """
    metrics = metrics.assign(comp_cost=metrics["incentive_cost"] + metrics["base_cost"])
    rows = []
    for plan_id, group in metrics.groupby("plan_id", sort=False):
        comp = group["comp_cost"].to_numpy(dtype=float)
        row = {
            "plan_id": plan_id,
            "replications": len(group),
            "revenue": group["revenue"].mean(),
            "profit": group["profit"].mean(),
            "comp_cost_p10": np.quantile(comp, 0.1),
            "comp_cost_p50": np.quantile(comp, 0.5),
            "comp_cost_p90": np.quantile(comp, 0.9),
            "cost_of_sales": group["cost_of_sales"].mean(),
            "share_at_quota": group["share_at_quota"].mean(),
            "attrition": group["attrition"].mean(),
            "discount_lost": group["discount_lost"].mean(),
        }
        if budget is not None:
            row["p_over_budget"] = float(np.mean(comp > budget))
        rows.append(row)
    return pd.DataFrame(rows)


def paired_differences(
    metrics: pd.DataFrame, baseline: str, confidence: float = 0.95
) -> pd.DataFrame:
    """Each plan minus ``baseline``, replication by replication: mean difference, standard error
    and a t confidence interval per figure (common random numbers make the pairing valid)."""
    metrics = metrics.assign(comp_cost=metrics["incentive_cost"] + metrics["base_cost"])
    wide = metrics.pivot(index="replication", columns="plan_id", values=list(FIGURES))
    rows = []
    for plan_id in metrics["plan_id"].unique():
        if plan_id == baseline:
            continue
        for figure in FIGURES:
            difference = (wide[(figure, plan_id)] - wide[(figure, baseline)]).dropna().to_numpy()
            n = difference.size
            mean = float(difference.mean()) if n else np.nan
            se = float(difference.std(ddof=1) / np.sqrt(n)) if n > 1 else np.nan
            half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * se) if n > 1 else np.nan
            rows.append(
                {
                    "plan_id": plan_id,
                    "baseline": baseline,
                    "figure": figure,
                    "difference": mean,
                    "se": se,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                }
            )
    return pd.DataFrame(rows)
