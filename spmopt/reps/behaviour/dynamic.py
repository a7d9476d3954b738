"""Dynamic policy: backward induction over the plan year, state = attainment to date.

Within each measurement period q (the year, or each quarter / month when the plan resets, with
its share s_q of the annual quota from the plan's ``quota_schedule``), a rep reviews period
attainment a (credited / period quota) at the start of each review block of L months
(``cadence``: month L = 1, quarter L = 3, year L = 12) and holds an effort e over the block.
The block's sales are normal with mean ``x_b·(h + k·e)`` and variance ``x_b·σ²`` (``x_b`` the
block's seasonality × ramp exposure); effort costs ``(L/12)·c·e^γ/γ``. With CARA utility over
total pay minus total cost, certainty equivalents compose exactly, so

    W_{q,B}(a) = pay_q(a) + C_{q+1}(Y₀ + s_q·a)    (period payout, then the rest of the year)
    W_{q,b}(a) = max_{e ≥ 0}  CE_ε[ W_{q,b+1}(a + (x_b(h + k·e) + ε)/(s_q·Q)) ] − (L/12)·c·e^γ/γ

where Y₀ is year-to-date attainment (of the annual quota) at the period's start and
C_{q+1}(Y) = W_{q+1,0}(0 | Y₀ = Y) the value of the remaining periods (C after the last period:
the annually measured terms, e.g. a club bonus, and any ratchet penalty). When nothing is
measured over the year on top of shorter periods, C does not depend on Y and Y₀ drops out of the
state; otherwise the state is (Y₀, a) on a grid of ``year_grid_points`` values of Y₀ per period.
That (Y₀, a) solve uses a coarser attainment grid and fewer quadrature nodes
(``coupled_grid_points``, ``coupled_quadrature_nodes``; errors in ``docs/behaviour.md``).
The year's certainty equivalent is base salary plus W_{0,0}(0 | Y₀ = 0).

Numerics, per rep type on its own uniform grid of attainment, extending ``BELOW_ZERO_SD``
period standard deviations below zero (linear extrapolation outside):
* the last block's expectation is closed form against the period's terminal function (exact
  with jumps; C is linear between its grid points); earlier ones use Gauss–Hermite quadrature
  of the interpolated W_{b+1};
* the inner maximisation uses V(y) = CE[W(y + ε)] with V′ from central differences interpolated
  linearly (V locally quadratic): on each reachable segment the first-order condition
  k·D·V′(y(e)) = (L/12)·c·e^(γ−1) is solved and clipped to the segment, and the best
  candidate wins; effort errors shrink roughly with the square of the grid step.
Everything is vectorised over rep types, year-to-date points and grid points; Python loops run
over blocks (and row chunks that bound memory) only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from spmopt.errors import SpmoptInputError
from spmopt.reps._checks import choice, number
from spmopt.reps.behaviour.contract import EffortModel, EffortPolicy
from spmopt.reps.behaviour.static import effort_cost, effort_upper_bound, upward_jumps
from spmopt.reps.expectation import normal_pay_certainty_equivalent
from spmopt.reps.payfunction import StackedPay
from spmopt.reps.seasonality import MONTHS
from spmopt.reps.situation import Situation

CADENCE_MONTHS = {"month": 1, "quarter": 3, "year": 12}
BELOW_ZERO_SD = 4.0  # depth of the attainment grid below zero [sd of a period's sales]


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
    """Solved dynamic policy: effort and value tables on per-rep grids.

    ``effort_table`` and ``value_table`` have shape (blocks, N, J, n): the decision and value at
    the start of each review block for period attainment ``grid_lo + step·i`` (i < n) and, when
    the plan has annual terms on top of shorter periods, year-to-date attainment at the start of
    the measurement period ``year_grid[period, :, j]`` (J = 1 otherwise).
    """

    grid_lo: np.ndarray
    step: np.ndarray
    year_grid: np.ndarray
    effort_table: np.ndarray
    value_table: np.ndarray
    block_months: int
    period_months: int
    period_shares: np.ndarray
    typical_year_start: np.ndarray
    base_salary: np.ndarray

    @property
    def review_months(self) -> tuple[int, ...]:
        return tuple(range(0, MONTHS, self.block_months))

    @property
    def size(self) -> int:
        return self.effort_table.shape[1]

    @property
    def grid_points(self) -> int:
        return self.effort_table.shape[3]

    def grid(self, rep_index=None) -> np.ndarray:
        """Attainment grids (N, n)."""
        rows = slice(None) if rep_index is None else np.asarray(rep_index)
        return self.grid_lo[rows, None] + self.step[rows, None] * np.arange(self.grid_points)

    def _lookup(self, table, rep_index, month, attainment, year_to_date=None):
        """Bilinear interpolation of ``table`` (blocks, N, J, n) at each point; the arguments
        broadcast against each other. Per-rep values are gathered before broadcasting and the
        table is read with flat takes (the simulators call this for every seat and month)."""
        rep_index = np.asarray(rep_index, dtype=np.intp)
        month = np.asarray(month, dtype=np.intp)
        attainment = np.asarray(attainment, float)
        block = month // self.block_months
        n = self.grid_points
        position = (attainment - self.grid_lo.take(rep_index)) / self.step.take(rep_index)
        position = np.clip(position, 0.0, n - 1.0)
        index = np.minimum(np.floor(position).astype(np.intp), n - 2)
        frac = position - index
        types, years = table.shape[1], self.year_grid.shape[2]
        row = (block * types + rep_index) * years  # of (block, rep, year 0)
        flat = np.ascontiguousarray(table).reshape(-1)

        def at(j):
            start = (row + j) * n + index
            left = flat.take(start)
            right = flat.take(start + 1)
            return left + frac * (right - left)

        if years == 1:
            shape = np.broadcast_shapes(rep_index.shape, month.shape, attainment.shape)
            value = at(0)
            return value if value.shape == shape else np.broadcast_to(value, shape).copy()
        rep_index, month, attainment = np.broadcast_arrays(rep_index, month, attainment)
        period = month // self.period_months
        if year_to_date is None:
            start = self.typical_year_start[rep_index, period]
        else:
            share = self.period_shares[period]
            start = np.maximum(np.asarray(year_to_date, float) - share * attainment, 0.0)
        y_step = self.year_grid[period, rep_index, 1] - self.year_grid[period, rep_index, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            y_position = np.where(y_step > 0, start / y_step, 0.0)
        y_position = np.clip(y_position, 0.0, years - 1.0)
        y_index = np.minimum(np.floor(y_position).astype(np.intp), years - 2)
        y_frac = y_position - y_index
        low = at(y_index)
        return low + y_frac * (at(y_index + 1) - low)

    def effort(self, rep_index, month, attainment, year_to_date=None) -> np.ndarray:
        """Effort chosen at the review starting ``month``'s block, at the attainment then seen.

        ``year_to_date`` (annual-quota attainment seen at the review, current period included)
        matters only for plans with annual terms on top of shorter measurement periods; when it
        is not given, the rep's typical year-to-date at the period's start is used.
        """
        value = self._lookup(self.effort_table, rep_index, month, attainment, year_to_date)
        return np.maximum(value, 0.0)

    def value(self, rep_index, month, attainment, year_to_date=None) -> np.ndarray:
        """Certainty equivalent of the rest of the year (pay − cost, no base salary)."""
        return self._lookup(self.value_table, rep_index, month, attainment, year_to_date)

    def certainty_equivalent(self) -> np.ndarray:
        """Each rep's certainty equivalent of the year at its start, base salary included (N,)."""
        rows = np.arange(self.size)
        return self.base_salary + self.value(rows, 0, 0.0, np.zeros(self.size))


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
    year_grid_points:
        Grid of year-to-date attainment at the start of each measurement period, used only when
        annual terms (a club bonus, an annual component, a ratchet) sit on top of shorter
        measurement periods; the cost of the solve grows in proportion.
    coupled_grid_points, coupled_quadrature_nodes:
        Attainment grid size and Gauss–Hermite nodes used instead of ``grid_points`` and
        ``quadrature_nodes`` (when smaller) while year-to-date attainment is part of the state:
        that solve costs about ``year_grid_points`` × (grid size² + grid size × nodes), and its
        effort errors come mostly from the year-to-date grid (``docs/behaviour.md``).
    ratchet:
        Optional :class:`~spmopt.reps.behaviour.ratchet.RatchetAnticipation`.
    """

    cadence: str = "month"
    grid_points: int = 301
    quadrature_nodes: int = 48
    attainment_max: float | None = None
    year_grid_points: int = 13
    coupled_grid_points: int = 75
    coupled_quadrature_nodes: int = 16
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
        number(
            "behaviour.effort.year_grid_points",
            self.year_grid_points,
            low=3,
            high=401,
            integer=True,
        )
        number(
            "behaviour.effort.coupled_grid_points",
            self.coupled_grid_points,
            low=50,
            high=20001,
            integer=True,
        )
        number(
            "behaviour.effort.coupled_quadrature_nodes",
            self.coupled_quadrature_nodes,
            low=4,
            high=200,
            integer=True,
        )

    def solve(self, situation: Situation, progress=None) -> DynamicPolicy:
        """The policy of every rep in ``situation``; ``progress(done, total)`` is called as
        batches of reps (types) are solved."""
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
        return _solve(self, situation, period, block, progress)


_CHUNK = 2_000_000  # elements per temporary array: rows are processed in chunks of this size


def _row_chunks(rows: int, width: int):
    size = max(1, _CHUNK // max(width, 1))
    for start in range(0, rows, size):
        yield slice(start, min(start + size, rows))


_BATCH_CELLS = 1_000_000  # (type, year-to-date, attainment) cells solved per batch of types


def _type_batches(types: int, cells_per_type: int):
    """Batches of type indices solved one after the other (progress is reported per batch):
    about :data:`_BATCH_CELLS` cells each, and at least 20 batches when there are as many
    types."""
    size = max(1, min(_BATCH_CELLS // max(cells_per_type, 1), -(-types // 20)))
    for start in range(0, types, size):
        yield np.arange(start, min(start + size, types))


def _solve(
    model: DynamicBestResponse, situation: Situation, period: int, block: int, progress=None
):
    reps = situation.reps
    n_reps = len(reps)
    h, k, c = reps.base_sales, reps.effectiveness, reps.effort_cost
    gamma, r = reps.effort_exponent, reps.risk_aversion
    quota = situation.quota
    shares = situation.period_shares
    n_periods = MONTHS // period
    penalty = None if model.ratchet is None else model.ratchet.penalty(situation)
    # annual terms as a function of annual attainment Y (only with shorter measurement periods)
    annual = situation.annual_terms_pay if period < MONTHS else None
    if penalty is not None and period < MONTHS:
        annual = penalty if annual is None else annual + penalty
    annual_y = None if annual is None else annual.broadcast(n_reps).scale_x(quota)
    period_pays = []
    for q in range(n_periods):
        pay = situation.period_pay_of(q)
        if penalty is not None and period == MONTHS:
            pay = pay + penalty
        period_pays.append(pay.broadcast(n_reps).scale_x(quota * shares[q]))
    sd_annual = situation.sales.sd_annual(reps)
    productivity = situation.productivity  # (N, 12)
    n_blocks = MONTHS // block
    blocks_per_period = period // block
    exposure = productivity.reshape(n_reps, n_blocks, block).sum(axis=2)  # (N, blocks)
    block_share = np.repeat(shares, blocks_per_period)  # period share of each block (blocks,)
    drift = exposure / (quota[:, None] * block_share)  # period attainment per unit of h + k·e
    cost_scale = c * block / MONTHS
    # effort bound: terminal T(a) = pay_q(a) + annual(Y0 + s_q·a) rises by at most
    # (s_max_q + s_q·s_ann)·Δ + J_q + J_ann over Δ (see the static module)
    s_ann = np.zeros(n_reps) if annual_y is None else np.maximum(annual_y.max_slope(), 0.0)
    j_ann = np.zeros(n_reps) if annual_y is None else upward_jumps(annual_y)
    e_hi = np.zeros(n_reps)
    top = np.full(n_reps, 1.5)
    for q, pay in enumerate(period_pays):
        blocks = slice(q * blocks_per_period, (q + 1) * blocks_per_period)
        s_max = np.maximum(pay.max_slope(), 0.0) + shares[q] * s_ann
        jumps = upward_jumps(pay) + j_ann
        bound = effort_upper_bound(
            s_max, jumps, k * drift[:, blocks].max(axis=1), cost_scale, gamma
        )
        e_hi = np.maximum(e_hi, bound)
        finite_b = np.where(np.isfinite(pay.breakpoints), pay.breakpoints, 0.0).max(axis=1)
        span = exposure[:, blocks].sum(axis=1)
        reach = ((h + k * bound) * span + 5 * sd_annual * np.sqrt(span)) / (quota * shares[q])
        top = np.maximum.reduce([top, 1.25 * finite_b, reach])
    if model.attainment_max is not None:
        top = np.full(n_reps, float(model.attainment_max))
    years = 1 if annual_y is None else int(model.year_grid_points)
    n_above = int(model.grid_points)
    if years > 1:  # the (year-to-date, attainment) state: a coarser attainment grid
        n_above = min(n_above, int(model.coupled_grid_points))
    step = top / (n_above - 1)
    # below zero: period attainment can be negative (noise, cancellations); the grid extends with
    # the same step to BELOW_ZERO_SD standard deviations of the period's sales at zero drift,
    # so that a review at negative attainment reads the solved policy instead of a = 0's
    depth = np.max(
        [
            BELOW_ZERO_SD
            * sd_annual
            * np.sqrt(exposure[:, q * blocks_per_period : (q + 1) * blocks_per_period].sum(axis=1))
            / (quota * shares[q])
            for q in range(n_periods)
        ],
        axis=0,
    )
    below = int(np.ceil(np.max(depth / step))) if n_reps else 0
    n = n_above + below
    grid_lo = -below * step
    # year-to-date grids at each period start (only with annual terms on shorter periods): from 0
    # to what is reachable by then, so early periods get fine grids; the first period starts at 0
    year_grid = np.zeros((n_periods, n_reps, years))
    if years > 1:
        cumulative = np.concatenate(
            [
                np.zeros((n_reps, 1)),
                np.cumsum(exposure, axis=1)[:, blocks_per_period - 1 :: blocks_per_period],
            ],
            axis=1,
        )[:, :n_periods]
        reach_y = (
            (h[:, None] + (k * e_hi)[:, None]) * cumulative
            + 5 * sd_annual[:, None] * np.sqrt(cumulative)
        ) / quota[:, None]
        year_grid = reach_y.T[:, :, None] * np.linspace(0.0, 1.0, years)
    node_count = int(model.quadrature_nodes)
    if years > 1:
        node_count = min(node_count, int(model.coupled_quadrature_nodes))
    nodes, weights = np.polynomial.hermite_e.hermegauss(node_count)
    weights = weights / weights.sum()
    effort_table = np.empty((n_blocks, n_reps, years, n))
    value_table = np.empty((n_blocks, n_reps, years, n))
    done = 0
    for batch in _type_batches(n_reps, years * n):
        # the backward induction of a batch of types (rows of different types never interact)
        continuation = None  # (batch, years): value at the start of the next period, a = 0
        for q in range(n_periods - 1, -1, -1):
            # rows: (type, year-to-date start) pairs; the first period starts at 0 only
            starts = 1 if q == 0 else years
            local = np.repeat(np.arange(batch.size), starts)
            kind = batch[local]
            year_start = year_grid[q, batch, :starts].ravel()
            rows = kind.size
            grid = grid_lo[kind, None] + step[kind, None] * np.arange(n)
            terminal = period_pays[q].take(kind)
            if years > 1:
                future = (
                    annual_y.take(batch)
                    if q == n_periods - 1
                    else StackedPay.interpolant(year_grid[q + 1, batch], continuation)
                )
                terminal = terminal + future.take(local).compose_affine(year_start, shares[q])
            elif continuation is not None:
                terminal = terminal + StackedPay.linear(np.zeros(rows), continuation[local, 0])
            next_value = None
            for b in range((q + 1) * blocks_per_period - 1, q * blocks_per_period - 1, -1):
                sd = (sd_annual * np.sqrt(exposure[:, b]) / (quota * shares[q]))[kind]
                v = np.empty((rows, n))
                if next_value is None:  # last block of the period: closed form against T
                    _terminal_value(v, terminal, grid, sd, r[kind])
                else:
                    for part in _row_chunks(rows, n * nodes.size):
                        shocked = grid[part, :, None] + sd[part, None, None] * nodes
                        v[part] = _certainty_equivalent(
                            _interp(
                                grid_lo[kind][part], step[kind][part], next_value[part], shocked
                            ),
                            weights,
                            r[kind][part],
                        )
                effort = np.empty((rows, n))
                value = np.empty((rows, n))
                for part in _row_chunks(rows, n * 16):
                    effort[part], value[part] = _maximise(
                        v[part],
                        grid[part],
                        step[kind][part],
                        drift[kind, b][part],
                        h[kind][part],
                        k[kind][part],
                        cost_scale[kind][part, None],
                        gamma[kind][part],
                        e_hi[kind][part],
                    )
                effort_table[b, batch] = effort.reshape(batch.size, starts, n)
                value_table[b, batch] = value.reshape(batch.size, starts, n)
                next_value = value
            continuation = value_table[q * blocks_per_period, batch][:, :, below]  # a = 0
        done += batch.size
        if progress is not None:
            progress(done, n_reps)
    policy = DynamicPolicy(
        grid_lo=grid_lo,
        step=step,
        year_grid=year_grid,
        effort_table=effort_table,
        value_table=value_table,
        block_months=block,
        period_months=period,
        period_shares=shares,
        typical_year_start=np.zeros((n_reps, n_periods)),
        base_salary=situation.base_salary,
    )
    if years > 1:  # the mean path's year-to-date at each period start, for lookups without it
        typical = np.zeros((n_reps, n_periods))
        position = np.zeros(n_reps)
        rows_n = np.arange(n_reps)
        for q in range(n_periods):
            typical[:, q] = position
            attainment = np.zeros(n_reps)
            for b in range(q * blocks_per_period, (q + 1) * blocks_per_period):
                start = policy._lookup(
                    effort_table,
                    rows_n,
                    b * block,
                    attainment * 0 + attainment,
                    position + shares[q] * attainment,
                )
                attainment = attainment + drift[:, b] * (h + k * np.maximum(start, 0.0))
            position = position + shares[q] * attainment
        object.__setattr__(policy, "typical_year_start", typical)
    return policy


def _terminal_value(v, terminal, grid, sd, r):
    """Fill ``v`` (rows, n) with CE[T(a + ε)], ε ~ N(0, sd²) per row, in closed form against the
    piecewise-linear terminal functions ``terminal`` (exact with jumps; T itself when sd = 0)."""
    rows, n = v.shape
    safe = np.where(sd > 0, sd, 1.0)
    for part in _row_chunks(rows, n * terminal.n_pieces):
        pay = terminal.take(np.arange(rows)[part])
        v[part] = normal_pay_certainty_equivalent(
            grid[part],
            safe[part, None],
            pay.breakpoints[:, None, :],
            pay.upper_ends()[:, None, :],
            pay.intercepts[:, None, :],
            pay.slopes[:, None, :],
            np.broadcast_to(r[part, None], (part.stop - part.start, n)),
        )
        deterministic = sd[part] == 0
        if deterministic.any():
            v[part] = np.where(deterministic[:, None], pay(grid[part]), v[part])


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

    def objective_last(effort):
        t = offset[..., -1:] + dk * effort
        value = v0[..., -1:] + d0[..., -1:] * t + 0.5 * m[..., -1:] * t * t
        return value - effort_cost(effort, cs, g)

    best_effort = None
    best_value = None
    # a segment's upper end is the next segment's lower end, so only the band's last segment
    # needs its upper end as a separate candidate
    last_top = np.where(np.isfinite(e_top[..., -1:]), e_top[..., -1:], e_lo[..., -1:])
    for candidate in (np.clip(e_star, e_lo, e_top), e_lo):
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
    value = np.where(feasible[..., -1], objective_last(last_top)[..., 0], -np.inf)
    better = value > best_value
    return np.where(better, last_top[..., 0], best_effort), np.where(better, value, best_value)
