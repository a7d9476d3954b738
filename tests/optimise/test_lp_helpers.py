"""Helpers shared by the LP tests, and tests of the helpers themselves.

``brute_force`` enumerates every choice of one candidate per unit and checks each constraint
family from its definition (docs/optimiser.md), independently of the optimiser's row code, so
that the solver's answers can be compared with the true binary optimum on small tables.
``tail_cvar`` computes CVaR as the mean of the worst (1 − α) probability mass (the quantile
integral), independently of the Rockafellar–Uryasev minimisation the LP uses.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pandas as pd
import pulp
import pytest

from spmopt.optimise.constraints import Constraints
from spmopt.optimise.lp import Solver

DEFAULTS = {
    "revenue": 0.0,
    "margin": 0.0,
    "incentive_cost": 0.0,
    "base_cost": 0.0,
    "discount_cost": 0.0,
    "certainty_equivalent": 1.0,
    "outside_option": 0.0,
    "p_quota": 0.5,
    "reps": 1.0,
    "quota": 1.0,
    "attrition": 0.0,
}


def cbc_available() -> bool:
    with warnings.catch_warnings():  # PuLP 3.3 deprecates the bundled CBC for 4.0
        warnings.simplefilter("ignore", DeprecationWarning)
        return bool(pulp.PULP_CBC_CMD(msg=False).available())


_CBC = pytest.param(
    "cbc", id="cbc", marks=pytest.mark.skipif(not cbc_available(), reason="CBC not available")
)
# the behavioural contract runs on every backend configuration: HiGHS (dual simplex on small
# problems), HiGHS's interior point with crossover (what large problems use), PuLP's own HiGHS
# hand-over (instead of the bulk one), and CBC
SOLVERS = [
    pytest.param("highs", id="highs"),
    pytest.param(Solver("highs", lp_method="ipm"), id="highs-ipm"),
    pytest.param(Solver("highs", bulk_handover=False), id="highs-pulp"),
    _CBC,
]
# property tests (many examples) run on the two engines
PROPERTY_SOLVERS = [pytest.param("highs", id="highs"), _CBC]


def responses(rows: list[dict], **defaults) -> pd.DataFrame:
    """A response table from partial rows: unset columns take ``defaults`` or :data:`DEFAULTS`."""
    fill = {**DEFAULTS, **defaults}
    return pd.DataFrame([{**fill, **row} for row in rows])


def item(unit: str, candidate: str, *, profit: float, cost: float, **more) -> dict:
    """A row with the given expected profit and comp cost (all cost as incentive pay)."""
    return {
        "unit": unit,
        "candidate": candidate,
        "margin": profit + cost,
        "incentive_cost": cost,
        **more,
    }


def tail_cvar(losses, alpha: float) -> float:
    """Mean of the worst (1 − α) share of equally likely losses (fractional scenario at the edge)."""
    ordered = np.sort(np.asarray(losses, dtype=float))[::-1]
    mass = (1.0 - alpha) * ordered.size
    whole = int(math.floor(mass + 1e-12))
    total = ordered[:whole].sum()
    if whole < ordered.size and mass - whole > 1e-12:
        total += (mass - whole) * ordered[whole]
    return float(total / mass)


def _close(a: float, b: float) -> float:
    return 1e-7 * max(1.0, abs(a), abs(b))


def check_choice(
    frame: pd.DataFrame,
    rows: list[int],
    constraints: Constraints,
    samples: pd.DataFrame | None = None,
    slack: float = 0.0,
) -> list[str]:
    """Families violated by choosing ``rows`` of ``frame`` (one per unit), from the definitions.

    ``slack`` > 0 tolerates violations of that relative size; < 0 demands that much margin.
    """
    chosen = frame.iloc[rows]
    comp = float((chosen["incentive_cost"] + chosen["base_cost"]).sum())
    revenue = float(chosen["revenue"].sum())
    reps = chosen["reps"].to_numpy(float)

    def bad(lhs: float, rhs: float, sense: str) -> bool:
        scale = max(1.0, abs(lhs), abs(rhs))
        return (lhs - rhs if sense == "<=" else rhs - lhs) > slack * scale

    violated = []
    if constraints.budget is not None and bad(comp, constraints.budget, "<="):
        violated.append("budget")
    if constraints.cos_ceiling is not None and bad(comp, constraints.cos_ceiling * revenue, "<="):
        violated.append("cos_ceiling")
    if constraints.revenue_target is not None and bad(revenue, constraints.revenue_target, ">="):
        violated.append("revenue_target")
    if constraints.cvar is not None:
        keyed = samples.set_index(["unit", "candidate", "scenario"])["comp_cost"]
        scenarios = sorted(samples["scenario"].unique())
        losses = [
            sum(keyed[(u, c, s)] for u, c in zip(chosen["unit"], chosen["candidate"], strict=True))
            for s in scenarios
        ]
        if bad(tail_cvar(losses, constraints.cvar.alpha), constraints.cvar.limit, "<="):
            violated.append("cvar")
    share = constraints.quota_share
    at_quota = float((reps * chosen["p_quota"].to_numpy(float)).sum())
    if share is not None and share.low is not None and bad(at_quota, share.low * reps.sum(), ">="):
        violated.append("attain_floor")
    if (
        share is not None
        and share.high is not None
        and bad(at_quota, share.high * reps.sum(), "<=")
    ):
        violated.append("attain_ceiling")
    if constraints.participation and any(
        bad(ce, ou, ">=")
        for ce, ou in zip(chosen["certainty_equivalent"], chosen["outside_option"], strict=True)
    ):
        violated.append("participation")
    limit = constraints.rep_participation
    if limit is not None:
        below = reps * chosen["share_below_outside_option"].to_numpy(float)
        groups = (
            [chosen["unit"].to_numpy() == unit for unit in chosen["unit"]]
            if limit.per_unit
            else [np.ones(len(chosen), bool)]
        )
        if any(bad(below[g].sum(), limit.max_share * reps[g].sum(), "<=") for g in groups):
            violated.append("rep_participation")
    if constraints.quota_coverage is not None:
        quota = float((reps * chosen["quota"].to_numpy(float)).sum())
        if bad(quota, constraints.quota_coverage.required, ">="):
            violated.append("quota_coverage")
    for unit, bounds in constraints.quota_bounds.items():
        quota = float(chosen.loc[chosen["unit"] == unit, "quota"].iloc[0])
        if (bounds.low is not None and bad(quota, bounds.low, ">=")) or (
            bounds.high is not None and bad(quota, bounds.high, "<=")
        ):
            violated.append("quota_bounds")
            break
    if constraints.pay_dispersion is not None:
        staffed = reps > 0
        pay = (chosen["incentive_cost"] + chosen["base_cost"]).to_numpy(float)[staffed] / reps[
            staffed
        ]
        if pay.size and bad(pay.max(), constraints.pay_dispersion.max_ratio * pay.min(), "<="):
            violated.append("pay_dispersion")
    return violated


def brute_force(
    frame: pd.DataFrame,
    constraints: Constraints,
    samples: pd.DataFrame | None = None,
    slack: float = 0.0,
) -> float | None:
    """Best expected profit over every one-candidate-per-unit choice (None if none feasible)."""
    profit = (
        frame["margin"] - frame["incentive_cost"] - frame["base_cost"] - frame["discount_cost"]
    ).to_numpy(float)
    groups = [list(np.flatnonzero(frame["unit"].to_numpy() == u)) for u in frame["unit"].unique()]
    best = None
    for rows in itertools.product(*groups):
        value = float(profit[list(rows)].sum())
        if best is not None and value <= best:
            continue
        if not check_choice(frame, list(rows), constraints, samples, slack):
            best = value
    return best


# --- tests of the helpers -----------------------------------------------------------------------


def test_tail_cvar_whole_and_fractional_tails():
    """Losses 1..10: α = 0.8 → mean of {10, 9} = 9.5; α = 0.85 → (10 + 0.5·9)/1.5 = 29/3."""
    losses = np.arange(1.0, 11.0)
    assert tail_cvar(losses, 0.8) == pytest.approx(9.5)
    assert tail_cvar(losses, 0.85) == pytest.approx(29.0 / 3.0)


def test_brute_force_knapsack():
    """Items (profit, cost) A (6, 2), B (10, 5), C (3, 3); budget 7: best is A + B = 16."""
    frame = responses(
        [
            row
            for name, p, c in (("A", 6, 2), ("B", 10, 5), ("C", 3, 3))
            for row in (item(name, "off", profit=0, cost=0), item(name, "on", profit=p, cost=c))
        ]
    )
    assert brute_force(frame, Constraints(budget=7)) == pytest.approx(16.0)
    assert brute_force(frame, Constraints(budget=-1)) is None
