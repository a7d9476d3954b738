"""Sales technologies: exact moments, sampling and the closed-form / approximate distributions.

Statistical checks use tolerances of Z_FAIL = 4.4 standard errors (two-sided false-failure rate
1.1e-5 per assertion); the generators come from RandomStreams with fixed seeds.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from reps_helpers import Z_FAIL, one_rep
from scipy import special

from spmopt.reps.population import Population
from spmopt.reps.seasonality import Ramp, Seasonality, productivity, split_annual
from spmopt.reps.technology import DealSales, NormalSales
from spmopt.sim.streams import RandomStreams


def _reps():
    return Population.from_reps(
        [
            one_rep(base_sales=5e5, rep_id="a"),
            one_rep(base_sales=9e5, effectiveness=1e5, rep_id="b"),
        ]
    ).arrays


def test_normal_sales_moments_cdf_and_sampling():
    """S = x·(h + k·e) + ε, ε ~ N(0, x·σ²): sample mean and variance within Z_FAIL standard
    errors (SE of a variance estimate: σ²·√(2/(n−1)))."""
    reps = _reps()
    technology = NormalSales(sigma=80_000)
    effort = np.array([0.5, 1.5])
    exposure = 0.25
    mean = technology.mean(reps, effort, exposure)
    np.testing.assert_allclose(mean, 0.25 * (reps.base_sales + reps.effectiveness * effort))
    variance = technology.variance(reps, effort, exposure)
    np.testing.assert_allclose(variance, 0.25 * 80_000.0**2)
    rng = RandomStreams(1).generator("normal-sales")
    n = 200_000
    draws = technology.sample(reps, effort, exposure, rng, size=n)
    assert np.all(np.abs(draws.mean(0) - mean) < Z_FAIL * np.sqrt(variance / n))
    assert np.all(np.abs(draws.var(0) - variance) < Z_FAIL * variance * np.sqrt(2 / (n - 1)))
    x = mean + 40_000.0
    assert np.allclose(
        technology.cdf(x, reps, effort, exposure), special.ndtr(40_000 / np.sqrt(variance))
    )


def test_sales_sd_column_overrides_sigma():
    population = Population.from_reps([one_rep(sales_sd=10.0), one_rep(rep_id="z")])
    np.testing.assert_array_equal(NormalSales(sigma=5.0).sd_annual(population.arrays), [10.0, 5.0])
    assert NormalSales(sigma=5.0).sd_annual(Population.from_reps([one_rep()]).arrays)[0] == 5.0


def test_deal_sales_exact_moments_by_sampling():
    """Compound Poisson with N ~ Poisson(μ/m) and lognormal sizes of mean m:
    E[S] = μ, Var[S] = (μ/m)·E[X²] = μ·m·exp(σ_d²)."""
    reps = _reps()
    technology = DealSales(deal_size_mean=40_000, deal_size_sigma=0.9)
    effort = np.array([1.0, 0.2])
    mean = technology.mean(reps, effort)
    variance = technology.variance(reps, effort)
    np.testing.assert_allclose(variance, mean * 40_000 * np.exp(0.81))
    rng = RandomStreams(2).generator("deal-sales")
    n = 100_000
    draws = technology.sample(reps, effort, 1.0, rng, size=n)
    assert np.all(np.abs(draws.mean(0) - mean) < Z_FAIL * np.sqrt(variance / n))
    # variance of the sample variance needs the 4th moment: use a bootstrap-free bound via
    # batches of 1,000 (100 batch variances, their SE)
    batches = draws.reshape(100, 1_000, 2).var(axis=1)
    se = batches.std(axis=0) / np.sqrt(100)
    assert np.all(np.abs(batches.mean(0) - variance) < Z_FAIL * se + variance / 1_000)


def test_deal_sales_distribution_approximation_against_sampling():
    """The tabulated compound distribution (Poisson mixture of n-deal sums by FFT) against Monte
    Carlo: |F_table − F_MC| < Z_FAIL·SE + 0.002, the stated discretisation allowance.
    P(S = 0) = exp(−λ) is exact."""
    reps = Population.from_reps([one_rep(base_sales=3e5, effectiveness=1e5)]).arrays
    technology = DealSales(deal_size_mean=50_000, deal_size_sigma=1.0)
    effort = np.array([1.0])
    rng = RandomStreams(3).generator("deal-cdf")
    n = 200_000
    draws = technology.sample(reps, effort, 1.0, rng, size=n)[:, 0]
    for x in [0.0, 1e5, 3e5, 4e5, 6e5, 1e6]:
        empirical = np.mean(draws <= x)
        model = technology.cdf(x, reps, effort)[0]
        se = np.sqrt(max(empirical * (1 - empirical), 1e-6) / n)
        assert abs(model - empirical) < Z_FAIL * se + 0.002, x
    assert technology.cdf(0.0, reps, effort)[0] == pytest.approx(np.exp(-8.0), rel=1e-9)


def test_compound_table_preserves_means():
    """Mean-preserving discretisation: the mean of every tabulated n-deal sum is n·m."""
    technology = DealSales(deal_size_mean=30_000, deal_size_sigma=0.7)
    table = technology.sum_table(40)
    means = table.pmf @ table.grid
    np.testing.assert_allclose(means, 30_000 * table.counts, rtol=1e-9, atol=1e-6)
    fixed = DealSales(deal_size_mean=30_000, deal_size_sigma=0.0).sum_table(5)
    np.testing.assert_allclose(fixed.pmf @ fixed.grid, 30_000 * fixed.counts, rtol=1e-9)


def test_deal_level_leads_for_the_event_engine():
    """Leads per rep and month are Poisson with mean (lead rate)·s_m; won share p."""
    reps = _reps()
    technology = DealSales(win_probability=0.3, deal_size_mean=20_000)
    effort = np.ones((2, 12))
    rng = RandomStreams(4).generator("deals")
    deals = technology.sample_deals(reps, effort, rng)
    expected_leads = technology.lead_rate(reps, np.ones(2)).sum()
    count = deals["rep_index"].size
    assert abs(count - expected_leads) < Z_FAIL * np.sqrt(expected_leads)
    won = deals["won"].mean()
    assert abs(won - 0.3) < Z_FAIL * np.sqrt(0.21 / count)
    assert np.all((deals["created_month"] >= 0) & (deals["created_month"] < 12))
    np.testing.assert_allclose(deals["close_month"], deals["created_month"] + deals["cycle_months"])


def test_closing_profile_is_a_circular_convolution():
    """Flat lead flow closes flat; a lead peak in month 0 shifts later by the cycle time."""
    technology = DealSales(cycle_months_mean=2.0, cycle_months_shape=4.0)
    np.testing.assert_allclose(technology.closing_profile(), np.full(12, 1 / 12), atol=1e-12)
    peaked = Seasonality(np.r_[10.0, np.ones(11)])
    profile = technology.closing_profile(peaked)
    assert profile.sum() == pytest.approx(1.0)
    assert np.argmax(profile) == 2  # uniform creation + Gamma(4, mean 2): mode of the lag ≈ 2


@settings(max_examples=50, deadline=None)
@given(
    weights=st.lists(st.floats(0.01, 10.0), min_size=12, max_size=12),
    mean=st.floats(0, 1e7),
    variance=st.floats(0, 1e12),
)
def test_split_annual_preserves_mean_and_variance(weights, mean, variance):
    monthly_mean, monthly_variance = split_annual(mean, variance, Seasonality(weights))
    assert monthly_mean.sum() == pytest.approx(mean, rel=1e-12, abs=1e-9)
    assert monthly_variance.sum() == pytest.approx(variance, rel=1e-12, abs=1e-9)
    assert np.all(monthly_mean >= 0)


def test_ramp_and_productivity():
    ramp = Ramp(start_fraction=0.5)
    np.testing.assert_allclose(ramp.factor([0, 1, 3, 10], 4), [0.5625, 0.6875, 0.9375, 1.0])
    assert ramp.factor(0, 0) == 1.0  # no ramp
    full = productivity([48.0], [5.0])
    assert full.sum() == pytest.approx(1.0)
    new = productivity([0.0], [6.0], Seasonality.quarter_end(2.0))
    assert 0.5 < new.sum() < 1.0


@pytest.mark.parametrize("cycle_months_mean", [3.0, 5.0])
@pytest.mark.parametrize("lift", [1.3, 1.5, 2.0])
def test_quarter_end_lift_bunches_closings_at_quarter_ends(lift, cycle_months_mean):
    """Each creation month's lags are a distribution with the untilted mean lag (a deal's
    expected closing month is kept); with a flat lead flow a quarter-end month closes ``lift``
    times a mid-quarter month (to 1%), so the four quarter-end months carry 4L/(8 + 4L) of a
    steady year's closings; without the lift every row is the untilted lag distribution."""
    plain = DealSales(cycle_months_mean=cycle_months_mean)
    technology = DealSales(cycle_months_mean=cycle_months_mean, quarter_end_lift=lift)
    base = plain.closing_lags()
    lag = np.arange(base.size)
    table = technology.closing_lag_table()
    assert table.shape == (12, base.size)
    np.testing.assert_allclose(table.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(table @ lag, base @ lag, rtol=1e-9)
    np.testing.assert_array_equal(plain.closing_lag_table(), np.tile(base, (12, 1)))
    profile = technology.closing_profile()
    assert profile.sum() == pytest.approx(1.0)
    quarter_end = profile[2::3].mean() / np.delete(profile, [2, 5, 8, 11]).mean()
    assert quarter_end == pytest.approx(lift, rel=0.01)
    assert profile[2::3].sum() == pytest.approx(4 * lift / (8 + 4 * lift), rel=0.01)
