"""Figures of the backtest (matplotlib; the report writer embeds them)."""

from __future__ import annotations

import numpy as np


def _money_axis(axis, which: str = "y") -> None:
    """Thousands separators on a currency axis."""
    from matplotlib.ticker import FuncFormatter

    formatter = FuncFormatter(lambda value, _: f"{value:,.0f}")
    (axis.yaxis if which == "y" else axis.xaxis).set_major_formatter(formatter)


def backtest_figures(result) -> dict:
    """``pay_change``: each rep's pay change, sorted (winners above zero, losers below);
    ``replay_vs_behaviour`` (with a behavioural view): cost and revenue per plan, replay beside
    simulation. Returns matplotlib Figures by name (the caller closes them)."""
    from matplotlib.figure import Figure

    old, new = result.labels
    figures = {}
    reps = result.reps.sort_values("change")
    figure = Figure(figsize=(8, 4))
    axis = figure.subplots()
    colours = np.where(reps["change"] >= 0, "#2a7f62", "#b5443b")
    axis.bar(np.arange(len(reps)), reps["change"], color=colours)
    axis.axhline(0.0, color="black", linewidth=0.8)
    axis.set_xlabel("reps, sorted by change")
    axis.set_ylabel(f"pay change ({result.new_plan.currency})")
    counts = result.winners_losers.set_index("outcome")["reps"]
    axis.set_title(
        f"Replay: pay under '{new}' minus '{old}' "
        f"({counts['wins']} win, {counts['loses']} lose, {counts['unchanged']} unchanged)"
    )
    _money_axis(axis)
    figures["pay_change"] = figure
    table = result.side_by_side()
    if table is not None:
        figure = Figure(figsize=(9, 4))
        axes = figure.subplots(1, 2)
        for axis, metric in zip(axes, ("comp_cost", "revenue"), strict=True):
            rows = table[table["metric"] == metric]
            positions = np.arange(len(rows))
            axis.bar(positions - 0.2, rows["replay"], width=0.4, label="replay")
            axis.bar(positions + 0.2, rows["behavioural"], width=0.4, label="behavioural")
            axis.set_xticks(positions, rows["plan"])
            axis.set_title(metric.replace("_", " "))
            _money_axis(axis)
        axes[0].legend(loc="lower left", fontsize=8)
        figure.suptitle("Replay (behaviour fixed) vs behavioural simulation")
        figures["replay_vs_behaviour"] = figure
    return figures
