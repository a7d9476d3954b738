"""Deal timing for reps with normal sales, in both engines (docs/simulation-model.md, step 5).

Normal sales close in the month they are made, so nothing is in a pipeline due next month; the
pull capacity is ``pull_share`` × next month's expected sales at the current effort, and a pull
of face value x is owed by next month's sales. Before this, no rep with normal sales ever
pulled (the capacity was the empty pipeline's), whatever the pull share.
"""

from __future__ import annotations

import numpy as np
import pytest
from sim_fixtures import ae_population

import spmopt
from spmopt.reps.behaviour.registry import behaviour_from_dict
from spmopt.reps.seasonality import MONTHS, Seasonality
from spmopt.reps.technology import NormalSales
from spmopt.sim.events import simulate_events
from spmopt.sim.fast import simulate_fast
from spmopt.sim.model import Segment, SimulationModel
from spmopt.sim.streams import RandomStreams

ENGINES = pytest.mark.parametrize(
    "engine", [simulate_fast, simulate_events], ids=["fast", "events"]
)

#: quarterly plan: 10% commission on the quarter's credit once it reaches 90% of the quarter's
#: quota (250,000), nothing below
GATED = """
schema_version = 1
[plan]
id = "gated"
currency = "USD"
year_start = "2027-01-01"
payout_frequency = "quarter"
base_salary = 100000
target_incentive = 50000
[[plan.components]]
id = "bookings"
measure = "bookings"
weight = 1.0
quota = 1000000
method = "marginal"
measurement_period = "quarter"
tiers = [{ from = 0.0, rate = 0.1 }]
threshold = 0.9
"""


def _gated_model(pull_share: float) -> SimulationModel:
    """One risk-neutral rep selling a deterministic 880,000 a year (base 580,000 + 300,000 ×
    fixed effort 1; σ 0, flat seasonality): 220,000 a quarter, 88% of the quarter's quota, just
    below the 90% threshold. No push, no attrition."""
    behaviour = {
        "effort": {"model": "fixed_effort", "effort": 1.0},
        "timing": {
            "model": "pull_push",
            "discount": 0.1,
            "pull_share": pull_share,
            "push_share": 0.0,
        },
    }
    segment = Segment(
        "ae",
        spmopt.Plan.from_toml(GATED),
        NormalSales(sigma=0.0),
        Seasonality.flat(),
        0.8,
    )
    population = ae_population(1, base_sales=580000, effectiveness=300000, risk_aversion=0.0)
    return SimulationModel(
        "gated", population, {"ae": segment}, behaviour=behaviour_from_dict(behaviour)
    )


@ENGINES
def test_a_rep_just_below_a_quarterly_threshold_pulls_the_whole_capacity(engine):
    """Closed form. Monthly sales s = 880,000/12; at the end of March the quarter holds 3s =
    220,000 and the capacity is p·s = 36,667 (p = 0.5): pulling it all credits 0.9 × 36,667 =
    33,000 more (253,000 ≥ the gate 225,000: pay 25,300 instead of 0), while next quarter, at
    220,000 − 36,667, stays below the gate either way — so the rep pulls exactly the capacity
    (more than the 5,556 that just reaches the gate). April then books s − p·s; June's quarter
    (183,333 + 33,000 < 225,000) pulls nothing, September repeats March, December repeats June.
    On the old code nothing was pulled (the capacity was an empty pipeline)."""
    periods = engine(_gated_model(0.5), 2, RandomStreams(4)).rep_periods
    s = 880000 / MONTHS
    capacity = 0.5 * s
    pulled = np.zeros(MONTHS)
    pulled[[2, 8]] = capacity
    closings = np.full(MONTHS, s)
    closings[[3, 9]] = s - capacity
    credited = closings + 0.9 * pulled
    incentive = np.array([0.1 * (3 * s + 0.9 * capacity), 0.0, 0.1 * (3 * s + 0.9 * capacity), 0.0])
    for _, rows in periods.groupby("replication"):
        np.testing.assert_allclose(rows["pulled"], pulled, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(rows["pushed"], 0.0, atol=1e-6)
        np.testing.assert_allclose(rows["discount_lost"], 0.1 * pulled, rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(rows["closings"], closings, rtol=1e-9)
        np.testing.assert_allclose(rows["credited"], credited, rtol=1e-9)
        np.testing.assert_allclose(rows["revenue"], credited, rtol=1e-9)
        quarters = rows["incentive"].to_numpy().reshape(4, 3).sum(axis=1)
        np.testing.assert_allclose(quarters, incentive, rtol=1e-9, atol=1e-6)
    # with no pull share the rep never reaches the gate
    still = engine(_gated_model(0.0), 1, RandomStreams(4)).rep_periods
    np.testing.assert_allclose(still["pulled"], 0.0)
    np.testing.assert_allclose(still["credited"], s, rtol=1e-9)
    np.testing.assert_allclose(still["incentive"], 0.0, atol=1e-9)
