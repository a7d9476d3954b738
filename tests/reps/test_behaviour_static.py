"""Static best response against closed forms of the agency-theory literature.

Notation: sales S = h + k·e + ε, ε ~ N(0, σ²); effort cost c·e²/2 (γ = 2); CARA coefficient r;
all money annual. The solver sees the plan only through its payout curve.
"""

from __future__ import annotations

import numpy as np
import pytest
from reps_helpers import (
    QUOTA,
    bonus_plan,
    commission_plan,
    make_plan,
    one_rep,
    reps_population,
    reps_with_base_sales,
)
from scipy import optimize, special

from spmopt.reps.behaviour.static import best_response
from spmopt.reps.population import Population, Rep
from spmopt.reps.technology import DealSales, NormalSales

H, K, C = 600_000.0, 200_000.0, 20_000.0  # base sales, effectiveness, effort cost


def test_holmstrom_milgrom_effort_and_certainty_equivalent():
    """Linear contract pay = β·S (Holmström & Milgrom 1987).

    CE(e) = β(h + k·e) − r·β²σ²/2 − c·e²/2, concave in e, so e* = β·k/c and
    CE* = β·h + β²k²/(2c) − r·β²σ²/2. With h = 30σ the chance of negative sales (where the plan
    pays 0 rather than β·S) is below 1e-190, so the plan is linear for all practical purposes.
    """
    beta, sigma, r = 0.08, 20_000.0, 4e-5
    rep = one_rep(base_sales=H, effectiveness=K, effort_cost=C, risk_aversion=r)
    result = best_response(commission_plan(beta), rep, NormalSales(sigma=sigma))
    effort = beta * K / C
    ce = beta * H + beta**2 * K**2 / (2 * C) - r * beta**2 * sigma**2 / 2
    assert result.effort == pytest.approx(effort, rel=1e-6)
    assert result.certainty_equivalent == pytest.approx(ce, rel=1e-9)
    assert result.expected_pay == pytest.approx(beta * (H + K * effort), rel=1e-6)
    assert result.expected_sales == pytest.approx(H + K * effort, rel=1e-6)
    assert result.p_quota == pytest.approx(special.ndtr((H + K * effort - QUOTA) / sigma), abs=1e-9)


def test_holmstrom_milgrom_optimal_rate():
    """The surplus-maximising commission rate is β* = 1 / (1 + r·c·σ²/k²).

    Total surplus = E[S] − E[pay] + CE = h + k·e* − c·e*²/2 − r·β²σ²/2 with e* = β·k/c;
    d/dβ: k²/c − β·k²/c − r·β·σ² = 0 gives β*. The rate is found numerically by maximising the
    surplus computed from ``best_response`` alone and compared with β*.
    """
    sigma, r = 300_000.0, 2e-5
    rep = one_rep(base_sales=2e6, effectiveness=K, effort_cost=C, risk_aversion=r)
    technology = NormalSales(sigma=sigma)

    def negative_surplus(beta):
        result = best_response(commission_plan(beta), rep, technology)
        return -(result.expected_sales - result.expected_pay + result.certainty_equivalent)

    found = optimize.minimize_scalar(
        negative_surplus, bounds=(0.05, 1.0), method="bounded", options={"xatol": 1e-7}
    )
    expected = 1.0 / (1.0 + r * C * sigma**2 / K**2)
    assert 0.2 < expected < 0.8  # the test is informative: β* far from 0 and 1
    assert found.x == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("gap_share", [0.2, 0.5, 0.8, 0.95, 1.05, 1.3, 2.0])
