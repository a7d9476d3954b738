"""Generate ``pipeline.csv``: the open pipeline at 30 June 2027 behind the example credits.

Deterministic: all randomness comes from the named stream ``example_pipeline`` of
``RandomStreams(seed=2027)``. Run from the repository root (after ``make_example_credits.py``):

    .venv/bin/python scenarios/data/make_example_pipeline.py

How it is made (see README.md, "pipeline.csv"):

1. **Won deals already open at 30 June.** Every bookings deal of ``credits.csv`` credited after 30
   June 2027 (cancellations and reps who start after 30 June left out) was already in its rep's
   pipeline with a probability that falls with the months to its close (July 90% … December
   25%; deals closing late in the year are often not yet created).
2. **Stage and probability.** Each open deal gets a stage drawn by months to close (one month
   ahead mostly ``commit``, two or three ``best_case``, later ``pipeline``), and the stage's
   probability (``commit`` 0.9, ``best_case`` 0.6, ``pipeline`` 0.3).
3. **Expected close.** The actual close date; one deal in four slipped by a month (its expected
   close is a month earlier than it closed, not before 1 July).
4. **Lost deals.** For each won deal at a stage of probability p, Poisson((1 − p)/p) deals that
   will be lost (same rep, a similar size: × lognormal(0, 0.3), an expected close in the same
   month), so that the share of each stage's deals that close is about its probability.
5. Two deals expected in 2028 (beyond the plan year: the forecast ignores them with a note).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from spmopt.sim.streams import RandomStreams

HERE = Path(__file__).resolve().parent
AS_OF = pd.Timestamp("2027-06-30")
#: probability that a deal closing in month 7 … 12 was already open at 30 June
OPEN_BY_MONTH = {7: 0.9, 8: 0.8, 9: 0.65, 10: 0.45, 11: 0.35, 12: 0.25}
STAGES = ("commit", "best_case", "pipeline")
PROBABILITY = {"commit": 0.9, "best_case": 0.6, "pipeline": 0.3}
#: stage weights by months to close (1, 2–3, 4+)
STAGE_WEIGHTS = {1: (0.7, 0.25, 0.05), 2: (0.3, 0.5, 0.2), 4: (0.05, 0.35, 0.6)}


def open_won_deals(rng: np.random.Generator, credits, roster) -> pd.DataFrame:
    """Step 1: the bookings deals credited after 30 June that were open then."""
    starts = pd.to_datetime(roster.set_index("rep_id")["start_date"], errors="coerce")
    late_starters = starts[starts > AS_OF].index
    dates = pd.to_datetime(credits["date"])
    won = credits[
        (dates > AS_OF)
        & (credits["measure"] == "bookings")
        & (credits["amount"] > 0)
        & ~credits["rep_id"].isin(late_starters)
    ].copy()
    won["close"] = pd.to_datetime(won["date"])
    chance = won["close"].dt.month.map(OPEN_BY_MONTH).to_numpy()
    return won[rng.random(len(won)) < chance].reset_index(drop=True)


def stages(rng: np.random.Generator, months_ahead: np.ndarray) -> np.ndarray:
    """Step 2: a stage per deal, drawn by its months to close."""
    band = np.where(months_ahead <= 1, 1, np.where(months_ahead <= 3, 2, 4))
    draws = rng.random(months_ahead.size)
    result = np.empty(months_ahead.size, dtype=object)
    for key, weights in STAGE_WEIGHTS.items():
        mine = band == key
        result[mine] = np.array(STAGES, dtype=object)[
            np.searchsorted(np.cumsum(weights), draws[mine], side="right").clip(0, 2)
        ]
    return result


def make_pipeline(rng: np.random.Generator, credits, roster) -> pd.DataFrame:
    """Steps 1–5."""
    won = open_won_deals(rng, credits, roster)
    months_ahead = won["close"].dt.month.to_numpy() - AS_OF.month
    won["stage"] = stages(rng, months_ahead)
    won["probability"] = won["stage"].map(PROBABILITY)
    slipped = rng.random(len(won)) < 0.25
    expected = won["close"] - pd.DateOffset(months=1)
    expected = expected.where(expected > AS_OF, pd.Timestamp("2027-07-01"))
    won["expected_close"] = np.where(slipped, expected, won["close"])
    lost_count = rng.poisson(((1 - won["probability"]) / won["probability"]).to_numpy())
    lost = won.loc[np.repeat(won.index, lost_count)].copy()
    lost["amount"] = np.round(lost["amount"] * rng.lognormal(0.0, 0.3, len(lost)), 2)
    lost["deal_id"] = [f"L{number:05d}" for number in range(1, len(lost) + 1)]
    beyond = pd.DataFrame(
        {
            "rep_id": ["R001", "R025"],
            "deal_id": ["N00001", "N00002"],
            "amount": [180_000.0, 95_000.0],
            "expected_close": pd.to_datetime(["2028-01-20", "2028-02-15"]),
            "probability": [0.3, 0.6],
            "stage": ["pipeline", "best_case"],
        }
    )
    columns = ["rep_id", "deal_id", "amount", "expected_close", "probability", "stage"]
    table = pd.concat([won[columns], lost[columns], beyond[columns]], ignore_index=True)
    table["measure"] = "bookings"
    table["expected_close"] = pd.to_datetime(table["expected_close"]).dt.date.astype(str)
    return table.sort_values(["rep_id", "expected_close", "deal_id"]).reset_index(drop=True)


def main() -> None:
    rng = RandomStreams(seed=2027).generator("example_pipeline")
    credits = pd.read_csv(HERE / "credits.csv", dtype={"rep_id": str, "deal_id": str})
    roster = pd.read_csv(HERE / "roster.csv", dtype={"rep_id": str})
    table = make_pipeline(rng, credits, roster)
    table.to_csv(HERE / "pipeline.csv", index=False, float_format="%.2f")
    weighted = (table["amount"] * table["probability"]).sum()
    print(
        f"Wrote {HERE / 'pipeline.csv'}: {len(table)} open deals, face value "
        f"{table['amount'].sum():,.0f}, probability-weighted {weighted:,.0f}"
    )


if __name__ == "__main__":
    main()
