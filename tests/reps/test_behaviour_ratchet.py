"""Ratchet anticipation: the effective commission rate under a quota revision rule."""

from __future__ import annotations

import numpy as np
import pytest
from reps_helpers import QUOTA, make_plan, one_rep

from spmopt.reps.behaviour.dynamic import DynamicBestResponse
from spmopt.reps.behaviour.ratchet import RatchetAnticipation
from spmopt.reps.behaviour.static import best_response
from spmopt.reps.situation import Situation
from spmopt.reps.technology import NormalSales

K, C, H = 200_000.0, 10_000.0, 800_000.0
TI = 100_000.0


def _linear_attainment_plan():
    """pay = TI·S/Q: a multiplier-1 tier from 0 (β = TI/Q per unit of sales)."""
    return make_plan([{"from": 0.0, "multiplier": 1.0}], target_incentive=TI)


def test_horizon_factor_closed_form():
    """D = Σ_{j=1}^{H−1} δ^j (1−λ)^{j−1}: for H = 4, δ = 0.9, λ = 0.5:
    0.9 + 0.81·0.5 + 0.729·0.25 = 1.48725."""
    assert RatchetAnticipation(up=0.5, discount=0.9, horizon_years=4).horizon_factor(0.5) == (
        pytest.approx(1.48725, rel=1e-12)
    )
    assert RatchetAnticipation(up=0.5, horizon_years=1).horizon_factor(0.5) == 0.0


def test_effective_rate_of_a_ratchet():
    """Linear plan pay = β·S with β = TI/Q, normal sales, risk neutral, quadratic cost.

    Next year's static optimum gives CE*(Q) = β·(h + k·e*) − c·e*²/2 with e* = β·k/c, and by the
    envelope theorem the cost of a unit of quota is m = −∂CE*/∂Q = TI·(h + k·e*)/Q² = β·a*, a*
    the expected attainment. A unit of sales now raises next year's quota by λ and, through
    later revisions, costs m·λ·D in present value. The effective rate is β_eff = β·(1 − λ·D·a*)
    and effort β_eff·k/c.
    """
    ratchet = RatchetAnticipation(up=0.5, discount=0.9, horizon_years=4)
    rep = one_rep(base_sales=H, effectiveness=K, effort_cost=C)
    plan = _linear_attainment_plan()
    technology = NormalSales(sigma=50_000)
    beta = TI / QUOTA
    e_free = beta * K / C
    attainment = (H + K * e_free) / QUOTA
    effective = beta * (1 - 0.5 * ratchet.horizon_factor(0.5) * attainment)
    plain = best_response(plan, rep, technology)
    anticipating = best_response(plan, rep, technology, ratchet=ratchet)
    assert plain.effort == pytest.approx(e_free, rel=1e-6)
    assert anticipating.effort == pytest.approx(effective * K / C, rel=1e-4)
    # the reported pay and CE are this year's, at the lower effort
    assert anticipating.expected_pay == pytest.approx(
        beta * (H + K * anticipating.effort), rel=1e-9
    )


def test_given_quota_value_and_asymmetric_ratchet():
    """With m given, the penalty is −m·λ·D·(S − Q) with λ_up above quota and λ_down below. A rep
    who ends far above quota faces only λ_up: β_eff = β − m·λ_up·D(λ_up); far below quota only
    λ_down."""
    ratchet = RatchetAnticipation(up=0.6, down=0.1, discount=1.0, horizon_years=2, quota_value=0.05)
    plan = _linear_attainment_plan()
    technology = NormalSales(sigma=1_000.0)
    beta = TI / QUOTA
    above = one_rep(base_sales=1.5e6, effectiveness=K, effort_cost=C)
    below = one_rep(base_sales=2e5, effectiveness=K, effort_cost=C)
    result_above = best_response(plan, above, technology, ratchet=ratchet)
    result_below = best_response(plan, below, technology, ratchet=ratchet)
    assert result_above.effort == pytest.approx((beta - 0.05 * 0.6 * 1.0) * K / C, rel=1e-6)
    assert result_below.effort == pytest.approx((beta - 0.05 * 0.1 * 1.0) * K / C, rel=1e-6)


def test_dynamic_policy_anticipates_the_ratchet_too():
    """Annual cadence: the dynamic model with the ratchet equals the static one with it."""
    ratchet = RatchetAnticipation(up=0.5, discount=0.9, horizon_years=4)
    rep = one_rep(base_sales=H, effectiveness=K, effort_cost=C)
    plan = _linear_attainment_plan()
    technology = NormalSales(sigma=50_000)
    static = best_response(plan, rep, technology, ratchet=ratchet)
    policy = DynamicBestResponse(cadence="year", grid_points=1001, ratchet=ratchet).solve(
        Situation(plan, rep.to_population(), technology)
    )
    assert policy.effort(np.zeros(1, int), 0, 0.0)[0] == pytest.approx(static.effort, rel=2e-3)