def test_threshold_bonus_push_or_give_up_deterministic(gap_share):
    """Risk-neutral quota bonus B without noise: push to quota or give up.

    With pay = B·1{S ≥ Q} and S = h + k·e, reaching quota needs e_g = (Q − h)/k and is worth
    it iff B > c·e_g²/2, i.e. iff the gap Q − h < g* = k·√(2B/c). The rep then sells exactly Q
    (no more: nothing is paid above it); otherwise effort is 0.
    """
    bonus = 50_000.0
    critical_gap = K * np.sqrt(2 * bonus / C)
    h = QUOTA - gap_share * critical_gap
    rep = one_rep(base_sales=h, effectiveness=K, effort_cost=C)
    result = best_response(bonus_plan(bonus), rep, NormalSales(sigma=0.0))
    if gap_share < 1:
        assert result.effort == pytest.approx((QUOTA - h) / K, rel=1e-12)
        assert result.expected_pay == bonus
    else:
        assert result.effort == 0.0
        assert result.expected_pay == 0.0


def _threshold_utility(effort, h, bonus, sigma):
    return bonus * special.ndtr((h + K * effort - QUOTA) / sigma) - C * effort**2 / 2


@pytest.mark.parametrize("gap", [0.0, 200_000.0, 400_000.0, 600_000.0, 900_000.0])
def test_threshold_bonus_with_noise_finds_global_optimum(gap):
    """Risk-neutral quota bonus with normal noise: U(e) = B·Φ((h + k·e − Q)/σ) − c·e²/2.

    U has up to two local maxima (give up at e = 0, push near the quota). The solver's effort must
    reach the global maximum of U, computed here independently on a dense grid of 400,001
    efforts refined with a bounded scalar search (agreement to 1e-6 of B in utility).
    """
    bonus, sigma = 50_000.0, 80_000.0
    h = QUOTA - gap
    rep = one_rep(base_sales=h, effectiveness=K, effort_cost=C)
    result = best_response(bonus_plan(bonus), rep, NormalSales(sigma=sigma))
    grid = np.linspace(0.0, 10.0, 400_001)
    values = _threshold_utility(grid, h, bonus, sigma)
    best = grid[np.argmax(values)]
    polish = optimize.minimize_scalar(
        lambda e: -_threshold_utility(e, h, bonus, sigma),
        bounds=(max(best - 1e-4, 0.0), best + 1e-4),
        method="bounded",
        options={"xatol": 1e-10},
    )
    best_value = -polish.fun
    achieved = _threshold_utility(result.effort, h, bonus, sigma)
    assert achieved == pytest.approx(best_value, abs=1e-6 * bonus)
    assert result.certainty_equivalent == pytest.approx(best_value, abs=1e-6 * bonus)
    assert result.effort == pytest.approx(polish.x, abs=1e-4)


def test_effort_stops_exactly_at_cap():
    """Commission β capped at attainment κ, no noise: pay = β·min(S, κQ).

    Uncapped effort β·k/c would carry sales past κQ; above it effort earns nothing, so the rep
    stops exactly where sales reach the cap: e = (κQ − h)/k. A rep whose uncapped effort stays
    below the cap is unaffected.
    """
    beta, cap = 0.1, 1.1
    capped = one_rep(base_sales=1_000_000.0, effectiveness=K, effort_cost=C)  # 1e6 + 2e5 e
    free = one_rep(base_sales=500_000.0, effectiveness=K, effort_cost=C)
    plan = commission_plan(beta, cap=cap)
    assert beta * K / C * K + 1_000_000.0 > cap * QUOTA  # the cap binds for the first rep
    result = best_response(plan, Population.from_reps([capped, free]), NormalSales(sigma=0.0))
    assert result.effort.iloc[0] == pytest.approx((cap * QUOTA - 1_000_000.0) / K, rel=1e-12)
    assert result.expected_sales.iloc[0] == pytest.approx(cap * QUOTA, rel=1e-12)
    assert result.effort.iloc[1] == pytest.approx(beta * K / C, rel=1e-9)


