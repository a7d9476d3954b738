"""Dynamic policy: backward induction over the plan year, state = attainment to date.

Within each measurement period (the year, or each quarter / month when the plan resets), a rep
reviews attainment A (credited / period quota) at the start of each review block of L months
(``cadence``: month L = 1, quarter L = 3, year L = 12) and holds an effort e over the block.
The block's sales are normal with mean ``x_b·(h + k·e)`` and variance ``x_b·σ²`` (``x_b`` the
block's seasonality × ramp exposure); effort costs ``(L/12)·c·e^γ/γ``. With CARA utility over
total pay minus total cost, certainty equivalents compose exactly, so

    W_B(A) = pay(A)                         (period payout against period attainment)
    W_b(A) = max_{e ≥ 0}  CE_ε[ W_{b+1}(A + (x_b(h + k·e) + ε)/Q) ] − (L/12)·c·e^γ/γ.

Periods are independent (attainment resets), so the year's certainty equivalent is base salary
plus the sum of each period's W_0(0).

Numerics, per rep type on its own uniform grid of attainment (linear extrapolation outside):
* the last block's expectation is closed form against the payout curve (exact with jumps);
  earlier ones use Gauss–Hermite quadrature of the interpolated W_{b+1};
* the inner maximisation uses V(y) = CE[W(y + ε)] with V′ from central differences interpolated
  linearly (V locally quadratic): on each reachable segment the first-order condition
  k·D·V′(y(e)) = (L/12)·c·e^(γ−1) is solved and clipped to the segment, and the best
  candidate wins; effort errors shrink roughly with the square of the grid step.
Everything is vectorised over rep types and grid points; Python loops run over blocks only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from spmopt.errors import SpmoptInputError
from spmopt.reps._checks import choice, number
from spmopt.reps.behaviour.contract import EffortModel, EffortPolicy
from spmopt.reps.behaviour.static import effort_cost, effort_upper_bound, upward_jumps
from spmopt.reps.expectation import normal_pay_moments
from spmopt.reps.seasonality import MONTHS
from spmopt.reps.situation import Situation

CADENCE_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def _interp(grid_lo, step, values, y):
    """Linear interpolation of per-row uniform-grid ``values`` (N, n) at ``y`` (N, ...)."""
    n = values.shape[1]
    position = (y - grid_lo.reshape((-1,) + (1,) * (y.ndim - 1))) / step.reshape(
        (-1,) + (1,) * (y.ndim - 1)
    )
    index = np.clip(np.floor(position), 0, n - 2).astype(np.intp)
    frac = position - index
    rows = values.reshape(values.shape[:1] + (1,) * (y.ndim - 1) + (n,))
    rows = np.broadcast_to(rows, y.shape + (n,))
    left = np.take_along_axis(rows, index[..., None], axis=-1)[..., 0]
    right = np.take_along_axis(rows, index[..., None] + 1, axis=-1)[..., 0]
    return left + frac * (right - left)


def _certainty_equivalent(values, weights, r):
    """CE over quadrature nodes on the last axis with per-row risk aversion r (N,)."""
    r = r.reshape((-1,) + (1,) * (values.ndim - 2))
    mean = np.sum(values * weights, axis=-1)
    low = values.min(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        tilted = np.sum(weights * np.exp(-r[..., None] * (values - low[..., None])), axis=-1)
        ce = low - np.log(tilted) / np.where(r > 0, r, 1.0)
    spread = values.max(axis=-1) - low
    return np.where(r * np.maximum(spread, 1.0) > 1e-7, ce, mean)


@dataclass(frozen=True, eq=False)
class DynamicPolicy(EffortPolicy):
    """Solved dynamic policy: effort and value tables on per-rep attainment grids.

    ``effort_table`` and ``value_table`` have shape (blocks, N, n): the decision and value at the
    start of each review block for attainment ``grid_lo + step·j`` (period attainment to date).
    """

    grid_lo: np.ndarray
    step: np.ndarray
    effort_table: np.ndarray
    value_table: np.ndarray
    block_months: int
    period_months: int
    base_salary: np.ndarray

    @property
    def review_months(self) -> tuple[int, ...]:
        return tuple(range(0, MONTHS, self.block_months))

    @property
    def size(self) -> int:
        return self.effort_table.shape[1]

    @property
    def grid_points(self) -> int:
        return self.effort_table.shape[2]

    def grid(self, rep_index=None) -> np.ndarray:
        """Attainment grids (N, n)."""
        rows = slice(None) if rep_index is None else np.asarray(rep_index)
        return self.grid_lo[rows, None] + self.step[rows, None] * np.arange(self.grid_points)

    def _lookup(self, table, rep_index, month, attainment):
        rep_index, month, attainment = np.broadcast_arrays(
            np.asarray(rep_index, dtype=np.intp), np.asarray(month), np.asarray(attainment, float)
        )
        block = np.asarray(month, dtype=np.intp) // self.block_months
        n = self.grid_points
        position = (attainment - self.grid_lo[rep_index]) / self.step[rep_index]
        position = np.clip(position, 0.0, n - 1.0)
        index = np.minimum(np.floor(position).astype(np.intp), n - 2)
        frac = position - index
        left = table[block, rep_index, index]
        right = table[block, rep_index, index + 1]
        return left + frac * (right - left)

    def effort(self, rep_index, month, attainment) -> np.ndarray:
        """Effort chosen at the review starting ``month``'s block, at attainment then seen."""
        return np.maximum(self._lookup(self.effort_table, rep_index, month, attainment), 0.0)

    def value(self, rep_index, month, attainment) -> np.ndarray:
        """Certainty equivalent of the rest of the measurement period (pay − cost) [currency]."""
        return self._lookup(self.value_table, rep_index, month, attainment)

    def certainty_equivalent(self) -> np.ndarray:
        """Each rep's certainty equivalent of the year at its start, base salary included (N,)."""
        blocks_per_period = self.period_months // self.block_months
        starts = np.arange(0, self.effort_table.shape[0], blocks_per_period)
        rows = np.arange(self.size)
        total = np.zeros(self.size)
        for block in starts:  # at most 12 periods
            total += self.value(rows, block * self.block_months, 0.0)
        return self.base_salary + total


