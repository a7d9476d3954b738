"""The fast engine against closed forms, with tolerances from the standard error.

Each test function makes a few z-checks at a two-sided level ``FALSE_FAILURE / checks``
(Bonferroni), so it fails by chance with probability at most ``FALSE_FAILURE`` = 1e-4 over
seeds (the seeds are fixed, so a passing test keeps passing). Seat-years are independent across
replications and seats given the year's decisions, which the tests fix (fixed effort) or solve
once.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import stats
from sim_fixtures import ae_population
from sim_fixtures import shipped_plan as plan

import spmopt
from spmopt.reps.behaviour.registry import behaviour_from_dict
from spmopt.reps.seasonality import MONTHS, Ramp, Seasonality
from spmopt.reps.technology import DealSales, NormalSales
from spmopt.sim._fast_draws import LagSampler, draw_lags, lag_cdf, poisson_by_inversion
from spmopt.sim.fast import simulate_fast
from spmopt.sim.model import Segment, SimulationModel, closing_lags, decide_year
from spmopt.sim.streams import RandomStreams

FALSE_FAILURE = 1e-4
FIXED = {"effort": {"model": "fixed_effort", "effort": 1.0}}


def z_limit(checks: int) -> float:
    """Two-sided z bound for ``checks`` checks at a total false-failure rate FALSE_FAILURE."""
    return float(stats.norm.isf(FALSE_FAILURE / (2 * checks)))


def model(
    count: int,
    behaviour: dict,
    *,
    technology=None,
    seasonality: Seasonality | None = None,
    the_plan: spmopt.Plan | None = None,
    outside_option: float = 180000,
    **traits,
) -> SimulationModel:
    population = ae_population(count, outside_option=outside_option, **traits)
    segment = Segment(
        "ae",
        the_plan or plan(),
        technology or DealSales(deal_size_mean=40000, deal_size_sigma=0.8),
        seasonality or Seasonality.flat(),
        0.8,
    )
    return SimulationModel(
        "theory", population, {"ae": segment}, behaviour=behaviour_from_dict(behaviour)
    )


def seat_years(table, column: str) -> np.ndarray:
    """(replications, seats) annual totals of ``column``, seats in population order."""
    pivot = table.pivot_table(
        index="replication", columns="rep_id", values=column, aggfunc="sum", observed=True
    )
    return pivot.to_numpy()


def z_mean(values: np.ndarray) -> float:
    """z statistic of the hypothesis that the iid ``values`` have mean 0."""
    values = np.ravel(values)
    return float(values.mean() / (values.std(ddof=1) / np.sqrt(values.size)))


# ---------------------------------------------------------------------- samplers
def test_poisson_by_inversion_is_the_poisson_quantile():
    """Exact: the count equals scipy's Poisson quantile of the same uniform, for small rates,
    rates near the start-shift threshold and large rates; and it never falls as the rate rises."""
    rng = np.random.default_rng(3)
    for rate in (1e-4, 0.4, 1.7, 9.0, 29.99, 30.01, 64.0, 350.0):
        u = rng.random(20000)
        counts = poisson_by_inversion(u, np.full(u.size, rate))
        np.testing.assert_array_equal(counts, stats.poisson.ppf(u, rate).astype(np.int64))
        higher = poisson_by_inversion(u, np.full(u.size, rate * 1.05))
        assert (higher >= counts).all()


def test_closing_lags_are_drawn_with_their_probabilities():
    """Chi-square goodness of fit of 200,000 lags (bins with expected count < 20 pooled)."""
    lags = closing_lags(DealSales(cycle_months_mean=3.0, cycle_months_shape=2.0))
    draws = draw_lags(lag_cdf(lags), np.random.default_rng(5).random(200000))
    expected = lags * draws.size
    keep = expected >= 20
    observed = np.bincount(draws, minlength=lags.size)
    obs = np.append(observed[keep], observed[~keep].sum())
    exp = np.append(expected[keep], expected[~keep].sum())
    _, p = stats.chisquare(obs, exp)
    assert p > FALSE_FAILURE


def test_guide_table_lags_equal_the_binary_search_and_the_rest_is_uniform():
    """The guide-table sampler is exactly the inverse CDF; the position within the step (used
    as a second uniform) is uniform and independent of the lag (KS test, and a chi-square test
    of independence on a 4 × 4 table of lag classes × rest quartiles)."""
    lags = closing_lags(DealSales(cycle_months_mean=2.0, cycle_months_shape=1.5))
    cdf = lag_cdf(lags)
    sampler = LagSampler(cdf)
    u = np.random.default_rng(7).random(100000)
    u[:4] = [0.0, cdf[0], np.nextafter(cdf[1], 0), cdf[-2]]  # steps and their neighbours
    lag, rest = sampler.with_rest(u)
    np.testing.assert_array_equal(lag, draw_lags(cdf, u))
    assert stats.kstest(rest, "uniform").pvalue > FALSE_FAILURE / 2
    classes = np.minimum(lag, 3)
    table = np.histogram2d(classes, rest, bins=[[0, 1, 2, 3, 4], [0, 0.25, 0.5, 0.75, 1]])[0]
    assert stats.chi2_contingency(table).pvalue > FALSE_FAILURE / 2


# ---------------------------------------------------------------------- sales
def test_annual_closings_are_compound_poisson_in_steady_state():
    """Fixed effort e = 1, flat seasonality, no timing or attrition: thanks to the initial
    pipeline every plan year is in steady state, so a seat's annual closings are compound
    Poisson with mean h + k·e and variance (h + k·e)·m·exp(σ²), and its deal count is Poisson
    with mean (h + k·e)/m."""
    the_model = model(60, FIXED)
    table = simulate_fast(the_model, 300, RandomStreams(17)).rep_periods
    reps = the_model.population.arrays
    mean = reps.base_sales + reps.effectiveness * 1.0
    m, sigma = 40000.0, 0.8
    closings = seat_years(table, "closings")
    deals = seat_years(table, "deals_closed")
    z_closings = (closings - mean) / np.sqrt(mean * m * np.exp(sigma**2))
    z_deals = (deals - mean / m) / np.sqrt(mean / m)
    limit = z_limit(4)
    assert abs(z_mean(closings - mean)) < limit
    assert abs(z_mean(z_closings**2 - 1)) < limit
    assert abs(z_mean(deals - mean / m)) < limit
    assert abs(z_mean(z_deals**2 - 1)) < limit


def test_monthly_closings_follow_seasonality_ramp_and_closing_lags():
    """Quarter-end seasonality and reps still ramping (tenure 0–11 months, 6-month ramp): the
    expected closings of seat s in month m are Σ_d P(lag = d)·x_s(m − d)·(h + k·e)/1 with
    x_s(c) = seasonality(c mod 12)·ramp(max(tenure_s + c, 0)) — months c < 0 are the initial
    pipeline's. One z-check per month on the replication totals."""
    count = 48
    seasonality = Seasonality.quarter_end(1.8)
    the_model = model(
        count,
        FIXED,
        seasonality=seasonality,
        tenure_months={"dist": "uniform", "low": 0, "high": 11},
        ramp_months=6,
    )
    table = simulate_fast(the_model, 400, RandomStreams(23)).rep_periods
    reps = the_model.population.arrays
    lags = closing_lags(the_model.segments["ae"].technology)
    ramp = Ramp()
    expected = np.zeros(MONTHS)
    rate = reps.base_sales + reps.effectiveness
    for month in range(MONTHS):
        for lag, p in enumerate(lags):
            created = month - lag
            x = seasonality.weights[created % MONTHS] * ramp.factor(
                np.maximum(reps.tenure_months + created, 0.0), reps.ramp_months
            )
            expected[month] += p * float(np.sum(x * rate))
    totals = table.pivot_table(
        index="replication", columns="month", values="closings", aggfunc="sum", observed=True
    ).to_numpy()
    limit = z_limit(MONTHS)
    for month in range(MONTHS):
        assert abs(z_mean(totals[:, month] - expected[month])) < limit, month


