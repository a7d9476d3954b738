"""Why is the programme infeasible? Name the conflicting constraint families and what relaxes them.

Two steps, both plain LP (or binary, when only the binary programme is infeasible) solves:

1. **Deletion filter over families.** Start from every family present; drop each in turn and keep
   it dropped if the rest is still infeasible. What remains is an irreducible conflict: the
   families together are infeasible, and dropping any one of them restores feasibility.
2. **Elastic relaxation per family.** For each family of the conflict, give its parameter rows a
   non-negative slack on their violated side, keep every other row hard, and minimise the slack.
   For a one-row family (budget, revenue target, CVaR limit, quota coverage) the slack is exactly
   how far the parameter must move; for ratio families (cost of sales, share at quota, pay
   dispersion) the ratio at the relaxed solution is reported, which is enough to restore
   feasibility.

Examples
--------
>>> import pandas as pd
>>> frame = pd.DataFrame({"unit": ["a", "a"], "candidate": ["p", "q"], "revenue": [2.0, 3.0],
...     "margin": [2.0, 3.0], "incentive_cost": [0.5, 1.0], "base_cost": [0.0, 0.0],
...     "discount_cost": [0.0, 0.0], "certainty_equivalent": [1.0, 1.0],
...     "outside_option": [0.0, 0.0], "p_quota": [0.5, 0.5], "reps": [1, 1],
...     "quota": [2.0, 2.0], "attrition": [0.0, 0.0]})
>>> from spmopt.optimise.responses import ResponseTable
>>> d = diagnose_infeasibility(ResponseTable.from_frames(frame),
...                            Constraints(budget=0.6, revenue_target=2.5))
>>> d.conflict
('budget', 'revenue_target')
>>> [(r.family, round(r.suggested, 2)) for r in d.relaxations]
[('budget', 0.75), ('revenue_target', 2.2)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from spmopt.optimise.constraints import Constraints, build_rows, totals, unit_pay_per_rep
from spmopt.optimise.responses import ResponseTable

# rows of a family whose slack measures the family's parameter (the others are definitions)
_DEFINITIONAL_PREFIXES = ("cvar_excess[", "pay_upper[", "pay_lower[")


@dataclass(frozen=True)
class Relaxation:
    """How to relax one family of a conflict.

    Attributes
    ----------
    family:
        The constraint family.
    parameter:
        The parameter to move (``budget``, ``cos_ceiling``, ``quota_share.low`` …).
    current, suggested:
        Its current value and a value that restores feasibility (None for per-unit families).
    rows:
        For per-unit families, the rows that need relaxing with the slack each needs.
    text:
        One readable sentence.
    """

    family: str
    parameter: str
    current: float | None
    suggested: float | None
    rows: tuple[tuple[str, float], ...]
    text: str


@dataclass(frozen=True)
class Diagnosis:
    """The conflict and the relaxations that resolve it, with a message for the user."""

    conflict: tuple[str, ...]
    relaxations: tuple[Relaxation, ...]
    integer: bool
    message: str


def _status(table, constraints, solver, integer):
    from spmopt.optimise.lp import assemble, solve_built

    rows, aux = build_rows(table, constraints)
    built = assemble(table, constraints, rows, aux, integer=integer, objective=False)
    backend = (
        solver.milp(1e-2, 60.0) if integer else solver.lp(len(table) + len(aux), time_limit_s=None)
    )
    return solve_built(built, backend, solver, "").status


def _feasible(table, constraints, solver, integer) -> bool:
    return _status(table, constraints, solver, integer) in ("optimal", "feasible")


def _fmt(value: float) -> str:
    if value != 0 and (abs(value) >= 1e4 or abs(value) < 1e-2):
        return f"{value:,.6g}" if abs(value) >= 1e4 else f"{value:.4g}"
    return f"{value:.4g}"


def _elastic(table, constraints, family, solver, integer):
    """Minimise the slack on ``family``'s parameter rows; (weights, slack per row) or None."""
    from spmopt.optimise.lp import assemble, solve_built

    rows, aux = build_rows(table, constraints)
    weights = {
        row.name: 1.0 / max(1.0, abs(row.rhs))
        for row in rows
        if row.family == family and not row.name.startswith(_DEFINITIONAL_PREFIXES)
    }
    built = assemble(table, constraints, rows, aux, integer=integer, elastic=weights)
    backend = solver.milp(1e-4, 60.0) if integer else solver.lp(len(table) + len(aux))
    run = solve_built(built, backend, solver, "")
    if run.status not in ("optimal", "feasible"):
        return None
    by_row = {}
    for name, variables in built.index.slacks.items():
        amount = sum(v.varValue or 0.0 for v in variables)
        if amount > 1e-9 * max(1.0, abs(built.index.specs[name].rhs)):
            by_row[name] = amount
    return run.x, by_row


