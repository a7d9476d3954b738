"""A benchmark suite's leaderboard from per-replication metrics (tables only).

Designs on one scenario and seed see common random numbers, so each pair of designs is compared
by the paired difference of their profits, seed by seed and replication by replication. A
design's *rank interval* ``[rank_best, rank_worst]`` counts the designs significantly better and
worse than it: ``rank_best = 1 + #better``, ``rank_worst = n − #worse``, each pairwise interval at
confidence ``1 − (1 − confidence)/(n − 1)`` (Bonferroni over a design's n − 1 comparisons, so the
rank interval holds with at least ``confidence``).
"""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

KEYS = ["seed", "replication"]
COLUMNS = (
    "scenario_id",
    "design",
    "rank",
    "rank_best",
    "rank_worst",
    "profit",
    "profit_ci_low",
    "profit_ci_high",
    "profit_vs_leader",
    "profit_vs_leader_ci_low",
    "profit_vs_leader_ci_high",
    "revenue",
    "incentive_cost",
    "comp_cost_p90",
    "cost_of_sales",
    "p_over_budget",
    "share_at_quota",
    "attrition",
    "discount_lost",
    "replications",
)
"""Columns of the leaderboard: money in the scenario's currency per year, ratios in [0, 1]."""
MONEY = ("profit", "revenue", "incentive_cost", "comp_cost_p90", "discount_lost")
RATIOS = ("cost_of_sales", "p_over_budget", "share_at_quota", "attrition")


def _interval(values: np.ndarray, confidence: float) -> tuple[float, float, float]:
    """Mean and a t confidence interval of ``values``."""
    n = values.size
    mean = float(values.mean()) if n else np.nan
    if n < 2:
        return mean, np.nan, np.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half


def _paired(wide: pd.DataFrame, a: str, b: str, confidence: float) -> tuple[float, float, float]:
    """Mean of a − b over the replications both ran, with its confidence interval."""
    difference = (wide[a] - wide[b]).dropna().to_numpy(dtype=float)
    return _interval(difference, confidence)


