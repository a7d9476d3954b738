"""Backtest of the year-end forecast (issue 12) on simulated histories.

Simulates sales-force years of ``scenarios/saas-ae.toml`` with the fast engine (deal-level sales,
quarter-end bunching, ramps, the scenario's behaviour — none of which the forecast knows),
forecasts each history at 30 June from its first half, then reveals the second half: per history
the actual incentive total against the forecast (mean, P10–P90), the run rate and (from the
second plan year on) the replay of last year's second half, the per-rep mean absolute payout
error of each, and the share of reps inside the forecast's P10–P90.

Usage: ``python benchmarks/forecast_backtest.py [--histories N] [--years Y] [--seed S]``; writes
``results/forecast_backtest.csv`` and prints the table and its means (all years, and the years
with a replay).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import spmopt
from spmopt.scenario import Scenario
from spmopt.sim.forecast import backtest

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
    simulated = spmopt.simulate(scenario, replications=args.histories)
    plan = spmopt.Plan.load(ROOT / "scenarios" / "plans" / "saas-ae.toml")
    table = backtest(plan, simulated.rep_periods, as_of="2027-06-30", seed=args.seed)
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


if __name__ == "__main__":
    main()