def test_normal_sales_annual_mean_and_variance():
    """Normal sales with quarter-end seasonality: annual sales ~ N(h + k·e, σ²) per seat."""
    sigma = 150000.0
    the_model = model(
        50, FIXED, technology=NormalSales(sigma=sigma), seasonality=Seasonality.quarter_end(1.5)
    )
    table = simulate_fast(the_model, 200, RandomStreams(29)).rep_periods
    reps = the_model.population.arrays
    mean = reps.base_sales + reps.effectiveness
    sales = seat_years(table, "credited")
    limit = z_limit(2)
    assert abs(z_mean(sales - mean)) < limit
    assert abs(z_mean(((sales - mean) / sigma) ** 2 - 1)) < limit
    assert (table["deals_closed"] == 0).all()


# ---------------------------------------------------------------------- attrition
def test_share_of_seats_with_a_quit_matches_the_hazard():
    """The first quit of a year is the incumbent's, so P(some quit in the year) = 1 − (1 − h)^12
    for a seat with monthly hazard h (from decide_year)."""
    behaviour = {**FIXED, "attrition": {"model": "hazard", "vacancy_months": 2}}
    the_model = model(80, behaviour, outside_option=260000)
    hazard = decide_year(the_model, the_model.initial_quotas()).hazard
    table = simulate_fast(the_model, 150, RandomStreams(31)).rep_periods
    quits = seat_years(table, "quit") > 0
    p = 1 - (1 - hazard) ** 12
    se = np.sqrt(np.sum(p * (1 - p)) * quits.shape[0]) / quits.size
    assert abs(quits.mean() - p.mean()) / se < z_limit(1)
    assert hazard.min() > 0.02  # the outside option binds: the test has teeth


