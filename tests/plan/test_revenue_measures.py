"""Cost of sales of a multi-measure plan is comp over its revenue measure(s), not over every
measure's credits added together (bookings + renewals + margin dollars)."""

from __future__ import annotations

import pytest

import spmopt
from spmopt.errors import SpmoptInputError
from spmopt.plan.plan import payout_table

MULTI = "scenarios/plans/multi-measure.toml"


def test_multi_measure_cost_of_sales_is_on_new_bookings_by_default():
    """At quota the multi-measure plan pays OTE = 108,000 + 72,000 = 180,000 on a new-bookings
    quota of 750,000: 24%, not 180,000 / (750,000 + 1,000,000 + 225,000) = 9.1%."""
    plan = spmopt.Plan.load(MULTI)
    assert plan.revenue == ("bookings",)
    at = payout_table(plan, max_attainment=2.0, step=0.5).set_index("attainment")
    assert at.loc[1.0, "cost_of_sales"] == pytest.approx(180_000 / 750_000)
    assert at.loc[1.0, "revenue"] == pytest.approx(750_000)
    assert at.loc[1.0, "credited"] == pytest.approx(1_975_000)  # every measure, as before
    assert at.loc[2.0, "cost_of_sales"] == pytest.approx(
        (108_000 + at.loc[2.0, "incentive"]) / 1_500_000
    )


def test_revenue_measures_key_counts_renewals_as_revenue():
    document = spmopt.Plan.load(MULTI).to_dict()
    document["plan"]["revenue_measures"] = ["bookings", "renewals"]
    plan = spmopt.Plan.from_dict(document)
    assert plan.revenue == ("bookings", "renewals")
    at = payout_table(plan, max_attainment=1.0, step=0.5).set_index("attainment")
    assert at.loc[1.0, "cost_of_sales"] == pytest.approx(180_000 / 1_750_000)
    assert "revenue_measures" in plan.to_toml()
    assert spmopt.Plan.from_toml(plan.to_toml()) == plan


def test_single_measure_plans_are_unchanged():
    plan = spmopt.Plan.load("scenarios/plans/saas-ae.toml")
    at = payout_table(plan, max_attainment=1.0, step=0.5).set_index("attainment")
    assert at.loc[1.0, "cost_of_sales"] == pytest.approx(200_000 / 960_000)
    assert at.loc[1.0, "revenue"] == at.loc[1.0, "credited"]


def test_unknown_revenue_measure_is_an_error():
    document = spmopt.Plan.load(MULTI).to_dict()
    document["plan"]["revenue_measures"] = ["bookings", "upsell"]
    with pytest.raises(
        SpmoptInputError, match="revenue_measures: measure 'upsell' has no component"
    ):
        spmopt.Plan.from_dict(document)


def test_payouts_reports_incentive_over_revenue_for_multi_measure_plans(tmp_path, capsys):
    """The shipped data: the multi-measure reps' bookings credits (read straight from the CSV
    files) are the revenue; the printed ratio is earned over them, not over all measures."""
    import pandas as pd

    from spmopt.cli import main

    data = "scenarios/data"
    status = main(
        [
            "payouts",
            "--plan",
            "scenarios/plans/saas-ae.toml",
            "--plan",
            MULTI,
            "--credits",
            f"{data}/credits.csv",
            "--roster",
            f"{data}/roster.csv",
            "--out",
            str(tmp_path / "out"),
            "--show",
            "0",
        ]
    )
    assert status == 0
    out = capsys.readouterr().out
    credits = pd.read_csv(f"{data}/credits.csv")
    roster = pd.read_csv(f"{data}/roster.csv")
    reps = roster.loc[roster["plan_id"] == "multi-measure", "rep_id"]
    bookings = credits[credits["rep_id"].isin(reps) & (credits["measure"] == "bookings")]
    statements = pd.read_csv(tmp_path / "out" / "statements.csv")
    earned = statements[statements["rep_id"].isin(reps)]["earned"].sum()
    assert f"Revenue (bookings) credited {bookings['amount'].sum():,.2f}" in out
    assert f"incentive earned is {earned / bookings['amount'].sum():.2%} of it" in out
    assert out.count("Revenue (") == 1  # single-measure plans print no such line
