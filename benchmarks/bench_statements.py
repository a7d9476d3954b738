"""Statements for 1,000,000 credit rows over 10,000 reps, monthly payouts, period to date (issue 2).

Target: the computation (credits already read and typed) under 3 s on a 2-core machine, reported
as a ratio to a plain pandas ``groupby().cumsum()`` over the same rows, measured in the same run.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from common import best_of, record

import spmopt
from spmopt.plan.inputs import validate_credits
from spmopt.sim.streams import RandomStreams

ROWS = 1_000_000
REPS = 10_000
PLAN = Path(__file__).parents[1] / "scenarios" / "plans" / "saas-ae.toml"


def synthetic_credits(rows: int, reps: int) -> pd.DataFrame:
    """Credits with lognormal deal sizes, 2% cancellations, spread over the 2027 plan year."""
    rng = RandomStreams(seed=7).generator("bench_statements")
    rep = rng.integers(0, reps, rows)
    day = rng.integers(0, 365, rows)
    amount = np.round(rng.lognormal(np.log(9000), 0.8, rows), 2)
    amount[rng.random(rows) < 0.02] *= -1
    return pd.DataFrame(
        {
            "rep_id": np.char.add("rep", rep.astype(str)),
            "date": pd.Timestamp("2027-01-01") + pd.to_timedelta(day, unit="D"),
            "measure": "bookings",
            "amount": amount,
            "deal_id": np.char.add("d", np.arange(rows).astype(str)),
        }
    )


def main() -> dict[str, float]:
    plan = spmopt.Plan.load(PLAN).replace(payout_frequency="month")
    credits = validate_credits(synthetic_credits(ROWS, REPS))
    statements_seconds = best_of(lambda: spmopt.statements(plan, credits), repeat=3)

    def pandas_cumsum():
        ordered = credits.sort_values(["rep_id", "date"])
        return ordered.groupby("rep_id")["amount"].cumsum()

    cumsum_seconds = best_of(pandas_cumsum, repeat=3)
    result = spmopt.statements(plan, credits)
    figures = {
        "credit_rows": ROWS,
        "reps": REPS,
        "statement_rows": len(result.statements),
        "audit_lines": len(result.lines),
        "statements_seconds": round(statements_seconds, 3),
        "pandas_sort_groupby_cumsum_seconds": round(cumsum_seconds, 3),
        "ratio_statements_to_cumsum": round(statements_seconds / cumsum_seconds, 2),
        "target_seconds": 3.0,
    }
    for key, value in figures.items():
        print(f"{key:>36}: {value}")
    record("statements", figures)
    return figures


if __name__ == "__main__":
    main()
