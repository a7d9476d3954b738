"""Statements as of a date and each rep's position to date (spmopt.plan.position).

Expected figures are worked out by hand from the plan's rules in each test.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from plan_helpers import SIMPLE, credits, make_plan

import spmopt
from spmopt.errors import SpmoptInputError


def position_of(result, rep="a") -> pd.Series:
    rows = result.position[result.position["rep_id"] == rep]
    assert len(rows) == 1
    return rows.iloc[0]


def test_year_to_date_figures_of_a_deterministic_rep():
    """10% of bookings, quota 1M (year), paid quarterly. Jan 200k, May 300k, Aug 100k.
    At 30 June: 500k credited = 50% of the year's quota, 100% of the quota to date (6/12 of 1M);
    earned 50,000, all paid (Q1 20,000 + Q2 30,000); 500k to quota, where earnings are 100,000."""
    plan = make_plan(SIMPLE)
    rows = credits(
        ("a", "2027-01-10", "bookings", 200_000.0),
        ("a", "2027-05-10", "bookings", 300_000.0),
        ("a", "2027-08-10", "bookings", 100_000.0),
    )
    result = spmopt.statements(plan, rows, as_of="2027-06-30")
    assert result.as_of == dt.date(2027, 6, 30)
    assert result.credits_after_as_of == 1
    assert list(result.statements["period"]) == ["2027-Q1", "2027-Q2"]
    assert list(result.statements["paid"]) == [20_000.0, 30_000.0]
    assert set(result.lines["period"]) == {"2027-Q1", "2027-Q2"}
    row = position_of(result)
    expected = {
        "credited_ytd": 500_000.0,
        "quota_year": 1_000_000.0,
        "quota_to_date": 500_000.0,
        "attainment_year": 0.5,
        "attainment_to_date": 1.0,
        "earned_ytd": 50_000.0,
        "paid_to_date": 50_000.0,
        "earned_unpaid": 0.0,
        "credit_to_quota": 500_000.0,
        "earned_at_quota": 100_000.0,
        "at_stake_to_quota": 50_000.0,
    }
    for column, value in expected.items():
        assert row[column] == pytest.approx(value, abs=1e-6), column
    assert np.isnan(row["earned_at_most"])  # uncapped: no most


def test_mid_period_as_of_leaves_the_period_open_and_prorates_the_month():
    """At 15 May: Q2 is open, so only Q1's 20,000 is paid and May's 30,000 is earned, unpaid;
    quota to date = 1M × (4 + 15/31) / 12."""
    plan = make_plan(SIMPLE)
    rows = credits(
        ("a", "2027-01-10", "bookings", 200_000.0),
        ("a", "2027-05-10", "bookings", 300_000.0),
        ("a", "2027-05-20", "bookings", 50_000.0),
    )
    result = spmopt.statements(plan, rows, as_of=dt.date(2027, 5, 15))
    row = position_of(result)
    assert result.credits_after_as_of == 1
    assert row["paid_to_date"] == 20_000.0
    assert row["earned_unpaid"] == 30_000.0
    assert row["quota_to_date"] == pytest.approx(1_000_000 * (4 + 15 / 31) / 12)
    assert row["attainment_to_date"] == pytest.approx(500_000 / (1_000_000 * (4 + 15 / 31) / 12))
    # in the period's last month but before its last day, the period is still open
    june = position_of(spmopt.statements(plan, rows, as_of="2027-06-29"))
    assert (june["paid_to_date"], june["earned_unpaid"]) == (20_000.0, 35_000.0)


def test_quota_to_date_follows_the_quota_schedule():
    """Quarterly schedule 10/20/30/40%: the quota to 30 June is 30% of the year's."""
    plan = make_plan(
        SIMPLE.replace("quota = 1000000", "quota = 1000000\nquota_schedule = [0.1, 0.2, 0.3, 0.4]")
    )
    rows = credits(("a", "2027-02-10", "bookings", 240_000.0))
    row = position_of(spmopt.statements(plan, rows, as_of="2027-06-30"))
    assert row["quota_to_date"] == pytest.approx(300_000.0)
    assert row["attainment_to_date"] == pytest.approx(0.8)
    assert row["attainment_year"] == pytest.approx(0.24)


CAPPED = SIMPLE + "cap = 1.2\n"


