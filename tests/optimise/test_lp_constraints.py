"""Each constraint family on a problem whose optimum (and dual) is derived in the docstring.

Every test runs on each solver backend. Shadow prices are the change in the LP optimum per unit
of the family's parameter; a generic test checks them against finite differences of the LP
optimum on a random table (concavity in a right-hand side makes the dual lie between the left
and right difference quotients).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pulp
import pytest
from test_lp_helpers import SOLVERS, item, responses, tail_cvar

from spmopt.errors import SpmoptInputError, SpmoptNoSolutionError
from spmopt.optimise.constraints import (
    Constraints,
    CVaRLimit,
    PayDispersion,
    QuotaBounds,
    QuotaCoverage,
    QuotaShare,
    RepParticipation,
)
from spmopt.optimise.lp import build_model, solve
from spmopt.sim.streams import RandomStreams

pytestmark = pytest.mark.parametrize("solver", SOLVERS)


def chosen(result) -> dict:
    return dict(zip(result.choice["unit"], result.choice["candidate"], strict=True))


def test_cos_ceiling(solver):
    """One unit, revenue 20 for every plan: p (profit 10, comp 3, cost of sales 0.15), q (8, 2,
    0.10), r (5, 1, 0.05). Ceiling 0.12 (comp ≤ 2.4) forbids p: the binary optimum is q = 8.

    LP: mixing p and q, 3w + 2(1 − w) ≤ 2.4 → w = 0.4, profit 8.8 (p with r: w ≤ 0.7, 8.5).
    Row Σ x·(C − 0.12·R) ≤ 0 has dual 2 (w grows 1 per unit of rhs, worth 2); per unit of the
    ratio c the rhs moves by Σ x·R = 20, so the shadow price is 40.
    """
    frame = responses(
        [
            item("u", "p", profit=10, cost=3, revenue=20),
            item("u", "q", profit=8, cost=2, revenue=20),
            item("u", "r", profit=5, cost=1, revenue=20),
        ]
    )
    constraints = Constraints(cos_ceiling=0.12)
    relaxed = solve(frame, constraints, mode="relaxation", solver=solver)
    assert relaxed.objective == pytest.approx(8.8, abs=1e-6)
    report = relaxed.constraint_report.set_index("constraint")
    assert report.loc["cos_ceiling", "dual"] == pytest.approx(2.0, abs=1e-6)
    assert relaxed.shadow_price("cos_ceiling") == pytest.approx(40.0, abs=1e-5)
    result = solve(frame, constraints, solver=solver)
    assert chosen(result) == {"u": "q"}
    assert result.totals["cost_of_sales"] == pytest.approx(0.10)


def test_attain_floor(solver):
    """Ten reps; p (profit 10, P(quota) 0.3), q (8, 0.6). Floor 0.5 forbids p: binary q = 8.

    LP: 0.3w + 0.6(1 − w) ≥ 0.5 → w = 1/3, profit 8 + 2/3. Raising the floor by d lowers w by
    d/0.3, so the shadow price per unit of share is −2/0.3 = −20/3.
    """
    frame = responses(
        [
            item("u", "p", profit=10, cost=1, p_quota=0.3, reps=10),
            item("u", "q", profit=8, cost=1, p_quota=0.6, reps=10),
        ]
    )
    constraints = Constraints(quota_share=QuotaShare(low=0.5))
    relaxed = solve(frame, constraints, mode="relaxation", solver=solver)
    assert relaxed.objective == pytest.approx(8 + 2 / 3, abs=1e-6)
    assert relaxed.shadow_price("attain_floor") == pytest.approx(-20 / 3, abs=1e-5)
    result = solve(frame, constraints, solver=solver)
    assert chosen(result) == {"u": "q"}
    assert result.totals["share_at_quota"] == pytest.approx(0.6)


def test_attain_ceiling(solver):
    """p (profit 10, P 0.9), q (8, 0.6); ceiling 0.8: binary q; LP 0.9w + 0.6(1 − w) ≤ 0.8 →
    w = 2/3, profit 8 + 4/3; shadow price per unit of share +2/0.3 = 20/3."""
    frame = responses(
        [
            item("u", "p", profit=10, cost=1, p_quota=0.9, reps=4),
            item("u", "q", profit=8, cost=1, p_quota=0.6, reps=4),
        ]
    )
    constraints = Constraints(quota_share=(None, 0.8))
    relaxed = solve(frame, constraints, mode="relaxation", solver=solver)
    assert relaxed.objective == pytest.approx(8 + 4 / 3, abs=1e-6)
    assert relaxed.shadow_price("attain_ceiling") == pytest.approx(20 / 3, abs=1e-5)
    assert chosen(solve(frame, constraints, solver=solver)) == {"u": "q"}


def test_attain_share_per_unit(solver):
    """Per-unit floors: unit a must keep 0.5 at quota itself even though unit b's 0.9 would
    carry the company-wide share. a: p (10, P 0.3) or q (8, 0.6); b: only r (5, P 0.9).
    Company-wide floor 0.5 with equal reps: (0.3 + 0.9)/2 = 0.6 ≥ 0.5, so p is allowed (15);
    per unit, a needs q (13)."""
    frame = responses(
        [
            item("a", "p", profit=10, cost=1, p_quota=0.3),
            item("a", "q", profit=8, cost=1, p_quota=0.6),
            item("b", "r", profit=5, cost=1, p_quota=0.9),
        ]
    )
    company = solve(frame, Constraints(quota_share=QuotaShare(low=0.5)), solver=solver)
    assert company.objective == pytest.approx(15.0)
    per_unit = Constraints(quota_share=QuotaShare(low=0.5, per_unit=True))
    result = solve(frame, per_unit, solver=solver)
    assert result.objective == pytest.approx(13.0)
    assert "attain_floor[a]" in result.shadow_prices.index


def test_participation(solver):
    """p pays the rep less than the outside option (CE 90 < 100) but is the most profitable;
    participation forbids it: q (profit 8). The row ``participation[u]`` (x_p = 0) has dual 2,
    what letting the unit take p would be worth per unit of weight."""
    frame = responses(
        [
            item("u", "p", profit=10, cost=1, certainty_equivalent=90, outside_option=100),
            item("u", "q", profit=8, cost=1, certainty_equivalent=110, outside_option=100),
        ]
    )
    assert chosen(solve(frame, Constraints(), solver=solver)) == {"u": "p"}
    result = solve(frame, Constraints(participation=True), solver=solver)
    assert chosen(result) == {"u": "q"}
    assert result.shadow_price("participation[u]") == pytest.approx(2.0, abs=1e-6)


def test_participation_tolerates_a_certainty_equivalent_one_ulp_below(solver):
    """The participation lever sets the base so that CE equals Ū; floating point then lands a
    few ulps either side (measured: 2.9e-11 below 165,000 for five of nine saas-ae enterprise
    candidates). Such a plan meets the constraint (relative tolerance PARTICIPATION_RTOL =
    1e-9); one 1e-6 below does not."""
    at = np.nextafter(100.0, 0.0)
    frame = responses(
        [
            item("u", "p", profit=10, cost=1, certainty_equivalent=at, outside_option=100),
            item("u", "q", profit=8, cost=1, certainty_equivalent=110, outside_option=100),
        ]
    )
    assert chosen(solve(frame, Constraints(participation=True), solver=solver)) == {"u": "p"}
    frame.loc[0, "certainty_equivalent"] = 100.0 * (1 - 1e-6)
    assert chosen(solve(frame, Constraints(participation=True), solver=solver)) == {"u": "q"}


def test_rep_participation(solver):
    """Ten reps; p (profit 10, 40 % of reps below their own outside option), q (8, 10 %). At
    most 20 % below forbids p: binary q = 8, although both plans meet the mean participation
    row (CE 110 ≥ Ū 100).

    LP: 0.4w + 0.1(1 − w) ≤ 0.2 → w = 1/3, profit 8 + 2/3. Raising the allowed share by d
    raises w by d/0.3, so the shadow price per unit of share is 2/0.3 = 20/3.
    """
    rows = [
        item("u", "p", profit=10, cost=1, reps=10, share_below_outside_option=0.4),
        item("u", "q", profit=8, cost=1, reps=10, share_below_outside_option=0.1),
        item("v", "r", profit=1, cost=1, reps=0, share_below_outside_option=1.0),
    ]
    frame = responses(rows, certainty_equivalent=110, outside_option=100)
    constraints = Constraints(participation=True, rep_participation=0.2)
    assert constraints.families() == ("participation", "rep_participation")
    assert chosen(solve(frame, Constraints(participation=True), solver=solver))["u"] == "p"
    relaxed = solve(frame, constraints, mode="relaxation", solver=solver)
    assert relaxed.objective == pytest.approx(9 + 2 / 3, abs=1e-6)
    assert relaxed.shadow_price("rep_participation") == pytest.approx(20 / 3, abs=1e-5)
    result = solve(frame, constraints, solver=solver)
    assert chosen(result)["u"] == "q"
    assert result.totals["share_below_outside_option"] == pytest.approx(0.1)
    assert result.choice.set_index("unit").loc["u", "share_below_outside_option"] == 0.1
    per_unit = Constraints(rep_participation=RepParticipation(0.2, per_unit=True))
    assert "rep_participation[u]" in solve(frame, per_unit, solver=solver).shadow_prices.index
    with pytest.raises(SpmoptInputError, match="share_below_outside_option"):
        solve(frame.drop(columns="share_below_outside_option"), constraints, solver=solver)
    # no plan leaves fewer than 10 % below: infeasible, and the diagnosis says how far to go
    with pytest.raises(SpmoptNoSolutionError, match="rep_participation") as caught:
        solve(frame, Constraints(rep_participation=0.05), solver=solver)
    (relaxation,) = caught.value.diagnosis.relaxations
    assert relaxation.parameter == "rep_participation.max_share"
    assert relaxation.suggested == pytest.approx(0.1, abs=1e-9)
    with pytest.raises(SpmoptInputError, match="share_below_outside_option"):
        solve(frame.assign(share_below_outside_option=1.5), constraints, solver=solver)


def test_participation_with_no_acceptable_plan_names_the_unit(solver):
    frame = responses(
        [
            item("east", "p", profit=10, cost=1, certainty_equivalent=90, outside_option=100),
            item("west", "q", profit=8, cost=1, certainty_equivalent=110, outside_option=100),
        ]
    )
    with pytest.raises(SpmoptNoSolutionError) as caught:
        solve(frame, Constraints(participation=True, budget=100.0), solver=solver)
    message = str(caught.value)
    assert "participation" in message and "participation[east]" in message
    assert "west" not in message and "budget" not in message


def test_quota_coverage(solver):
    """Units of 2 and 3 reps choose quota 100 (profit 10) or 150 (profit 7). Target 600 × 1.1
    over-assignment = 660 of quota: (low, low) 500, (high, low) 600, (low, high) 650 fall short,
    so both go high: profit 14.

    LP: from (low, low) = 500 at profit 20, unit 2's upgrade adds 150 of quota for 3 (0.02 per
    unit of quota), unit 1's 100 for 3 (0.03): unit 2 fully (650), then 10/100 of unit 1 →
    profit 20 − 3 − 0.3 = 16.7. Shadow price per unit of company target: −0.03 × 1.1.
    """
    frame = responses(
        [
            item("u1", "low", profit=10, cost=1, quota=100, reps=2),
            item("u1", "high", profit=7, cost=1, quota=150, reps=2),
            item("u2", "low", profit=10, cost=1, quota=100, reps=3),
            item("u2", "high", profit=7, cost=1, quota=150, reps=3),
        ]
    )
    constraints = Constraints(quota_coverage=QuotaCoverage(600, over_assignment=1.1))
    relaxed = solve(frame, constraints, mode="relaxation", solver=solver)
    assert relaxed.objective == pytest.approx(16.7, abs=1e-6)
    assert relaxed.shadow_price("quota_coverage") == pytest.approx(-0.033, abs=1e-7)
    result = solve(frame, constraints, solver=solver)
    assert chosen(result) == {"u1": "high", "u2": "high"}
    assert result.totals["quota_total"] == pytest.approx(750.0)


def test_quota_bounds(solver):
    """Quota per rep 100 (profit 10), 150 (8) or 200 (12), bounds [120, 180]: only 150 fits,
    profit 8. The LP may mix 100 and 200 to an average of 180 (weight 0.8 on 200): profit
    11.6, an integrality gap of 3.6 caused by a per-unit row alone."""
    frame = responses(
        [
            item("u", "q100", profit=10, cost=1, quota=100),
            item("u", "q150", profit=8, cost=1, quota=150),
            item("u", "q200", profit=12, cost=1, quota=200),
            item("v", "only", profit=1, cost=1, quota=100),
        ]
    )
    constraints = Constraints(quota_bounds={"u": QuotaBounds(120, 180)})
    relaxed = solve(frame, constraints, mode="relaxation", solver=solver)
    assert relaxed.objective == pytest.approx(12.6, abs=1e-6)
    result = solve(frame, constraints, solver=solver)
    assert chosen(result) == {"u": "q150", "v": "only"}
    assert result.integrality_gap == pytest.approx(3.6, abs=1e-6)
    assert {"quota_floor[u]", "quota_ceiling[u]"} <= set(result.shadow_prices.index)
    with pytest.raises(SpmoptInputError, match="'nowhere'"):
        solve(frame, Constraints(quota_bounds={"nowhere": (1, 2)}), solver=solver)


def test_pay_dispersion(solver):
    """One rep per unit. a: lo (pay 100, profit 12) or hi (200, 10); b: lo (100, 10) or hi
    (300, 15). Unconstrained: (a lo, b hi) = 27 with pay ratio 3. With max ratio 2.5 the
    binary options are (lo, lo) 22, (hi, lo) 20, (hi, hi) 25: (hi, hi) = 25.

    LP: α, β weights of the hi plans; pay_b = 100 + 200β ≤ 2.5(100 + 100α) binds, and profit
    22 − 2α + 5β is best at β = 1, α = 0.2: 26.6. With ratio k, α = 3/k − 1 and the profit is
    29 − 6/k: shadow price 6/k² = 0.96 per unit of ratio.
    """
    frame = responses(
        [
            item("a", "lo", profit=12, cost=100),
            item("a", "hi", profit=10, cost=200),
            item("b", "lo", profit=10, cost=100),
            item("b", "hi", profit=15, cost=300),
        ]
    )
    assert solve(frame, Constraints(), solver=solver).objective == pytest.approx(27.0)
    constraints = Constraints(pay_dispersion=PayDispersion(2.5))
    relaxed = solve(frame, constraints, mode="relaxation", solver=solver)
    assert relaxed.objective == pytest.approx(26.6, abs=1e-6)
    assert relaxed.shadow_price("pay_dispersion") == pytest.approx(0.96, abs=1e-6)
    result = solve(frame, constraints, solver=solver)
    assert chosen(result) == {"a": "hi", "b": "hi"}


# --- shadow prices against finite differences ------------------------------------------------


def random_table(seed: int = 7, units: int = 20, candidates: int = 5):
    """A random response table and per-scenario samples (40 scenarios)."""
    g = RandomStreams(seed).generator("test_lp_shadow_prices")
    n = units * candidates
    revenue = g.uniform(50, 150, n)
    incentive = g.uniform(5, 40, n)
    reps = np.repeat(g.integers(1, 5, units), candidates).astype(float)
    frame = pd.DataFrame(
        {
            "unit": np.repeat([f"u{i}" for i in range(units)], candidates),
            "candidate": np.tile([f"c{j}" for j in range(candidates)], units),
            "revenue": revenue,
            "margin": 0.5 * revenue,
            "incentive_cost": incentive,
            "base_cost": 10.0 * reps,
            "discount_cost": g.uniform(0, 2, n),
            "certainty_equivalent": g.uniform(90, 130, n),
            "outside_option": 100.0,
            "p_quota": g.uniform(0.2, 0.9, n),
            "reps": reps,
            "quota": g.uniform(50, 150, n),
            "attrition": 0.1,
        }
    )
    scenarios = 40
    shocks = g.lognormal(0.0, 0.4, (n, scenarios))
    cost = (incentive + 10.0 * reps)[:, None] * shocks
    samples = pd.DataFrame(
        {
            "unit": np.repeat(frame["unit"].to_numpy(), scenarios),
            "candidate": np.repeat(frame["candidate"].to_numpy(), scenarios),
            "scenario": np.tile(np.arange(scenarios), n),
            "comp_cost": cost.ravel(),
        }
    )
    frame["share_below_outside_option"] = g.uniform(0.0, 0.6, n)
    return frame, samples


def binding_constraints(frame, samples, solver) -> dict[str, tuple[Constraints, str]]:
    """For each family: constraints under which it binds, and the parameter's field path.

    Each parameter is set 30 % of the way from its value at the unconstrained LP optimum x_f
    towards its value at an extreme choice x_0 (cheapest, most revenue, most quota …). The
    family's function is linear (or, for CVaR and the cost-of-sales ratio, convex or monotone)
    along the segment from x_f to x_0, so the constraint is feasible and binds.
    """
    loose = Constraints(cvar=CVaRLimit(0.9, 1e12))  # reports the CVaR at α = 0.9
    free = solve(frame, loose, samples=samples, mode="relaxation", solver=solver).totals
    group = frame.groupby("unit", sort=False)
    comp = frame["incentive_cost"] + frame["base_cost"]
    cheapest = comp.groupby(frame["unit"], sort=False).idxmin().to_numpy()
    keyed = samples.pivot(index=["unit", "candidate"], columns="scenario", values="comp_cost")
    picked = pd.MultiIndex.from_frame(frame.loc[cheapest, ["unit", "candidate"]])
    cheapest_cvar = tail_cvar(keyed.loc[picked].sum().to_numpy(), 0.9)
    # Dinkelbach step: per unit, the plan minimising C − r_f·R has cost of sales below r_f
    ratio = free["cost_of_sales"]
    lean = (comp - ratio * frame["revenue"]).groupby(frame["unit"], sort=False).idxmin()
    lean_cos = comp[lean].sum() / frame.loc[lean, "revenue"].sum()
    reps = group["reps"].first()
    at_quota = frame["reps"] * frame["p_quota"]
    shares = at_quota.groupby(frame["unit"], sort=False)
    quota = (frame["reps"] * frame["quota"]).groupby(frame["unit"], sort=False).max().sum()

    def towards(now: float, extreme: float) -> float:
        return now + 0.3 * (extreme - now)

    share = free["share_at_quota"]
    below = frame["reps"] * frame["share_below_outside_option"]
    fewest_below = below.groupby(frame["unit"], sort=False).min().sum() / reps.sum()
    return {
        "rep_participation": (
            Constraints(
                rep_participation=RepParticipation(
                    towards(free["share_below_outside_option"], fewest_below)
                )
            ),
            "rep_participation.max_share",
        ),
        "budget": (Constraints(budget=towards(free["comp_cost"], comp[cheapest].sum())), "budget"),
        "cos_ceiling": (
            Constraints(cos_ceiling=towards(ratio, lean_cos)),
            "cos_ceiling",
        ),
        "revenue_target": (
            Constraints(revenue_target=towards(free["revenue"], group["revenue"].max().sum())),
            "revenue_target",
        ),
        "cvar": (
            Constraints(cvar=CVaRLimit(0.9, towards(free["comp_cost_cvar"], cheapest_cvar))),
            "cvar.limit",
        ),
        "attain_floor": (
            Constraints(
                quota_share=QuotaShare(low=towards(share, shares.max().sum() / reps.sum()))
            ),
            "quota_share.low",
        ),
        "attain_ceiling": (
            Constraints(
                quota_share=QuotaShare(high=towards(share, shares.min().sum() / reps.sum()))
            ),
            "quota_share.high",
        ),
        "quota_coverage": (
            Constraints(quota_coverage=QuotaCoverage(towards(free["quota_total"], quota))),
            "quota_coverage.company_target",
        ),
    }


def _with(constraints: Constraints, path: str, value: float) -> Constraints:
    if "." not in path:
        return dataclasses.replace(constraints, **{path: value})
    outer, inner = path.split(".")
    return dataclasses.replace(
        constraints, **{outer: dataclasses.replace(getattr(constraints, outer), **{inner: value})}
    )


def _get(constraints: Constraints, path: str) -> float:
    value = constraints
    for part in path.split("."):
        value = getattr(value, part)
    return value


def priced_rows(frame, samples, solver) -> dict[str, tuple[object, float]]:
    """For each constraint row to price: (make, p), ``make(p)`` the constraints under which the
    row binds at parameter p. Every family of :func:`binding_constraints`, plus pay dispersion
    (ratio 30 % of the way from the free optimum's towards 1) and a quota floor and ceiling on
    one unit (30 % of the way from its free quota towards its largest or smallest)."""
    rows: dict[str, tuple[object, float]] = {}
    for family, (constraints, path) in binding_constraints(frame, samples, solver).items():
        rows[family] = (
            lambda value, c=constraints, path=path: _with(c, path, value),
            _get(constraints, path),
        )
    free = solve(frame, Constraints(), mode="relaxation", solver=solver)
    x = free.weights["weight"].to_numpy()
    pay = (frame["incentive_cost"] + frame["base_cost"]) / frame["reps"]
    per_unit = (pay * x).groupby(frame["unit"], sort=False).sum()
    ratio = float(per_unit.max() / per_unit.min())
    rows["pay_dispersion"] = (
        lambda value: Constraints(pay_dispersion=PayDispersion(value)),
        1.0 + 0.7 * (ratio - 1.0),
    )
    quota = frame["quota"]
    unit_quota = (quota * x).groupby(frame["unit"], sort=False).sum()
    span = quota.groupby(frame["unit"], sort=False).agg(["min", "max"])
    unit = str((span["max"] - unit_quota).idxmax())
    rows[f"quota_floor[{unit}]"] = (
        lambda value, unit=unit: Constraints(quota_bounds={unit: QuotaBounds(value, None)}),
        unit_quota[unit] + 0.3 * (span.loc[unit, "max"] - unit_quota[unit]),
    )
    unit = str((unit_quota - span["min"]).idxmax())
    rows[f"quota_ceiling[{unit}]"] = (
        lambda value, unit=unit: Constraints(quota_bounds={unit: QuotaBounds(None, value)}),
        unit_quota[unit] + 0.3 * (span.loc[unit, "min"] - unit_quota[unit]),
    )
    return rows


PRICED_ROWS = [
    "rep_participation",
    "budget",
    "cos_ceiling",
    "revenue_target",
    "cvar",
    "attain_floor",
    "attain_ceiling",
    "quota_coverage",
    "pay_dispersion",
    "quota_floor",
    "quota_ceiling",
]
BINARY_MODES = {
    "relaxation": {},
    "round": {},
    "milp": {"gap_rel": 1e-6, "time_limit_s": 30},
}


@pytest.mark.parametrize("mode", list(BINARY_MODES))
@pytest.mark.parametrize("family", PRICED_ROWS)
def test_shadow_price_is_the_derivative_of_the_lp_optimum(solver, family, mode):
    """Shadow price vs (v(p) − v(p − h))/h and (v(p + h) − v(p))/h, v the LP optimum (re-solved
    with the parameter moved), whatever the mode that produced the price: in ``round`` and
    ``milp`` mode the returned choice is binary and differs from the LP's in the fractional
    units, and candidates' revenues, quotas and pays differ, so a price converted at the
    binary choice (Σ x·R for the cost-of-sales ratio, π_min for pay dispersion) would be off.

    For right-hand-side parameters v is concave and piecewise linear, so the dual lies between
    the two quotients; for ratio parameters (cos_ceiling, quota share, pay dispersion) v is
    smooth at a generic point and both quotients approach the shadow price. The constraint
    binds (non-zero price).
    """
    frame, samples = random_table()
    rows = priced_rows(frame, samples, solver)
    row = next(name for name in rows if name.split("[")[0] == family)
    make, p = rows[row]
    h = 1e-5 * max(1.0, abs(p))

    def value(parameter: float) -> float:
        return solve(
            frame, make(parameter), samples=samples, mode="relaxation", solver=solver
        ).objective

    result = solve(frame, make(p), samples=samples, mode=mode, solver=solver, **BINARY_MODES[mode])
    price = result.shadow_price(row)
    here = result.lp_bound
    left = (here - value(p - h)) / h
    right = (value(p + h) - here) / h
    tolerance = 1e-3 * max(1.0, abs(price))
    assert abs(price) > 1e-6
    assert min(left, right) - tolerance <= price <= max(left, right) + tolerance
    assert right - tolerance <= left  # concavity (locally, for every family here)
    if mode != "relaxation":
        # the shadow prices are a property of the LP, whatever was done after it
        relaxed = solve(frame, make(p), samples=samples, mode="relaxation", solver=solver)
        assert price == pytest.approx(relaxed.shadow_price(row), rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("mode", list(BINARY_MODES))
def test_participation_price_is_the_derivative_of_the_lp_optimum(solver, mode):
    """``participation[u]`` has no user parameter: its price is what letting unit u put weight
    on its forbidden plans is worth per unit of weight. Checked against the LP optimum re-solved
    with that row's right-hand side raised from 0 to h (the row only has a right derivative:
    weights are non-negative), for a unit whose unconstrained choice is forbidden."""
    frame, samples = random_table()
    constraints = Constraints(participation=True)
    free = solve(frame, Constraints(), mode="relaxation", solver=solver).choice
    bad = free["certainty_equivalent"] < free["outside_option"]
    assert bad.any()
    unit = str(free.loc[bad, "unit"].iloc[0])
    name = f"participation[{unit}]"
    result = solve(frame, constraints, mode=mode, solver=solver, **BINARY_MODES[mode])
    price = result.shadow_price(name)
    h = 1e-4
    problem, index = build_model(frame, constraints)
    index.rows[name].changeRHS(h)
    problem.solve(pulp.HiGHS(msg=False))
    assert pulp.LpStatus[problem.status] == "Optimal"
    right = (pulp.value(problem.objective) - result.lp_bound) / h
    assert price > 1e-6
    assert price == pytest.approx(right, rel=1e-6)


def test_dual_signs_follow_the_row_senses(solver):
    """In a maximisation, relaxing a ≤ row (raising its rhs) cannot hurt: dual ≥ 0; a ≥ row:
    dual ≤ 0 — whatever sign convention the backend uses internally. Each family binds here."""
    frame, samples = random_table()
    for family, (constraints, _) in binding_constraints(frame, samples, solver).items():
        result = solve(frame, constraints, samples=samples, mode="relaxation", solver=solver)
        report = result.constraint_report.set_index("constraint")
        expected = 1.0 if report.loc[family, "sense"] == "<=" else -1.0
        assert expected * report.loc[family, "dual"] > 1e-9, family
        others = report.drop(index=family)
        assert (others.loc[others["sense"] == "<=", "dual"] >= -1e-9).all(), family
