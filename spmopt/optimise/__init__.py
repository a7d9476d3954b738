"""The optimiser: candidate levers, response estimation, the linear programme (the only place that
imports PuLP), and the pipeline that re-simulates the chosen plans.

``spmopt.optimise(scenario, …)`` (the pipeline function) is exported from the top-level package;
the building blocks are here.
"""

from spmopt.optimise.constraints import (
    Constraints,
    CVaRLimit,
    PayDispersion,
    QuotaBounds,
    QuotaCoverage,
    QuotaShare,
)
from spmopt.optimise.diagnose import Diagnosis, diagnose_infeasibility
from spmopt.optimise.frontier import budget_grid, frontier, incumbent_point
from spmopt.optimise.levers import Candidate, candidates
from spmopt.optimise.lp import Solution, Solver, build_model, solve
from spmopt.optimise.pipeline import OptimisationResult, optimise
from spmopt.optimise.refine import Refinement, refine
from spmopt.optimise.responses import RESPONSE_COLUMNS, SAMPLE_COLUMNS, ResponseTable
from spmopt.optimise.selection import (
    GapInterval,
    kim_nelson,
    optimality_gap_interval,
    shrink_rep_responses,
)

__all__ = [
    "RESPONSE_COLUMNS",
    "SAMPLE_COLUMNS",
    "CVaRLimit",
    "Candidate",
    "Constraints",
    "Diagnosis",
    "GapInterval",
    "OptimisationResult",
    "PayDispersion",
    "QuotaBounds",
    "QuotaCoverage",
    "QuotaShare",
    "Refinement",
    "ResponseTable",
    "Solution",
    "Solver",
    "budget_grid",
    "build_model",
    "candidates",
    "diagnose_infeasibility",
    "frontier",
    "incumbent_point",
    "kim_nelson",
    "optimality_gap_interval",
    "optimise",
    "shrink_rep_responses",
    "refine",
    "solve",
]
