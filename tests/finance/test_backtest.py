"""The replay backtest against hand-computed answers.

The two-rep example is worked by hand in the style of the vendors' accelerator examples (QuotaPath,
Spiff: "10% commission, quota $1M, 3x above quota"): every figure asserted below is derived in
the comments, not by the statements engine.
"""

from __future__ import annotations

import pandas as pd
import pytest

import spmopt
from spmopt.errors import SpmoptInputError
from spmopt.finance.backtest import backtest, replay

OLD = """
schema_version = 1
[plan]
id = "flat"
currency = "USD"
year_start = "2027-01-01"
payout_frequency = "year"
base_salary = 60000
target_incentive = 100000
[[plan.components]]
id = "bookings"
measure = "bookings"
quota = 1000000
tiers = [{ from = 0.0, rate = 0.10 }]
[plan.clawback]
window_days = 180
"""

NEW = """
schema_version = 1
[plan]
id = "accelerated"
currency = "USD"
year_start = "2027-01-01"
payout_frequency = "year"
base_salary = 60000
target_incentive = 80000
[[plan.components]]
id = "bookings"
measure = "bookings"
quota = 1000000
tiers = [{ from = 0.0, rate = 0.08 }, { from = 1.0, multiplier = 3.0 }]
"""


def money(value):
    return pytest.approx(value, abs=0.005)


@pytest.fixture
def plans():
    return spmopt.Plan.from_toml(OLD), spmopt.Plan.from_toml(NEW)


@pytest.fixture
def credits():
    """Rep A sells 800,000 but deal D2 (100,000, booked 10 January) is cancelled on 1 October,
    264 days later: outside the old plan's 180-day clawback window, so the old plan still counts
    it; the new plan has no window and counts every cancellation. Rep B sells 1,200,000."""
    return pd.DataFrame(
        {
            "rep_id": ["A", "A", "A", "A", "B", "B"],
            "date": [
                "2027-01-10",
                "2027-02-01",
                "2027-03-15",
                "2027-10-01",
                "2027-04-01",
                "2027-11-30",
            ],
            "measure": "bookings",
            "amount": [100_000.0, 600_000.0, 100_000.0, -100_000.0, 700_000.0, 500_000.0],
            "deal_id": ["D2", "D1", "D3", "D2", "D4", "D5"],
        }
    )


def test_two_rep_worked_example(plans, credits):
    """Old (10% flat): A is paid on 800,000 counted → 80,000; B on 1,200,000 → 120,000.
    New (8%, 3 × 8% = 24% above quota): A on 700,000 → 56,000; B 80,000 + 200,000 × 24% =
    128,000. Pay = 60,000 base + incentive: A 140,000 → 116,000 (loses 24,000), B 180,000 →
    188,000 (wins 8,000). Comp cost 320,000 → 304,000 on revenue 1,900,000: cost of sales
    16.842% → 16.000%."""
    result = replay(*plans, credits)
    reps = result.reps.set_index("rep_id")
    assert reps.loc["A", "credited"] == money(700_000)
    assert reps.loc["A", "counted_old"] == money(800_000)
    assert reps.loc["A", "counted_new"] == money(700_000)
    assert reps.loc["A", "attainment_old"] == pytest.approx(0.8)
    assert reps.loc["A", "attainment_new"] == pytest.approx(0.7)
    assert reps.loc["A", "incentive_old"] == money(80_000)
    assert reps.loc["A", "incentive_new"] == money(56_000)
    assert reps.loc["B", "incentive_old"] == money(120_000)
    assert reps.loc["B", "incentive_new"] == money(128_000)
    assert reps.loc["A", "pay_old"] == money(140_000)
    assert reps.loc["A", "change"] == money(-24_000)
    assert reps.loc["B", "change"] == money(8_000)
    assert list(reps["outcome"]) == ["loses", "wins"]
    summary = result.summary.set_index("metric")
    assert summary.loc["comp_cost", "old"] == money(320_000)
    assert summary.loc["comp_cost", "new"] == money(304_000)
    assert summary.loc["comp_cost", "change"] == money(-16_000)
    assert summary.loc["revenue", "old"] == money(1_900_000)
    assert summary.loc["cost_of_sales", "old"] == pytest.approx(320_000 / 1_900_000)
    assert summary.loc["cost_of_sales", "new"] == pytest.approx(304_000 / 1_900_000)
    assert summary.loc["share_at_quota", "new"] == pytest.approx(0.5)