def test_a_rep_already_at_the_cap_has_nothing_at_stake():
    """Cap at 120%: 1.5M credited by June earns 120,000 (the most there is); nothing at stake."""
    plan = make_plan(CAPPED)
    rows = credits(
        ("a", "2027-03-10", "bookings", 1_500_000.0), ("b", "2027-03-10", "bookings", 600_000.0)
    )
    result = spmopt.statements(plan, rows, as_of="2027-06-30")
    capped = position_of(result, "a")
    assert capped["earned_ytd"] == 120_000.0
    assert capped["earned_at_most"] == 120_000.0
    assert capped["at_stake_max"] == 0.0
    assert capped["at_stake_to_quota"] == 0.0
    assert capped["credit_to_quota"] == 0.0
    below = position_of(result, "b")  # 600k: 40,000 to quota, 60,000 to the cap
    assert below["earned_at_quota"] == pytest.approx(100_000.0)
    assert below["earned_at_most"] == pytest.approx(120_000.0)
    assert below["at_stake_max"] == pytest.approx(60_000.0)


def test_a_rep_far_below_the_threshold_has_earned_nothing_and_has_it_all_at_stake():
    """Threshold 50%: 100k by June earns nothing; finishing at quota earns the full 100,000."""
    plan = make_plan(SIMPLE.replace("quota = 1000000", "quota = 1000000\nthreshold = 0.5"))
    row = position_of(
        spmopt.statements(
            plan, credits(("a", "2027-04-10", "bookings", 100_000.0)), as_of="2027-06-30"
        )
    )
    assert row["earned_ytd"] == 0.0
    assert row["paid_to_date"] == 0.0
    assert row["earned_at_quota"] == pytest.approx(100_000.0)
    assert row["at_stake_to_quota"] == pytest.approx(100_000.0)


def test_quarterly_measurement_completes_each_remaining_quarter_at_its_quota():
    """Quarterly measurement (quota 250k a quarter, 10%, 1.5x above quota): Q1 400k earns
    25,000 + 150k × 0.15 = 47,500; finishing at quota adds Q2–Q4 at 25,000 each → 122,500."""
    plan = make_plan(
        SIMPLE.replace(
            "tiers = [{ from = 0.0, rate = 0.1 }]",
            'measurement_period = "quarter"\ntiers = [{ from = 0.0, rate = 0.1 }, { from = 1.0, rate = 0.15 }]',
        )
    )
    row = position_of(
        spmopt.statements(
            plan, credits(("a", "2027-02-10", "bookings", 400_000.0)), as_of="2027-03-31"
        )
    )
    assert row["earned_ytd"] == pytest.approx(47_500.0)
    assert row["earned_at_quota"] == pytest.approx(122_500.0)


def test_as_of_the_year_end_reproduces_the_full_year_statements():
    plan = make_plan(SIMPLE, payout="month")
    rows = credits(
        ("a", "2027-01-10", "bookings", 200_000.0),
        ("b", "2027-07-10", "bookings", 900_000.0),
        ("a", "2027-12-31", "bookings", -50_000.0),
    )
    full = spmopt.statements(plan, rows)
    to_date = spmopt.statements(plan, rows, as_of="2027-12-31")
    pd.testing.assert_frame_equal(full.statements, to_date.statements)
    pd.testing.assert_frame_equal(full.lines, to_date.lines)
    summary = full.summary().set_index("rep_id")
    position = to_date.position.set_index("rep_id")
    assert (position["paid_to_date"] == summary["paid"]).all()
    assert (position["earned_ytd"] == summary["earned"]).all()


@pytest.mark.parametrize("as_of", ["2026-12-31", "2028-01-01", "not a date"])
def test_an_as_of_date_outside_the_plan_year_is_an_input_error(as_of):
    plan = make_plan(SIMPLE)
    with pytest.raises(SpmoptInputError, match="as-of date"):
        spmopt.statements(plan, credits(("a", "2027-01-10", "bookings", 1.0)), as_of=as_of)


def test_per_transaction_components_complete_with_one_credit_a_month():
    """5% of each credit on its own (amount basis): 400k by June earns 20,000; finishing at the
    1M quota adds 600k of credits, 30,000 more."""
    plan = make_plan(
        """
[[plan.components]]
id = "deals"
measure = "bookings"
quota = 1000000
basis = "amount"
evaluation = "per_transaction"
tiers = [{ from = 0.0, rate = 0.05 }]
"""
    )
    rows = credits(
        ("a", "2027-02-10", "bookings", 150_000.0), ("a", "2027-05-10", "bookings", 250_000.0)
    )
    row = position_of(spmopt.statements(plan, rows, as_of="2027-06-30"))
    assert row["earned_ytd"] == pytest.approx(20_000.0)
    assert row["earned_at_quota"] == pytest.approx(50_000.0)