def _relaxation(table, constraints, family, x, by_row) -> Relaxation:
    """Express the slack found for ``family`` in terms of its parameter."""
    t = totals(table, x, constraints.cvar.alpha if constraints.cvar else None)
    total_slack = sum(by_row.values())
    if family == "budget":
        new = constraints.budget + total_slack
        text = f"raise budget from {_fmt(constraints.budget)} to at least {_fmt(new)}"
        return Relaxation(family, "budget", constraints.budget, new, (), text)
    if family == "revenue_target":
        new = constraints.revenue_target - total_slack
        text = (
            f"lower revenue_target from {_fmt(constraints.revenue_target)} to at most {_fmt(new)}"
        )
        return Relaxation(family, "revenue_target", constraints.revenue_target, new, (), text)
    if family == "cvar":
        new = constraints.cvar.limit + total_slack
        text = f"raise the cvar limit from {_fmt(constraints.cvar.limit)} to at least {_fmt(new)}"
        return Relaxation(family, "cvar.limit", constraints.cvar.limit, new, (), text)
    if family == "quota_coverage":
        coverage = constraints.quota_coverage
        new = (coverage.required - total_slack) / coverage.over_assignment
        text = (
            f"lower the quota_coverage company target from {_fmt(coverage.company_target)} "
            f"to {_fmt(new)} (or the over-assignment factor)"
        )
        return Relaxation(
            family, "quota_coverage.company_target", coverage.company_target, new, (), text
        )
    if family == "cos_ceiling":
        new = t["cost_of_sales"]
        text = f"raise cos_ceiling from {constraints.cos_ceiling:.4g} to {new:.4g}"
        return Relaxation(family, "cos_ceiling", constraints.cos_ceiling, new, (), text)
    if family in ("attain_floor", "attain_ceiling"):
        share = constraints.quota_share
        side = "low" if family == "attain_floor" else "high"
        current = getattr(share, side)
        if share.per_unit:
            rows = tuple(by_row.items())
            names = ", ".join(name for name, _ in rows[:5])
            text = f"{'lower' if side == 'low' else 'raise'} quota_share.{side} for {names}"
            return Relaxation(family, f"quota_share.{side}", current, None, rows, text)
        new = t["share_at_quota"]
        verb = "lower" if side == "low" else "raise"
        text = f"{verb} quota_share.{side} (share of reps at quota) from {current:.4g} to {new:.4g}"
        return Relaxation(family, f"quota_share.{side}", current, new, (), text)
    if family == "rep_participation":
        current = constraints.rep_participation.max_share
        if constraints.rep_participation.per_unit:
            rows = tuple(by_row.items())
            names = ", ".join(name for name, _ in rows[:5])
            text = f"raise rep_participation.max_share for {names}"
            return Relaxation(family, "rep_participation.max_share", current, None, rows, text)
        new = t["share_below_outside_option"]
        text = (
            f"raise rep_participation.max_share (share of reps below their own outside option) "
            f"from {current:.4g} to {new:.4g}"
        )
        return Relaxation(family, "rep_participation.max_share", current, new, (), text)
    if family == "pay_dispersion":
        pays = unit_pay_per_rep(table, x)
        pays = pays[~np.isnan(pays)]
        new = float(pays.max() / pays.min()) if pays.size else math.nan
        current = constraints.pay_dispersion.max_ratio
        text = f"raise pay_dispersion.max_ratio from {current:.4g} to {new:.4g}"
        return Relaxation(family, "pay_dispersion.max_ratio", current, new, (), text)
    rows = tuple(by_row.items())
    shown = ", ".join(f"{name} (by {_fmt(amount)})" for name, amount in rows[:5])
    more = f" and {len(rows) - 5} more" if len(rows) > 5 else ""
    if family == "participation":
        shown = ", ".join(_participation_gap(table, name) for name, _ in rows[:5])
        text = (
            f"allow a plan below the reps' outside option in {shown}{more} (every candidate of "
            "these units pays less than the outside option within the other constraints), or "
            "add candidates with higher pay"
        )
        return Relaxation(family, "participation", None, None, rows, text)
    text = f"widen {shown}{more}"
    return Relaxation(family, "quota_bounds", None, None, rows, text)


