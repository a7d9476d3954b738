"""spmopt: sales performance management research toolkit.

Exact incentive payouts (``Plan``, ``statements``), reps who respond to the plan (``Rep``,
``Population``, ``NormalSales``, ``DealSales``, ``best_response``), simulation (``Scenario``,
``simulate``), finance comparisons (``compare``), benchmark suites (``bench``) and plan optimisation (``optimise``).

The public names are imported on first use (module ``__getattr__``), so that ``import spmopt``
and the ``spmopt`` command start without loading pandas, SciPy, PuLP, SimPy or matplotlib.
"""

from __future__ import annotations

import importlib
import types
from typing import TYPE_CHECKING

__version__ = "0.1.0"

_PUBLIC = {
    "SpmoptInputError": "spmopt.errors",
    "SpmoptNoSolutionError": "spmopt.errors",
    "calibrate": "spmopt.calibrate.fit",
    "calibrated_scenario": "spmopt.calibrate.report",
    "read_history": "spmopt.calibrate.history",
    "Constraints": "spmopt.optimise.constraints",
    "CVaRLimit": "spmopt.optimise.constraints",
    "optimise": "spmopt.optimise.pipeline",
    "budget_for_share_at_quota": "spmopt.optimise.reverse",
    "quota_for_cost_of_sales": "spmopt.optimise.reverse",
    "sales_for_payout": "spmopt.optimise.reverse",
    "solve_lever": "spmopt.optimise.reverse",
    "ReportTable": "spmopt.report",
    "write_report": "spmopt.report",
    "payout_table": "spmopt.plan.plan",
    "CurveFamily": "spmopt.plan",
    "accruals": "spmopt.plan.accruals",
    "PayoutCurve": "spmopt.plan",
    "Plan": "spmopt.plan",
    "Statements": "spmopt.plan",
    "read_credits": "spmopt.plan",
    "read_roster": "spmopt.plan",
    "read_pipeline": "spmopt.plan.inputs",
    "statements": "spmopt.plan",
    "HazardAttrition": "spmopt.reps.behaviour.attrition",
    "RatchetAnticipation": "spmopt.reps.behaviour.ratchet",
    "behaviour_from_dict": "spmopt.reps.behaviour.registry",
    "effort_model": "spmopt.reps.behaviour.registry",
    "best_response": "spmopt.reps.behaviour.static",
    "DealTiming": "spmopt.reps.behaviour.timing",
    "Population": "spmopt.reps.population",
    "Rep": "spmopt.reps.population",
    "Ramp": "spmopt.reps.seasonality",
    "Seasonality": "spmopt.reps.seasonality",
    "DealSales": "spmopt.reps.technology",
    "NormalSales": "spmopt.reps.technology",
    "backtest": "spmopt.finance.backtest",
    "compare": "spmopt.run.compare",
    "forecast": "spmopt.sim.forecast",
    "simulate": "spmopt.run.simulation",
    "revise": "spmopt.run.revise",
    "bench": "spmopt.run.suite",
    "Suite": "spmopt.run.suite",
    "Scenario": "spmopt.scenario",
}

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
    "ReportTable",
    "Scenario",
    "Seasonality",
    "SpmoptInputError",
    "SpmoptNoSolutionError",
    "Statements",
    "Suite",
    "__version__",
    "accruals",
    "backtest",
    "behaviour_from_dict",
    "bench",
    "best_response",
    "budget_for_share_at_quota",
    "calibrate",
    "calibrated_scenario",
    "compare",
    "effort_model",
    "forecast",
    "optimise",
    "payout_table",
    "quota_for_cost_of_sales",
    "read_credits",
    "read_history",
    "read_pipeline",
    "read_roster",
    "revise",
    "sales_for_payout",
    "simulate",
    "solve_lever",
    "statements",
    "write_report",
]


def __getattr__(name: str):
    """Import a public name from its module on first use (then it is a plain attribute)."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'spmopt' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    _unshadow()
    return value


def _unshadow() -> None:
    """Re-bind public functions that share their name with a subpackage (``calibrate``): the
    first import of ``spmopt.calibrate.<module>`` sets ``spmopt.calibrate`` to the package, so
    ``spmopt.read_history`` then ``spmopt.calibrate(...)`` would call a module."""
    for public, module in _PUBLIC.items():
        if isinstance(globals().get(public), types.ModuleType):
            globals()[public] = getattr(importlib.import_module(module), public)


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


if TYPE_CHECKING:  # for type checkers and IDEs: the names as if imported eagerly
    from spmopt.calibrate.fit import calibrate
    from spmopt.calibrate.history import read_history
    from spmopt.calibrate.report import calibrated_scenario
    from spmopt.errors import SpmoptInputError, SpmoptNoSolutionError
    from spmopt.optimise.constraints import Constraints, CVaRLimit
    from spmopt.optimise.pipeline import optimise
    from spmopt.optimise.reverse import (
        budget_for_share_at_quota,
        quota_for_cost_of_sales,
        sales_for_payout,
        solve_lever,
    )
    from spmopt.plan import (
        CurveFamily,
        PayoutCurve,
        Plan,
        Statements,
        read_credits,
        read_roster,
        statements,
    )
    from spmopt.plan.accruals import accruals
    from spmopt.plan.plan import payout_table
    from spmopt.report import ReportTable, write_report
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
    from spmopt.run.suite import Suite, bench
    from spmopt.scenario import Scenario
    from spmopt.sim.forecast import forecast