def test_bunching_at_a_decelerator_kink():
    """Decelerator: slope β1 up to attainment κ, β2 < β1 above; no noise.

    Pay is concave, so each rep has one optimum: e1 = β1·k/c if h + k·e1 ≤ κQ; e2 = β2·k/c if
    h + k·e2 ≥ κQ; otherwise the kink e = (κQ − h)/k. Every rep with
    h ∈ [κQ − k·e1, κQ − k·e2] sells exactly κQ: a mass point of sales at the kink.
    """
    beta1, beta2, kink = 0.10, 0.04, 1.0
    plan = make_plan([{"from": 0.0, "rate": beta1}, {"from": kink, "rate": beta2}])
    e1, e2 = beta1 * K / C, beta2 * K / C
    low, high = kink * QUOTA - K * e1, kink * QUOTA - K * e2
    h = np.linspace(low - 100_000, high + 100_000, 41)
    reps = [one_rep(base_sales=value, effectiveness=K, effort_cost=C) for value in h]
    result = best_response(plan, Population.from_reps(reps), NormalSales(sigma=0.0))
    expected = np.where(h <= low, e1, np.where(h >= high, e2, (kink * QUOTA - h) / K))
    np.testing.assert_allclose(result.effort, expected, rtol=1e-9, atol=1e-12)
    bunched = (h > low) & (h < high)
    assert bunched.sum() >= 10
    np.testing.assert_allclose(result.expected_sales[bunched], kink * QUOTA, rtol=1e-12)


def test_jump_over_an_accelerator_kink():
    """Accelerator: slope β1 below attainment κ, β2 > β1 above; no noise.

    Two local optima, e1 = β1·k/c (below the kink) and e2 = β2·k/c (above). Their utilities are
    U1 = β1·h + β1²k²/(2c) and U2 = β1·κQ + β2·(h − κQ) + β2²k²/(2c); U2 ≥ U1 iff
    κQ − h ≤ (β1 + β2)·k²/(2c). Effort jumps from e1 to e2 at that base level, so no rep's
    sales fall strictly between h* + k·e1 and h* + k·e2.
    """
    beta1, beta2, kink = 0.05, 0.15, 1.0
    plan = make_plan([{"from": 0.0, "rate": beta1}, {"from": kink, "rate": beta2}])
    e1, e2 = beta1 * K / C, beta2 * K / C
    h_star = kink * QUOTA - (beta1 + beta2) * K**2 / (2 * C)
    h = h_star + np.array([-50_000, -1_000, -1.0, 1.0, 1_000, 50_000])
    reps = [one_rep(base_sales=value, effectiveness=K, effort_cost=C) for value in h]
    result = best_response(plan, Population.from_reps(reps), NormalSales(sigma=0.0))
    expected = np.where(h < h_star, e1, e2)
    np.testing.assert_allclose(result.effort, expected, rtol=1e-9)
    sales = result.expected_sales.to_numpy()
    assert not np.any((sales > h_star + K * e1 + 1) & (sales < h_star + K * e2 - 1))


def test_population_equals_rep_by_rep():
    """The vectorised solve of a heterogeneous population equals solving each rep alone."""
    population = reps_population(n=12)
    plan = make_plan(
        [{"from": 0.0, "rate": 0.08}, {"from": 1.0, "multiplier": 1.5}],
        threshold=0.5,
        cap=2.0,
        bonuses=[{"at": 1.0, "amount": 10_000}],
    )
    technology = NormalSales(sigma=150_000)
    together = best_response(plan, population, technology)
    for position in range(len(population)):
        alone = best_response(plan, population.rep(position), technology)
        assert together.effort.iloc[position] == pytest.approx(alone.effort, rel=1e-7, abs=1e-9)
        assert together.certainty_equivalent.iloc[position] == pytest.approx(
            alone.certainty_equivalent, rel=1e-10
        )


def test_risk_aversion_lowers_effort_and_certainty_equivalent():
    """Under a linear contract effort does not depend on r but the CE falls by r·β²σ²/2;
    under a quota bonus a more risk-averse rep never has a higher CE (Jensen)."""
    technology = NormalSales(sigma=100_000)
    reps = Population.from_reps(
        [one_rep(risk_aversion=r, rep_id=f"r{i}") for i, r in enumerate([0, 1e-5, 4e-5])]
    )
    result = best_response(bonus_plan(40_000), reps, technology)
    assert np.all(np.diff(result.certainty_equivalent) <= 1e-9)


