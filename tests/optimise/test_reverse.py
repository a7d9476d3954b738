"""Reverse questions: sales for a payout (exact inversion of the curve), and lever multiples
found by bisection on simulations with common random numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import spmopt
from spmopt.cli import main
from spmopt.errors import SpmoptInputError
from spmopt.optimise import reverse
from spmopt.optimise.reverse import (
    budget_for_share_at_quota,
    first_reaching,
    quota_for_cost_of_sales,
    sales_for_payout,
)
from spmopt.plan.curve import PayoutCurve

PLANS = sorted(Path("scenarios/plans").glob("*.toml"))


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.stem)
def test_sales_for_payout_inverts_every_shipped_plan(path):
    """Against the curve itself, on a fine grid of targets: the plan pays at least the target
    at the attainment returned, and less than it just below (it is the least such attainment)."""
    plan = spmopt.Plan.load(path)
    curve = plan.attainment_curve()
    top = float(curve(np.array([3.0]))[0])
    for target in np.linspace(1.0, top, 41):
        needed = sales_for_payout(plan, target)
        a = needed.attainment
        assert needed.attained
        assert curve(np.array([a]))[0] >= target
        assert needed.incentive >= target
        if a > 0:
            assert curve(np.array([a * (1 - 1e-9)]))[0] < target
        for measure, amount in needed.sales.items():
            assert amount == pytest.approx(a * plan.quota_of_measure(measure).quota)


def test_sales_for_payout_known_answers():
    """saas-ae (TI 100,000 on 960,000, 1.5x from 100%, 2x from 125%): 50,000 needs 50%;
    130,000 needs 120%; 187,500 needs 150%. bonus-based: its club bonus jumps 8,000 at 120%, so a
    target inside the jump needs exactly 120%."""
    saas = spmopt.Plan.load("scenarios/plans/saas-ae.toml")
    for target, attainment in [(50_000, 0.5), (130_000, 1.2), (187_500, 1.5)]:
        needed = sales_for_payout(saas, target)
        assert needed.attainment == pytest.approx(attainment, abs=1e-12)
        assert needed.sales["bookings"] == pytest.approx(attainment * 960_000)
    bonus = spmopt.Plan.load("scenarios/plans/bonus-based.toml")
    below, above = bonus.annual_payout(np.array([1.2 - 1e-9, 1.2]))
    needed = sales_for_payout(bonus, (below + above) / 2)
    assert needed.attainment == pytest.approx(1.2, abs=1e-12)
    assert needed.incentive == pytest.approx(above)


def test_a_lower_boundary_is_reached_just_above():
    """A jump whose boundary value is the lower piece (boundary = "lower"): not attained at the
    breakpoint itself."""
    curve = PayoutCurve([0.0, 1.0], right=[0.0, 50.0], slopes=[0.0, 0.0], at=[0.0, 0.0])
    assert first_reaching(curve, 20.0) == (1.0, False)
    with pytest.raises(ValueError, match="never reaches"):
        first_reaching(curve, 60.0)


def test_a_capped_plan_cannot_pay_more_than_its_ceiling():
    plan = spmopt.Plan.load("scenarios/plans/capped-decelerator.toml")
    with pytest.raises(SpmoptInputError, match="tops out at 91,000"):
        sales_for_payout(plan, 100_000)


def test_bisection_finds_a_known_crossing(monkeypatch):
    """With a stand-in simulation whose cost of sales is 0.3 / m, the cost-of-sales ceiling 0.2
    is met from m = 1.5 on; the answer is the bracket's end on the meeting side, within the
    tolerance."""

    def fake(scenario, plan, lever, multiple, replications, seed, engine):
        return {
            "multiple": multiple,
            "cost_of_sales": 0.3 / multiple,
            "cost_of_sales_se": 0.0,
            "comp_cost": 1.0,
            "comp_cost_p90": 1.0,
            "revenue": multiple,
            "replications": 3,
        }

    monkeypatch.setattr(reverse, "_evaluate", fake)
    monkeypatch.setattr("spmopt.run.simulation.as_scenario", lambda scenario: scenario)
    found = quota_for_cost_of_sales("s", 0.2, tolerance=0.001)
    assert 1.5 <= found.multiple <= 1.501
    assert found.achieved <= 0.2
    assert found.bracket[1] - found.bracket[0] <= 0.001
    with pytest.raises(SpmoptInputError, match="neither meets"):
        quota_for_cost_of_sales("s", 0.1)  # 0.3/2 = 0.15 > 0.1 at the top of the bounds


HM = """
schema_version = 1
[scenario]
id = "hm-share"
seed = 11
replications = 6

[plans.linear]
plan = { schema_version = 1, plan = { id = "linear", year_start = "2027-01-01", payout_frequency = "year", base_salary = 50000, target_incentive = 1, components = [ { id = "sales", measure = "bookings", quota = 1000000, basis = "amount", tiers = [ { from = 0, rate = 0.1 } ] } ] } }

[segments.reps]
plan = "linear"
gross_margin = 1.0
technology = { kind = "normal", sigma = 100000 }
reps = { count = 40, base_sales = 1000000, effectiveness = 100000, effort_cost = 100000, risk_aversion = 0.00001, outside_option = 0, tenure_months = 36 }

[behaviour]
effort = { model = "static" }
"""


def test_share_at_quota_crossing_matches_the_normal_model(tmp_path):
    """A commission on amount (10%) makes effort independent of quota: e = β·k/c = 0.1, so
    annual sales are N(μ = h + k·e = 1,010,000, σ = 100,000) and the share of reps at quota
    m·1,000,000 is 1 − Φ((m·1e6 − μ)/σ). For a share of 30% the closed form gives
    m* = (μ + σ·z_0.7)/1e6 = 1.0624. The simulated share over 40 reps × 6 replications has
    standard error √(0.21/240) = 0.030; the share falls by φ(z_0.7)·1e6/σ = 3.48 per unit of m,
    so m̂ has standard error 0.030 / 3.48 = 0.0085; with the 0.01 bracket, |m̂ − m*| ≤ 4 se +
    0.01 = 0.044 (false-failure rate < 1e-4). A 10% error in the multiple (0.1) fails."""
    path = tmp_path / "hm.toml"
    path.write_text(HM)
    found = budget_for_share_at_quota(path, 0.3, bounds=(1.0, 1.12), tolerance=0.01)
    expected = (1_010_000 + 100_000 * stats.norm.ppf(0.7)) / 1e6
    assert found.multiple == pytest.approx(expected, abs=0.044)
    assert found.achieved >= 0.3
    # the budget: 40 reps × (50,000 base + 10% of mean sales 1,010,000) = 6,040,000; the sales
    # of 240 rep-years have a relative standard error of 1e5 / 1.01e6 / √240 = 0.64%, 0.1 of it
    # in pay, so 1% is over 10 se
    assert found.comp_cost == pytest.approx(40 * (50_000 + 0.1 * 1_010_000), rel=0.01)
    assert len(found.evaluations) <= 7


def test_solve_for_command(tmp_path, capsys):
    status = main(
        [
            "solve-for",
            "sales",
            "--plan",
            "scenarios/plans/saas-ae.toml",
            "--total-pay",
            "230,000",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert status == 0
    out = capsys.readouterr().out
    assert "needs 120.0000% attainment" in out and "bookings 1,152,000.00" in out
    assert (tmp_path / "out" / "solve_for.csv").exists()
    with pytest.raises(SystemExit) as stop:  # --incentive or --total-pay is required
        main(["solve-for", "sales", "--plan", "scenarios/plans/saas-ae.toml"])
    assert stop.value.code == 2
