"""Dynamic policy (backward induction on month × attainment) against theory and the static model.

Notation: monthly sales x_m·(h + k·e) + ε_m with ε_m ~ N(0, x_m·σ²), x_m = 1/12 (flat
seasonality, ramped reps); monthly effort cost c·e²/2/12; attainment A = credited / Q.
"""

from __future__ import annotations

import numpy as np
import pytest
from reps_helpers import QUOTA, Z_FAIL, bonus_plan, commission_plan, make_plan, one_rep
from scipy import special

from spmopt.errors import SpmoptInputError
from spmopt.reps.behaviour.dynamic import DynamicBestResponse
from spmopt.reps.behaviour.static import best_response
from spmopt.reps.population import Population
from spmopt.reps.situation import Situation
from spmopt.reps.technology import DealSales, NormalSales
from spmopt.sim.streams import RandomStreams

K, C, H, SIGMA = 200_000.0, 20_000.0, 700_000.0, 200_000.0


def _situation(plan, rep=None, sigma=SIGMA):
    rep = rep or one_rep(base_sales=H, effectiveness=K, effort_cost=C)
    return Situation(plan, rep.to_population(), NormalSales(sigma=sigma))


def test_annual_cadence_equals_static_best_response():
    """With one review a year the dynamic problem is the static one: W_0(0) = max_e CE(e)."""
    plan = make_plan(
        [{"from": 0.0, "rate": 0.08}, {"from": 1.0, "multiplier": 1.5}],
        threshold=0.5,
        cap=2.0,
        bonuses=[{"at": 1.0, "amount": 10_000}],
    )
    reps = Population.from_reps(
        [one_rep(risk_aversion=r, rep_id=f"r{i}") for i, r in enumerate([0.0, 1e-5, 3e-5])]
    )
    technology = NormalSales(sigma=150_000)
    static = best_response(plan, reps, technology)
    policy = DynamicBestResponse(cadence="year", grid_points=1001).solve(
        Situation(plan, reps, technology)
    )
    rows = np.arange(3)
    np.testing.assert_allclose(policy.effort(rows, 0, 0.0), static.effort, rtol=2e-3)
    np.testing.assert_allclose(
        policy.certainty_equivalent(), static.certainty_equivalent, rtol=1e-5
    )


def test_martingale_of_effort_under_year_end_bonus():
    """Risk-neutral rep, quadratic cost, bonus B at year-end quota, monthly reviews.

    FOC in month m: (c/12)·e_m = (k/12Q)·E_m[W′_{m+1}(A_{m+1})], i.e. e_m = (k/cQ)·E_m[W′_{m+1}];
    envelope: W′_m(A_m) = E_m[W′_{m+1}(A_{m+1})]. Hence E_m[e_{m+1}] = (k/cQ)·E_m[W′_{m+1}] = e_m:
    optimal effort is a martingale along the path (W′ > 0, so effort is interior).
    Checked at attainment levels where effort is material, by 80-node Gauss–Hermite over the
    monthly shock; tolerance 1% of the peak effort, the discretisation error of a 1,001-point
    grid with 64 nodes (it falls as the grid is refined; see benchmarks/results/behaviour.md).
    """
    situation = _situation(bonus_plan(50_000.0))
    policy = DynamicBestResponse(grid_points=1001, quadrature_nodes=64).solve(situation)
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / weights.sum()
    attainment = np.linspace(0.0, 1.2, 49)
    zeros = np.zeros(attainment.shape, dtype=int)
    peak = 0.0
    worst = 0.0
    for month in range(11):
        effort = policy.effort(zeros, month, attainment)
        following = (
            attainment[:, None]
            + ((H + K * effort[:, None]) / 12 + SIGMA / np.sqrt(12) * nodes) / QUOTA
        )
        expected_next = (
            policy.effort(np.zeros(following.shape, int), month + 1, following) @ weights
        )
        material = effort > 0.05
        worst = max(worst, float(np.max(np.abs(expected_next - effort)[material])))
        peak = max(peak, float(effort.max()))
    assert worst < 0.01 * peak


def test_martingale_mean_effort_is_flat_over_the_year_by_simulation():
    """Unconditional consequence: E[e_m] = e_0 for every month. Simulated paths under the policy;
    tolerance Z_FAIL·SE (false-failure rate 1.1e-5 per month) plus the 1% numerical allowance."""
    situation = _situation(bonus_plan(50_000.0))
    policy = DynamicBestResponse(grid_points=1001, quadrature_nodes=64).solve(situation)
    rng = RandomStreams(5).generator("martingale-paths")
    paths = 40_000
    attainment = np.zeros(paths)
    rows = np.zeros(paths, dtype=int)
    e0 = float(policy.effort([0], 0, 0.0)[0])
    for month in range(12):
        effort = policy.effort(rows, month, attainment)
        se = effort.std() / np.sqrt(paths)
        assert abs(effort.mean() - e0) < Z_FAIL * se + 0.01 * e0
        shock = SIGMA / np.sqrt(12) * rng.standard_normal(paths)
        attainment = attainment + ((H + K * effort) / 12 + shock) / QUOTA


