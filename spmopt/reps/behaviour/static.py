"""Static best response: one effort for the plan year maximising the rep's certainty equivalent.

The rep chooses effort e ≥ 0 to maximise

    CE(e) = base_salary + CE_r[pay(S_e)] − c·e^γ/γ,   CE_r[Y] = −log E[exp(−r·Y)] / r,

where ``pay`` is the plan's full annual payout (thresholds, tiers, accelerators, caps, bonuses)
and S_e the sales technology's distribution at effort e (for normal sales the expectation is
closed form, see :mod:`spmopt.reps.expectation`). CARA utility over ``pay − cost`` gives exactly
this certainty equivalent because the cost is certain. A plan measured per quarter or month is
valued period by period, each period on its own sales and quota, annual terms on top
(:mod:`spmopt.reps.valuation`).

Finding the global optimum. Jumps and accelerators make CE(e) multi-modal, so the search
1. bounds effort: with s_max the steepest slope of pay and J the sum of its upward jumps,
   ``pay(S + Δ) ≤ pay(S) + s_max·Δ + J``; so any e above e_lin = (k·x·s_max/c)^(1/(γ−1)) with
   ``cost(e) − cost(e_lin) − s_max·k·x·(e − e_lin) > J`` is worse than e_lin;
2. evaluates CE on a grid over [0, e_hi] joined with the efforts that put expected sales on each
   breakpoint (and just past it) and each piece's deterministic stationary point;
3. refines two basins by golden-section search between their neighbouring candidates: the best
   candidate's and the best other local maximum's (keeping a refined effort only if strictly
   better), then takes the better of the two. Refining only the best candidate missed narrow
   interior optima: near the gap where pushing for a bonus ties with giving up, the pushing peak
   (width ~σ/k) can sit between two grid candidates that are both worse than e = 0.
   With no noise (σ = 0) the candidates contain the exact optimum.

Everything is vectorised over reps (a loop runs over the refinement iterations only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from spmopt.reps._checks import number
from spmopt.reps.behaviour.contract import EffortModel, TablePolicy
from spmopt.reps.payfunction import StackedPay
from spmopt.reps.population import Population
from spmopt.reps.situation import Situation, as_population
from spmopt.reps.technology import expected_sales
from spmopt.reps.valuation import (
    PayTerm,
    prepare_terms,
    search_terms,
    situation_pay_terms,
    term_exposures,
)

_GOLDEN = (np.sqrt(5) - 1) / 2
_REFINE_ITERATIONS = 32
_NUDGE = 1e-9

RESULT_COLUMNS = (
    "rep_id",
    "effort",
    "expected_sales",
    "expected_pay",
    "certainty_equivalent",
    "effort_cost",
    "p_quota",
    "participates",
)


def effort_cost(effort, cost, exponent) -> np.ndarray:
    """c·e^γ/γ [currency/yr]."""
    effort = np.maximum(np.asarray(effort, dtype=float), 0.0)
    if np.all(np.asarray(exponent) == 2.0):  # the common quadratic cost, without np.power
        return 0.5 * cost * effort * effort
    return cost * np.power(effort, exponent) / exponent


def _col(values, width_like):
    values = np.asarray(values, dtype=float)
    return values.reshape(values.shape + (1,) * (width_like.ndim - values.ndim))


def upward_jumps(pay: StackedPay) -> np.ndarray:
    """Sum of the upward jumps of each rep's pay function (N,)."""
    b = pay.breakpoints[:, 1:]
    right = pay.intercepts[:, 1:] + pay.slopes[:, 1:] * b
    left = pay.intercepts[:, :-1] + pay.slopes[:, :-1] * b
    at = np.where(np.isnan(pay.at[:, 1:]), right, pay.at[:, 1:])
    jump = np.maximum(right, at) - left
    return np.sum(np.where(np.isfinite(jump), np.maximum(jump, 0.0), 0.0), axis=1)


def effort_upper_bound(s_max, jumps, k_x, c, gamma) -> np.ndarray:
    """An effort above which no effort can be optimal (module docstring, step 1), (N,).

    ``s_max``: steepest slope of pay per unit of output; ``jumps``: sum of upward jumps;
    ``k_x``: output per unit of effort; ``c``, ``gamma``: the cost c·e^γ/γ.
    """
    s_max = np.maximum(s_max, 0.0)
    marginal = k_x * s_max
    e_lin = np.power(marginal / c, 1.0 / (gamma - 1.0))

    def excess(e):
        return (
            effort_cost(e, c, gamma) - effort_cost(e_lin, c, gamma) - marginal * (e - e_lin) - jumps
        )

    high = np.maximum(2 * e_lin, 1.0)
    for _ in range(200):  # doubling until dominated (a few iterations)
        short = excess(high) <= 0
        if not short.any():
            break
        high = np.where(short, 2 * high, high)
    low = e_lin.copy()
    for _ in range(60):  # bisection
        mid = (low + high) / 2
        dominated = excess(mid) > 0
        high = np.where(dominated, mid, high)
        low = np.where(dominated, low, mid)
    return np.where(((s_max <= 0) & (jumps <= 0)) | (k_x <= 0), 0.0, high * (1 + 1e-9))


