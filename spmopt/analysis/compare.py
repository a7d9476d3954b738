"""Finance's comparison of plans on one scenario, from per-replication metrics (tables only).

Plans simulated on the same scenario and seed see common random numbers, so differences
between plans are paired replication by replication and their confidence intervals are narrow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

FIGURES = ("revenue", "comp_cost", "incentive_cost", "cost_of_sales", "profit", "share_at_quota")


def comparison_table(
    metrics: pd.DataFrame, budget: float | None = None, confidence: float = 0.95
) -> pd.DataFrame:
    """One row per plan: P10/P50/P90 of comp cost, mean cost of sales, probability that comp
    cost overruns ``budget`` (the share of replications over it, with a Wilson score interval
    at ``confidence``: :func:`wilson_interval`), share of reps at quota, revenue and profit
    (annual means).

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
            over = int(np.sum(comp > budget))
            low, high = wilson_interval(over, comp.size, confidence)
            row["p_over_budget"] = over / comp.size
            row["p_over_budget_ci_low"] = low
            row["p_over_budget_ci_high"] = high
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


def wilson_interval(successes: int, trials: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion ``successes / trials`` (Wilson 1927;
    Newcombe 1998, method 3). Unlike the normal (Wald) interval it stays inside [0, 1] and is
    not empty at 0 or ``trials`` successes: 0 of 20 gives [0, 0.161].

    >>> [round(float(v), 4) for v in wilson_interval(81, 263)]
    [0.2553, 0.3662]
    """
    if trials <= 0:
        return (np.nan, np.nan)
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * np.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return (max(0.0, float(centre - half)), min(1.0, float(centre + half)))


def gini(values) -> float:
    """Gini coefficient of non-negative amounts (0 = all equal, → 1 = one takes all):
    Σ_i Σ_j |x_i − x_j| / (2 n² mean), computed from the sorted values in O(n log n).

    >>> round(gini([1, 2, 3, 4, 5]), 12)  # 40 / (2 · 25 · 3)
    0.266666666667
    """
    x = np.sort(np.asarray(values, dtype=float))
    n = x.size
    total = x.sum()
    if n == 0 or total <= 0:
        return np.nan
    ranks = np.arange(1, n + 1)
    return float(2.0 * np.sum(ranks * x) / (n * total) - (n + 1) / n)


def _spread(pay: np.ndarray, attainment: np.ndarray) -> dict[str, float]:
    """Per-rep pay figures of one replication-year (``pay`` and ``attainment`` per rep)."""
    ordered = np.sort(pay)
    top = ordered[-max(1, int(np.ceil(pay.size / 10))) :]
    median = float(np.median(pay))
    by_attainment = pay[np.argsort(attainment, kind="stable")]
    middle = (pay.size - 1) / 2
    typical = float(
        (by_attainment[int(np.floor(middle))] + by_attainment[int(np.ceil(middle))]) / 2
    )
    return {
        "pay_p10": float(np.quantile(pay, 0.1)),
        "pay_p50": median,
        "pay_p90": float(np.quantile(pay, 0.9)),
        "typical_rep_pay": typical,
        "gini": gini(pay),
        "top_decile_to_median": float(top.mean() / median) if median > 0 else np.nan,
    }


PAY_FIGURES = (
    "pay_mean",
    "pay_p10",
    "pay_p50",
    "pay_p90",
    "typical_rep_pay",
    "incentive_p50",
    "gini",
    "top_decile_to_median",
)


def pay_distribution(rep_years: pd.DataFrame) -> pd.DataFrame:
    """How pay spreads over reps, one row per plan: means over replication-years of the
    per-rep figures of each replication-year.

    Counts reps who held their seat all year (``attainment`` not NaN in
    :func:`spmopt.sim.results.rep_years`). Pay = base + incentive [currency/yr].
    ``pay_p10/p50/p90``: quantiles of pay across reps; ``typical_rep_pay``: pay of the rep at
    the median attainment (mean of the middle two for an even count); ``incentive_p50``: median
    incentive; ``gini``: :func:`gini` of pay; ``top_decile_to_median``: mean pay of the best
    paid tenth of reps (at least one) over the median pay. ``rep_years`` counts the
    replication-years behind the means.
    """
    full = rep_years[rep_years["attainment"].notna()]
    full = full.assign(pay=full["incentive"] + full["base_pay"])
    rows = []
    for plan_id, plan_rows in full.groupby("plan_id", sort=False, observed=True):
        figures = []
        for _, year in plan_rows.groupby(["replication", "year"], sort=False):
            pay = year["pay"].to_numpy(dtype=float)
            one = _spread(pay, year["attainment"].to_numpy(dtype=float))
            one["pay_mean"] = float(pay.mean())
            one["incentive_p50"] = float(year["incentive"].median())
            figures.append(one)
        means = pd.DataFrame(figures)[list(PAY_FIGURES)].mean()
        rows.append({"plan_id": plan_id, **means.to_dict(), "rep_years": len(figures)})
    return pd.DataFrame(rows, columns=["plan_id", *PAY_FIGURES, "rep_years"])


def pay_at_attainments(plans, attainments=(0.5, 1.0, 1.5)) -> pd.DataFrame:
    """Annual pay of a rep on each plan's own quota and target incentive at given attainments
    (every measure at that attainment, credits spread evenly; exact from the plan's curve):
    ``plan_id, attainment, incentive, total_pay`` [currency/yr]."""
    rows = []
    for plan in plans:
        incentive = plan.annual_payout(np.asarray(attainments, dtype=float))
        for level, pay in zip(attainments, incentive, strict=True):
            rows.append(
                {
                    "plan_id": plan.id,
                    "attainment": float(level),
                    "incentive": float(pay),
                    "total_pay": float(plan.base_salary + pay),
                }
            )
    return pd.DataFrame(rows)
