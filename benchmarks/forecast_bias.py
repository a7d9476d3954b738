"""Where the year-end forecast's total bias comes from (issue 12): a decomposition on the
simulated histories of ``benchmarks/forecast_backtest.py``.

For each history and plan year (forecast at 30 June, reps who stay all year) it forecasts the
total incentive cost and the second half's credits four ways — the forecast as shipped; with
each rep's rate the unshrunk pace; and both again with every rep's rate scaled so that the
force's expected second-half credits equal the actual ones (an oracle for the force's
second-half level: what remains is the pay side) — and splits the force's credits by the reps'
tenure at the year's start (ramping reps sell more in the second half). The alternative rate
estimates replace :func:`spmopt.sim.forecast.estimate_rates` for this experiment only.

Usage: ``python benchmarks/forecast_bias.py [--histories N] [--years Y] [--replications R]``;
writes ``results/forecast_bias.csv`` and prints the per-year errors and their means.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

import spmopt
import spmopt.sim.forecast as forecast_module
from spmopt.plan.statements import statements
from spmopt.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = ("shipped", "unshrunk", "shipped_level_known", "unshrunk_level_known")


def _estimator(setting: dict):
    """``estimate_rates`` with the variant in ``setting`` (``variant``, ``scale``)."""
    shipped = forecast_module.estimate_rates

    def estimate(monthly, quota, elapsed):
        model = shipped(monthly, quota, elapsed)
        variant = setting["variant"]
        unshrunk = variant.startswith("unshrunk")
        mean = model.pace if unshrunk else model.mean
        variance = np.zeros_like(model.variance) if unshrunk else model.variance
        scale = setting["scale"] if variant.endswith("level_known") else 1.0
        return dataclasses.replace(model, mean=mean * scale, variance=variance * scale**2)

    return estimate


def _halves(credits: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    month = pd.to_datetime(credits["date"]).dt.month
    first = credits[month <= 6].groupby("rep_id")["amount"].sum()
    second = credits[month > 6].groupby("rep_id")["amount"].sum()
    return first, second


def decompose(plan, rep_periods: pd.DataFrame, replications: int) -> pd.DataFrame:
    """One row per history and year: actual and forecast totals and second halves per variant."""
    setting = {"variant": "shipped", "scale": 1.0}
    shipped = forecast_module.estimate_rates
    forecast_module.estimate_rates = _estimator(setting)
    rows = []
    try:
        for year in sorted(rep_periods["year"].astype(int).unique()):
            for history, (credits, roster) in forecast_module.history_credits(
                rep_periods, plan, year
            ).items():
                actual = statements(plan, credits, roster).summary().set_index("rep_id")
                first, second = _halves(credits)
                quota = roster.set_index("rep_id")["quota"]
                row = {"year": year, "history": history}
                for variant in VARIANTS:
                    setting["variant"] = variant
                    if variant.endswith("level_known"):
                        base = variant.replace("_level_known", "")
                        setting["scale"] = row["actual_h2"] / row[f"{base}_h2"]
                    result = spmopt.forecast(
                        plan,
                        credits,
                        roster,
                        as_of="2027-06-30",
                        replications=replications,
                        seed=history,
                    )
                    reps = result.reps.set_index("rep_id")
                    later = reps["expected_attainment"] - reps["attainment_ytd"]
                    row[f"{variant}_total"] = float(reps["expected_payout"].sum())
                    row[f"{variant}_h2"] = float((later * quota.reindex(reps.index)).sum())
                    if variant == "shipped":
                        row["reps"] = len(reps)
                        row["actual_total"] = float(actual.loc[reps.index, "earned"].sum())
                        row["actual_h1"] = float(first.reindex(reps.index).sum())
                        row["actual_h2"] = float(second.reindex(reps.index).sum())
                rows.append(row)
    finally:
        forecast_module.estimate_rates = shipped
    table = pd.DataFrame(rows)
    for variant in VARIANTS:
        table[f"{variant}_total_error"] = table[f"{variant}_total"] / table["actual_total"] - 1
        table[f"{variant}_h2_error"] = table[f"{variant}_h2"] / table["actual_h2"] - 1
    table["h2_over_h1"] = table["actual_h2"] / table["actual_h1"]
    return table


def by_tenure(rep_periods: pd.DataFrame, plan_id: str) -> pd.DataFrame:
    """Second-half over first-half credits of the reps who stay all year, by tenure at the
    year's start [months]."""
    table = rep_periods[rep_periods["plan_id"].astype(str) == plan_id]
    keys = ["replication", "year", "rep_id"]
    whole = table.groupby(keys, observed=True).agg(
        occupied=("occupied", "all"),
        quit=("quit", "any"),
        hired=("hired", "any"),
        tenure=("tenure_months", "first"),
    )
    whole = whole[whole["occupied"] & ~whole["quit"] & ~whole["hired"]]
    table = table.set_index(keys).loc[whole.index].reset_index()
    table["half"] = np.where(table["month"].astype(int) <= 6, "h1", "h2")
    halves = table.pivot_table(
        index=keys, columns="half", values="credited", aggfunc="sum", observed=True
    ).join(whole["tenure"])
    halves["tenure_band"] = pd.cut(halves["tenure"], [0, 3, 6, 12, 24, 1e4]).astype(str)
    out = halves.groupby(["year", "tenure_band"], observed=True).agg(
        reps=("h1", "size"), h1=("h1", "sum"), h2=("h2", "sum")
    )
    out["h2_over_h1"] = out["h2"] / out["h1"]
    out["share_of_h1"] = out["h1"] / out.groupby(level="year")["h1"].transform("sum")
    return out.reset_index()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--histories", type=int, default=6)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--replications", type=int, default=200)
    args = parser.parse_args()
    path = ROOT / "scenarios" / "saas-ae.toml"
    text = path.read_text().replace("years = 1\n", f"years = {args.years}\n")
    scenario = Scenario.from_toml(text, source=str(path), base=path.parent)
    simulated = spmopt.simulate(scenario, replications=args.histories)
    plan = spmopt.Plan.load(ROOT / "scenarios" / "plans" / "saas-ae.toml")
    table = decompose(plan, simulated.rep_periods, args.replications)
    tenure = by_tenure(simulated.rep_periods, plan.id)
    target = ROOT / "benchmarks" / "results" / "forecast_bias.csv"
    table.to_csv(target, index=False, float_format="%.6g")
    errors = [c for c in table.columns if c.endswith("_error")] + ["h2_over_h1"]
    with pd.option_context("display.width", 250, "display.max_columns", 40):
        print(table[["year", "history", *errors]].round(4).to_string(index=False))
        print("Means by year:")
        print(table.groupby("year")[errors].mean().round(4).to_string())
        print("Means, all years:")
        print(table[errors].mean().round(4).to_string())
        print("Second half over first by tenure at the year's start:")
        print(tenure.round(3).to_string(index=False))
    print(f"Wrote {target}")


if __name__ == "__main__":
    main()