def test_winners_and_losers_counts_and_amounts(plans, credits):
    table = replay(*plans, credits).winners_losers.set_index("outcome")
    assert table.loc["wins", "reps"] == 1
    assert table.loc["wins", "total_change"] == money(8_000)
    assert table.loc["loses", "reps"] == 1
    assert table.loc["loses", "total_change"] == money(-24_000)
    assert table.loc["loses", "largest_change"] == money(-24_000)
    assert table.loc["unchanged", "reps"] == 0


def test_same_plan_twice_leaves_everyone_unchanged(plans, credits):
    result = replay(plans[0], plans[0], credits)
    assert set(result.reps["outcome"]) == {"unchanged"}
    assert result.labels == ("old", "new")


def test_credited_totals_are_comparable_across_clawback_windows(plans, credits):
    """The statements' own credited totals differ (the old plan ignores the late cancellation);
    the backtest's credited and revenue are the same under both plans, and each plan's counted
    credit reconciles to them through the cancellations it ignores."""
    old_statements = spmopt.statements(plans[0], credits).summary()["credited"].sum()
    new_statements = spmopt.statements(plans[1], credits).summary()["credited"].sum()
    assert old_statements - new_statements == money(100_000)
    summary = replay(*plans, credits).summary.set_index("metric")
    assert summary.loc["credited", "old"] == summary.loc["credited", "new"] == money(1_900_000)
    assert summary.loc["counted_credit", "old"] == money(2_000_000)
    assert summary.loc["counted_credit", "new"] == money(1_900_000)


def test_roster_plan_id_selects_the_reps_on_the_old_plan(plans, credits):
    extra = pd.DataFrame(
        {"rep_id": ["C"], "date": ["2027-05-05"], "measure": ["renewals"], "amount": [1.0]}
    )
    roster = pd.DataFrame({"rep_id": ["A", "B", "C"], "plan_id": ["flat", "flat", "other"]})
    result = replay(*plans, pd.concat([credits, extra], ignore_index=True), roster)
    assert list(result.reps["rep_id"]) == ["A", "B"]
    assert any("left out" in note for note in result.notes)


def test_plans_that_do_not_fit_the_credits_are_bad_input(plans, credits):
    renewals = credits.assign(measure="renewals")
    with pytest.raises(SpmoptInputError, match="pays on bookings"):
        replay(*plans, renewals)
    mixed = pd.concat([credits, credits.assign(measure="renewals")], ignore_index=True)
    with pytest.raises(SpmoptInputError, match="measure 'renewals' is paid by neither"):
        replay(*plans, mixed)


def test_shipped_plans_backtest_on_shipped_data():
    """Every shipped bookings-only plan replays the shipped saas-ae reps (roster plan_id)."""
    for new in ("capped-decelerator", "bonus-based"):
        result = backtest(
            "scenarios/plans/saas-ae.toml",
            f"scenarios/plans/{new}.toml",
            "scenarios/data/credits.csv",
            "scenarios/data/roster.csv",
        )
        assert len(result.reps) == 24
        summary = result.summary.set_index("metric")
        assert summary.loc["credited", "old"] == summary.loc["credited", "new"]
    tables, figures = result.report_sections()
    assert {"backtest_reps", "backtest_summary", "backtest_winners_losers"} <= set(tables)
    assert all(isinstance(frame, pd.DataFrame) for frame in tables.values())
    assert set(figures) == {"pay_change"}


def test_attainment_is_of_the_year_for_plans_measured_per_quarter(plans, credits):
    """Rep B's 1,200,000 against a 1,000,000 quota is 120% of the year under a plan measured per
    quarter too (the statements' attainment is of the last quarter: 500,000 / 250,000 = 200%)."""
    quarterly = spmopt.Plan.from_toml(
        NEW.replace('id = "accelerated"', 'id = "quarterly"').replace(
            "quota = 1000000", 'quota = 1000000\nmeasurement_period = "quarter"'
        )
    )
    reps = replay(plans[0], quarterly, credits).reps.set_index("rep_id")
    assert reps.loc["B", "attainment_new"] == pytest.approx(1.2)
    assert reps.loc["A", "attainment_new"] == pytest.approx(0.7)
