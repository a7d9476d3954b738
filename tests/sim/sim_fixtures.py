"""The engines' test population and plans, shared by the engine, theory and agreement tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import spmopt
from spmopt.reps.population import Population
from spmopt.sim.streams import RandomStreams


def ae_population(count: int, **traits) -> Population:
    """``count`` AEs: lognormal base sales (mean 500k, σ of log 0.3), effectiveness 300k, effort
    cost 60k, outside option 180k, CARA 2e-6; ``traits`` override any of them."""
    spec = {
        "count": count,
        "base_sales": {"dist": "lognormal", "mean": 500000, "sigma": 0.3},
        "effectiveness": 300000,
        "effort_cost": 60000,
        "outside_option": 180000,
        "risk_aversion": 0.000002,
        **traits,
    }
    return Population.generate({"segments": {"ae": spec}}, RandomStreams(1).generator("population"))


PLANS = Path(__file__).resolve().parents[2] / "scenarios" / "plans"


def shipped_plan(name: str = "saas-ae", period: str | None = None) -> spmopt.Plan:
    """A shipped plan of ``scenarios/plans``, with its annual measurement period replaced by
    ``period`` (``quarter``, ``month``) when given."""
    text = (PLANS / f"{name}.toml").read_text()
    if period is not None:
        text = text.replace('measurement_period = "year"', f'measurement_period = "{period}"')
    return spmopt.Plan.from_toml(text)


SAAS_AE_RATE = 100_000 / 960_000  # the saas-ae plan's base rate TI/Q [USD per USD credited]


def saas_ae_earnings(credited: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """Hand arithmetic of the saas-ae plan [USD]: marginal tiers at 1×, 1.5× (from 100% of
    ``quota``) and 2× (from 125%) the base rate TI/Q = 100,000/960,000 on ``credited`` to date in
    a measurement period. A prorated quota comes with a prorated target incentive, so the rate
    does not change."""
    return SAAS_AE_RATE * (
        np.minimum(credited, quota)
        + 1.5 * np.clip(credited - quota, 0.0, 0.25 * quota)
        + 2.0 * np.maximum(credited - 1.25 * quota, 0.0)
    )


def spell_earnings_to_date(credited: np.ndarray, start: int, period_months: int) -> np.ndarray:
    """A spell's earnings to date at the end of each month (12,) [USD] from its monthly credits
    ``credited`` (12,; zero outside the spell): per measurement period of ``period_months``
    months, the tiers on credited to date in the period against the period's quota
    960,000 × (months employed in it)/12 (the plan's even spread, prorated from ``start``)."""
    months = np.arange(12)
    period = months // period_months
    employed = np.bincount(period, weights=months >= start)  # months employed in each period
    quota = 960_000 * employed[period] / 12
    to_date_in_period = np.zeros(12)
    for p in np.unique(period):
        mine = period == p
        to_date_in_period[mine] = np.cumsum(credited[mine])
    earned = saas_ae_earnings(to_date_in_period, quota)
    ends = np.flatnonzero(np.diff(period, append=period[-1] + 1))  # last month of each period
    closed = np.zeros(12)  # earnings of the periods already over
    for end in ends[:-1]:
        closed[end + 1 :] += earned[end]
    return closed + earned