def leaderboard_table(
    metrics: pd.DataFrame,
    budgets: dict[str, float | None] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """One row per scenario and design (columns :data:`COLUMNS`), best mean profit first.

    ``metrics``: per-replication rows with ``scenario_id``, ``plan_name`` (the design), ``seed``,
    ``replication`` and the figures of :func:`spmopt.sim.results.replication_metrics`;
    ``budgets``: each scenario's annual comp budget (base + incentive) for P(over budget).
    """
    budgets = budgets or {}
    rows = []
    for scenario_id, group in metrics.groupby("scenario_id", sort=False):
        wide = group.pivot_table(index=KEYS, columns="plan_name", values="profit", sort=False)
        designs = list(group["plan_name"].drop_duplicates())
        means = {design: wide[design].mean() for design in designs}
        order = sorted(designs, key=lambda design: -means[design])
        leader = order[0]
        pairwise = 1 - (1 - confidence) / max(len(designs) - 1, 1)
        budget = budgets.get(scenario_id)
        for position, design in enumerate(order, start=1):
            better = worse = 0
            for other in designs:
                if other == design:
                    continue
                _, low, high = _paired(wide, other, design, pairwise)
                better += bool(low > 0)
                worse += bool(high < 0)
            one = group[group["plan_name"] == design]
            comp = (one["incentive_cost"] + one["base_cost"]).to_numpy(dtype=float)
            profit, profit_low, profit_high = _interval(
                one["profit"].to_numpy(dtype=float), confidence
            )
            gap, gap_low, gap_high = (
                (0.0, 0.0, 0.0) if design == leader else _paired(wide, design, leader, confidence)
            )
            rows.append(
                {
                    "scenario_id": scenario_id,
                    "design": design,
                    "rank": position,
                    "rank_best": 1 + better,
                    "rank_worst": len(designs) - worse,
                    "profit": profit,
                    "profit_ci_low": profit_low,
                    "profit_ci_high": profit_high,
                    "profit_vs_leader": gap,
                    "profit_vs_leader_ci_low": gap_low,
                    "profit_vs_leader_ci_high": gap_high,
                    "revenue": one["revenue"].mean(),
                    "incentive_cost": one["incentive_cost"].mean(),
                    "comp_cost_p90": float(np.quantile(comp, 0.9)),
                    "cost_of_sales": one["cost_of_sales"].mean(),
                    "p_over_budget": float(np.mean(comp > budget)) if budget else np.nan,
                    "share_at_quota": one["share_at_quota"].mean(),
                    "attrition": one["attrition"].mean(),
                    "discount_lost": one["discount_lost"].mean(),
                    "replications": len(one),
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def overall_table(leaderboard: pd.DataFrame) -> pd.DataFrame:
    """One row per design over all scenarios: mean rank, scenarios where it ranks first and
    where no design is significantly better; best mean rank first."""
    overall = leaderboard.groupby("design", sort=False).agg(
        mean_rank=("rank", "mean"),
        scenarios=("scenario_id", "nunique"),
        first=("rank", lambda ranks: int((ranks == 1).sum())),
        top_within_confidence=("rank_best", lambda best: int((best == 1).sum())),
    )
    return overall.sort_values(["mean_rank", "first"], ascending=[True, False]).reset_index()


def leader_differences(
    metrics: pd.DataFrame, baseline: str | None = None, confidence: float = 0.95
) -> pd.DataFrame:
    """Each design minus ``baseline`` (default: each scenario's leader by mean profit), paired
    by seed and replication, for profit, revenue, incentive cost, cost of sales and share at
    quota: mean difference and confidence interval."""
    figures = ["profit", "revenue", "incentive_cost", "cost_of_sales", "share_at_quota"]
    rows = []
    for scenario_id, group in metrics.groupby("scenario_id", sort=False):
        designs = list(group["plan_name"].drop_duplicates())
        reference = baseline if baseline in designs else None
        if reference is None:
            reference = group.groupby("plan_name")["profit"].mean().idxmax()
        for figure in figures:
            wide = group.pivot_table(index=KEYS, columns="plan_name", values=figure, sort=False)
            for design in designs:
                if design == reference:
                    continue
                mean, low, high = _paired(wide, design, reference, confidence)
                rows.append(
                    {
                        "scenario_id": scenario_id,
                        "design": design,
                        "baseline": reference,
                        "figure": figure,
                        "difference": mean,
                        "ci_low": low,
                        "ci_high": high,
                    }
                )
    return pd.DataFrame(
        rows,
        columns=["scenario_id", "design", "baseline", "figure", "difference", "ci_low", "ci_high"],
    )


def formatted(leaderboard: pd.DataFrame) -> pd.DataFrame:
    """The leaderboard for reading: money with thousands separators, ratios in %, the rank
    interval and the profit gap to the leader with its interval."""
    shown = pd.DataFrame(
        {
            "scenario": leaderboard["scenario_id"],
            "rank": leaderboard["rank"],
            "rank (95%)": [
                f"{best}" if best == worst else f"{best}–{worst}"
                for best, worst in zip(
                    leaderboard["rank_best"], leaderboard["rank_worst"], strict=True
                )
            ],
            "design": leaderboard["design"],
        }
    )
    for column in MONEY:
        shown[column] = leaderboard[column].map(_money)
    shown["profit vs leader"] = [
        "—" if gap == 0 else f"{gap:+,.0f} [{low:+,.0f}, {high:+,.0f}]"
        for gap, low, high in zip(
            leaderboard["profit_vs_leader"],
            leaderboard["profit_vs_leader_ci_low"],
            leaderboard["profit_vs_leader_ci_high"],
            strict=True,
        )
    ]
    for column in RATIOS:
        shown[column] = leaderboard[column].map(lambda v: "n/a" if pd.isna(v) else f"{v:.1%}")
    return shown


def _money(value: float) -> str:
    return "n/a" if pd.isna(value) else f"{value:,.0f}"


def leaderboard_html(result, image: str | None = None) -> str:
    """A self-contained HTML page of a :class:`~spmopt.run.suite.BenchResult` (the plot
    ``image`` linked beside it)."""
    shown = formatted(result.leaderboard)
    overall = result.overall.copy()
    overall["mean_rank"] = overall["mean_rank"].map("{:.2f}".format)
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>spmopt bench: {html.escape(result.suite_id)}</title>",
        "<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}"
        "td:nth-child(4),th{text-align:left}</style></head><body>",
        f"<h1>Leaderboard: {html.escape(result.suite_id)}</h1>",
        "<p>Designs ranked by mean annual profit on each scenario. The rank interval counts the "
        "designs significantly better or worse, from paired differences on common random "
        "numbers (Bonferroni over each design's comparisons, 95% overall). Money in the "
        "scenario's currency per year.</p>",
        "<h2>Over all scenarios</h2>",
        overall.to_html(index=False, escape=True),
        "<h2>Per scenario</h2>",
        shown.to_html(index=False, escape=True),
    ]
    if image:
        parts.append(f"<h2>Profit by design</h2><img src='{html.escape(image)}' alt='profit'>")
    parts.append(
        f"<p>{result.computed} tasks computed, {result.cached} read from the cache.</p>"
        "</body></html>"
    )
    return "\n".join(parts)


def plot_leaderboard(leaderboard: pd.DataFrame, path: str | Path) -> Path:
    """Mean profit of each design with its 95% interval, one panel per scenario."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    scenarios = list(leaderboard["scenario_id"].drop_duplicates())
    designs = len(leaderboard["design"].unique())
    figure, axes = plt.subplots(
        1,
        len(scenarios),
        figsize=(4.5 * len(scenarios), 0.45 * designs + 1.5),
        squeeze=False,
    )
    for axis, scenario_id in zip(axes[0], scenarios, strict=True):
        rows = leaderboard[leaderboard["scenario_id"] == scenario_id].iloc[::-1]
        error = np.vstack(
            [rows["profit"] - rows["profit_ci_low"], rows["profit_ci_high"] - rows["profit"]]
        )
        colours = ["tab:green" if best == 1 else "tab:blue" for best in rows["rank_best"]]
        axis.barh(rows["design"], rows["profit"], xerr=np.nan_to_num(error), color=colours)
        axis.set_title(scenario_id)
        axis.xaxis.set_major_formatter(FuncFormatter(_axis_money))
        axis.set_xlabel("mean annual profit")
        low = (rows["profit_ci_low"].fillna(rows["profit"])).min()
        high = (rows["profit_ci_high"].fillna(rows["profit"])).max()
        span = max(high - low, abs(high) * 0.01, 1.0)
        axis.set_xlim(low - 0.15 * span, high + 0.15 * span)
    figure.suptitle("Profit by design (green: no design significantly better)")
    figure.tight_layout()
    path = Path(path)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def _axis_money(value: float, _position=None) -> str:
    """Axis labels: 12.3M, 450k."""
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.1f}M"
    if abs(value) >= 1e3:
        return f"{value / 1e3:,.0f}k"
    return f"{value:,.0f}"
