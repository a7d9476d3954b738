"""Figures for finance reports (matplotlib ``Figure`` objects; the caller embeds and closes them).

Axes carry the currency with thousands (k) or millions (M), attainment in percent, titles name
the scenario, plans and replications, and legends sit outside the data.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter


def money_formatter() -> FuncFormatter:
    """Tick labels ``1.25M``, ``850k``, ``900`` (the currency goes in the axis label)."""

    def label(value: float, _position=None) -> str:
        size = abs(value)
        if size >= 1e6:
            return f"{value / 1e6:,.2f}M".replace(".00M", "M")
        if size >= 1e3:
            return f"{value / 1e3:,.0f}k"
        return f"{value:,.0f}"

    return FuncFormatter(label)


def _money_axis(axis, currency: str) -> None:
    """Money ticks (k, M; at most 6) on a matplotlib axis (``axis.xaxis`` or ``yaxis``)."""
    axis.set_major_locator(MaxNLocator(6))
    axis.set_major_formatter(money_formatter())


def cost_by_plan(
    metrics: pd.DataFrame,
    budget: float | None = None,
    title: str = "",
    currency: str = "USD",
):
    """Violin of annual comp cost (base + incentive) per plan over replications, with the P10,
    P50 and P90 marked and the comp budget as a line. ``metrics``: per-replication rows with
    ``plan_id``, ``incentive_cost`` and ``base_cost``."""
    comp = metrics["incentive_cost"] + metrics["base_cost"]
    plans = list(dict.fromkeys(metrics["plan_id"]))
    samples = [comp[metrics["plan_id"] == plan].to_numpy(dtype=float) for plan in plans]
    figure, axis = plt.subplots(figsize=(8, 0.9 + 0.9 * max(len(plans), 2)), layout="constrained")
    positions = np.arange(1, len(plans) + 1)
    if all(sample.size > 1 and np.ptp(sample) > 0 for sample in samples):
        horizontal = (
            {"orientation": "horizontal"}
            if "orientation" in inspect.signature(axis.violinplot).parameters
            else {"vert": False}  # matplotlib < 3.10
        )
        axis.violinplot(samples, positions=positions, showextrema=False, **horizontal)
    for position, sample in zip(positions, samples, strict=True):
        p10, p50, p90 = np.quantile(sample, [0.1, 0.5, 0.9])
        axis.plot([p10, p90], [position, position], color="black", lw=2)
        axis.plot([p50], [position], marker="o", color="black", label="P50 (line: P10–P90)")
    if budget is not None:
        axis.axvline(budget, color="#cc3311", ls="--", lw=1.5, label="comp budget")
    axis.set_yticks(positions, plans)
    _money_axis(axis.xaxis, currency)
    axis.set_xlabel(f"annual comp cost, base + incentive ({currency})")
    axis.grid(axis="x", alpha=0.3)
    handles, labels = axis.get_legend_handles_labels()
    unique = dict(zip(labels, handles, strict=True))
    axis.legend(unique.values(), unique.keys(), loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axis.set_title(title or "comp cost by plan")
    return figure


def payout_curves(
    plans: Sequence,
    title: str = "",
    max_attainment: float = 2.0,
    base: bool = True,
):
    """Each plan's annual pay against attainment (every measure at the same attainment),
    overlaid: base + incentive when ``base``, else incentive only."""
    from spmopt.plan.plan import payout_table

    figure, axis = plt.subplots(figsize=(8, 3.8), layout="constrained")
    currencies = set()
    styles = ["-", "--", "-.", ":"]  # overlapping curves stay visible
    for position, plan in enumerate(plans):
        table = payout_table(plan, max_attainment=max_attainment, step=0.005)
        pay = table["total_pay"] if base else table["incentive"]
        axis.plot(
            table["attainment"], pay, lw=2.4, ls=styles[position % 4], label=plan.id, alpha=0.9
        )
        currencies.add(plan.currency)
    axis.xaxis.set_major_formatter(PercentFormatter(1.0))
    _money_axis(axis.yaxis, "/".join(sorted(currencies)))
    axis.axvline(1.0, color="grey", lw=0.8, ls=":")
    axis.set_xlabel("attainment (share of quota)")
    unit = "/".join(sorted(currencies))
    axis.set_ylabel(f"annual pay, base + incentive ({unit})" if base else f"incentive ({unit})")
    axis.grid(alpha=0.3)
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axis.set_title(title or "payout curves")
    return figure


def pay_histogram(pay: pd.DataFrame, title: str = "", currency: str = "USD"):
    """Histogram of pay per rep, one colour per plan (``pay``: columns ``plan_id``, ``paid``)."""
    figure, axis = plt.subplots(figsize=(8, 3.6), layout="constrained")
    for plan_id, group in pay.groupby("plan_id", sort=False):
        axis.hist(group["paid"], bins=20, alpha=0.6, label=str(plan_id))
    _money_axis(axis.xaxis, currency)
    axis.set_xlabel(f"incentive paid in the year, per rep ({currency})")
    axis.set_ylabel("reps")
    axis.grid(axis="y", alpha=0.3)
    axis.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    axis.set_title(title or "incentive paid per rep")
    return figure