@dataclass(frozen=True)
class DynamicBestResponse(EffortModel):
    """Effort model ``"dynamic"``: backward induction on (month, attainment to date).

    Parameters
    ----------
    cadence:
        How often reps see their attainment and re-decide: ``month``, ``quarter`` or ``year``
        (at most the plan's measurement period).
    grid_points:
        Attainment grid size per rep type (≥ 50; accuracy improves roughly with its square).
    quadrature_nodes:
        Gauss–Hermite nodes for the expectation over a block's sales shock.
    attainment_max:
        Top of the attainment grid; default: beyond every kink of the plan and the attainment
        reachable with the largest sensible effort.
    ratchet:
        Optional :class:`~spmopt.reps.behaviour.ratchet.RatchetAnticipation` (annual plans).
    """

    cadence: str = "month"
    grid_points: int = 301
    quadrature_nodes: int = 48
    attainment_max: float | None = None
    ratchet: object = None
    name: ClassVar[str] = "dynamic"

    def __post_init__(self):
        choice("behaviour.effort.cadence", self.cadence, CADENCE_MONTHS)
        number("behaviour.effort.grid_points", self.grid_points, low=50, high=20001, integer=True)
        number(
            "behaviour.effort.quadrature_nodes",
            self.quadrature_nodes,
            low=4,
            high=200,
            integer=True,
        )
        if self.attainment_max is not None:
            number("behaviour.effort.attainment_max", self.attainment_max, low=0, low_open=True)

    def solve(self, situation: Situation) -> DynamicPolicy:
        sales = situation.sales
        if not getattr(sales, "location_family", False):
            raise SpmoptInputError(
                f"behaviour.effort: the dynamic policy needs a location-family sales technology "
                f"(NormalSales); got {type(sales).__name__}"
            )
        period = situation.measurement_months
        block = CADENCE_MONTHS[self.cadence]
        if block > period:
            raise SpmoptInputError(
                f"behaviour.effort.cadence: expected a review at least once per measurement "
                f"period ({period} months); got '{self.cadence}'"
            )
        if period % block:
            raise SpmoptInputError("behaviour.effort.cadence: must divide the measurement period")
        return _solve(self, situation, period, block)