def pay_effort_bound(pay: StackedPay, h, k, c, gamma, x) -> np.ndarray:
    """:func:`effort_upper_bound` for a pay function of sales with output x·(h + k·e)."""
    n = h.shape[0]
    s_max = np.broadcast_to(pay.max_slope(), (n,))
    jumps = np.broadcast_to(upward_jumps(pay), (n,))
    return effort_upper_bound(s_max, jumps, k * x, c, gamma)


def _candidates(pay: StackedPay, h, k, c, gamma, x, e_hi, grid_points, nudge) -> np.ndarray:
    """Candidate efforts (N, M), sorted, within [0, e_hi]."""
    n = h.shape[0]
    grid = e_hi[:, None] * np.linspace(0.0, 1.0, grid_points)
    b = np.broadcast_to(pay.breakpoints[:, 1:], (n, pay.n_pieces - 1))
    kxe = np.where(k * x > 0, k * x, np.inf)[:, None]
    kink = (b / np.where(x > 0, x, 1.0)[:, None] - h[:, None]) * (1.0 / kxe) * x[:, None]
    kink = np.where(np.isfinite(kink), kink, 0.0)
    nudged = kink + _NUDGE * (1.0 + np.abs(kink))
    slopes = np.broadcast_to(pay.slopes, (n, pay.n_pieces))
    stationary = np.power(
        np.maximum(k[:, None] * x[:, None] * slopes, 0.0) / c[:, None],
        1.0 / (gamma[:, None] - 1.0),
    )
    parts = [grid, kink, nudged, stationary] if nudge else [grid, kink, stationary]
    every = np.concatenate(parts, axis=1)
    every = np.clip(every, 0.0, e_hi[:, None])
    return np.sort(every, axis=1)


def solve_static(
    situation: Situation,
    pay: StackedPay | None = None,
    grid_points: int = 48,
) -> dict[str, np.ndarray]:
    """Best responses of every rep: arrays (N,) of effort, expected_sales, expected_pay, … .

    ``pay`` replaces the plan's annual pay as the objective (e.g. with ratchet anticipation);
    ``expected_pay`` and ``certainty_equivalent`` are always reported for the plan's own pay.
    """
    reps = situation.reps
    h, k, c = reps.base_sales, reps.effectiveness, reps.effort_cost
    gamma = reps.effort_exponent
    x = situation.exposure
    plan_terms = situation_pay_terms(situation)
    terms = plan_terms if pay is None else situation_pay_terms(situation, pay)
    search = search_terms(terms)
    exposures = term_exposures(search, situation.productivity)
    e_hi = _terms_effort_bound(search, exposures, h, k, c, gamma, x)
    prepared = _prepare(situation, terms, e_hi)

    def total(effort):
        ce = prepared.certainty_equivalent(effort)
        return ce - effort_cost(effort, _col(c, effort), _col(gamma, effort))

    deterministic = bool(np.any(situation.sales.variance(reps, np.zeros(len(h)), x) == 0))
    candidates = _terms_candidates(
        search, exposures, h, k, c, gamma, e_hi, grid_points, deterministic
    )
    values = total(candidates)
    effort = _refine(total, candidates, values)
    if pay is None:
        expected_pay, ce_pay = prepared.moments(effort[:, None])
    else:
        expected_pay, ce_pay = _prepare(situation, plan_terms, e_hi).moments(effort[:, None])
    cost = effort_cost(effort, c, gamma)
    ce = situation.base_salary + ce_pay[:, 0] - cost
    mean = expected_sales(reps, effort, x)
    p_quota = (
        1.0
        - situation.sales.cdf(
            np.nextafter(situation.quota, -np.inf)[:, None], reps, effort[:, None], x
        )[:, 0]
    )
    return {
        "effort": effort,
        "expected_sales": mean,
        "expected_pay": expected_pay[:, 0],
        "certainty_equivalent": ce,
        "effort_cost": cost,
        "p_quota": p_quota,
        "participates": ce >= reps.outside_option,
    }


