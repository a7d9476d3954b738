"""The behavioural view of a backtest against closed forms (agency theory: a risk-neutral rep
under a linear commission β with sales S = h + k·e + ε and effort cost c·e²/2 works e = β·k/c)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import spmopt
from spmopt.finance.backtest import backtest

K, C = 200_000.0, 50_000.0  # effectiveness [currency/yr per effort], effort cost [currency/yr]


def _plan(plan_id: str, rate: float) -> str:
    return f"""
schema_version = 1
[plan]
id = "{plan_id}"
year_start = "2027-01-01"
payout_frequency = "year"
base_salary = 50000
target_incentive = {rate * 1_000_000}
[[plan.components]]
id = "bookings"
measure = "bookings"
quota = 1000000
tiers = [{{ from = 0.0, rate = {rate} }}]
"""


SCENARIO = f"""
schema_version = 1
[scenario]
id = "linear"
year_start = "2027-01-01"
seed = 7
[plans]
old = {{ path = "old.toml" }}
[segments.all]
plan = "old"
technology = {{ kind = "normal", sigma = 100000 }}
[segments.all.reps]
count = 5
base_sales = 500000
effectiveness = {K}
effort_cost = {C}
tenure_months = 60
[behaviour]
effort = {{ model = "static" }}
"""


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    """The plans, credits and the backtest with its behavioural view (run once: ~4 s)."""
    tmp_path = tmp_path_factory.mktemp("linear")
    old, new = _plan("ten", 0.10), _plan("eight", 0.08)
    (tmp_path / "old.toml").write_text(old)
    (tmp_path / "scenario.toml").write_text(SCENARIO)
    credits = pd.DataFrame(
        {
            "rep_id": ["a", "b", "c"],
            "date": ["2027-03-01", "2027-06-01", "2027-09-01"],
            "measure": "bookings",
            "amount": [600_000.0, 900_000.0, 1_300_000.0],
        }
    )
    result = backtest(
        spmopt.Plan.from_toml(old),
        spmopt.Plan.from_toml(new),
        credits,
        scenario=tmp_path / "scenario.toml",
        replications=4,
    )
    return credits, result


def test_base_sales_fitted_to_history_at_the_old_plans_effort(setup):
    """h = history − k·e with e = β·k/c = 0.1 × 200,000 / 50,000 = 0.4: h = history − 80,000."""
    credits, result = setup
    fitted = result.behaviour.fitted.set_index("rep_id")
    expected = credits.set_index("rep_id")["amount"] - K * 0.10 * K / C
    np.testing.assert_allclose(fitted["base_sales"], expected, rtol=2e-3)


def test_effort_step_matches_the_closed_form_and_steps_add_up(setup):
    """From 10% to 8%, each rep's effort falls by 0.02·k/c = 0.08, so expected sales fall by
    k·0.08 = 16,000 per rep: 48,000 for three reps (common random numbers cancel the noise of ε,
    so the tolerance only absorbs the best-response grid). The fixed-behaviour step changes no
    revenue; the steps sum to the behavioural total."""
    _, result = setup
    explained = result.behaviour.explained.set_index("step")
    assert explained.loc["fixed", "revenue_change"] == pytest.approx(0.0, abs=1e-6)
    assert explained.loc["effort", "revenue_change"] == pytest.approx(-48_000, rel=0.02)
    steps = explained.loc[["fixed", "effort", "attrition", "full"]].sum()
    total = explained.loc["behavioural_total"]
    assert steps["revenue_change"] == pytest.approx(total["revenue_change"])
    assert steps["comp_cost_change"] == pytest.approx(total["comp_cost_change"])
    side = result.side_by_side()
    assert set(side["metric"]) == {"revenue", "comp_cost", "incentive_cost", "cost_of_sales"}
    tables, figures = result.report_sections()
    assert {"backtest_vs_behaviour", "behaviour_explained"} <= set(tables)
    assert set(figures) == {"pay_change", "replay_vs_behaviour"}


def test_plans_on_another_measure_than_the_segment_are_bad_input(tmp_path):
    (tmp_path / "old.toml").write_text(_plan("ten", 0.10))
    (tmp_path / "scenario.toml").write_text(SCENARIO)
    units = _plan("units", 0.10).replace('measure = "bookings"', 'measure = "units"')
    credits = pd.DataFrame(
        {"rep_id": ["a"], "date": ["2027-03-01"], "measure": ["units"], "amount": [5.0]}
    )
    plan = spmopt.Plan.from_toml(units)
    with pytest.raises(spmopt.SpmoptInputError, match="simulates one measure"):
        backtest(plan, plan, credits, scenario=tmp_path / "scenario.toml", replications=2)
