"""The event engine against closed forms (tolerances from the standard error).

With fixed effort e, no timing and no attrition, a seat's annual closings are compound Poisson
with mean (h + k·e) and variance (h + k·e)·m·exp(σ²) for deal sales (m the mean deal size, σ of
log sizes), because the initial pipeline puts the first year in steady state; a month's closings
have mean (h + k·e)·p_m with p the technology's closing profile. Normal sales have mean
(h + k·e) and variance σ². With a constant monthly hazard h, the incumbent of a seat leaves
within the year with probability 1 − (1 − h)^12, in month m with probability (1 − h)^m·h.

Each test function fails by chance with probability at most 1e-3 (two-sided z-tests at
1e-3 / number of checks, Bonferroni; the chi-square test at 1e-3).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import spmopt
from spmopt.reps.behaviour.registry import behaviour_from_dict
from spmopt.reps.population import Population
from spmopt.reps.seasonality import Seasonality
from spmopt.reps.technology import DealSales, NormalSales
from spmopt.sim.events import simulate_events
from spmopt.sim.model import Segment, SimulationModel
from spmopt.sim.streams import RandomStreams

PLAN = spmopt.Plan.load(Path(__file__).resolve().parents[2] / "scenarios/plans/saas-ae.toml")
H, K, EFFORT = 500_000.0, 300_000.0, 1.0
LEVEL = H + K * EFFORT
FALSE_FAILURE = 1e-3


def z_limit(checks: int) -> float:
    """Two-sided normal quantile for a family of ``checks`` tests at FALSE_FAILURE overall."""
    return float(stats.norm.isf(FALSE_FAILURE / checks / 2))


def fixed_effort_model(technology, seasonality=None, attrition=None, count=100, **traits):
    population = Population.generate(
        {
            "segments": {
                "ae": {
                    "count": count,
                    "base_sales": H,
                    "effectiveness": K,
                    "effort_cost": 60000,
                    **traits,
                }
            }
        },
        RandomStreams(1).generator("population"),
    )
    behaviour = behaviour_from_dict(
        {
            "effort": {"model": "fixed_effort", "effort": EFFORT},
            "timing": {"model": "none"},
            "attrition": attrition or {"model": "none"},
        }
    )
    segment = Segment("ae", PLAN, technology, seasonality or Seasonality.flat(), 0.8)
    return SimulationModel("theory", population, {"ae": segment}, behaviour=behaviour)


DEALS = DealSales(deal_size_mean=40_000, deal_size_sigma=0.8)


@pytest.fixture(scope="module")
def deal_years():
    model = fixed_effort_model(DEALS, Seasonality.quarter_end(1.8))
    result = simulate_events(model, 20, RandomStreams(101))
    periods = result.rep_periods.sort_values(["replication", "rep_id", "period"])
    return periods["closings"].to_numpy().reshape(-1, 12)  # (seat-years, months)


def test_annual_closings_mean_and_variance_of_deal_sales(deal_years):
    annual = deal_years.sum(axis=1)
    n = annual.size
    m, s2 = DEALS.deal_size_mean, DEALS.deal_size_sigma**2
    rate = LEVEL / m  # deals a year
    variance = rate * m**2 * math.exp(s2)  # = (h + k·e)·m·exp(σ²)
    fourth_cumulant = rate * m**4 * math.exp(6 * s2)
    limit = z_limit(2)
    assert abs(annual.mean() - LEVEL) < limit * math.sqrt(variance / n)
    se_variance = math.sqrt(fourth_cumulant / n + 2 * variance**2 / (n - 1))
    assert abs(annual.var(ddof=1) - variance) < limit * se_variance


def test_monthly_closings_follow_the_closing_profile(deal_years):
    """Quarter-end leads closing after Gamma cycle times: (h + k·e)·closing_profile(m)."""
    n = deal_years.shape[0]
    profile = DEALS.closing_profile(Seasonality.quarter_end(1.8))
    mean = LEVEL * profile
    se = np.sqrt(LEVEL * profile * DEALS.deal_size_mean * math.exp(DEALS.deal_size_sigma**2) / n)
    z = (deal_years.mean(axis=0) - mean) / se
    assert np.all(np.abs(z) < z_limit(12)), z


def test_annual_normal_sales_mean_and_variance():
    sigma = 120_000.0
    model = fixed_effort_model(NormalSales(sigma=sigma), Seasonality.quarter_end(1.5))
    result = simulate_events(model, 20, RandomStreams(7))
    annual = result.rep_years()["credited"].to_numpy()
    n = annual.size
    limit = z_limit(2)
    assert abs(annual.mean() - LEVEL) < limit * sigma / math.sqrt(n)
    # (n − 1)s²/σ² ~ χ²(n − 1)
    statistic = (n - 1) * annual.var(ddof=1) / sigma**2
    low, high = stats.chi2.ppf([FALSE_FAILURE / 4, 1 - FALSE_FAILURE / 4], n - 1)
    assert low < statistic < high


def test_attrition_matches_the_constant_hazard():
    """Outside option 0: every rep has the baseline hazard h = 1 − (1 − 0.3)^(1/12)."""
    turnover = 0.3
    model = fixed_effort_model(
        DEALS,
        attrition={"model": "hazard", "annual_turnover": turnover, "vacancy_months": 2},
        count=200,
        outside_option=0.0,
    )
    result = simulate_events(model, 10, RandomStreams(55))
    periods = result.rep_periods.sort_values(["replication", "rep_id", "period"])
    quits = periods["quit"].to_numpy().reshape(-1, 12)
    hazard = 1 - (1 - turnover) ** (1 / 12)
    left = quits.any(axis=1)
    n = left.size
    p = 1 - (1 - hazard) ** 12
    assert abs(p - turnover) < 1e-12
    assert abs(left.mean() - p) < z_limit(1) * math.sqrt(p * (1 - p) / n)
    # month of the incumbent's departure (the first quit), geometric; "stayed" as a 13th cell
    first = np.where(left, quits.argmax(axis=1), 12)
    observed = np.bincount(first, minlength=13)
    expected = n * np.append(hazard * (1 - hazard) ** np.arange(12), (1 - hazard) ** 12)
    assert stats.chisquare(observed, expected).pvalue > FALSE_FAILURE


def test_closings_bunch_at_quarter_ends_with_the_quarter_end_lift():
    """Flat leads, deals closing with ``quarter_end_lift`` L = 1.5: month m's closings have mean
    (h + k·e)·closing_profile(m), and the quarter-end months carry 4L/(8 + 4L) = 42.9% of the
    year's closings (to the profile's 1% approximation plus a z-bound over replications)."""
    lift = 1.5
    technology = DealSales(deal_size_mean=40_000, deal_size_sigma=0.8, quarter_end_lift=lift)
    result = simulate_events(fixed_effort_model(technology), 20, RandomStreams(103))
    periods = result.rep_periods.sort_values(["replication", "rep_id", "period"])
    years = periods["closings"].to_numpy().reshape(-1, 12)
    n = years.shape[0]
    profile = technology.closing_profile()
    se = np.sqrt(LEVEL * profile * technology.deal_size_mean * math.exp(0.8**2) / n)
    z = (years.mean(axis=0) - LEVEL * profile) / se
    assert np.all(np.abs(z) < z_limit(13)), z
    totals = periods.pivot_table(
        index="replication", columns="month", values="closings", aggfunc="sum", observed=True
    ).to_numpy()
    share = totals[:, 2::3].sum(axis=1) / totals.sum(axis=1)
    target = 4 * lift / (8 + 4 * lift)
    bound = z_limit(13) * share.std(ddof=1) / math.sqrt(share.size) + 0.01 * target
    assert abs(share.mean() - target) < bound, (share.mean(), target)