def _participation_gap(table, row_name: str) -> str:
    """``participation[unit] (… below the outside option)``: the smallest shortfall of the unit's candidates'
    certainty equivalent under the outside option [plan currency per rep per year]."""
    label = row_name.removeprefix("participation[").removesuffix("]")
    positions = [i for i, unit in enumerate(table.units) if str(unit) == label]
    gap = table.column("outside_option") - table.column("certainty_equivalent")
    unit_gap = gap[np.isin(table.unit_codes, positions) & (gap > 0)]
    if not unit_gap.size:
        return row_name
    return (
        f"{row_name} (best candidate's certainty equivalent {unit_gap.min():,.0f} currency/yr per "
        "rep below the outside option)"
    )


def diagnose_infeasibility(
    table: ResponseTable,
    constraints: Constraints,
    *,
    solver="highs",
    integer: bool = False,
) -> Diagnosis:
    """Find an irreducible set of conflicting constraint families and how to relax each.

    Parameters
    ----------
    table:
        The response table.
    constraints:
        The infeasible constraints.
    solver:
        Backend name or :class:`~spmopt.optimise.lp.Solver`.
    integer:
        Diagnose the binary programme (one candidate per unit) instead of the LP relaxation.

    Returns
    -------
    Diagnosis
        ``conflict`` (family names), ``relaxations`` (one per family) and ``message``.
    """
    from spmopt.optimise.lp import as_solver

    solver = as_solver(solver)
    families = list(constraints.families())
    if _feasible(table, constraints, solver, integer):
        message = "the programme is feasible; nothing to relax"
        return Diagnosis((), (), integer, message)
    keep = list(families)
    for family in families:
        trial = [f for f in keep if f != family]
        dropped = [f for f in families if f not in trial]
        if not _feasible(table, constraints.without(*dropped), solver, integer):
            keep = trial
    conflict = tuple(keep)
    relaxations = []
    outside = [f for f in families if f not in conflict]
    for family in conflict:
        found = _elastic(table, constraints, family, solver, integer)
        if found is None:  # another conflict elsewhere: relax within this conflict only
            found = _elastic(table, constraints.without(*outside), family, solver, integer)
        if found is not None:
            relaxations.append(_relaxation(table, constraints, family, *found))
    how = (
        "with one candidate per unit (mixing candidates would meet them)"
        if integer
        else "by any choice of candidates, even mixing them"
    )
    if not conflict:
        message = (
            "no choice of candidates is feasible even without the optional constraints "
            f"({', '.join(families) or 'none'})"
        )
    elif len(conflict) == 1:
        message = f"the constraint {conflict[0]} cannot be met {how}"
    else:
        names = f"{', '.join(conflict[:-1])} and {conflict[-1]}"
        message = (
            f"the constraints {names} conflict: they cannot all be met {how}; dropping any one "
            "of them restores feasibility"
        )
    if relaxations:
        options = "; ".join(r.text for r in relaxations)
        lead = "To restore feasibility" if len(relaxations) == 1 else "Any one of these would do"
        message += f". {lead}: {options}"
    message += "."
    return Diagnosis(conflict, tuple(relaxations), integer, message)