# ---------------------------------------------------------------------- timing
def test_timing_moves_at_quarter_ends_reconcile_with_the_untimed_run():
    """With fixed effort and no attrition the market draws do not depend on timing, so the run
    with pull/push timing differs from the run without it only by the moves: next month's
    closings change by pushed − pulled, a pull costs δ·pulled of revenue, and moves happen only
    in measurement-period end months, within their capacities."""
    quarterly = plan(period="quarter")
    delta = 0.1
    timed = model(
        30,
        {**FIXED, "timing": {"model": "pull_push", "discount": delta, "pull_share": 0.5}},
        the_plan=quarterly,
    )
    untimed = replace(timed, behaviour=behaviour_from_dict(FIXED))
    a = simulate_fast(timed, 20, RandomStreams(37)).rep_periods
    b = simulate_fast(untimed, 20, RandomStreams(37)).rep_periods
    shape = (20, MONTHS, timed.seats)  # rows are (replication, period, seat)

    def col(table, name):
        return table[name].to_numpy().reshape(shape)

    pulled, pushed = col(a, "pulled"), col(a, "pushed")
    assert pulled.sum() > 0 and pushed.sum() > 0 and col(a, "discount_lost").sum() > 0
    ends = np.array([2, 5, 8, 11])
    others = np.setdiff1d(np.arange(MONTHS), ends)
    assert (pulled[:, others] == 0).all() and (pushed[:, others] == 0).all()
    for month in ends[:-1]:
        change = col(a, "closings")[:, month + 1] - col(b, "closings")[:, month + 1]
        np.testing.assert_allclose(change, pushed[:, month] - pulled[:, month], atol=1e-6)
        assert (pulled[:, month] <= 0.5 * col(b, "closings")[:, month + 1] + 1e-6).all()
    revenue_gap = col(a, "revenue").sum(axis=1) - col(b, "revenue").sum(axis=1)
    expected = (
        -delta * pulled[:, ends[:-1]].sum(axis=1) + (1 - delta) * pulled[:, 11] - pushed[:, 11]
    )
    np.testing.assert_allclose(revenue_gap, expected, atol=1e-5)


# ---------------------------------------------------------------------- common random numbers
def test_common_random_numbers_cut_the_variance_of_plan_differences():
    """Two plans (saas-ae, capped-decelerator) on one scenario with static best responses (the
    plans move effort by about 25%): the variance over replications of the plan-vs-plan
    difference in total incentive and in revenue, with both plans on one seed, against two
    plans on independent seeds. Long-run ratios (1,000 replications): 0.16 for incentive, 0.04
    for revenue. With 100 replications the sample ratio is about ρ·F(99, 99), so asserting
    ratios below 0.5 and 0.25 fails with probability P(F > 3.2) + P(F > 6.4) < 1e-8."""
    base = model(40, {"effort": {"model": "static"}})
    other = base.with_plans({"ae": plan("capped-decelerator")})

    def totals(the_model, seed):
        table = simulate_fast(the_model, 100, RandomStreams(seed)).rep_periods
        return table.groupby("replication")[["incentive", "revenue"]].sum().to_numpy()

    common = totals(base, 1) - totals(other, 1)
    independent = totals(base, 2) - totals(other, 3)
    ratio = common.var(axis=0, ddof=1) / independent.var(axis=0, ddof=1)
    assert ratio[0] < 0.5 and ratio[1] < 0.25, ratio


