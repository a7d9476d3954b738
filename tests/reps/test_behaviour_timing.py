"""Deal timing at period ends: pull in at a discount, push out — closed-form cases."""

from __future__ import annotations

import numpy as np
import pytest
from reps_helpers import QUOTA, bonus_plan, commission_plan, make_plan

from spmopt.reps.behaviour.timing import DealTiming, NoTiming
from spmopt.reps.payfunction import plan_pay

Q_QUARTER = QUOTA / 4


def _quarter_pay(plan):
    return plan_pay(plan, horizon="period")


def test_pull_to_reach_a_quarterly_bonus():
    """Bonus B at the quarter's quota, no commission, next quarter far below its bonus level
    (next-period pay ≈ 0 whatever is moved). A rep short of quota by g pulls exactly the face
    value x = g/(1 − δ) that lands credit on quota, if the pipeline allows; the company loses δ·x.
    """
    plan = bonus_plan(20_000.0, measurement_period="quarter")
    pay = _quarter_pay(plan)
    timing = DealTiming(discount=0.2)
    gaps = np.array([10_000.0, 40_000.0, 90_000.0])
    credited = Q_QUARTER - gaps
    decision = timing.decide(
        pay,
        credited,
        pull_capacity=np.full(3, 100_000.0),
        push_capacity=np.zeros(3),
        next_mean=np.full(3, 10_000.0),
        next_sd=np.full(3, 5_000.0),
    )
    needed = gaps / 0.8
    expected = np.where(needed <= 100_000.0, needed, 0.0)
    np.testing.assert_allclose(decision.pulled, expected, rtol=1e-12)
    np.testing.assert_allclose(decision.pulled_credit, 0.8 * expected, rtol=1e-12)
    np.testing.assert_allclose(decision.discount_lost, 0.2 * expected, rtol=1e-12)
    assert np.all(decision.pushed == 0)
    np.testing.assert_allclose(decision.gain[:2], 20_000.0, rtol=1e-6)


def test_no_timing_games_under_a_linear_commission():
    """pay = β·S every quarter: pulling x gains β(1 − δ)x now and loses β·x next quarter; pushing
    moves β·y from now to next. Neither is strictly profitable, so nothing moves."""
    plan = commission_plan(0.1, measurement_period="quarter")
    decision = DealTiming(discount=0.1).decide(
        _quarter_pay(plan),
        np.array([100_000.0, 250_000.0]),
        np.full(2, 50_000.0),
        np.full(2, 50_000.0),
        np.full(2, 250_000.0),
        np.full(2, 50_000.0),
    )
    assert np.all(decision.pulled == 0) and np.all(decision.pushed == 0)


def test_push_sales_above_a_cap_into_the_next_period():
    """Commission capped at 1.2 × the quarter's quota: credit above the cap earns nothing now but
    β next quarter (which stays well below its cap), so the rep pushes the excess, up to what is
    pushable."""
    plan = commission_plan(0.1, cap=1.2, measurement_period="quarter")
    credited = np.array([1.3, 1.5]) * Q_QUARTER
    decision = DealTiming().decide(
        _quarter_pay(plan),
        credited,
        np.zeros(2),
        np.array([50_000.0, 50_000.0]),
        np.full(2, 200_000.0),
        np.full(2, 20_000.0),
    )
    excess = credited - 1.2 * Q_QUARTER
    np.testing.assert_allclose(decision.pushed, np.minimum(excess, 50_000.0), rtol=1e-9)
    assert np.all(decision.pulled == 0)


def test_bonus_plans_invite_more_gaming_than_commissions():
    """Kishore et al. (2013), directionally: over reps spread around quota, a bonus plan produces
    more pulled revenue than a commission plan of similar cost."""
    credited = np.linspace(0.6, 1.4, 81) * Q_QUARTER
    args = (
        np.full(81, 60_000.0),
        np.full(81, 60_000.0),
        np.full(81, 250_000.0),
        np.full(81, 60_000.0),
    )
    timing = DealTiming(discount=0.1)
    bonus = timing.decide(
        _quarter_pay(bonus_plan(25_000.0, measurement_period="quarter")), credited, *args
    )
    commission = timing.decide(
        _quarter_pay(commission_plan(0.1, measurement_period="quarter")), credited, *args
    )
    assert bonus.pulled.sum() > 0
    assert (
        bonus.pulled.sum() + bonus.pushed.sum() > commission.pulled.sum() + commission.pushed.sum()
    )


def test_no_timing_model_does_nothing():
    decision = NoTiming().decide(None, np.ones(4), 1, 1, 1, 1)
    assert decision.pulled.shape == (4,) and not decision.pulled.any()


def test_accelerator_makes_pulling_pay():
    """Below quota 5%, above quota 20% (quarterly). A rep at 95% with an average next quarter
    (well below quota) pulls so that its credit passes quota: each pulled unit earns 20%·(1 − δ)
    now against 5% next quarter."""
    plan = make_plan(
        [{"from": 0.0, "rate": 0.05}, {"from": 1.0, "rate": 0.20}], measurement_period="quarter"
    )
    decision = DealTiming(discount=0.1).decide(
        _quarter_pay(plan),
        np.array([0.95 * Q_QUARTER]),
        np.array([40_000.0]),
        np.zeros(1),
        np.array([150_000.0]),
        np.array([20_000.0]),
    )
    assert decision.pulled[0] == pytest.approx(40_000.0)
    assert decision.gain[0] > 0


def test_decisions_at_period_ends_for_a_population():
    """The engine-facing helper: nothing moves mid-quarter; at a quarter end it equals decide()
    with capacities from the next month's expected sales and the pushable bookings."""
    from reps_helpers import one_rep

    from spmopt.reps.population import Population
    from spmopt.reps.situation import Situation
    from spmopt.reps.technology import NormalSales

    plan = bonus_plan(20_000.0, measurement_period="quarter")
    population = Population.from_reps([one_rep(rep_id="a"), one_rep(rep_id="b")])
    situation = Situation(plan, population, NormalSales(sigma=100_000))
    timing = DealTiming(discount=0.1, pull_share=0.5)
    credited = np.array([0.9, 0.5]) * Q_QUARTER
    month_sales = np.array([70_000.0, 70_000.0])
    effort = np.array([0.5, 0.5])
    mid = timing.decide_at_period_end(situation, 4, credited, month_sales, effort)
    assert not mid.pulled.any() and not mid.pushed.any()
    end = timing.decide_at_period_end(situation, 5, credited, month_sales, effort)
    monthly = (700_000.0 + 300_000.0 * 0.5) / 12
    direct = timing.decide(
        situation.period_pay,
        credited,
        np.full(2, 0.5 * monthly),
        0.5 * month_sales,
        np.full(2, 3 * monthly),
        np.full(2, 100_000.0 * np.sqrt(0.25)),
    )
    np.testing.assert_allclose(end.pulled, direct.pulled)
    assert end.pulled[0] == pytest.approx(0.1 * Q_QUARTER / 0.9)  # 90% → quota: pulls
    assert end.pulled[1] == 0.0  # 50%: out of reach