def test_quota_chasing_and_giving_up():
    """Bonus at quota, three months left: effort peaks where quota is within reach, is near zero
    far below it (giving up) and far above it (already made)."""
    situation = _situation(bonus_plan(50_000.0))
    policy = DynamicBestResponse().solve(situation)
    attainment = np.linspace(0.0, 1.5, 151)
    effort = policy.effort(np.zeros(151, int), 9, attainment)
    peak = effort.max()
    peak_at = attainment[np.argmax(effort)]
    # with 3 months left base sales add 3/12·h/Q = 0.175 of quota: the peak is below 1 − 0.175
    assert 0.5 < peak_at < 1.0 - 3 / 12 * H / QUOTA + 0.05
    assert effort[attainment <= 0.2].max() < 0.05 * peak  # gives up far below
    assert effort[attainment >= 1.3].max() < 0.05 * peak  # made it: stops
    assert peak > 3 * K * 0 + 0.5


def test_coasting_above_a_cap():
    """Commission β capped at 1.2 × quota: past the cap more sales pay nothing, so effort is zero
    (up to the chance that normal shocks — which can be negative — carry attainment back below
    the cap: effort ≤ 1% of β·k/c just past it, ≤ 1e-6 well past it; exactly 0 without noise);
    far below the cap effort is the linear-contract β·k/c."""
    beta = 0.1
    linear = beta * K / C
    plan = commission_plan(beta, cap=1.2)
    policy = DynamicBestResponse().solve(_situation(plan))
    effort = policy.effort(np.zeros(3, int), 6, np.array([1.25, 1.8, 2.0]))
    assert effort[0] < 0.01 * linear
    assert np.all(effort[1:] < 1e-6 * linear)
    assert policy.effort([0], 6, 0.2)[0] == pytest.approx(linear, rel=2e-3)
    exact = DynamicBestResponse().solve(_situation(plan, sigma=0.0))
    assert np.all(exact.effort(np.zeros(3, int), 6, np.array([1.25, 1.5, 2.0])) == 0.0)


def test_overachievement_rate_keeps_effort_up_past_quota():
    """An accelerator β2 above quota: well past quota (all remaining risk above the kink) effort is
    the linear-contract β2·k/c; the same plan capped at quota stops effort there."""
    beta1, beta2 = 0.05, 0.15
    accelerated = make_plan([{"from": 0.0, "rate": beta1}, {"from": 1.0, "rate": beta2}])
    capped = make_plan([{"from": 0.0, "rate": beta1}], cap=1.0)
    rows = np.zeros(1, int)
    on = DynamicBestResponse().solve(_situation(accelerated)).effort(rows, 8, 1.6)[0]
    off = DynamicBestResponse().solve(_situation(capped)).effort(rows, 8, 1.6)[0]
    assert on == pytest.approx(beta2 * K / C, rel=2e-3)
    assert off < 1e-9 * on


def test_more_frequent_feedback_is_worth_at_least_as_much():
    """A rep who reviews monthly could follow the quarterly policy, and quarterly the annual one,
    so certainty equivalents are ordered (up to grid error, 1e-4 relative)."""
    situation = _situation(bonus_plan(50_000.0, base_salary=0.0))
    values = [
        DynamicBestResponse(cadence=cadence).solve(situation).certainty_equivalent()[0]
        for cadence in ("year", "quarter", "month")
    ]
    assert values[0] <= values[1] * (1 + 1e-4)
    assert values[1] <= values[2] * (1 + 1e-4)
    assert values[2] > values[0]


def test_review_months_follow_the_cadence():
    situation = _situation(bonus_plan(50_000.0))
    policy = DynamicBestResponse(cadence="quarter").solve(situation)
    assert policy.review_months == (0, 3, 6, 9)
    np.testing.assert_array_equal(policy.review_month([0, 2, 3, 11]), [0, 0, 3, 9])


def test_quarterly_measurement_resets_attainment():
    """A quarterly bonus plan: each quarter is the same problem (flat seasonality), so the policy at
    the start of every quarter is the same function of quarter-to-date attainment."""
    plan = bonus_plan(12_000.0, measurement_period="quarter")
    policy = DynamicBestResponse().solve(_situation(plan))
    attainment = np.linspace(0.0, 1.5, 31)
    rows = np.zeros(31, int)
    first = policy.effort(rows, 0, attainment)
    for month in (3, 6, 9):
        np.testing.assert_allclose(
            policy.effort(rows, month, attainment), first, rtol=1e-9, atol=1e-12
        )
    assert first.max() > 0