@pytest.mark.slow
def test_common_random_numbers_with_dynamic_effort_and_attrition():
    """The same comparison with dynamic effort, quarterly timing and attrition, where plans also
    change who quits and who games the period ends. Ratios on 200 replications of 30 seats:
    0.41 for incentive, 0.15 for revenue; asserting both below 0.75 fails with probability
    P(F(199, 199) > 0.75/0.41) ≈ 1.2e-5 (the revenue bound is looser still)."""
    behaviour = {
        "effort": {"model": "dynamic", "grid_points": 81},
        "timing": {"model": "pull_push"},
        "attrition": {"model": "hazard"},
    }
    base = model(30, behaviour, the_plan=plan(period="quarter"))
    other = base.with_plans({"ae": plan("capped-decelerator", period="quarter")})

    def totals(the_model, seed):
        table = simulate_fast(the_model, 200, RandomStreams(seed)).rep_periods
        return table.groupby("replication")[["incentive", "revenue"]].sum().to_numpy()

    common = totals(base, 1) - totals(other, 1)
    independent = totals(base, 2) - totals(other, 3)
    ratio = common.var(axis=0, ddof=1) / independent.var(axis=0, ddof=1)
    assert (ratio < 0.75).all(), ratio


@pytest.mark.slow
def test_annual_closings_compound_poisson_large():
    """The steady-state check on 200 seats × 2,000 replications, with quarter-end seasonality
    (annual totals do not depend on it) and a long sales cycle (many lags)."""
    technology = DealSales(deal_size_mean=25000, deal_size_sigma=1.1, cycle_months_mean=6.0)
    the_model = model(200, FIXED, technology=technology, seasonality=Seasonality.quarter_end(2.0))
    table = simulate_fast(the_model, 2000, RandomStreams(41)).rep_periods
    reps = the_model.population.arrays
    mean = reps.base_sales + reps.effectiveness
    closings = seat_years(table, "closings")
    z = (closings - mean) / np.sqrt(mean * 25000 * np.exp(1.1**2))
    limit = z_limit(2)
    assert abs(z_mean(closings - mean)) < limit
    assert abs(z_mean(z**2 - 1)) < limit


def test_closings_bunch_at_quarter_ends_with_the_quarter_end_lift():
    """A flat lead flow with ``quarter_end_lift`` L = 1.5 on closings: month m's expected
    closings are (h + k·e)·closing_profile(m) (one z-check per month), and the quarter-end months'
    share of the year's closings is 4L/(8 + 4L) = 42.9% (33.3% without the lift), to the 1% of
    the profile's approximation plus a z-bound on the replications' shares."""
    lift = 1.5
    technology = DealSales(deal_size_mean=40000, deal_size_sigma=0.8, quarter_end_lift=lift)
    the_model = model(48, FIXED, technology=technology)
    table = simulate_fast(the_model, 200, RandomStreams(29)).rep_periods
    reps = the_model.population.arrays
    totals = table.pivot_table(
        index="replication", columns="month", values="closings", aggfunc="sum", observed=True
    ).to_numpy()
    expected = float(np.sum(reps.base_sales + reps.effectiveness)) * technology.closing_profile()
    limit = z_limit(MONTHS + 1)
    for month in range(MONTHS):
        assert abs(z_mean(totals[:, month] - expected[month])) < limit, month
    share = totals[:, 2::3].sum(axis=1) / totals.sum(axis=1)
    target = 4 * lift / (8 + 4 * lift)
    se = share.std(ddof=1) / np.sqrt(share.size)
    assert abs(share.mean() - target) < limit * se + 0.01 * target, (share.mean(), se)


@pytest.mark.parametrize("turnover", [0.3, 0.95])
def test_attrition_is_the_share_of_starting_reps_who_leave(turnover):
    """With a constant monthly hazard h = 1 − (1 − T)^(1/12) and no vacancy, each seat's starting
    rep leaves within the year with probability 1 − (1 − h)^12 = T, independently: the summary's
    ``attrition`` has mean T (z-bound on the binomial SE) and, a share, never exceeds 1 — also
    when replacements quit too (T = 0.95: leavers per average head count would be about 2.6)."""
    count, replications = 50, 50
    behaviour = {
        **FIXED,
        "attrition": {
            "model": "hazard",
            "annual_turnover": turnover,
            "shortfall_hazard": 0.0,
            "vacancy_months": 0,
        },
    }
    result = simulate_fast(model(count, behaviour), replications, RandomStreams(37))
    attrition = result.replication_metrics()["attrition"].to_numpy()
    assert np.all((attrition >= 0.0) & (attrition <= 1.0))
    se = np.sqrt(turnover * (1 - turnover) / (count * replications))
    assert abs(attrition.mean() - turnover) < z_limit(1) * se, attrition.mean()
    summary = result.summary().set_index("metric").loc["attrition"]
    assert summary["p90"] <= 1.0 and summary["mean"] <= 1.0
