"""Backtest of the year-end forecast (issue 12) on simulated histories.

Simulates sales-force years of ``scenarios/saas-ae.toml`` with the fast engine (deal-level sales,
quarter-end bunching, ramps, the scenario's behaviour — none of which the forecast knows),
forecasts each history at 30 June from its first half, then reveals the second half: per history
the actual incentive total against the forecast (mean, P10–P90), the run rate and (from the
second plan year on) the replay of last year's second half, the per-rep mean absolute payout
error of each, and the share of reps inside the forecast's P10–P90.

The same histories are then forecast again with each seat's open pipeline at 30 June (face value
per close month, probability 1, from the engine's pipeline: :func:`simulate_with_pipeline`).

Usage: ``python benchmarks/forecast_backtest.py [--histories N] [--years Y] [--seed S]``; writes
``results/forecast_backtest.csv`` (without pipeline) and ``results/forecast_backtest_pipeline.csv``
(the same histories forecast with and without the pipeline, columns ``*_pipeline`` with it) and
prints the tables and their means (all years, and the years with a replay).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import spmopt
from spmopt.scenario import Scenario
from spmopt.sim.forecast import backtest, history_credits
from spmopt.sim.forecast_pipeline import history_pipelines, simulate_with_pipeline

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", type=int, default=6)
    parser.add_argument("--years", type=int, default=2, help="plan years per history")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    path = ROOT / "scenarios" / "saas-ae.toml"
    text = path.read_text().replace("years = 1\n", f"years = {args.years}\n")
    scenario = Scenario.from_toml(text, source=str(path), base=path.parent)
    rep_periods, open_deals = simulate_with_pipeline(scenario, args.histories, as_of_month=5)
    plan = spmopt.Plan.load(ROOT / "scenarios" / "plans" / "saas-ae.toml")
    table = backtest(plan, rep_periods, as_of="2027-06-30", seed=args.seed)
    pipelines = {}
    for year in range(1, args.years + 1):
        histories = history_credits(rep_periods, plan, year)
        pipelines |= history_pipelines(open_deals, plan, histories, year, as_of_month=5)
    with_pipeline = backtest(
        plan, rep_periods, as_of="2027-06-30", seed=args.seed, pipelines=pipelines
    )
    table["total_error_ratio"] = table["forecast_total"] / table["actual_total"] - 1
    table["run_rate_error_ratio"] = table["run_rate_total"] / table["actual_total"] - 1
    table["replay_error_ratio"] = table["replay_total"] / table["actual_total"] - 1
    table["total_in_p10_p90"] = (table["total_p10"] <= table["actual_total"]) & (
        table["actual_total"] <= table["total_p90"]
    )
    target = ROOT / "benchmarks" / "results" / "forecast_backtest.csv"
    table.to_csv(target, index=False, float_format="%.6g")
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(table.round(3).to_string(index=False))
        print("Means, all years:")
        print(table.mean(numeric_only=True).round(4).to_string())
        replayed = table[table["replay_reps"] > 0]
        if len(replayed):
            print(f"Means, the {len(replayed)} years with a replay:")
            print(replayed.mean(numeric_only=True).round(4).to_string())
    print(f"Wrote {target}")
    compare(table, with_pipeline)


def compare(table: pd.DataFrame, with_pipeline: pd.DataFrame) -> None:
    """Write and print the backtest with and without the pipeline side by side."""
    keys = ["history", "year"]
    scored = ["forecast_total", "total_p10", "total_p90", "payout_mae", "payout_coverage_80"]
    scored += ["attainment_coverage_80"]
    both = table[keys + ["reps", "actual_total", *scored]].merge(
        with_pipeline[keys + scored], on=keys, suffixes=("", "_pipeline")
    )
    for suffix in ("", "_pipeline"):
        both[f"total_error_ratio{suffix}"] = both[f"forecast_total{suffix}"] / both["actual_total"]
        both[f"total_error_ratio{suffix}"] -= 1
        both[f"total_in_p10_p90{suffix}"] = (both[f"total_p10{suffix}"] <= both["actual_total"]) & (
            both["actual_total"] <= both[f"total_p90{suffix}"]
        )
        both[f"total_width_ratio{suffix}"] = (
            both[f"total_p90{suffix}"] - both[f"total_p10{suffix}"]
        ) / both[f"forecast_total{suffix}"]
    target = ROOT / "benchmarks" / "results" / "forecast_backtest_pipeline.csv"
    both.to_csv(target, index=False, float_format="%.6g")
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(both.round(3).to_string(index=False))
        for year, rows in both.groupby("year"):
            print(f"Means, year {year}:")
            print(rows.mean(numeric_only=True).round(4).to_string())
    print(f"Wrote {target}")


if __name__ == "__main__":
    main()
