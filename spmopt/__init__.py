"""spmopt: sales performance management research toolkit.

Exact incentive payouts (``Plan``, ``statements``), reps who respond to the plan, simulation and
plan optimisation.
"""

from spmopt.errors import SpmoptInputError, SpmoptNoSolutionError
from spmopt.plan import (
    CurveFamily,
    PayoutCurve,
    Plan,
    Statements,
    read_credits,
    read_roster,
    statements,
)

__version__ = "0.1.0"

from spmopt.run.simulation import simulate
from spmopt.scenario import Scenario

__all__ = [
    "CurveFamily",
    "PayoutCurve",
    "Plan",
    "Scenario",
    "SpmoptInputError",
    "SpmoptNoSolutionError",
    "Statements",
    "read_credits",
    "read_roster",
    "simulate",
    "statements",
    "__version__",
]
