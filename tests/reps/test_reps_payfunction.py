"""Per-rep pay functions built from plans agree with the plan's own curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reps_helpers import make_plan

import spmopt
from spmopt.plan.curve import PayoutCurve
from spmopt.reps.payfunction import StackedPay, plan_pay

PLANS = sorted((Path(__file__).resolve().parents[2] / "scenarios" / "plans").glob("*.toml"))


@pytest.mark.parametrize("path", PLANS, ids=lambda p: p.stem)
def test_annual_pay_equals_attainment_curve(path):
    """For a rep with the plan's quota: pay(S) = attainment_curve(S/Q), on a dense grid and
    exactly on every breakpoint."""
    plan = spmopt.Plan.load(path)
    curve = plan.attainment_curve()
    quota = plan.components[0].quota
    attainment = np.concatenate([np.linspace(-0.2, 3.0, 20_001), curve.breakpoints])
    pay = plan_pay(plan)
    np.testing.assert_allclose(
        pay(attainment[None] * quota)[0], curve(attainment), rtol=1e-12, atol=1e-6
    )


def test_per_rep_quota_and_target_incentive_match_plan_curves():
    """A rep with its own quota and target incentive earns plan.curve(quota=…, TI=…) on an
    annually measured plan (rate tiers scale with quota, multipliers with TI)."""
    plan = make_plan(
        [{"from": 0.0, "rate": 0.05}, {"from": 1.0, "multiplier": 1.5}],
        threshold=0.4,
        cap=2.5,
        bonuses=[{"at": 1.1, "amount": 5_000}],
    )
    quotas = np.array([500_000.0, 1_000_000.0, 2_000_000.0])
    incentives = np.array([60_000.0, 100_000.0, 150_000.0])
    pay = plan_pay(plan, quotas, incentives)
    for row, (quota, ti) in enumerate(zip(quotas, incentives, strict=True)):
        component = plan.curve("bookings", quota=quota, target_incentive=ti)
        bonus = plan.bonus_curve(plan.bonuses[0], quota=quota)
        sales = np.concatenate(
            [np.linspace(0, 3 * quota, 3001), component.breakpoints, bonus.breakpoints]
        )
        np.testing.assert_allclose(
            pay(np.tile(sales, (3, 1)))[row], component(sales) + bonus(sales), rtol=1e-12, atol=1e-6
        )


def test_period_pay_of_a_quarterly_plan():
    plan = make_plan(
        [{"from": 0.0, "rate": 0.1}],
        cap=1.5,
        measurement_period="quarter",
        bonuses=[{"at": 1.0, "amount": 2_500}],
    )
    pay = plan_pay(plan, horizon="period")
    curve = plan.curve("bookings") + plan.bonus_curve(plan.bonuses[0])
    sales = np.linspace(0, 600_000, 6001)
    np.testing.assert_allclose(pay(sales[None])[0], curve(sales), rtol=1e-12, atol=1e-6)


def _curve(breaks, values, slopes):
    order = np.argsort(breaks)
    return PayoutCurve(
        np.asarray(breaks)[order], np.asarray(values)[order], np.asarray(slopes)[order]
    )


curves = st.builds(
    _curve,
    st.lists(st.floats(0, 10), min_size=1, max_size=5, unique=True),
    st.lists(st.floats(0, 100), min_size=5, max_size=5),
    st.lists(st.floats(-5, 5), min_size=5, max_size=5),
).filter(lambda c: True)


def _fix(breaks, values, slopes):
    n = len(breaks)
    return _curve(breaks, values[:n], slopes[:n])


curve_strategy = st.builds(
    _fix,
    st.lists(st.floats(0, 10, allow_subnormal=False), min_size=1, max_size=5, unique=True),
    st.lists(st.floats(0, 100), min_size=5, max_size=5),
    st.lists(st.floats(-5, 5), min_size=5, max_size=5),
)


@settings(max_examples=60, deadline=None)
@given(first=curve_strategy, second=curve_strategy, ceiling=st.floats(1, 120))
def test_sum_and_minimum_match_payout_curve_algebra(first, second, ceiling):
    """StackedPay's exact sum and ceiling agree with PayoutCurve's own algebra everywhere,
    including on breakpoints."""
    total = first + second
    stacked = StackedPay.from_curve(first) + StackedPay.from_curve(second)
    x = np.concatenate([np.linspace(-1, 12, 1301), total.breakpoints])
    np.testing.assert_allclose(stacked(x[None])[0], total(x), rtol=1e-9, atol=1e-9)
    capped = StackedPay.from_curve(total).minimum(ceiling)
    np.testing.assert_allclose(
        capped(x[None])[0], np.minimum(total(x), ceiling), rtol=1e-9, atol=1e-9
    )