def _basins(candidates, values) -> tuple[np.ndarray, np.ndarray]:
    """The best candidate and the best candidate local maximum outside its bracket (N,) each.

    Returns indices into the sorted candidates (N, M). Among numerically tied candidates (a few
    ulps) the least effort is taken. The second basin is the best local maximum (not below its
    distinct neighbours) lying outside the distinct neighbours of the first; it equals the first
    when there is none. Both are refined because a narrow interior optimum (e.g. pushing for a
    bonus under risk aversion and little noise) can sit between two grid candidates that are both
    worse than giving up (e = 0), the other local optimum.
    """
    top = values.max(axis=1, keepdims=True)
    tied = values >= top - 8 * np.finfo(float).eps * np.maximum(1.0, np.abs(top))
    best = np.argmax(tied, axis=1)
    rows = np.arange(values.shape[0])
    best_effort = candidates[rows, best]
    below = np.where(candidates < best_effort[:, None], candidates, -np.inf).max(axis=1)
    above = np.where(candidates > best_effort[:, None], candidates, np.inf).min(axis=1)
    left = np.concatenate([np.full((values.shape[0], 1), -np.inf), values[:, :-1]], axis=1)
    right = np.concatenate([values[:, 1:], np.full((values.shape[0], 1), -np.inf)], axis=1)
    local = (values >= left) & (values >= right)
    outside = (candidates < below[:, None]) | (candidates > above[:, None])
    other = np.where(local & outside, values, -np.inf)
    second = np.where(np.isfinite(other.max(axis=1)), np.argmax(other, axis=1), best)
    return best, second


def _refine(total, candidates, values) -> np.ndarray:
    """The effort maximising ``total`` (a function of efforts (N, E) → values (N, E)), (N,).

    Golden-section search on the bracket (nearest distinct candidates on either side) of each of
    the two best basins found by :func:`_basins`, both vectorised over reps as two columns; a
    refined effort replaces its candidate only if strictly better, and the better basin wins.
    """
    rows = np.arange(values.shape[0])
    starts = np.stack(_basins(candidates, values), axis=1)  # (N, 2)
    start_effort = np.take_along_axis(candidates, starts, axis=1)
    start_value = np.take_along_axis(values, starts, axis=1)
    below = np.where(
        candidates[:, None, :] < start_effort[:, :, None], candidates[:, None, :], -np.inf
    )
    above = np.where(
        candidates[:, None, :] > start_effort[:, :, None], candidates[:, None, :], np.inf
    )
    below, above = below.max(axis=2), above.min(axis=2)
    a = np.where(np.isfinite(below), below, start_effort)
    b = np.where(np.isfinite(above), above, start_effort)
    x1 = b - _GOLDEN * (b - a)
    x2 = a + _GOLDEN * (b - a)
    f1, f2 = total(x1), total(x2)
    for _ in range(_REFINE_ITERATIONS):
        left = f1 >= f2
        b = np.where(left, x2, b)
        a = np.where(left, a, x1)
        new = np.where(left, b - _GOLDEN * (b - a), a + _GOLDEN * (b - a))
        f_new = total(new)
        x1, f1, x2, f2 = (
            np.where(left, new, x2),
            np.where(left, f_new, f2),
            np.where(left, x1, new),
            np.where(left, f1, f_new),
        )
    refined = np.where(f1 >= f2, x1, x2)
    refined_value = np.maximum(f1, f2)
    better = refined_value > start_value + 1e-9 * np.maximum(1.0, np.abs(start_value))
    effort = np.where(better, refined, start_effort)
    value = np.where(better, refined_value, start_value)
    # the first basin (the best candidate) keeps ties, as before
    second = value[:, 1] > value[:, 0]
    return np.where(second, effort[rows, 1], effort[rows, 0])


def _prepare(situation: Situation, terms, e_hi):
    """Expectations of the sum of the pay ``terms`` (each on its span's sales)."""
    reps, productivity = situation.reps, situation.productivity
    return prepare_terms(situation.sales, terms, reps, productivity, effort_max=e_hi)


def _terms_effort_bound(terms: list[PayTerm], exposures, h, k, c, gamma, x) -> np.ndarray:
    """:func:`pay_effort_bound` for pay summed over terms on the sales of their spans: total pay
    rises by at most Σ_t x_t·s_max,t·k·Δe plus all upward jumps when effort rises by Δe."""
    if len(terms) == 1:
        return pay_effort_bound(terms[0].pay, h, k, c, gamma, x)
    n = h.shape[0]
    slope = sum(
        np.broadcast_to(np.maximum(term.pay.max_slope(), 0.0), (n,)) * exposure
        for term, exposure in zip(terms, exposures, strict=True)
    )
    jumps = sum(np.broadcast_to(upward_jumps(term.pay), (n,)) for term in terms)
    return effort_upper_bound(slope, jumps, k, c, gamma)


