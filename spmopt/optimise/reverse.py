"""Reverse questions finance asks: what does it take to reach a target?

- :func:`sales_for_payout`: the sales (attainment) a rep needs for a target annual incentive,
  by inverting the plan's payout curve exactly (piecewise linear with jumps: no search).
- :func:`solve_lever`: the quota (or rate) multiple at which a simulated company figure meets a
  target, by bisection on simulations that share their random numbers (common random numbers:
  every multiple sees the same markets, so the figure is a deterministic function of the
  multiple and bisection converges); :func:`budget_for_share_at_quota` and
  :func:`quota_for_cost_of_sales` are its two finance questions.

The multiple is found to within ``tolerance`` (default 0.005, i.e. half a percent of quota) of
a crossing of the *simulated* figure; the figure itself carries sampling error, reported as its
standard error over replications at the solution.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError
from spmopt.plan.curve import PayoutCurve
from spmopt.plan.plan import Plan
from spmopt.scenario import Scenario


# ------------------------------------------------------------------ exact inversion of a curve
def first_reaching(curve: PayoutCurve, target: float) -> tuple[float, bool]:
    """The smallest x ≥ the curve's first breakpoint where ``curve(x) ≥ target``, and whether it
    is attained there (False when the curve reaches the target only just after x — a tier
    boundary paying the lower tier, ``boundary = "lower"`` — so any x above it will do).

    Exact: each piece is linear, so the crossing is solved piece by piece, in order.
    Raises ValueError when the curve never reaches ``target``.

    >>> curve = PayoutCurve([0.0, 1.0], right=[0.0, 100.0], slopes=[100.0, 150.0])
    >>> first_reaching(curve, 130.0)
    (1.2, True)
    """
    b, right, slopes, at = curve.breakpoints, curve.right, curve.slopes, curve.at
    for k in range(b.size):
        end = b[k + 1] if k + 1 < b.size else np.inf
        if at[k] >= target:
            return float(b[k]), True
        if right[k] >= target:
            return float(b[k]), False
        if slopes[k] > 0:
            x = b[k] + (target - right[k]) / slopes[k]
            if x < end:
                # rounding may leave curve(x) a hair below the target: step to the next float
                while curve(x) < target and x < end:
                    x = np.nextafter(x, np.inf)
                if x < end:
                    return float(x), True
    highest = max(float(np.max(at)), float(np.max(right)))
    raise ValueError(f"the curve never reaches {target:,.2f} (its highest value is {highest:,.2f})")


@dataclass(frozen=True)
class SalesNeeded:
    """Sales a rep needs for a target annual incentive (see :func:`sales_for_payout`).

    ``attainment`` [ratio] on every measure; ``sales`` [currency] credited per measure
    (attainment × the measure's annual quota); ``incentive`` [currency/yr] the plan pays there
    (above the target when a bonus or retroactive tier jumps past it); ``attained``: False when
    the target is reached only just above ``attainment`` (a boundary paying the lower tier).
    """

    plan_id: str
    target: float
    attainment: float
    sales: dict[str, float]
    incentive: float
    attained: bool

    def to_frame(self) -> pd.DataFrame:
        """One row per measure: ``plan_id, measure, attainment, sales, incentive, target``."""
        return pd.DataFrame(
            [
                {
                    "plan_id": self.plan_id,
                    "measure": measure,
                    "attainment": self.attainment,
                    "sales": amount,
                    "incentive": self.incentive,
                    "target": self.target,
                }
                for measure, amount in self.sales.items()
            ]
        )


def sales_for_payout(plan: Plan, incentive: float, *, quota: float | None = None) -> SalesNeeded:
    """The least attainment (and sales) at which ``plan`` pays at least ``incentive`` a year.

    Inverts :meth:`Plan.attainment_curve` exactly (every measure at the same attainment, credits
    spread evenly over the year, as in the payout table); ``quota`` gives a rep's own annual
    quota (single-measure plans).

    Examples
    --------
    saas-ae pays 100,000 at quota and 1.5× the base rate above it, so 130,000 needs
    100% + 30,000 / 150,000 = 120% of 960,000:

    >>> plan = Plan.load("scenarios/plans/saas-ae.toml")
    >>> needed = sales_for_payout(plan, 130_000)
    >>> round(needed.attainment, 12), round(needed.sales["bookings"], 2)
    (1.2, 1152000.0)
    """
    if not np.isfinite(incentive) or incentive < 0:
        raise SpmoptInputError(f"the target incentive must be ≥ 0, not {incentive}")
    curve = plan.attainment_curve(quota=quota)
    try:
        attainment, attained = first_reaching(curve, float(incentive))
    except ValueError:
        top = float(curve(np.array([1e6]))[0])
        raise SpmoptInputError(
            f"plan '{plan.id}' never pays {incentive:,.2f} {plan.currency} a year; its incentive "
            f"tops out at {top:,.2f} (caps or max_payout)"
        ) from None
    sales = {}
    for measure in plan.measures:
        measure_quota = plan.quota_of_measure(measure).quota if quota is None else quota
        sales[measure] = attainment * measure_quota
    return SalesNeeded(
        plan_id=plan.id,
        target=float(incentive),
        attainment=attainment,
        sales=sales,
        incentive=float(curve(np.array([attainment]))[0]),
        attained=attained,
    )


# ------------------------------------------------------------------ root finding on simulations
LEVER_NAMES = ("quota", "rate")


@dataclass(frozen=True, eq=False)
class LeverSolution:
    """The lever multiple at which a simulated figure meets its target (:func:`solve_lever`).

    ``multiple``: the solution, on the side of the crossing that meets the target;
    ``bracket``: the final interval (width ≤ the tolerance) holding the crossing;
    ``achieved``/``achieved_se``: the figure's mean and standard error over replications at
    ``multiple``; ``comp_cost``/``comp_cost_p90`` [currency/yr]: mean and P90 of comp cost
    there (the budget); ``evaluations``: every multiple tried with its figures.
    """

    lever: str
    metric: str
    target: float
    multiple: float
    bracket: tuple[float, float]
    achieved: float
    achieved_se: float
    comp_cost: float
    comp_cost_p90: float
    revenue: float
    tolerance: float
    replications: int
    evaluations: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The solution as one row (the evaluations are in ``evaluations``)."""
        return pd.DataFrame(
            [
                {
                    "lever": self.lever,
                    "metric": self.metric,
                    "target": self.target,
                    "multiple": self.multiple,
                    "bracket_low": self.bracket[0],
                    "bracket_high": self.bracket[1],
                    "achieved": self.achieved,
                    "achieved_se": self.achieved_se,
                    "comp_cost": self.comp_cost,
                    "comp_cost_p90": self.comp_cost_p90,
                    "revenue": self.revenue,
                    "tolerance": self.tolerance,
                    "replications": self.replications,
                }
            ]
        )


def _evaluate(
    scenario: Scenario, plan, lever: str, multiple: float, replications, seed, engine
) -> dict:
    """Company figures (means over replications, CRN via ``seed``) with every segment's plan
    (or ``plan``) at ``multiple`` of the lever."""
    from spmopt.optimise.levers import Candidate, apply_levers
    from spmopt.optimise.pipeline import model_for_choice, simulate_model
    from spmopt.run.simulation import run_settings
    from spmopt.sim.streams import RandomStreams

    replications, seed, engine = run_settings(scenario, replications, seed, engine)
    chosen = {}
    for segment, spec in scenario.spec.segments.items():
        base = (
            scenario.plan_of(plan) if isinstance(plan, str) else plan or scenario.plans[spec.plan]
        )
        changed, quota_multiple, _ = apply_levers(base, {lever: multiple}, base.id)
        chosen[segment] = Candidate(
            f"{lever}-{multiple:g}", segment, {lever: multiple}, changed, quota_multiple
        )
    result = simulate_model(
        model_for_choice(scenario, chosen), engine, replications, RandomStreams(seed)
    )
    metrics = result.replication_metrics()
    comp = (metrics["incentive_cost"] + metrics["base_cost"]).to_numpy(dtype=float)
    row = {"multiple": multiple, "comp_cost": comp.mean(), "comp_cost_p90": np.quantile(comp, 0.9)}
    for name in ("revenue", "profit", "cost_of_sales", "share_at_quota"):
        values = metrics[name].to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        row[name] = values.mean()
        row[f"{name}_se"] = values.std(ddof=1) / np.sqrt(values.size) if values.size > 1 else np.nan
    row["replications"] = replications
    return row


def solve_lever(
    scenario: str | Path | Scenario,
    metric: str,
    target: float,
    *,
    meets: str,
    lever: str = "quota",
    bounds: tuple[float, float] = (0.5, 2.0),
    plan: str | Plan | None = None,
    tolerance: float = 0.005,
    replications: int | None = None,
    seed: int | None = None,
    engine: str | None = None,
) -> LeverSolution:
    """The lever multiple, within ``bounds``, at which ``metric`` crosses ``target``.

    ``meets`` is ``"at_least"`` or ``"at_most"``: which side of the target is acceptable; the
    returned multiple is the end of the final bracket on that side. Every evaluation simulates
    the scenario with the same ``seed`` (common random numbers) and ``replications``.
    Bisection stops when the bracket is narrower than ``tolerance`` (multiple units), so about
    log2((high − low) / tolerance) + 2 simulations (10 for the defaults).
    """
    from spmopt.run.simulation import as_scenario

    scenario = as_scenario(scenario)
    if lever not in LEVER_NAMES:
        raise SpmoptInputError(f"unknown lever '{lever}'; expected one of {', '.join(LEVER_NAMES)}")
    if meets not in ("at_least", "at_most"):
        raise SpmoptInputError(f"meets must be 'at_least' or 'at_most', not {meets!r}")
    low, high = (float(b) for b in bounds)
    if not 0 < low < high or tolerance <= 0:
        raise SpmoptInputError(
            f"bounds must satisfy 0 < low < high and the tolerance be > 0 (got {bounds}, "
            f"{tolerance})"
        )
    rows = []

    def figure(multiple: float) -> float:
        row = _evaluate(scenario, plan, lever, multiple, replications, seed, engine)
        rows.append(row)
        return row[metric]

    def ok(value: float) -> bool:
        return value >= target if meets == "at_least" else value <= target

    f_low, f_high = figure(low), figure(high)
    if ok(f_low) == ok(f_high):
        side = "both meet" if ok(f_low) else "neither meets"
        raise SpmoptInputError(
            f"{metric} is {f_low:.4g} at {lever} × {low:g} and {f_high:.4g} at × {high:g}: "
            f"{side} the target {target:g}, so no crossing lies between; widen --bounds"
        )
    good_is_low = ok(f_low)
    while high - low > tolerance:
        middle = (low + high) / 2
        if ok(figure(middle)) == good_is_low:
            low = middle
        else:
            high = middle
    multiple = low if good_is_low else high
    evaluations = pd.DataFrame(rows).drop_duplicates("multiple", keep="last")
    at = evaluations.set_index("multiple").loc[multiple]
    return LeverSolution(
        lever=lever,
        metric=metric,
        target=float(target),
        multiple=float(multiple),
        bracket=(float(low), float(high)),
        achieved=float(at[metric]),
        achieved_se=float(at[f"{metric}_se"]),
        comp_cost=float(at["comp_cost"]),
        comp_cost_p90=float(at["comp_cost_p90"]),
        revenue=float(at["revenue"]),
        tolerance=float(tolerance),
        replications=int(at["replications"]),
        evaluations=evaluations.sort_values("multiple").reset_index(drop=True),
    )


def budget_for_share_at_quota(
    scenario: str | Path | Scenario, share: float, *, lever: str = "quota", **options
) -> LeverSolution:
    """The comp budget needed for ``share`` of reps (seated all year) to reach quota: the
    largest quota multiple (``lever="quota"``) — or the smallest rate multiple
    (``lever="rate"``) — at which the simulated share at quota reaches ``share``; the budget is
    the solution's ``comp_cost`` (mean) or ``comp_cost_p90`` (a budget overrun in 1 year of 10).
    ``options`` go to :func:`solve_lever` (bounds, plan, tolerance, replications, seed, engine).
    """
    if not 0 < share < 1:
        raise SpmoptInputError(f"the target share at quota must be between 0 and 1, not {share}")
    return solve_lever(scenario, "share_at_quota", share, meets="at_least", lever=lever, **options)


def quota_for_cost_of_sales(
    scenario: str | Path | Scenario, ceiling: float, **options
) -> LeverSolution:
    """The smallest quota multiple at which simulated cost of sales ((base + incentive) /
    revenue) is at most ``ceiling``. ``options`` go to :func:`solve_lever`."""
    if not 0 < ceiling < 1:
        raise SpmoptInputError(f"the cost-of-sales target must be between 0 and 1, not {ceiling}")
    return solve_lever(
        scenario, "cost_of_sales", ceiling, meets="at_most", lever="quota", **options
    )
