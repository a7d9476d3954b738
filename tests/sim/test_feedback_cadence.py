"""Feedback cadence (``[behaviour] effort.cadence``): how often reps see their standing.

Known answers on a scenario of identical risk-neutral reps (normal sales, quadratic effort cost
c·e²/2 with c = 60,000, effectiveness k = 300,000) paid 10% of bookings once they pass a 75%
threshold of the 800,000 quota. The scenario goes through the scenario file and the fast engine,
so a cadence the engine ignores fails here (the theory of the policy itself is in
tests/reps/test_behaviour_dynamic.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import spmopt
from spmopt.scenario import Scenario

SCENARIO = """
schema_version = 1
[scenario]
id = "cadence"
year_start = "2027-01-01"
years = 1
seed = 7
replications = 4
engine = "fast"
[plans.threshold]
plan = { schema_version = 1, plan = { id = "threshold", year_start = "2027-01-01", \
payout_frequency = "quarter", base_salary = 80000, target_incentive = 80000, components = [ { \
id = "bookings", measure = "bookings", quota = 800000, threshold = 0.75, tiers = [ { from = 0.0, \
rate = 0.10 } ] } ] } }
[segments.ae]
plan = "threshold"
measure = "bookings"
gross_margin = 0.8
[segments.ae.technology]
kind = "normal"
sigma = 250000
[segments.ae.reps]
count = 40
base_sales = 500000
effectiveness = 300000
effort_cost = 60000
outside_option = 100000
risk_aversion = 0
[behaviour]
effort = { model = "dynamic", cadence = "CADENCE", grid_points = 101 }
"""
PAST_THRESHOLD = 0.10 * 300_000 / 60_000  # k·rate/c: effort once the threshold is safe


def simulate(cadence: str):
    """rep_periods of 4 years of the 40 reps under ``cadence``."""
    scenario = Scenario.from_toml(SCENARIO.replace("CADENCE", cadence), source="cadence test")
    return spmopt.simulate(scenario).rep_periods


def test_yearly_feedback_fixes_effort_for_the_year():
    """Seen once a year, the standing is never updated within it: every rep works the same
    effort in every month (identical reps: the same effort for all), whatever they sell."""
    periods = simulate("year")
    assert periods["credited"].std() > 0
    assert periods["effort"].nunique() == 1
    assert (periods["attainment_seen"] == 0).all()


def test_quarterly_feedback_changes_effort_only_at_quarter_starts():
    periods = simulate("quarter")
    periods = periods.assign(quarter=(periods["month"].astype(int) - 1) // 3)
    within = periods.groupby(["replication", "rep_id", "quarter"], observed=True)["effort"]
    assert (within.agg(np.ptp) == 0).all()
    across = periods.groupby(["replication", "rep_id"], observed=True)["effort"].agg(np.ptp)
    assert (across > 0.05).mean() > 0.5


def test_monthly_feedback_gives_up_behind_and_settles_past_the_threshold():
    """Seen every month: in the second half a rep far behind (under 15% of the annual quota by
    then) sees the threshold out of reach and works less than half the year-start effort; a rep
    safely past it (over 90%) is paid 10% at the margin with no threshold left to chase, so works
    k·rate/c = 0.5 (the grid's discretisation error is under 0.03); a rep who is not told works
    the year-start effort throughout (test above)."""
    periods = simulate("month")
    start = periods.loc[periods["month"].astype(int) == 1, "effort"]
    assert start.nunique() == 1
    second_half = periods[periods["month"].astype(int) >= 7]
    seen = second_half["attainment_seen"]
    behind = second_half.loc[seen < 0.15, "effort"]
    safe = second_half.loc[seen > 0.90, "effort"]
    assert len(behind) >= 20 and len(safe) >= 20
    assert behind.mean() < 0.5 * start.iloc[0]
    assert safe.mean() == pytest.approx(PAST_THRESHOLD, abs=0.03)
    assert start.iloc[0] > PAST_THRESHOLD + 0.1  # before: the threshold is worth chasing
