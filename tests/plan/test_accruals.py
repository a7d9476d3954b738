"""Commission accruals (rate-based, expected-attainment) and the ASC 340-40 waterfall.

Expected figures are worked out by hand in each test from the plan's rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from plan_helpers import credits as credit_table
from plan_helpers import monthly_credits

import spmopt
from spmopt.errors import SpmoptInputError
from spmopt.plan.accruals import accruals, amortisation_waterfall

PLAN_TEXT = """
schema_version = 1
[plan]
id = "acc"
year_start = "2027-01-01"
payout_frequency = "quarter"
base_salary = 90000
target_incentive = 120000
[[plan.components]]
id = "bookings"
measure = "bookings"
quota = 1200000
tiers = [{ from = 0.0, rate = 0.10 }, { from = 1.0, rate = 0.15 }]
"""
PLAN = spmopt.Plan.from_toml(PLAN_TEXT)


def at(result, rep, method, month):
    rows = result.accruals
    row = rows[(rows["rep_id"] == rep) & (rows["method"] == method) & (rows["month"] == month)]
    assert len(row) == 1
    return row.iloc[0]


def test_a_rep_at_a_steady_150_percent_pace():
    """150k a month against a 100k monthly quota (pace 1.5). Rate at quota = 120k / 1.2M = 10%.
    Expected year: 1.8M credited, 120,000 + 600k × 15% = 210,000, i.e. 11.667% of credits.
    By June (900k): rate-based 90,000, expected 105,000, earned 90,000. The year: earned 210,000;
    rate-based accrued 180,000 (true-up 30,000), expected 210,000 (true-up 0). Actual allocated
    by credits = 17,500 × month; rate-based misses it by 2,500 × month: mean 2,500 × 6.5."""
    result = accruals(PLAN, credit_table(*monthly_credits("a", [150_000] * 12)))
    june_rate, june_expected = (
        at(result, "a", "rate", "2027-06"),
        at(result, "a", "expected", "2027-06"),
    )
    assert june_rate["accrued_to_date"] == pytest.approx(90_000.0)
    assert june_expected["accrued_to_date"] == pytest.approx(105_000.0)
    assert june_expected["earned_to_date"] == pytest.approx(90_000.0)
    assert june_expected["variance"] == pytest.approx(15_000.0)
    assert june_expected["actual_allocated_to_date"] == pytest.approx(105_000.0)
    assert at(result, "a", "rate", "2027-03")["accrual"] == pytest.approx(15_000.0)
    summary = result.summary.set_index("method")
    assert result.year_complete
    assert summary.loc["rate", "true_up"] == pytest.approx(30_000.0)
    assert summary.loc["expected", "true_up"] == pytest.approx(0.0)
    assert summary.loc["rate", "mean_abs_error"] == pytest.approx(2_500 * 6.5)
    assert summary.loc["expected", "mean_abs_error"] == pytest.approx(0.0, abs=0.01)
    # the monthly accruals add up to the accrued to date
    rows = result.accruals[result.accruals["method"] == "rate"]
    assert rows["accrual"].sum() == pytest.approx(rows["accrued_to_date"].iloc[-1])


def test_as_of_mid_year_and_a_given_expected_attainment():
    """As of June with expected attainment 1.0: the year completes at 1.2M for 120,000 (10%), so
    the expected method accrues 90,000 on 900k; the accruals stop at June; no true-up."""
    credits = credit_table(*monthly_credits("a", [150_000] * 12))
    result = accruals(PLAN, credits, as_of="2027-06-30", expected_attainment=1.0)
    assert not result.year_complete
    assert result.accruals["month"].max() == "2027-06"
    assert at(result, "a", "expected", "2027-06")["accrued_to_date"] == pytest.approx(90_000.0)
    assert "true_up" not in result.summary.columns
    assert result.accruals["actual_allocated_to_date"].isna().all()


def test_a_rep_at_the_cap_and_a_rep_far_below_the_threshold():
    """Cap 120% (most 120,000 less the 1.5x tier: 120,000 + 240k × 15% = 156,000) reached in
    March: expected accrual at March = 156,000 × 1.5M / 6M (pace 5) = 39,000 — below the 156,000
    already earned, so the floor accrues 156,000. Threshold 50%: a rep at 20% pace earns and
    expects nothing; the rate-based method still accrues 10% of credits (24,000 by December)."""
    plan = spmopt.Plan.from_toml(
        PLAN_TEXT.replace("quota = 1200000", "quota = 1200000\ncap = 1.2\nthreshold = 0.5")
    )
    credits = credit_table(
        *monthly_credits("capped", [0, 0, 1_500_000] + [0] * 9),
        *monthly_credits("below", [20_000] * 12),
    )
    floored = accruals(plan, credits, as_of="2027-03-31", floor_at_earned=True)
    pure = accruals(plan, credits, as_of="2027-03-31")
    assert at(pure, "capped", "expected", "2027-03")["accrued_to_date"] == pytest.approx(39_000.0)
    assert at(floored, "capped", "expected", "2027-03")["accrued_to_date"] == pytest.approx(
        156_000.0
    )
    assert at(floored, "capped", "rate", "2027-03")["accrued_to_date"] == pytest.approx(156_000.0)
    year = accruals(plan, credits)
    below = year.summary[year.summary["rep_id"] == "below"].set_index("method")
    assert below.loc["expected", "accrued_to_date"] == 0.0
    assert below.loc["rate", "accrued_to_date"] == pytest.approx(24_000.0)
    assert below.loc["rate", "true_up"] == pytest.approx(-24_000.0)


def test_waterfall_amortises_each_cost_straight_line_and_exactly():
    """3,600 in month 1 and 1,200 in month 2 over 36 months: 100 a month, then 133.33…; every
    cost amortised to the cent; the balance ends at zero."""
    waterfall = amortisation_waterfall(np.array([360_000, 120_000]), 36, True, PLAN.year_start)
    assert len(waterfall) == 37
    assert waterfall["amortised"].iloc[0] == pytest.approx(100.0)
    assert waterfall["amortised"].iloc[1] == pytest.approx(100.0 + 1200 / 36, abs=0.01)
    assert waterfall["amortised"].sum() == pytest.approx(4_800.0)
    assert waterfall["balance"].iloc[-1] == pytest.approx(0.0)
    assert waterfall["month"].iloc[-1] == "2030-01"
    assert (waterfall["expensed_as_incurred"] == 0).all()


def test_practical_expedient_expenses_a_one_year_period_as_incurred():
    waterfall = amortisation_waterfall(np.array([360_000, 120_000]), 12, True, PLAN.year_start)
    assert list(waterfall["expensed_as_incurred"]) == [3_600.0, 1_200.0]
    assert (waterfall["capitalised"] == 0).all() and (waterfall["balance"] == 0).all()
    without = amortisation_waterfall(np.array([360_000]), 12, False, PLAN.year_start)
    assert without["amortised"].tolist() == [300.0] * 12


def test_journal_and_files(tmp_path):
    credits = credit_table(*monthly_credits("a", [150_000] * 12))
    result = accruals(PLAN, credits, amortisation_months=24, practical_expedient=True)
    journal = result.journal
    capitalised = journal.loc[journal["entry"] == "capitalise", "amount"].sum()
    assert capitalised == pytest.approx(210_000.0)  # the year's earnings, capitalised
    amortised = journal.loc[journal["entry"] == "amortise", "amount"].sum()
    assert amortised == pytest.approx(210_000.0)
    written = result.write(tmp_path, xlsx=True)
    assert {path.name for path in written} == {
        "accruals.csv",
        "accrual_summary.csv",
        "amortisation.csv",
        "journal.csv",
        "accruals.xlsx",
    }
    sheets = pd.read_excel(tmp_path / "accruals.xlsx", sheet_name=None)
    assert set(sheets) == {"accruals", "accrual_summary", "amortisation", "journal"}


@pytest.mark.parametrize(
    "keywords", [{"amortisation_months": 0}, {"capitalise": "paid"}, {"expected_attainment": -1}]
)
def test_bad_parameters_are_input_errors(keywords):
    with pytest.raises(SpmoptInputError):
        accruals(PLAN, credit_table(*monthly_credits("a", [1.0])), **keywords)
