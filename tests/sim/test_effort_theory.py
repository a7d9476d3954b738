"""Both engines against agency-theory closed forms with effort that responds to the plan.

Normal sales S = h + k·e + ε, ε ~ N(0, σ²) per plan year (flat seasonality, ramped reps, so the
exposure is 1), effort cost c·e²/2, risk-neutral reps, no timing and no attrition. The expected
values are derived here from the agency model by hand (and scipy for Φ), never from the engine's
own best-response code:

* **linear commission** (one tier, rate β on every credited dollar): pay = β·S, so the rep
  maximises β·(h + k·e) − c·e²/2 and e* = β·k/c; mean annual sales h + k·e* = h + β·k²/c and
  annual incentive β·S exactly. (With CARA the risk premium r·β²σ²/2 does not depend on e, so
  e* holds for any risk aversion.)
* **linear commission, dynamic effort** with monthly reviews and seasonality weights w_m: month
  m's sales are w_m·(h + k·e_m) + ε_m and its cost (1/12)·c·e_m²/2, so the month's first-order
  condition β·k·w_m = c·e_m/12 gives e_m = 12·β·k·w_m/c (the flat-season value β·k/c when
  w_m = 1/12).
* **lump-sum bonus** B at the annual quota q: pay = B·1{S ≥ q}, so the rep maximises
  B·Φ((h + k·e − q)/σ) − c·e²/2; the effort solving the first-order condition
  B·k·φ((h + k·e − q)/σ)/σ = c·e (the global maximum among its roots and e = 0) gives
  P(quota) = Φ((h + k·e* − q)/σ), and incentive is B·1{S ≥ q} exactly.

Each test function makes its z-checks at a two-sided level FALSE_FAILURE / checks (Bonferroni),
so it fails by chance with probability at most FALSE_FAILURE = 1e-4 (fixed seeds: a passing test
keeps passing). Each test checks the recorded effort against the closed form, then the
simulated sales (and pay) against the moments that effort implies, so an error in how an engine
applies effort is caught as well as an error in the behaviour models. With the static and
dynamic efforts multiplied by 0.9 in ``spmopt/reps/behaviour`` every test here fails, and still
fails with the effort checks removed: the sales checks then miss by 17.7 (linear, static),
18.1 (linear, dynamic, annual) and 13.7 (bonus, P(quota) 0.735 against 0.868) standard
errors.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import optimize, stats

import spmopt
from spmopt.reps.behaviour.registry import behaviour_from_dict
from spmopt.reps.population import Population
from spmopt.reps.seasonality import MONTHS, Seasonality
from spmopt.reps.technology import NormalSales
from spmopt.sim.events import simulate_events
from spmopt.sim.fast import simulate_fast
from spmopt.sim.model import Segment, SimulationModel
from spmopt.sim.streams import RandomStreams

FALSE_FAILURE = 1e-4
ENGINES = {"fast": simulate_fast, "events": simulate_events}
QUOTA = 1_000_000.0
SIGMA = 100_000.0  # σ of annual sales
RATE = 0.1  # β: the linear plan's commission on each credited dollar
BONUS = 60_000.0  # B: the bonus plan's lump sum at quota


def z_limit(checks: int) -> float:
    """Two-sided z bound for ``checks`` checks at a total false-failure rate FALSE_FAILURE."""
    return float(stats.norm.isf(FALSE_FAILURE / (2 * checks)))


def one_component_plan(rate: float, bonus: float | None = None) -> spmopt.Plan:
    """Annual plan, quota QUOTA: commission ``rate`` on every credited dollar, and optionally a
    lump sum ``bonus`` at 100% of the annual quota."""
    plan = {
        "id": "theory",
        "year_start": "2027-01-01",
        "target_incentive": 100_000,
        "components": [
            {
                "id": "bookings",
                "measure": "bookings",
                "quota": QUOTA,
                "tiers": [{"from": 0, "rate": rate}],
            }
        ],
    }
    if bonus is not None:
        plan["bonuses"] = [
            {"id": "club", "measure": "bookings", "at": 1.0, "amount": bonus, "period": "year"}
        ]
    return spmopt.Plan.from_dict({"schema_version": 1, "plan": plan})


def theory_model(plan, effort: dict, count: int, seasonality=None, **traits) -> SimulationModel:
    """Risk-neutral, ramped reps (base sales 600k, effectiveness 400k, effort cost 40k unless
    ``traits`` say otherwise) on normal sales with σ = SIGMA; only effort responds."""
    spec = {
        "count": count,
        "base_sales": 600_000,
        "effectiveness": 400_000,
        "effort_cost": 40_000,
        **traits,
    }
    population = Population.generate(
        {"segments": {"ae": spec}}, RandomStreams(1).generator("population")
    )
    segment = Segment("ae", plan, NormalSales(sigma=SIGMA), seasonality or Seasonality.flat(), 0.8)
    behaviour = behaviour_from_dict(
        {"effort": effort, "timing": {"model": "none"}, "attrition": {"model": "none"}}
    )
    return SimulationModel("theory", population, {"ae": segment}, behaviour=behaviour)


def by_seat(table, column: str, seats) -> np.ndarray:
    """(replications, seats) annual totals of ``column``, seats in the order of ``seats``."""
    pivot = table.pivot_table(
        index="replication", columns="rep_id", values=column, aggfunc="sum", observed=True
    )
    return pivot[list(seats)].to_numpy()


def z_mean(values: np.ndarray) -> float:
    """z statistic of the hypothesis that the iid ``values`` have mean 0."""
    values = np.ravel(values)
    return float(values.mean() / (values.std(ddof=1) / np.sqrt(values.size)))


# ---------------------------------------------------------------------- linear commission
@pytest.mark.parametrize("engine", ENGINES)
def test_linear_commission_static_effort_is_beta_k_over_c(engine):
    """Heterogeneous reps (k uniform on [300k, 500k], c uniform on [30k, 50k], lognormal h):
    each seat's effort is β·k/c and its annual sales have mean h + β·k²/c and variance σ²;
    incentive is β·S. A 10% effort error moves mean sales by 0.1·β·k²/c ≈ 40k, 18 standard
    errors of the pooled mean."""
    model = theory_model(
        one_component_plan(RATE),
        {"model": "static"},
        40,
        base_sales={"dist": "lognormal", "mean": 600_000, "sigma": 0.2},
        effectiveness={"dist": "uniform", "low": 300_000, "high": 500_000},
        effort_cost={"dist": "uniform", "low": 30_000, "high": 50_000},
    )
    reps = model.population.arrays
    h, k, c = reps.base_sales, reps.effectiveness, reps.effort_cost
    effort = RATE * k / c
    table = ENGINES[engine](model, 50, RandomStreams(71)).rep_periods
    seats = model.population.rep_ids
    recorded = table.pivot_table(
        index="replication", columns="rep_id", values="effort", aggfunc="mean", observed=True
    )[list(seats)].to_numpy()
    np.testing.assert_allclose(recorded, np.broadcast_to(effort, recorded.shape), rtol=1e-6)
    sales = by_seat(table, "credited", seats)
    mean = h + k * effort  # = h + β·k²/c
    limit = z_limit(2)
    assert abs(z_mean(sales - mean)) < limit
    assert abs(z_mean(((sales - mean) / SIGMA) ** 2 - 1)) < limit
    # pay is rounded to cents in each of at most 12 payouts
    np.testing.assert_allclose(by_seat(table, "incentive", seats), RATE * sales, atol=0.06)


@pytest.mark.parametrize("engine", ENGINES)
def test_linear_commission_dynamic_effort_follows_the_season(engine):
    """Dynamic effort, monthly reviews, quarter-end seasonality (lift 1.8), k ∈ {300k, 400k,
    500k}: effort in month m is 12·β·k·w_m/c whatever the attainment, and month m's mean sales
    summed over seats are Σ_s w_m·(h + k_s·e_m,s) (one z-check per month and one on the year)."""
    seasonality = Seasonality.quarter_end(1.8)
    model = theory_model(
        one_component_plan(RATE),
        {"model": "dynamic"},
        30,
        seasonality=seasonality,
        effectiveness={"dist": "empirical", "values": [300_000, 400_000, 500_000]},
    )
    reps = model.population.arrays
    w = seasonality.weights
    effort = 12 * RATE * reps.effectiveness[:, None] * w[None, :] / reps.effort_cost[:, None]
    replications = 40
    table = ENGINES[engine](model, replications, RandomStreams(73)).rep_periods
    seats = list(model.population.rep_ids)
    position = {rep_id: i for i, rep_id in enumerate(seats)}
    rows = table["rep_id"].map(position).to_numpy()
    months = table["month"].to_numpy() - 1  # months are 1–12
    np.testing.assert_allclose(table["effort"], effort[rows, months], rtol=1e-6)
    mean = w[None, :] * (reps.base_sales[:, None] + reps.effectiveness[:, None] * effort)
    totals = table.pivot_table(
        index="replication", columns="month", values="credited", aggfunc="sum", observed=True
    ).to_numpy()  # (replications, months): sums over seats, variance seats·w_m·σ²
    limit = z_limit(MONTHS + 1)
    for month in range(MONTHS):
        z = (totals[:, month].mean() - mean[:, month].sum()) / np.sqrt(
            len(seats) * w[month] * SIGMA**2 / replications
        )
        assert abs(z) < limit, (month, z)
    annual = totals.sum(axis=1)
    z = (annual.mean() - mean.sum()) / np.sqrt(len(seats) * SIGMA**2 / replications)
    assert abs(z) < limit, z


# ---------------------------------------------------------------------- lump-sum bonus
def bonus_effort(h: float, k: float, c: float, bonus: float, quota: float, sigma: float) -> float:
    """The risk-neutral effort maximising B·Φ((h + k·e − q)/σ) − c·e²/2 (module docstring):
    the best of e = 0 and the roots of the first-order condition, bracketed on a fine grid."""

    def utility(e):
        return bonus * stats.norm.cdf((h + k * e - quota) / sigma) - c * e**2 / 2

    def foc(e):
        return bonus * k * stats.norm.pdf((h + k * e - quota) / sigma) / sigma - c * e

    e_max = np.sqrt(2 * bonus / c)  # beyond it the cost alone exceeds the bonus
    grid = np.linspace(0.0, e_max, 20001)
    values = foc(grid)
    candidates = [0.0]
    for i in np.flatnonzero(np.sign(values[:-1]) != np.sign(values[1:])):
        candidates.append(optimize.brentq(foc, grid[i], grid[i + 1], xtol=1e-12))
    return max(candidates, key=utility)


@pytest.mark.parametrize("engine", ENGINES)
def test_bonus_at_quota_probability_matches_the_first_order_condition(engine):
    """Bonus B = 60k at quota 1M, h = 600k, k = 400k, c = 40k, σ = 100k: e* ≈ 1.27,
    P(quota) = Φ((h + k·e* − q)/σ) ≈ 0.87; the share of seat-years at quota, and mean sales
    h + k·e*, match it; incentive is B when sales reach quota, else 0. A 10% effort error moves
    P(quota) by about 0.13, 13 standard errors."""
    h, k, c = 600_000.0, 400_000.0, 40_000.0
    effort = bonus_effort(h, k, c, BONUS, QUOTA, SIGMA)
    p_quota = stats.norm.cdf((h + k * effort - QUOTA) / SIGMA)
    assert 0.6 < p_quota < 0.95 and effort > 0.5  # an interior optimum: the test has teeth
    model = theory_model(one_component_plan(0.0, bonus=BONUS), {"model": "static"}, 40)
    table = ENGINES[engine](model, 30, RandomStreams(79)).rep_periods
    np.testing.assert_allclose(table["effort"], effort, rtol=1e-4)
    seats = model.population.rep_ids
    sales = by_seat(table, "credited", seats)
    at_quota = sales >= QUOTA
    n = at_quota.size
    limit = z_limit(2)
    assert abs(at_quota.mean() - p_quota) / np.sqrt(p_quota * (1 - p_quota) / n) < limit
    assert abs(z_mean(sales - (h + k * effort))) < limit
    np.testing.assert_allclose(by_seat(table, "incentive", seats), BONUS * at_quota, atol=0.06)