def test_ramping_rep_sells_less():
    """A rep in the first month of a 6-month ramp produces less over the year (exposure < 1)."""
    technology = NormalSales(sigma=0.0)
    plan = commission_plan(0.1)
    ramped = best_response(plan, one_rep(), technology)
    new = best_response(plan, one_rep(tenure_months=0, ramp_months=6), technology)
    assert new.expected_sales < ramped.expected_sales
    # linear pay: effort β·k·x/c scales with exposure x = Σ_m ramp_m / 12
    from spmopt.reps.seasonality import Ramp

    exposure = Ramp().by_month(0, 6).mean()
    assert new.effort == pytest.approx(0.1 * 300_000 * exposure / 100_000, rel=1e-6)


def test_deal_sales_best_response_is_consistent_with_sampling():
    """Under DealSales the reported expected pay and certainty equivalent at the chosen effort
    match Monte Carlo estimates from the technology's own sampler within 4.4 standard errors plus
    a 0.2% discretisation allowance; and the effort beats its neighbours by the same measure."""
    from spmopt.reps.payfunction import plan_pay
    from spmopt.sim.streams import RandomStreams

    plan = make_plan(
        [{"from": 0.0, "rate": 0.08}, {"from": 1.0, "rate": 0.12}],
        bonuses=[{"at": 1.0, "amount": 10_000}],
    )
    technology = DealSales(deal_size_mean=40_000, deal_size_sigma=0.8)
    rep = one_rep(risk_aversion=1e-5)
    result = best_response(plan, rep, technology)
    assert result.effort > 0
    rng = RandomStreams(11).generator("deal-check")
    draws = technology.sample(
        rep.to_population().arrays, np.array([result.effort]), 1.0, rng, size=100_000
    )
    pay = plan_pay(plan)(draws.reshape(1, -1))[0]
    se = pay.std() / np.sqrt(pay.size)
    assert abs(pay.mean() - result.expected_pay) < 4.4 * se + 0.002 * result.expected_pay
    utility = np.exp(-1e-5 * (pay - pay.mean()))
    ce = pay.mean() - np.log(utility.mean()) / 1e-5 - result.effort_cost
    se_ce = utility.std() / np.sqrt(pay.size) / utility.mean() / 1e-5  # delta method
    assert abs(ce - result.certainty_equivalent) < 4.4 * se_ce + 0.002 * result.expected_pay


def test_outside_option_sets_participation():
    rep_low = one_rep(outside_option=1e9)
    rep_high = one_rep(outside_option=0.0)
    assert not best_response(commission_plan(0.1), rep_low, NormalSales(sigma=1e5)).participates
    assert best_response(commission_plan(0.1), rep_high, NormalSales(sigma=1e5)).participates


def test_result_table_columns_and_types():
    population = reps_population(n=5)
    table = best_response(commission_plan(0.1), population, NormalSales(sigma=1e5))
    assert list(table.columns) == [
        "rep_id",
        "effort",
        "expected_sales",
        "expected_pay",
        "certainty_equivalent",
        "effort_cost",
        "p_quota",
        "participates",
    ]
    assert table.rep_id.tolist() == population.rep_ids.tolist()
    assert ((table.p_quota >= 0) & (table.p_quota <= 1)).all()
    assert isinstance(
        best_response(
            commission_plan(0.1),
            Rep(base_sales=1, effectiveness=1, effort_cost=1),
            NormalSales(1.0),
        ).effort,
        float,
    )


