"""The efficient frontier: best expected profit as the comp budget varies, with its shadow price.

Re-solves the programme over a grid of budgets, everything else held fixed. With the LP
relaxation the frontier is concave and piecewise linear in the budget, and the budget's shadow
price at a point is the slope there; with one candidate per unit (``round``) it is a step
function lying under the LP frontier, the gap between them being the integrality gap.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"unit": ["a", "a"], "candidate": ["p", "q"], "revenue": [2.0, 3.0],
...     "margin": [2.0, 3.0], "incentive_cost": [0.5, 1.0], "base_cost": [0.0, 0.0],
...     "discount_cost": [0.0, 0.0], "certainty_equivalent": [1.0, 1.0],
...     "outside_option": [0.0, 0.0], "p_quota": [0.5, 0.5], "reps": [1, 1],
...     "quota": [2.0, 2.0], "attrition": [0.0, 0.0]})
>>> table = frontier(frame, budgets=[0.4, 0.75, 1.0], mode="relaxation")
>>> table[["budget", "status", "profit", "budget_shadow_price"]].round(3).to_dict("records")
[{'budget': 0.4, 'status': 'infeasible', 'profit': nan, 'budget_shadow_price': nan}, \
{'budget': 0.75, 'status': 'optimal', 'profit': 1.75, 'budget_shadow_price': 1.0}, \
{'budget': 1.0, 'status': 'optimal', 'profit': 2.0, 'budget_shadow_price': 0.0}]
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError, SpmoptNoSolutionError
from spmopt.optimise.constraints import Constraints
from spmopt.optimise.lp import Solver, solve
from spmopt.optimise.responses import ResponseTable

FRONTIER_COLUMNS: tuple[str, ...] = (
    "budget",
    "status",
    "profit",
    "lp_bound",
    "integrality_gap",
    "budget_shadow_price",
    "comp_cost",
    "revenue",
    "cost_of_sales",
    "share_at_quota",
    "current_budget",
)


def budget_grid(
    responses: pd.DataFrame | ResponseTable,
    constraints: Constraints | None = None,
    *,
    samples: pd.DataFrame | None = None,
    points: int = 11,
    solver: str | Solver = "highs",
) -> np.ndarray:
    """``points`` budgets from the cheapest choice to the comp cost of the budget-free optimum.

    The low end, Σ_u min_j comp cost, may be infeasible under the other constraints; such points
    show up as infeasible in the frontier.
    """
    table = ResponseTable.coerce(responses, samples)
    constraints = Constraints() if constraints is None else constraints
    low = float(np.minimum.reduceat(table.comp_cost, table.starts[:-1]).sum())
    free = solve(
        table, dataclasses.replace(constraints, budget=None), mode="relaxation", solver=solver
    )
    high = free.totals["comp_cost"]
    return np.linspace(low, max(low, high), points)


def frontier(
    responses: pd.DataFrame | ResponseTable,
    constraints: Constraints | None = None,
    budgets: Sequence[float] | np.ndarray | None = None,
    *,
    samples: pd.DataFrame | None = None,
    mode: str = "round",
    solver: str | Solver = "highs",
    gap_rel: float | None = None,
    time_limit_s: float | None = None,
    points: int = 11,
) -> pd.DataFrame:
    """Best expected profit at each budget: one row per budget (see :data:`FRONTIER_COLUMNS`).

    Parameters
    ----------
    responses, constraints, samples, mode, solver, gap_rel, time_limit_s:
        As for :func:`spmopt.optimise.lp.solve`; ``constraints.budget`` is replaced by each
        budget in turn.
    budgets:
        Budgets to solve at [currency/yr]; None = :func:`budget_grid` with ``points`` points,
        plus the current budget (``constraints.budget``) when there is one.

    Returns
    -------
    pandas.DataFrame
        ``budget, status, profit, lp_bound, integrality_gap, budget_shadow_price, comp_cost,
        revenue, cost_of_sales, share_at_quota, current_budget``; ``budget_shadow_price`` is the
        LP value of one more currency unit of budget at that point; ``current_budget`` marks the
        row at ``constraints.budget``. Infeasible budgets are kept, with status ``infeasible``
        and NaN values (no exception).
    """
    table = ResponseTable.coerce(responses, samples)
    constraints = Constraints() if constraints is None else constraints
    if budgets is None:
        budgets = budget_grid(table, constraints, points=points, solver=solver)
        if constraints.budget is not None:
            budgets = np.unique(np.append(budgets, constraints.budget))
    budgets = np.asarray(budgets, dtype=float).ravel()
    if budgets.size == 0 or not np.isfinite(budgets).all():
        raise SpmoptInputError(f"budgets: expected finite numbers, got {budgets.tolist()!r}")
    records = []
    for budget in budgets.tolist():
        record: dict[str, object] = dict.fromkeys(FRONTIER_COLUMNS, math.nan)
        record["budget"] = budget
        record["current_budget"] = constraints.budget is not None and math.isclose(
            budget, constraints.budget, rel_tol=1e-12
        )
        try:
            result = solve(
                table,
                dataclasses.replace(constraints, budget=budget),
                mode=mode,
                solver=solver,
                gap_rel=gap_rel,
                time_limit_s=time_limit_s,
                diagnose=False,
            )
        except SpmoptNoSolutionError:
            record["status"] = "infeasible"
            records.append(record)
            continue
        record.update(
            status=result.status,
            profit=result.objective,
            lp_bound=result.lp_bound,
            integrality_gap=result.integrality_gap,
            budget_shadow_price=result.shadow_price("budget"),
            comp_cost=result.totals["comp_cost"],
            revenue=result.totals["revenue"],
            cost_of_sales=result.totals["cost_of_sales"],
            share_at_quota=result.totals["share_at_quota"],
        )
        records.append(record)
    return pd.DataFrame.from_records(records, columns=list(FRONTIER_COLUMNS))


def incumbent_point(responses: pd.DataFrame) -> tuple[float, float] | None:
    """The incumbent plans' expected comp cost and profit [currency/yr] from the response table
    (the ``incumbent`` candidate of every unit), or None when a unit has no incumbent row."""
    from spmopt.optimise.levers import INCUMBENT

    rows = responses[responses["candidate"] == INCUMBENT]
    if rows.empty or rows["unit"].nunique() != responses["unit"].nunique():
        return None
    comp_cost = float((rows["incentive_cost"] + rows["base_cost"]).sum())
    profit = float(
        (rows["margin"] - rows["incentive_cost"] - rows["base_cost"] - rows["discount_cost"]).sum()
    )
    return comp_cost, profit
