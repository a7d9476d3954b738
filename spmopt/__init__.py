"""spmopt: sales performance management research toolkit.

Exact incentive payouts (``Plan``, ``statements``), reps who respond to the plan (``Rep``,
``Population``, ``NormalSales``, ``DealSales``, ``best_response``), simulation (``Scenario``,
``simulate``), finance comparisons (``compare``) and plan optimisation (``optimise``).
"""

__version__ = "0.1.0"

from spmopt.errors import SpmoptInputError, SpmoptNoSolutionError
from spmopt.optimise.constraints import Constraints, CVaRLimit
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
from spmopt.reps.behaviour.attrition import HazardAttrition
from spmopt.reps.behaviour.ratchet import RatchetAnticipation
from spmopt.reps.behaviour.registry import behaviour_from_dict, effort_model
from spmopt.reps.behaviour.static import best_response
from spmopt.reps.behaviour.timing import DealTiming
from spmopt.reps.population import Population, Rep
from spmopt.reps.seasonality import Ramp, Seasonality
from spmopt.reps.technology import DealSales, NormalSales
from spmopt.run.compare import compare
from spmopt.run.simulation import simulate
from spmopt.scenario import Scenario

__all__ = [
    "CVaRLimit",
    "Constraints",
    "CurveFamily",
    "DealSales",
    "DealTiming",
    "HazardAttrition",
    "NormalSales",
    "PayoutCurve",
    "Plan",
    "Population",
    "Ramp",
    "RatchetAnticipation",
    "Rep",
    "Scenario",
    "Seasonality",
    "SpmoptInputError",
    "SpmoptNoSolutionError",
    "Statements",
    "__version__",
    "behaviour_from_dict",
    "best_response",
    "compare",
    "effort_model",
    "optimise",
    "read_credits",
    "read_roster",
    "simulate",
    "statements",
]