def _solve(model: DynamicBestResponse, situation: Situation, period: int, block: int):
    reps = situation.reps
    n_reps = len(reps)
    h, k, c = reps.base_sales, reps.effectiveness, reps.effort_cost
    gamma, r = reps.effort_exponent, reps.risk_aversion
    period_quota = situation.quota * period / MONTHS
    pay = situation.period_pay
    if model.ratchet is not None:
        if period != MONTHS:
            raise SpmoptInputError(
                "behaviour.ratchet: ratchet anticipation needs an annually measured plan"
            )
        pay = model.ratchet.adjusted_pay(situation)
    pay = pay.broadcast(n_reps).scale_x(period_quota)  # pay against period attainment
    sd_annual = situation.sales.sd_annual(reps)
    productivity = situation.productivity  # (N, 12)
    n_blocks = MONTHS // block
    exposure = productivity.reshape(n_reps, n_blocks, block).sum(axis=2)  # (N, blocks)
    cost_scale = c * block / MONTHS
    # effort bound and grid
    s_max = pay.max_slope()
    jumps = upward_jumps(pay)
    drift = exposure / period_quota[:, None]  # attainment per unit of (h + k·e)
    e_hi = effort_upper_bound(s_max, jumps, k * drift.max(axis=1), cost_scale, gamma)
    finite_b = np.where(np.isfinite(pay.breakpoints), pay.breakpoints, 0.0).max(axis=1)
    period_exposure = exposure.reshape(n_reps, MONTHS // period, period // block).sum(axis=2)
    reach = (
        (h + k * e_hi) * period_exposure.max(axis=1)
        + 5 * sd_annual * np.sqrt(period_exposure.max(axis=1))
    ) / period_quota
    if model.attainment_max is not None:
        top = np.full(n_reps, float(model.attainment_max))
    else:
        top = np.maximum.reduce([1.25 * finite_b, reach, np.full(n_reps, 1.5)])
    n = int(model.grid_points)
    grid_lo = np.zeros(n_reps)
    step = top / (n - 1)
    grid = grid_lo[:, None] + step[:, None] * np.arange(n)
    nodes, weights = np.polynomial.hermite_e.hermegauss(int(model.quadrature_nodes))
    weights = weights / weights.sum()

    effort_table = np.empty((n_blocks, n_reps, n))
    value_table = np.empty((n_blocks, n_reps, n))
    blocks_per_period = period // block
    next_value = None
    for b in range(n_blocks - 1, -1, -1):  # backward over review blocks (≤ 12)
        last_in_period = (b + 1) % blocks_per_period == 0
        sd = sd_annual * np.sqrt(exposure[:, b]) / period_quota  # attainment units
        if last_in_period:
            lo = pay.breakpoints[:, None, :]
            hi = pay.upper_ends()[:, None, :]
            a = pay.intercepts[:, None, :]
            s = pay.slopes[:, None, :]
            safe = np.where(sd > 0, sd, 1.0)
            _, v = normal_pay_moments(
                grid, safe[:, None], lo, hi, a, s, np.broadcast_to(r[:, None], grid.shape)
            )
            if np.any(sd == 0):
                v = np.where((sd > 0)[:, None], v, pay(grid))
        else:
            shocked = grid[:, :, None] + sd[:, None, None] * nodes
            v = _certainty_equivalent(_interp(grid_lo, step, next_value, shocked), weights, r)
        d = drift[:, b]
        effort, value = _maximise(
            v, grid, step, d, h, k, cost_scale[:, None] * 0 + cost_scale[:, None], gamma, e_hi
        )
        effort_table[b] = effort
        value_table[b] = value
        next_value = value
    return DynamicPolicy(
        grid_lo=grid_lo,
        step=step,
        effort_table=effort_table,
        value_table=value_table,
        block_months=block,
        period_months=period,
        base_salary=situation.base_salary,
    )


def _maximise(v, grid, step, drift, h, k, cost_scale, gamma, e_hi):
    """max over e ≥ 0 of V(A + D·(h + k·e)) − cost(e), V known on the grid.

    V′ is taken by central differences at the grid points and interpolated linearly, so V is
    locally quadratic on each segment; the first-order condition k·D·V′(y(e)) = cost′(e) is
    solved on every reachable segment (closed form for γ = 2, Newton otherwise), clipped to the
    segment, and the best candidate (with the segment ends) wins. Returns (effort, value), (N, n).
    """
    n_reps, n = v.shape
    cost_scale = cost_scale[:, 0]
    dv = np.empty_like(v)
    dv[:, 1:-1] = (v[:, 2:] - v[:, :-2]) / (2 * step[:, None])
    dv[:, 0] = (v[:, 1] - v[:, 0]) / step
    dv[:, -1] = (v[:, -1] - v[:, -2]) / step
    curvature = np.zeros_like(v)  # d²V on segment l: (V'_{l+1} − V'_l)/Δ; 0 on the open end
    curvature[:, :-1] = np.diff(dv, axis=1) / step[:, None]
    start = grid + (drift * h)[:, None]  # y at zero effort (N, n)
    span = (drift * k * e_hi) / step  # segments crossed at the top effort
    band = int(np.ceil(np.nanmax(span))) + 2 if n_reps else 2
    band = max(2, min(band, n))
    first = np.clip(np.floor((start - grid[:, :1]) / step[:, None]), 0, n - 1).astype(np.intp)
    segments = np.minimum(first[:, :, None] + np.arange(band), n - 1)  # (N, n, band)
    rows = np.arange(n_reps)[:, None, None]
    seg_lo = grid[:, :1, None] + step[:, None, None] * segments
    seg_hi = np.where(segments >= n - 1, np.inf, seg_lo + step[:, None, None])
    dk = (drift * k)[:, None, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        e_lo = np.where(dk > 0, (seg_lo - start[:, :, None]) / dk, 0.0)
        e_top = np.where(dk > 0, (seg_hi - start[:, :, None]) / dk, np.inf)
    e_lo = np.maximum(e_lo, 0.0)
    e_top = np.minimum(e_top, e_hi[:, None, None])
    feasible = e_top >= e_lo
    e_top = np.maximum(e_top, e_lo)
    v0 = v[rows, segments]
    d0 = dv[rows, segments]
    m = curvature[rows, segments]
    cs = cost_scale[:, None, None]
    g = gamma[:, None, None]
    offset = start[:, :, None] - seg_lo  # y(e) − y_l = offset + dk·e
    # FOC: dk·(d0 + m·(offset + dk·e)) = cs·e^(γ−1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        quadratic = np.all(gamma == 2.0)
        if quadratic:
            denominator = cs - dk * dk * m
            e_star = np.where(denominator > 0, dk * (d0 + m * offset) / denominator, e_top)
        else:
            e_star = np.power(np.maximum(dk * d0, 0.0) / cs, 1.0 / (g - 1.0))
            for _ in range(8):  # Newton on the FOC, safeguarded by the clip below
                e_safe = np.clip(e_star, e_lo, e_top)
                residual = dk * (d0 + m * (offset + dk * e_safe)) - cs * np.power(e_safe, g - 1)
                slope = dk * dk * m - cs * (g - 1) * np.power(np.maximum(e_safe, 1e-300), g - 2)
                e_star = np.where(slope < 0, e_safe - residual / slope, e_top)
    e_star = np.nan_to_num(e_star, nan=0.0, posinf=0.0)

    def objective(effort):
        t = offset + dk * effort
        value = v0 + d0 * t + 0.5 * m * t * t
        return value - effort_cost(effort, cs, g)

    best_effort = None
    best_value = None
    for candidate in (
        np.clip(e_star, e_lo, e_top),
        e_lo,
        np.where(np.isfinite(e_top), e_top, e_lo),
    ):
        value = np.where(feasible, objective(candidate), -np.inf)
        index = np.argmax(value, axis=2)[..., None]
        effort = np.take_along_axis(candidate, index, axis=2)[..., 0]
        value = np.take_along_axis(value, index, axis=2)[..., 0]
        if best_value is None:
            best_effort, best_value = effort, value
        else:
            better = value > best_value
            best_effort = np.where(better, effort, best_effort)
            best_value = np.where(better, value, best_value)
    return best_effort, best_value
