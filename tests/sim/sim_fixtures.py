"""The engines' test population and plans, shared by the engine, theory and agreement tests."""

from __future__ import annotations

from pathlib import Path

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
