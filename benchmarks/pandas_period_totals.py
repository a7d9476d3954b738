"""The bare pandas baseline that ``bench_statements.py`` times ``spmopt payouts`` against.

A separate Python process, as the command is: it reads the same credits CSV with pandas (dates
parsed with their format), computes per rep × payout period (month) × measure the credited total
and its cumulative sum over the year (``groupby().sum()``, ``groupby().cumsum()``), and writes
two CSVs with about the command's output volume: ``period_totals.csv`` (one row per rep, month and
measure, as ``statements.csv`` has one per rep and month) and ``period_lines.csv`` (the same rows
with a line name and the rule in words, as ``lines.csv`` has).

Usage: ``python benchmarks/pandas_period_totals.py CREDITS.csv OUT_DIR``
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

#: the words of a component line of lines.csv, so that both files carry the same text volume
BASIS = (
    "marginal tiers on attainment of the quota (bookings, credited to date in the year); "
    "amount = earnings_to_date - previously_earned"
)


def period_totals(credits: pd.DataFrame) -> pd.DataFrame:
    """Credited total, number of credits and year-to-date total per rep, month and measure."""
    months = credits["date"].dt.to_period("M")
    totals = (
        credits.assign(period=months)
        .groupby(["rep_id", "period", "measure"], sort=True)["amount"]
        .agg(credited="sum", credits="size")
        .reset_index()
    )
    totals["credited_to_date"] = totals.groupby(["rep_id", "measure"])["credited"].cumsum()
    return totals


def main(credits_path: str, out_dir: str) -> None:
    credits = pd.read_csv(credits_path, parse_dates=["date"], date_format="%Y-%m-%d")
    totals = period_totals(credits)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    totals.to_csv(out / "period_totals.csv", index=False)
    lines = totals.assign(line="component:" + totals["measure"], basis=BASIS)
    lines = lines[["rep_id", "period", "line", "basis", "credited", "credited_to_date", "credits"]]
    lines.to_csv(out / "period_lines.csv", index=False)


if __name__ == "__main__":
    main(*sys.argv[1:3])
