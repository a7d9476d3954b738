"""Feedback cadence (issue 12): how often reps see their standing, and what it changes.

Simulates ``scenarios/saas-ae.toml`` (dynamic effort policy) with reps reviewing their
attainment every month, every quarter, or once a year (``[behaviour] effort.cadence``), on common
random numbers (same seed), and compares revenue, incentive cost, profit, share of reps at quota,
mean effort and its spread across the year-end attainment distribution (effort of reps ending
below 50% of quota — giving up — and above 150% — coasting or chasing accelerators).

Usage: ``python benchmarks/feedback_cadence.py [--replications N]``; writes
``results/feedback_cadence.csv``.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pandas as pd

import spmopt
from spmopt.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
METRICS = ("revenue", "incentive_cost", "profit", "share_at_quota")


def run(cadence: str, replications: int) -> dict:
    """One cadence's results (means over replications)."""
    path = ROOT / "scenarios" / "saas-ae.toml"
    text = re.sub(r'cadence = "\w+"', f'cadence = "{cadence}"', path.read_text())
    scenario = Scenario.from_toml(text, source=str(path), base=path.parent)
    result = spmopt.simulate(scenario, replications=replications)
    summary = result.summary().set_index("metric")
    row = {"cadence": cadence}
    for metric in METRICS:
        if metric in summary.index:
            row[metric] = float(summary.loc[metric, "mean"])
            row[f"{metric}_se"] = float(summary.loc[metric, "se"])
    periods = result.rep_periods[result.rep_periods["occupied"]]
    row["mean_effort"] = float(periods["effort"].mean())
    year = periods.groupby(["replication", "rep_id"], observed=True).agg(
        credited=("credited", "sum"), quota=("quota", "first"), effort=("effort", "mean")
    )
    attainment = year["credited"] / year["quota"]
    row["effort_below_50pct"] = float(year.loc[attainment < 0.5, "effort"].mean())
    row["effort_above_150pct"] = float(year.loc[attainment > 1.5, "effort"].mean())
    h2 = periods[periods["month"].astype(int) > 6]
    row["h2_effort"] = float(h2["effort"].mean())
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=20)
    args = parser.parse_args()
    table = pd.DataFrame([run(c, args.replications) for c in ("month", "quarter", "year")])
    target = ROOT / "benchmarks" / "results" / "feedback_cadence.csv"
    table.to_csv(target, index=False, float_format="%.6g")
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(table.round(4).to_string(index=False))
    print(f"Wrote {target}")


if __name__ == "__main__":
    main()
