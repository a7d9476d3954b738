"""The static model's valuation of a plan year against Monte Carlo through the earnings engine.

Independent path: draw each month's sales (mean (h + k·e)·w_m, variance σ²·w_m for seasonality
weights w_m, the engines' split of annual parameters), credit them to every measure (each at the
same attainment), run :func:`spmopt.plan.earnings.plan_earnings` (the statements arithmetic, which
resets quarterly and monthly measurement periods against the quota schedule) and average the
year's earnings. The static model must report that expected incentive, and that certainty
equivalent, at the effort it chooses, for every shipped plan and for shipped plans re-measured per
quarter and per month. Valuing a quarterly plan as 4 × curve(S/4) (the old valuation) is off by
up to ~20% on the bonus-based plan, far outside these tolerances.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from reps_helpers import Z_FAIL

import spmopt
from spmopt.plan.earnings import RepTerms, plan_earnings, to_cents
from spmopt.reps.behaviour.static import best_response
from spmopt.reps.population import Population
from spmopt.reps.seasonality import Seasonality
from spmopt.reps.technology import DealSales, NormalSales
from spmopt.reps.valuation import CappedSumTerm, plan_pay_terms
from spmopt.sim.streams import RandomStreams

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "scenarios" / "plans").glob("*.toml"))
# Base sales as fractions of the plan's primary quota: for bonus-based (quota 720,000) these are
# h = 450,000, 600,000 and 750,000.
H_OF_QUOTA = (0.625, 0.833, 1.042)
K_OF_QUOTA, C, SIGMA_OF_QUOTA, R = 0.28, 20_000.0, 0.2, 3e-6
# Monthly shares with unequal quarters (22/25/21/31%): the field-sales scenario's seasonality.
SEASONAL = Seasonality([0.06, 0.07, 0.09, 0.09, 0.09, 0.08, 0.06, 0.06, 0.09, 0.10, 0.10, 0.11])
# Each comparison fails when |model − Monte Carlo| > Z_FAIL standard errors: two-sided
# false-failure rate 1.1e-5 per assertion (6 per case: 3 reps × expected pay and CE), about 6e-4
# over all cases of both sizes (the seeds are fixed, so a given checkout passes or fails
# deterministically). The default suite draws 4,000 years per rep (standard error about 0.7% of
# expected pay); the slow one 40,000.
FAST_DRAWS, SLOW_DRAWS = 4_000, 40_000


def _variant(path: Path, period: str | None) -> spmopt.Plan:
    """The shipped plan, or a copy with every component and bonus measured over ``period``, the
    first component with a seasonal quota schedule (quarterly fractions 0.22/0.24/0.25/0.29, as
    bonus-based), the others spread evenly (each period's quota from its own component);
    ``"quarter+cap"`` also caps each component's annual earnings (``max_payout``)."""
    plan = spmopt.Plan.load(path)
    if period is None:
        return plan
    document = plan.to_dict()
    period, _, capped = period.partition("+")
    for component in document["plan"]["components"]:
        component["measurement_period"] = period
        if capped:  # "quarter+cap": the year's earnings capped at 150% of target incentive
            component["max_payout"] = 1.5 * component["weight"] * plan.target_incentive
    document["plan"]["components"][0]["quota_schedule"] = [0.22, 0.24, 0.25, 0.29]
    for bonus in document["plan"].get("bonuses", []):
        bonus["period"] = period
    return spmopt.Plan.from_dict(document)


def _population(plan) -> Population:
    quota = plan.components[0].quota
    return Population.from_reps(
        [
            spmopt.Rep(
                base_sales=fraction * quota,
                effectiveness=K_OF_QUOTA * quota,
                effort_cost=C,
                risk_aversion=R,
            )
            for fraction in H_OF_QUOTA
        ]
    )


def monte_carlo_earnings(plan, mean_sales, sigma, weights, draws, rng) -> np.ndarray:
    """Annual incentive (draws, N) from the earnings engine for reps with expected annual sales
    ``mean_sales`` (N,), σ of annual sales ``sigma``, monthly shares ``weights`` (12,).

    Returns the total and the part earned by terms measured over the year, each (draws, N)."""
    n = mean_sales.size
    noise = rng.standard_normal((draws, n, 12))
    monthly = mean_sales[None, :, None] * weights + sigma * np.sqrt(weights) * noise
    monthly = monthly.reshape(draws * n, 12)
    primary = plan.components[0].quota
    credits = {}
    for component in plan.components:  # every measure at the same attainment
        owner = plan.quota_of_measure(component.measure)
        credits[component.measure] = to_cents(monthly * owner.quota / primary).astype(float)
    terms = RepTerms.build(plan, np.zeros(draws * n).astype(str))
    earnings = plan_earnings(plan, terms, credits)
    total = earnings.total_to_date[:, -1] / 100.0
    annual = sum(
        (
            e.earnings_to_date[:, -1]
            for e in earnings.components
            if e.component.months_per_measurement_period == 12
        ),
        np.zeros(draws * n),
    ) + sum(
        (b.earned_at_month.sum(axis=1) for b in earnings.bonuses if b.bonus.period == "year"),
        np.zeros(draws * n),
    )
    return total.reshape(draws, n), (annual / 100.0).reshape(draws, n)


CASES = [(path, None, "flat") for path in SHIPPED]
CASES += [(path, None, "seasonal") for path in SHIPPED if path.stem == "bonus-based"]
CASES += [
    (path, period, "seasonal")
    for path in SHIPPED
    if path.stem in ("saas-ae", "capped-decelerator")
    for period in ("quarter", "month")
]
CASES += [(path, "quarter", "seasonal") for path in SHIPPED if path.stem == "multi-measure"]
CASES += [(path, "quarter+cap", "seasonal") for path in SHIPPED if path.stem == "saas-ae"]
IDS = [f"{p.stem}-{period or 'shipped'}-{season}" for p, period, season in CASES]


@pytest.mark.parametrize(("path", "period", "season"), CASES, ids=IDS)
def test_expected_pay_and_certainty_equivalent_match_the_earnings_engine(path, period, season):
    """Fast version of :func:`check_against_earnings_engine` (4,000 draws per rep)."""
    check_against_earnings_engine(path, period, season, FAST_DRAWS)


@pytest.mark.slow
@pytest.mark.parametrize(("path", "period", "season"), CASES, ids=IDS)
def test_expected_pay_and_certainty_equivalent_match_the_earnings_engine_closely(
    path, period, season
):
    """:func:`check_against_earnings_engine` with 40,000 draws per rep."""
    check_against_earnings_engine(path, period, season, SLOW_DRAWS)


def check_against_earnings_engine(path, period, season, draws):
    """At the chosen effort, expected incentive = mean of the earnings engine's annual incentive
    and CE of pay = −log mean exp(−r·pay) / r, within Z_FAIL Monte Carlo standard errors.

    The CE sums the periods' CEs; where a year term (e.g. the bonus-based plan's club bonus)
    sits on top of quarterly ones, that overstates the CE by about r·Cov(period pay, year pay)
    (module docstring of :mod:`spmopt.reps.valuation`), which the tolerance adds (estimated
    from the same draws; zero when nothing couples the periods)."""
    plan = _variant(path, period)
    seasonality = Seasonality.flat() if season == "flat" else SEASONAL
    quota = plan.components[0].quota
    sigma = SIGMA_OF_QUOTA * quota
    result = best_response(
        plan, _population(plan), NormalSales(sigma=sigma), seasonality=seasonality
    )
    ce_pay = (result["certainty_equivalent"] - plan.base_salary + result["effort_cost"]).to_numpy()
    rng = RandomStreams(20270).generator(f"valuation-{path.stem}-{period}-{season}-{draws}")
    pay, annual = monte_carlo_earnings(
        plan, result["expected_sales"].to_numpy(), sigma, seasonality.weights, draws, rng
    )
    mean = pay.mean(axis=0)
    se = pay.std(axis=0, ddof=1) / np.sqrt(draws)
    expected = result["expected_pay"].to_numpy()
    # an annual max_payout on quarterly earnings is valued on a normal approximation of their
    # sum (spmopt.reps.valuation): allow 0.5% (measured: within 0.2% at 40,000 draws)
    approximation = 0.005 * expected if "cap" in (period or "") else 0.0
    assert np.all(np.abs(expected - mean) <= Z_FAIL * se + approximation + 0.01), (
        expected,
        mean,
        se,
    )

    shift = pay.min(axis=0)
    utility = np.exp(-R * (pay - shift))
    mean_utility = utility.mean(axis=0)
    mc_ce = shift - np.log(mean_utility) / R
    ce_se = utility.std(axis=0, ddof=1) / np.sqrt(draws) / (R * mean_utility)
    periods = pay - annual
    coupling = np.array(
        [R * abs(np.cov(periods[:, i], annual[:, i])[0, 1]) for i in range(pay.shape[1])]
    )
    assert np.all(np.abs(ce_pay - mc_ce) <= Z_FAIL * ce_se + coupling + approximation + 0.01), (
        ce_pay,
        mc_ce,
        ce_se,
        coupling,
    )


@pytest.mark.slow
def test_deal_sales_expected_pay_of_the_quarterly_bonus_plan_matches_the_earnings_engine():
    """The same check of expected pay with deal-by-deal sales (each period valued on its own
    compound-Poisson distribution): months' won deals ~ Poisson(w_m·(h + k·e)/m) with lognormal
    sizes, fed through the earnings engine. Tolerance Z_FAIL standard errors plus 0.5% for the
    compound table's grid (false-failure rate as above)."""
    plan = spmopt.Plan.load(ROOT / "scenarios" / "plans" / "bonus-based.toml")
    sales = DealSales(win_probability=0.25, deal_size_mean=30_000.0, deal_size_sigma=0.8)
    population = _population(plan)
    result = best_response(plan, population, sales, seasonality=SEASONAL)
    draws = FAST_DRAWS
    rng = RandomStreams(20271).generator("valuation-deals")
    effort = np.broadcast_to(result["effort"].to_numpy()[:, None], (len(population), 12))
    exposure = np.broadcast_to(SEASONAL.weights, effort.shape)
    monthly = sales.sample(population.arrays, effort, exposure, rng, size=draws)
    terms = RepTerms.build(plan, np.zeros(monthly.size // 12).astype(str))
    cents = to_cents(monthly.reshape(-1, 12)).astype(float)
    pay = plan_earnings(plan, terms, {"bookings": cents}).total_to_date[:, -1] / 100.0
    pay = pay.reshape(draws, len(population))
    se = pay.std(axis=0, ddof=1) / np.sqrt(draws)
    expected = result["expected_pay"].to_numpy()
    assert np.all(np.abs(expected - pay.mean(axis=0)) <= Z_FAIL * se + 0.005 * expected)


def _two_schedules_plan() -> spmopt.Plan:
    """Two quarterly components on different measures, only the second with a quota schedule,
    and a quarterly bonus on the second measure (its period quota from the second component)."""
    tiers = [{"from": 0.0, "multiplier": 1.0}, {"from": 1.0, "multiplier": 2.0}]
    components = [
        {"id": "new", "measure": "new", "quota": 600_000.0, "weight": 0.5, "tiers": tiers},
        {
            "id": "renew",
            "measure": "renew",
            "quota": 300_000.0,
            "weight": 0.5,
            "tiers": tiers,
            "quota_schedule": [0.1, 0.2, 0.3, 0.4],
        },
    ]
    for component in components:
        component["measurement_period"] = "quarter"
    body = {
        "id": "two-schedules",
        "year_start": "2027-01-01",
        "target_incentive": 80_000.0,
        "components": components,
        "bonuses": [
            {"id": "pacer", "measure": "renew", "at": 1.0, "amount": 3_000.0, "period": "quarter"}
        ],
    }
    return spmopt.Plan.from_dict({"schema_version": 1, "plan": body})


TERM_PLANS = [
    (path.stem, period) for path in SHIPPED for period in (None, "quarter", "month", "quarter+cap")
]


@pytest.mark.parametrize(("stem", "period"), [*TERM_PLANS, ("two-schedules", "quarter")])
def test_pay_terms_add_up_to_the_earnings_engine_on_every_sales_path(stem, period):
    """Path by path (no expectation): Σ_t pay_t(sales in t's months) equals the year's earnings
    from plan_earnings for random monthly sales, every measure at the same attainment. Exact
    up to cents, so each period's quota (per component schedule) and every term is right."""
    if stem == "two-schedules":
        plan = _two_schedules_plan()
    else:
        plan = _variant(ROOT / "scenarios" / "plans" / f"{stem}.toml", period)
    quota = plan.components[0].quota
    rng = RandomStreams(20272).generator(f"terms-{stem}-{period}")
    paths = 400
    monthly = quota / 12 * rng.gamma(2.0, 0.5 + rng.uniform(size=(paths, 1)), size=(paths, 12))
    credits = {}
    for component in plan.components:
        owner = plan.quota_of_measure(component.measure)
        credits[component.measure] = to_cents(monthly * owner.quota / quota).astype(float)
    cents = credits[plan.components[0].measure]
    sales = cents / 100.0  # the primary measure's credits, as the engine sees them
    terms = RepTerms.build(plan, np.zeros(paths).astype(str))
    engine = plan_earnings(plan, terms, credits).total_to_date[:, -1] / 100.0
    pay_terms = plan_pay_terms(plan)

    def term_pay(term):
        if isinstance(term, CappedSumTerm):
            return np.minimum(sum(term_pay(period) for period in term.periods), term.cap)
        return term.pay(sales[:, list(term.months)].sum(axis=1)[None])[0]

    model = sum(term_pay(term) for term in pay_terms)
    assert np.abs(model - engine).max() <= 0.02 * len(pay_terms) + 1e-9 * engine.max()