def _random_plan(data):
    """A random non-decreasing plan: up to three tiers, optional threshold, cap and bonus."""
    from hypothesis import strategies as st

    starts = sorted(data.draw(st.sets(st.sampled_from([0.5, 0.8, 1.0, 1.2, 1.5]), max_size=2)))
    tiers = [{"from": 0.0, "rate": data.draw(st.sampled_from([0.0, 0.02, 0.06, 0.1]))}]
    tiers += [
        {"from": start, "rate": data.draw(st.sampled_from([0.0, 0.03, 0.12, 0.2]))}
        for start in starts
    ]
    threshold = data.draw(st.none() | st.sampled_from([0.3, 0.6]))
    cap = data.draw(st.none() | st.sampled_from([1.3, 1.8]))
    bonuses = data.draw(st.sampled_from([[], [{"at": 1.0, "amount": 15_000.0}]]))
    return make_plan(tiers, threshold=threshold, cap=cap, bonuses=bonuses)


def test_global_optimum_on_random_plans():
    """For random plans with thresholds, tiers, caps and bonuses, no effort on a dense grid of
    20,001 points does better than the solver's (exact CE evaluation from the same closed form,
    so the comparison isolates the search), with and without noise and risk aversion."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from spmopt.reps.behaviour.static import effort_cost
    from spmopt.reps.situation import Situation

    @settings(max_examples=40, deadline=None)
    @given(
        data=st.data(),
        h=st.floats(3e5, 1.2e6),
        sigma=st.sampled_from([0.0, 3e4, 1.5e5]),
        r=st.sampled_from([0.0, 2e-5]),
    )
    def check(data, h, sigma, r):
        plan = _random_plan(data)
        rep = one_rep(base_sales=h, effectiveness=K, effort_cost=C, risk_aversion=r)
        technology = NormalSales(sigma=sigma)
        result = best_response(plan, rep, technology)
        situation = Situation(plan, rep.to_population(), technology)
        prepared = technology.prepare(situation.annual_pay, situation.reps, 1.0)
        grid = np.linspace(0.0, 12.0, 20_001)[None, :]
        _, ce = prepared.moments(grid)
        values = ce - effort_cost(grid, C, 2.0)
        assert result.certainty_equivalent >= values.max() - 1e-7 * max(1.0, abs(values.max()))

    check()


def _bonus_certainty_equivalent(effort, h, bonus, sigma, r):
    """CE of B·1{S ≥ Q}, S ~ N(h + k·e, σ²), minus c·e²/2: p = Φ((h + k·e − Q)/σ), CE of the
    lottery −log(1 − p + p·e^(−r·B))/r (p·B when r = 0)."""
    p = special.ndtr((h + K * effort - QUOTA) / sigma)
    lottery = p * bonus if r == 0 else -np.log1p(p * np.expm1(-r * bonus)) / r
    return lottery - C * effort**2 / 2


@pytest.mark.parametrize(("sigma", "r"), [(5_000.0, 0.0), (5_000.0, 2e-5), (30_000.0, 2e-5)])
def test_work_or_give_up_tie_sweep_matches_brute_force(sigma, r):
    """Near the gap where pushing for a quota bonus ties with giving up, the pushing optimum is
    a narrow peak (width ~σ/k in effort) that can sit between two search-grid candidates both
    worse than e = 0. Over 701 gaps, the solver's effort must be as good as the best of 8,001
    efforts on [0, 4] evaluated with the closed-form CE above (independent of the engine)."""
    bonus = 50_000.0
    gaps = np.linspace(0.0, 700_000.0, 701)
    reps = reps_with_base_sales(QUOTA - gaps, effectiveness=K, effort_cost=C, risk_aversion=r)
    result = best_response(bonus_plan(bonus), reps, NormalSales(sigma=sigma))
    grid = np.linspace(0.0, 4.0, 8001)
    h = (QUOTA - gaps)[:, None]
    brute = _bonus_certainty_equivalent(grid[None, :], h, bonus, sigma, r).max(axis=1)
    achieved = _bonus_certainty_equivalent(result.effort.to_numpy()[:, None], h, bonus, sigma, r)
    shortfall = brute - achieved[:, 0]
    assert shortfall.max() <= 1e-6 * bonus, (gaps[shortfall.argmax()], shortfall.max())
    # the sweep crosses the tie: some reps push, some give up
    assert (result.effort > 1.0).any() and (result.effort == 0.0).any()
