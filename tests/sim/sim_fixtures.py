"""The engines' test population, shared by the engine, theory and agreement tests."""

from __future__ import annotations

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