def _terms_candidates(terms, exposures, h, k, c, gamma, e_hi, grid_points, nudge) -> np.ndarray:
    """:func:`_candidates` of every term at its exposure (the grid once), sorted (N, M)."""
    if len(terms) == 1:
        return _candidates(terms[0].pay, h, k, c, gamma, exposures[0], e_hi, grid_points, nudge)
    parts = [
        _candidates(term.pay, h, k, c, gamma, exposure, e_hi, grid_points if i == 0 else 0, nudge)
        for i, (term, exposure) in enumerate(zip(terms, exposures, strict=True))
    ]
    return np.sort(np.concatenate(parts, axis=1), axis=1)


@dataclass(frozen=True)
class BestResponse:
    """The best response of one rep (money in currency per year).

    ``certainty_equivalent`` includes base salary and subtracts the effort cost;
    ``p_quota`` is the probability that annual sales reach the quota.
    """

    effort: float
    expected_sales: float
    expected_pay: float
    certainty_equivalent: float
    effort_cost: float
    p_quota: float
    participates: bool


def best_response(
    plan,
    rep_or_population,
    sales,
    *,
    seasonality=None,
    ramp=None,
    ratchet=None,
    grid_points: int = 48,
):
    """The effort maximising each rep's certainty equivalent under the plan's full payout.

    Parameters
    ----------
    plan:
        A :class:`spmopt.Plan` (or an attainment :class:`spmopt.PayoutCurve`).
    rep_or_population:
        A :class:`Rep` (returns a :class:`BestResponse`) or a :class:`Population` (returns a
        DataFrame with columns ``rep_id, effort, expected_sales, expected_pay,
        certainty_equivalent, effort_cost, p_quota, participates``, one row per rep).
    sales:
        The technology, :class:`NormalSales` or :class:`DealSales`.
    seasonality, ramp:
        The ramp scales a rep's output; seasonality matters only for plans measured per quarter
        or month (each period's share of the year's sales).
    ratchet:
        A :class:`~spmopt.reps.behaviour.ratchet.RatchetAnticipation`; the rep then also weighs
        the effect of this year's sales on future quotas.

    Examples
    --------
    >>> import spmopt
    >>> from spmopt.reps.population import Rep
    >>> from spmopt.reps.technology import NormalSales
    >>> plan = spmopt.Plan.from_dict({"schema_version": 1, "plan": {"id": "c", "year_start": "2027-01-01",
    ...     "target_incentive": 1e5, "components": [{"id": "b", "measure": "b", "quota": 1e6,
    ...     "tiers": [{"from": 0, "rate": 0.1}]}]}})
    >>> rep = Rep(base_sales=8e5, effectiveness=2e5, effort_cost=1e4)
    >>> round(best_response(plan, rep, NormalSales(sigma=1e5)).effort, 6)  # β·k/c = 0.1·2e5/1e4
    2.0
    """
    number("grid_points", grid_points, low=8, integer=True)
    population = as_population(rep_or_population)
    kwargs = {}
    if seasonality is not None:
        kwargs["seasonality"] = seasonality
    if ramp is not None:
        kwargs["ramp"] = ramp
    situation = Situation(plan, population, sales, **kwargs)
    pay = None if ratchet is None else ratchet.adjusted_pay(situation)
    result = solve_static(situation, pay=pay, grid_points=int(grid_points))
    if not isinstance(rep_or_population, Population):
        if len(population) == 1:
            return BestResponse(**{name: value[0].item() for name, value in result.items()})
    frame = pd.DataFrame({"rep_id": population.rep_ids, **result})
    return frame[list(RESULT_COLUMNS)]


@dataclass(frozen=True)
class StaticBestResponse(EffortModel):
    """Effort model ``"static"``: each rep's best response, held all year."""

    grid_points: int = 48
    ratchet: object = None
    name: ClassVar[str] = "static"

    def __post_init__(self):
        number("behaviour.effort.grid_points", self.grid_points, low=8, integer=True)

    def solve(self, situation: Situation) -> TablePolicy:
        pay = None if self.ratchet is None else self.ratchet.adjusted_pay(situation)
        result = solve_static(situation, pay=pay, grid_points=int(self.grid_points))
        return TablePolicy(result["effort"])
