"""The engine benchmarks' test model (the engine brief's SaaS AE model), shared by
``bench_fast_engine.py`` and ``bench_event_engine.py``."""

from __future__ import annotations

from pathlib import Path

import spmopt
from spmopt.reps.behaviour.registry import behaviour_from_dict
from spmopt.reps.population import Population
from spmopt.reps.seasonality import Seasonality
from spmopt.reps.technology import DealSales
from spmopt.sim.model import Segment, SimulationModel
from spmopt.sim.streams import RandomStreams

PLAN = Path(__file__).resolve().parents[1] / "scenarios" / "plans" / "saas-ae.toml"


def saas_test_model(seats: int, timing: bool) -> SimulationModel:
    """``seats`` AEs on the shipped saas-ae plan: deal sales (mean $40k) with quarter-end
    seasonality, dynamic effort, hazard attrition and, with ``timing``, pull/push timing at
    period ends (10% discount); one plan year."""
    population = Population.generate(
        {
            "segments": {
                "ae": {
                    "count": seats,
                    "base_sales": {"dist": "lognormal", "mean": 500000, "sigma": 0.3},
                    "effectiveness": 300000,
                    "effort_cost": 60000,
                    "outside_option": 180000,
                    "risk_aversion": 0.000002,
                }
            }
        },
        RandomStreams(1).generator("population"),
    )
    behaviour = {"effort": {"model": "dynamic"}, "attrition": {"model": "hazard"}}
    behaviour["timing"] = {"model": "pull_push", "discount": 0.1} if timing else {"model": "none"}
    segment = Segment(
        "ae",
        spmopt.Plan.load(PLAN),
        DealSales(deal_size_mean=40000),
        Seasonality.quarter_end(1.5),
        0.8,
    )
    return SimulationModel(
        "bench", population, {"ae": segment}, behaviour=behaviour_from_dict(behaviour), years=1
    )
