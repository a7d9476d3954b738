"""Plots of spmopt tables (matplotlib, file output; no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd


def plot_payout_curve(table: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """Draw a payout table (see :func:`spmopt.plan.plan.payout_table`) to ``path`` (PNG/SVG/PDF).

    Left: annual incentive by component and in total against attainment. Right: effective
    commission rate and cost of sales.
    """
    path = Path(path)
    figure, (pay_axis, rate_axis) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    attainment = table["attainment"] * 100
    parts = [c for c in table.columns if c.startswith(("component_", "bonus_"))]
    if len(parts) > 1:
        for column in parts:
            pay_axis.plot(
                attainment, table[column], lw=1.2, alpha=0.8, label=column.replace("_", " ", 1)
            )
    pay_axis.plot(attainment, table["incentive"], lw=2.2, color="black", label="total incentive")
    pay_axis.set_xlabel("attainment (% of quota)")
    pay_axis.set_ylabel("annual incentive")
    pay_axis.axvline(100, color="grey", lw=0.8, ls=":")
    pay_axis.grid(alpha=0.3)
    pay_axis.legend(fontsize=8)
    pay_axis.set_title("payout curve")
    rate_axis.plot(attainment, table["effective_rate"] * 100, label="effective commission rate")
    rate_axis.plot(
        attainment, table["cost_of_sales"] * 100, label="cost of sales (base + incentive)"
    )
    rate_axis.set_xlabel("attainment (% of quota)")
    rate_axis.set_ylabel("% of credited")
    rate_axis.set_ylim(0, min(100, float((table["cost_of_sales"] * 100).iloc[10:].max()) * 1.1))
    rate_axis.axvline(100, color="grey", lw=0.8, ls=":")
    rate_axis.grid(alpha=0.3)
    rate_axis.legend(fontsize=8)
    rate_axis.set_title("effective rate and cost of sales")
    if title:
        figure.suptitle(title)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_monthly_profile(by_month: pd.DataFrame, path: str | Path, title: str = "") -> Path:
    """Mean bookings credited by month of the plan year (``by_month``: index month 1–12, columns
    ``credited`` and ``pulled``, means over replications) — timing games show as spikes."""
    path = Path(path)
    figure, axis = plt.subplots(figsize=(7, 3.4), constrained_layout=True)
    months = by_month.index
    axis.bar(months, by_month["credited"] / 1e6, color="#4477aa", label="credited bookings")
    axis.bar(
        months, by_month["pulled"] / 1e6, color="#ee6677", label="pulled forward (at a discount)"
    )
    axis.set_xticks(months)
    axis.set_xlabel("month of the plan year")
    axis.set_ylabel("USD millions (mean)")
    axis.legend(fontsize=8)
    axis.grid(axis="y", alpha=0.3)
    if title:
        axis.set_title(title)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_frontier(
    frontier: pd.DataFrame,
    path: str | Path,
    title: str = "",
    *,
    incumbent: tuple[float, float] | None = None,
) -> Path:
    """Expected profit against the comp budget (the efficient frontier).

    Feasible budgets are joined by a line; infeasible ones are drawn as crosses along the bottom
    (labelled *infeasible budget*), the row marked ``current_budget`` as a dashed vertical line,
    and ``incumbent`` — the incumbent plans' (comp cost, expected profit) [currency/yr] — as a
    star.
    """
    path = Path(path)
    infeasible = frontier["status"] == "infeasible"
    feasible = frontier[~infeasible]
    figure, axis = plt.subplots(figsize=(6.4, 3.6), constrained_layout=True)
    axis.plot(feasible["budget"] / 1e6, feasible["profit"] / 1e6, marker="o", label="best choice")
    profits = list(feasible["profit"] / 1e6)
    if incumbent is not None:
        profits.append(incumbent[1] / 1e6)
    low = min(profits) if profits else 0.0
    high = max(profits) if profits else 1.0
    floor = low - 0.08 * max(high - low, abs(low) * 0.01, 1e-9)
    if infeasible.any():
        axis.plot(
            frontier.loc[infeasible, "budget"] / 1e6,
            [floor] * int(infeasible.sum()),
            ls="none",
            marker="x",
            color="#cc3311",
            markersize=8,
            label="infeasible budget",
        )
    if "current_budget" in frontier and frontier["current_budget"].astype(bool).any():
        current = float(frontier.loc[frontier["current_budget"].astype(bool), "budget"].iloc[0])
        axis.axvline(current / 1e6, color="grey", ls="--", lw=1, label="current budget")
    if incumbent is not None:
        axis.plot(
            incumbent[0] / 1e6,
            incumbent[1] / 1e6,
            ls="none",
            marker="*",
            markersize=12,
            color="#ee7733",
            label="incumbent",
        )
    axis.set_xlabel("comp budget (USD millions)")
    axis.set_ylabel("expected profit (USD millions)")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    if title:
        axis.set_title(title)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