def test_dynamic_rejects_deal_sales_and_long_cadence():
    with pytest.raises(SpmoptInputError, match="location-family"):
        DynamicBestResponse().solve(
            Situation(bonus_plan(1.0), one_rep().to_population(), DealSales())
        )
    with pytest.raises(SpmoptInputError, match="cadence"):
        DynamicBestResponse(cadence="year").solve(
            _situation(bonus_plan(1.0, measurement_period="quarter"))
        )


def test_annual_terms_on_a_quarterly_plan_match_the_annual_plan():
    """A quarterly plan whose quarterly terms pay nothing, with an annual bonus, is the annual
    bonus problem: the (year-to-date at period start, period attainment) state must give the same
    certainty equivalent and policy as the annual plan's attainment-to-date state, up to the
    interpolation of the year-to-date grid (41 points: 1% here)."""
    import spmopt

    annual = bonus_plan(50_000.0)
    document = annual.to_dict()
    document["plan"]["components"][0]["measurement_period"] = "quarter"
    mixed = spmopt.Plan.from_dict(document)
    annual_policy = DynamicBestResponse().solve(_situation(annual))
    mixed_policy = DynamicBestResponse(year_grid_points=41).solve(_situation(mixed))
    assert mixed_policy.certainty_equivalent()[0] == pytest.approx(
        annual_policy.certainty_equivalent()[0], rel=0.01
    )
    # month 4 (second month of Q2), year-to-date 0.35 of which 0.05 in Q2 (Y_start = 0.3)
    for year_to_date in (0.35, 0.5, 0.6):
        expected = annual_policy.effort([0], 4, year_to_date)[0]
        got = mixed_policy.effort([0], 4, year_to_date - 0.3, year_to_date=year_to_date)[0]
        assert got == pytest.approx(expected, rel=0.05, abs=0.01)
    typical = mixed_policy.typical_year_start[0]
    assert typical[0] == 0 and np.all(np.diff(typical) > 0)


def test_quota_schedule_sets_period_quotas():
    """With quota_schedule = (0.1, 0.2, 0.3, 0.4) the quarters' quotas are those shares of the
    annual quota: a quarterly bonus at 100% is reached at 0.1·Q in Q1 and 0.4·Q in Q4."""
    plan = make_plan(
        [{"from": 0.0, "rate": 0.0}],
        measurement_period="quarter",
        bonuses=[{"at": 1.0, "amount": 1_000.0}],
    )
    document = plan.to_dict()
    document["plan"]["components"][0]["quota_schedule"] = [0.1, 0.2, 0.3, 0.4]
    import spmopt

    plan = spmopt.Plan.from_dict(document)
    situation = _situation(plan)
    np.testing.assert_allclose(situation.period_shares, [0.1, 0.2, 0.3, 0.4])
    for quarter, share in enumerate([0.1, 0.2, 0.3, 0.4]):
        pay = situation.period_pay_of(quarter)
        level = share * QUOTA
        assert pay(np.array([[level - 1.0, level * (1 + 1e-12)]])).tolist() == [[0.0, 1_000.0]]


def test_shipped_bonus_plan_with_pacers_and_a_club_bonus():
    """The shipped bonus-based plan (quarterly pay curve and pacer, annual club bonus) solves:
    effort is finite, the year-to-date path rises, and late in a quarter effort peaks just below
    the quarter's quota (the pacer and the 80% threshold of the curve)."""
    from pathlib import Path

    import spmopt

    root = Path(__file__).resolve().parents[2]
    plan = spmopt.Plan.load(root / "scenarios" / "plans" / "bonus-based.toml")
    rep = one_rep(base_sales=600_000.0, effectiveness=K, effort_cost=C)
    situation = Situation(plan, rep.to_population(), NormalSales(sigma=SIGMA))
    policy = DynamicBestResponse(grid_points=151, year_grid_points=11).solve(situation)
    assert np.isfinite(policy.certainty_equivalent()).all()
    assert np.all(np.diff(policy.typical_year_start[0]) > 0)
    attainment = np.linspace(0.0, 1.6, 81)
    effort = policy.effort(np.zeros(81, int), 2, attainment)
    assert np.all(np.isfinite(effort)) and effort.max() > 0
    assert 0.5 < attainment[np.argmax(effort)] < 1.0


