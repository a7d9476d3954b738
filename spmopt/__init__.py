"""spmopt: sales performance management research toolkit.

Exact incentive payouts (``Plan``, ``statements``), reps who respond to the plan (``Rep``,
``Population``, ``NormalSales``, ``DealSales``, ``best_response``), simulation (``Scenario``,
``simulate``), finance comparisons (``compare``) and plan optimisation (``optimise``).
"""

__version__ = "0.1.0"

from spmopt.errors import SpmoptInputError, SpmoptNoSolutionError
from spmopt.optimise.pipeline import optimise
from spmopt.plan import (
    CurveFamily,
    PayoutCurve,
    Plan,
    Statements,
    read_credits,
    read_roster,
    statements,
)
from spmopt.reps.behaviour.static import best_response
from spmopt.reps.population import Population, Rep
from spmopt.reps.technology import DealSales, NormalSales
from spmopt.run.compare import compare
from spmopt.run.simulation import simulate
from spmopt.scenario import Scenario

__all__ = [
    "CurveFamily",
    "DealSales",
    "NormalSales",
    "PayoutCurve",
    "Plan",
    "Population",
    "Rep",
    "Scenario",
    "SpmoptInputError",
    "SpmoptNoSolutionError",
    "Statements",
    "__version__",
    "best_response",
    "compare",
    "optimise",
    "read_credits",
    "read_roster",
    "simulate",
    "statements",
]