def test_effort_at_negative_attainment_matches_the_one_month_closed_form():
    """Noisy quarterly plan (bonus B at the period quota Q/4), monthly reviews, risk neutral.

    In a quarter's last month the rep at period attainment a maximises
    B·Φ((a·Q/4 + x·(h + k·e) − Q/4)/(σ·√x)) − x·c·e²/2 with x = 1/12 (later quarters do not
    depend on a), solved here by brute force on 80,001 efforts. Attainment can be negative
    (σ is a third of h), and the effort there falls with a; the grid used to start at 0 and
    answered every a < 0 with a = 0's effort.
    """
    h, k, c, bonus, sigma = 900_000.0, 200_000.0, 20_000.0, 20_000.0, 300_000.0
    plan = bonus_plan(bonus, measurement_period="quarter")
    rep = one_rep(base_sales=h, effectiveness=k, effort_cost=c)
    situation = Situation(plan, rep.to_population(), NormalSales(sigma=sigma))
    policy = DynamicBestResponse(cadence="month").solve(situation)
    attainment = np.linspace(-0.4, 0.1, 11)
    effort = np.linspace(0.0, 8.0, 80_001)
    x, period_quota = 1 / 12, QUOTA / 4
    mean = attainment[:, None] * period_quota + x * (h + k * effort[None, :])
    utility = bonus * special.ndtr((mean - period_quota) / (sigma * np.sqrt(x)))
    utility = utility - x * c * effort[None, :] ** 2 / 2
    reference = effort[utility.argmax(axis=1)]
    assert reference[0] < 0.1 * reference[-1]  # informative: effort varies strongly with a
    for month in (2, 5, 8, 11):  # each quarter's last month
        np.testing.assert_allclose(
            policy.effort(0, month, attainment), reference, rtol=0.02, atol=2e-3
        )


def _bonus_plan_years(policy, situation, shocks):
    """Monthly normal sales under ``policy`` (flat seasonality): the (period attainment,
    year-to-date) state at each review (12 × (paths,) pairs) and each path's annual sales."""
    reps = situation.reps
    h, k, quota = reps.base_sales[0], reps.effectiveness[0], situation.quota[0]
    shares, sd = situation.period_shares, situation.sales.sd_annual(reps)[0]
    paths = shocks.shape[1]
    rows = np.zeros(paths, dtype=int)
    total, period_sales, states = np.zeros(paths), np.zeros(paths), []
    for month in range(12):
        if month % 3 == 0:
            period_sales = np.zeros(paths)
        attainment = period_sales / (quota * shares[month // 3])
        states.append((attainment, total / quota))
        effort = policy.effort(rows, month, attainment, year_to_date=total / quota)
        sales = (h + k * effort) / 12 + sd / np.sqrt(12) * shocks[month]
        total, period_sales = total + sales, period_sales + sales
    return states, total


def test_coupled_numerics_match_the_fine_grid_solution():
    """The shipped bonus-based plan (quarterly pay curve and pacer, annual club bonus: the state
    is year-to-date × period attainment) for a saas-ae account executive. The default numerics of
    that state (75 attainment points, 13 year-to-date points, 16 nodes) against the fine grid
    they replaced (301, 21, 48 nodes; its own error against 41 year-to-date points is 0.002),
    on 4,000 simulated years along the fine policy's paths: mean |effort error| 0.0064 (mean
    effort 0.33; 0.013 with 9 year-to-date points, 0.031 with 5) and expected annual sales
    (common random numbers) −0.11% (−0.23% with 9 points). Bounds 0.009 and 0.2%: numerical,
    not statistical (the same shocks drive both policies)."""
    from pathlib import Path

    import spmopt

    root = Path(__file__).resolve().parents[2]
    plan = spmopt.Plan.load(root / "scenarios" / "plans" / "bonus-based.toml")
    rep = one_rep(
        base_sales=640_000.0, effectiveness=320_000.0, effort_cost=55_000.0, risk_aversion=4e-6
    )
    situation = Situation(plan, rep.to_population(), NormalSales(sigma=280_000.0))
    fine = DynamicBestResponse(
        grid_points=301,
        year_grid_points=21,
        coupled_grid_points=301,
        coupled_quadrature_nodes=48,
    ).solve(situation)
    policy = DynamicBestResponse().solve(situation)
    shocks = RandomStreams(14).generator("coupled-numerics").standard_normal((12, 4_000))
    states, fine_sales = _bonus_plan_years(fine, situation, shocks)
    rows = np.zeros(shocks.shape[1], dtype=int)
    error = np.concatenate(
        [
            policy.effort(rows, month, attainment, year_to_date=year_to_date)
            - fine.effort(rows, month, attainment, year_to_date=year_to_date)
            for month, (attainment, year_to_date) in enumerate(states)
        ]
    )
    assert np.mean(np.abs(error)) < 0.009
    _, sales = _bonus_plan_years(policy, situation, shocks)
    assert sales.mean() == pytest.approx(fine_sales.mean(), rel=0.002)
