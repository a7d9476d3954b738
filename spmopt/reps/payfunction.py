"""Per-rep payout functions of sales, stacked for vectorised behaviour models.

A :class:`StackedPay` holds N piecewise-linear functions with jumps (one per rep), each with K
pieces: piece k covers ``[b_k, b_{k+1})`` (``b_0 = −∞``, the last piece runs to +∞) and pays
``a_k + s_k·x`` there; ``at_k`` is the value exactly at ``b_k`` (it differs from the right limit
only where a plan pays the lower tier on a boundary). Breakpoints may repeat (zero-width pieces).

Built from a plan through its compiled :class:`~spmopt.plan.curve.CurveFamily` and per-rep scales,
which reproduces ``plan.attainment_curve()(S / Q)`` for a rep with the plan's quota and target
incentive, and generalises it to per-rep quotas and target incentives exactly (rate tiers scale with
the quota, multiplier tiers with the target incentive, bonuses are fixed sums, ``max_payout``
ceilings cut each rep's curve where it crosses them). A rep's quota scales every component's
quota in proportion; all measures are assumed at the same attainment (as in
``attainment_curve``). ``plan_pay(horizon="year")`` lets a component measured per quarter or
month earn its curve at that attainment in each of its periods (credits spread evenly); the
static model instead values such plans period by period (:mod:`spmopt.reps.valuation`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spmopt.errors import SpmoptInputError
from spmopt.plan.compile import component_scales
from spmopt.plan.curve import PayoutCurve
from spmopt.plan.model import MONTHS_PER_PERIOD


@dataclass(frozen=True, eq=False)
class StackedPay:
    """N piecewise-linear pay functions with jumps over a shared number of pieces K.

    Arrays have shape (N, K) (or (1, K), broadcasting over reps): ``breakpoints`` (first column
    −∞), ``intercepts`` a, ``slopes`` s, ``at`` (value exactly at each breakpoint).
    """

    breakpoints: np.ndarray
    intercepts: np.ndarray
    slopes: np.ndarray
    at: np.ndarray

    @property
    def n_pieces(self) -> int:
        return self.breakpoints.shape[1]

    def upper_ends(self) -> np.ndarray:
        """End of each piece: the next breakpoint (+∞ for the last)."""
        ends = np.empty_like(self.breakpoints)
        ends[:, :-1] = self.breakpoints[:, 1:]
        ends[:, -1] = np.inf
        return ends

    def _index(self, x: np.ndarray) -> np.ndarray:
        """Piece of each x (rows of x match rows of the curves, or either has one row; extra
        trailing dims allowed): the number of breakpoints ≤ x, less one, counted breakpoint by
        breakpoint (no (…, K) temporaries); a NaN x gets the last piece."""
        rows, pieces = self.breakpoints.shape
        column_shape = (rows,) + (1,) * (x.ndim - 1)
        index = np.full(np.broadcast_shapes(x.shape, column_shape), -1, dtype=np.intp)
        for k in range(pieces):
            index += x >= self.breakpoints[:, k].reshape(column_shape)
        index[index < 0] += pieces
        return index

    def _take(self, values: np.ndarray, index: np.ndarray) -> np.ndarray:
        """``values[row, index]`` for each point, gathered by flat index."""
        rows, pieces = values.shape
        flat = index + (np.arange(rows) * pieces).reshape((rows,) + (1,) * (index.ndim - 1))
        return values.ravel().take(flat)

    def __call__(self, x) -> np.ndarray:
        """Pay at ``x`` of shape (N, ...) (or (1, ...) broadcasting); exact on breakpoints."""
        x = np.asarray(x, dtype=float)
        index = self._index(x)
        value = self._take(self.intercepts, index) + self._take(self.slopes, index) * x
        on_break = x == self._take(self.breakpoints, index)
        if on_break.any():
            value = np.where(on_break, self._take(self.at, index), value)
        return value

    def right_limit(self, x) -> np.ndarray:
        """Value of the piece starting at or containing ``x`` (the limit from the right)."""
        x = np.asarray(x, dtype=float)
        index = self._index(x)
        return self._take(self.intercepts, index) + self._take(self.slopes, index) * x

    def slope_after(self, x) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return self._take(self.slopes, self._index(x))

    def take(self, rows) -> StackedPay:
        """The pay functions of the reps at ``rows`` (a single shared row broadcasts)."""
        if self.breakpoints.shape[0] == 1:
            return self
        return StackedPay(*(v[rows] for v in self._arrays()))

    def broadcast(self, n: int) -> StackedPay:
        """Explicit (n, K) arrays."""
        return StackedPay(*(np.broadcast_to(v, (n, v.shape[1])).copy() for v in self._arrays()))

    def _arrays(self):
        return self.breakpoints, self.intercepts, self.slopes, self.at

    def scaled(self, factor: float) -> StackedPay:
        """The functions factor·f (a scalar; negative flips the sign, e.g. to subtract)."""
        return StackedPay(
            self.breakpoints.copy(),
            self.intercepts * factor,
            self.slopes * factor,
            self.at * factor,
        )

    def scale_x(self, factor) -> StackedPay:
        """The functions g(y) = f(y·factor) for per-rep ``factor`` (N,) or scalar, factor > 0.

        E.g. ``pay.scale_x(quota)`` turns a function of sales into one of attainment.
        """
        factor = np.asarray(factor, dtype=float).reshape(-1, 1)
        return StackedPay(
            self.breakpoints / factor, self.intercepts, self.slopes * factor, self.at.copy()
        )

    def stretch(self, x_factor) -> StackedPay:
        """The functions g(x) = f(x / x_factor), x_factor > 0 per rep (N,) or scalar.

        E.g. ``pay.stretch(quota)`` turns a function of attainment into one of sales.
        """
        factor = np.asarray(x_factor, dtype=float).reshape(-1, 1)
        return StackedPay(
            self.breakpoints * factor, self.intercepts, self.slopes / factor, self.at.copy()
        )

    def compose_affine(self, offset, factor) -> StackedPay:
        """g(a) = f(offset + factor·a) per row, ``factor`` > 0 (arrays (N,) or scalars)."""
        offset = np.asarray(offset, dtype=float).reshape(-1, 1)
        factor = np.asarray(factor, dtype=float).reshape(-1, 1)
        with np.errstate(invalid="ignore"):
            breakpoints = (self.breakpoints - offset) / factor
        breakpoints[:, 0] = -np.inf
        return StackedPay(
            breakpoints,
            self.intercepts + self.slopes * offset,
            self.slopes * factor,
            self.at.copy(),
        )

    @classmethod
    def interpolant(cls, x, values) -> StackedPay:
        """Linear interpolation of ``values`` (N, J) at increasing ``x`` (N, J), extrapolated
        linearly on both sides (J ≥ 2); J = 1 gives a constant."""
        x = np.asarray(x, dtype=float)
        values = np.asarray(values, dtype=float)
        n, j = values.shape
        if j == 1:
            return cls.linear(np.zeros(n), values[:, 0])
        slopes = np.diff(values, axis=1) / np.diff(x, axis=1)  # (N, J−1)
        starts = np.concatenate([np.full((n, 1), -np.inf), x[:, 1:]], axis=1)
        # piece 0 (to x_1) has segment 0's slope, extended left; piece k ≥ 1 starts at x_k with
        # segment k's slope; the last piece extends segment J−2 to the right
        piece_slopes = np.concatenate([slopes, slopes[:, -1:]], axis=1)
        intercepts = values - piece_slopes * x
        at = np.concatenate([np.full((n, 1), np.nan), values[:, 1:]], axis=1)
        return cls(starts, intercepts, piece_slopes, at)

    def __add__(self, other: StackedPay) -> StackedPay:
        """Pointwise sum (exact, including values on breakpoints)."""
        n = max(self.breakpoints.shape[0], other.breakpoints.shape[0])
        b = np.concatenate(
            [
                np.broadcast_to(self.breakpoints, (n, self.n_pieces)),
                np.broadcast_to(other.breakpoints[:, 1:], (n, other.n_pieces - 1)),
            ],
            axis=1,
        )
        b = np.sort(b, axis=1)
        finite = np.where(np.isfinite(b), b, 0.0)
        a = self._take_piece(self.intercepts, b) + other._take_piece(other.intercepts, b)
        s = self._take_piece(self.slopes, b) + other._take_piece(other.slopes, b)
        at = self(finite) + other(finite)
        at[:, 0] = np.nan
        return StackedPay(b, a, s, at)

    def _take_piece(self, values: np.ndarray, x: np.ndarray) -> np.ndarray:
        return self._take(values, self._index(x))

    def minimum(self, ceiling) -> StackedPay:
        """min(f, ceiling) with per-rep ``ceiling`` (N,) or scalar; exact crossing points."""
        ceiling = np.asarray(ceiling, dtype=float).reshape(-1, 1)
        ends = self.upper_ends()
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            cross = (ceiling - self.intercepts) / self.slopes
        inside = (self.slopes != 0) & (cross > self.breakpoints) & (cross < ends)
        extra = np.where(inside, cross, self.breakpoints)  # duplicates make zero-width pieces
        b = np.sort(np.concatenate([self.breakpoints, extra[:, 1:]], axis=1), axis=1)
        n = b.shape[0]
        a = np.broadcast_to(self._take_piece(self.intercepts, b), b.shape).copy()
        s = np.broadcast_to(self._take_piece(self.slopes, b), b.shape).copy()
        ends = np.empty_like(b)
        ends[:, :-1] = b[:, 1:]
        ends[:, -1] = np.inf
        probe = np.where(
            np.isfinite(b) & np.isfinite(ends),
            (b + ends) / 2,
            np.where(np.isfinite(b), b + 1.0, ends - 1.0),
        )
        probe[:, 0] = np.where(np.isfinite(ends[:, 0]), ends[:, 0] - 1.0, 0.0)
        above = a + s * probe > np.broadcast_to(ceiling, (n, 1))
        ceiling_b = np.broadcast_to(ceiling, b.shape)
        a = np.where(above, ceiling_b, a)
        s = np.where(above, 0.0, s)
        finite = np.where(np.isfinite(b), b, 0.0)
        at = np.minimum(self(finite), ceiling_b)
        at[:, 0] = np.nan
        return StackedPay(b, a, s, at)

    def compact(self) -> StackedPay:
        """The same functions without pieces that have zero width for every rep."""
        width_zero = np.zeros(self.n_pieces, dtype=bool)
        width_zero[:-1] = np.all(self.breakpoints[:, :-1] == self.breakpoints[:, 1:], axis=0)
        if not width_zero.any():
            return self
        keep = ~width_zero
        return StackedPay(*(v[:, keep] for v in self._arrays()))

    def max_slope(self) -> np.ndarray:
        """Largest slope of each rep's function (N,)."""
        return self.slopes.max(axis=1)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_curve(cls, curve: PayoutCurve, x_factor=1.0) -> StackedPay:
        """From a :class:`PayoutCurve` (zero below its first breakpoint) of ``x / x_factor``.

        With ``x_factor`` the rep's quota (N,), an attainment curve becomes pay against sales.
        """
        b = np.concatenate([[-np.inf], curve.breakpoints])
        slopes = np.concatenate([[0.0], curve.slopes])
        intercepts = np.concatenate([[0.0], curve.right - curve.slopes * curve.breakpoints])
        at = np.concatenate([[np.nan], curve.at])
        pay = cls(b[None], intercepts[None], slopes[None], at[None])
        factor = np.asarray(x_factor, dtype=float)
        if factor.ndim == 0 and factor == 1.0:
            return pay
        return pay.stretch(factor)

    @classmethod
    def linear(cls, slope, intercept=0.0) -> StackedPay:
        """The function a + s·x on the whole line (per-rep arrays allowed)."""
        slope = np.asarray(slope, dtype=float).reshape(-1, 1)
        intercept = np.broadcast_to(np.asarray(intercept, dtype=float).reshape(-1, 1), slope.shape)
        b = np.full(slope.shape, -np.inf)
        return cls(b, intercept.copy(), slope.copy(), np.full(slope.shape, np.nan))

    @classmethod
    def kinked(cls, kink, slope_below, slope_above) -> StackedPay:
        """Continuous function zero at ``kink`` with the given slopes on either side (N,)."""
        kink = np.asarray(kink, dtype=float).reshape(-1, 1)
        below = np.broadcast_to(np.asarray(slope_below, dtype=float).reshape(-1, 1), kink.shape)
        above = np.broadcast_to(np.asarray(slope_above, dtype=float).reshape(-1, 1), kink.shape)
        b = np.concatenate([np.full(kink.shape, -np.inf), kink], axis=1)
        s = np.concatenate([below, above], axis=1)
        a = -s * kink
        at = np.concatenate([np.full(kink.shape, np.nan), np.zeros(kink.shape)], axis=1)
        return cls(b, a, s, at)


def plan_quota(plan) -> float:
    """The plan's primary annual quota: that of its first component."""
    return float(plan.components[0].quota)


def measurement_structure(plan) -> tuple[int, bool]:
    """(P, has_annual_terms): the shortest measurement period P in months (1, 3 or 12) and whether
    some components or bonuses are measured over the year while P < 12.

    Plans mixing monthly and quarterly measurement are not supported by the per-period models.
    """
    months = {c.months_per_measurement_period for c in plan.components}
    months |= {MONTHS_PER_PERIOD[b.period] for b in plan.bonuses}
    short = min(months)
    if len(months - {short, 12}) > 0:
        raise SpmoptInputError(
            f"plan '{plan.id}': components and bonuses are measured over {sorted(months)} months; "
            "the behaviour models support one measurement period, optionally with annual terms"
        )
    return short, short < 12 and 12 in months


def period_shares(plan, period_months: int, component=None) -> np.ndarray:
    """Each measurement period's share of the annual quota (from the ``quota_schedule`` of
    ``component``, default the first; even when it has none), shape (12 / period_months,)."""
    component = plan.components[0] if component is None else component
    fractions = np.asarray(component.monthly_quota_fractions(), dtype=float)
    return fractions.reshape(-1, period_months).sum(axis=1)


def plan_pay(
    plan,
    quota=None,
    target_incentive=None,
    horizon: str = "year",
    *,
    measured_months: int | None = None,
    period_share: float | None = None,
    period: int | None = None,
    only_components=None,
    with_bonuses: bool = True,
    max_payout: bool = True,
) -> StackedPay:
    """Pay as a function of a rep's sales, for N reps with annual ``quota`` and ``target_incentive``.

    ``horizon = "year"``: total annual incentive against annual sales S (credits spread evenly
    over the measurement periods, as :meth:`spmopt.Plan.attainment_curve`). ``horizon =
    "period"``: incentive of one measurement period against the sales credited in it; the
    period's quota is ``period_share`` of the annual one; or, given the period's index ``period``
    (0-based), each component's share of that period in its own ``quota_schedule`` (a bonus: that
    of the component owning its measure); with neither, the period's length / 12.
    ``measured_months`` keeps only the components and bonuses measured over that many months
    (default: all; a per-period payout needs them to share one period). ``only_components`` (ids)
    keeps only those components, ``with_bonuses = False`` no bonuses, ``max_payout = False``
    leaves components' payout ceilings out. Arguments default to the plan's figures.
    """
    primary = plan_quota(plan)
    quota = np.atleast_1d(np.asarray(primary if quota is None else quota, dtype=float))
    ti = plan.target_incentive if target_incentive is None else target_incentive
    ti = np.broadcast_to(np.asarray(ti, dtype=float), quota.shape)
    if horizon not in ("year", "period"):
        raise ValueError("horizon must be 'year' or 'period'")

    def kept(months):
        return measured_months is None or months == measured_months

    components = [c for c in plan.components if kept(c.months_per_measurement_period)]
    bonuses = [b for b in plan.bonuses if kept(MONTHS_PER_PERIOD[b.period])]
    if only_components is not None:
        components = [c for c in components if c.id in only_components]
    if not with_bonuses:
        bonuses = []
    if horizon == "period":
        lengths = {c.months_per_measurement_period for c in components}
        lengths |= {MONTHS_PER_PERIOD[b.period] for b in bonuses}
        if len(lengths) > 1:
            raise SpmoptInputError(
                f"plan '{plan.id}': components and bonuses are measured over different periods "
                f"({sorted(lengths)} months); a per-period payout needs one measurement period"
            )

    def share_of(component, months):
        """The quota share of one measurement period of ``months`` months (horizon "period")."""
        if period_share is not None:
            return period_share
        if period is not None:
            return float(period_shares(plan, months, component)[period])
        return months / 12

    total = StackedPay.linear(np.zeros(1))
    for component in components:
        months = component.months_per_measurement_period
        even = months / 12
        share = even if horizon == "year" else share_of(component, months)
        periods = 12 // months if horizon == "year" else 1
        quota_c = component.quota * quota / primary
        family = plan.families[component.id]
        scales = component_scales(component, quota_c, ti, share)  # (N, 4)
        n = quota.size
        breakpoints = np.concatenate(
            [np.full((n, 1), -np.inf), np.tile(family.breakpoints, (n, 1))], axis=1
        )
        right, slopes, at = (
            np.concatenate([np.zeros((n, 1)), (getattr(family, name) @ scales.T).T], axis=1)
            for name in ("right", "slopes", "at")
        )
        # right limits → intercepts on the family's own axis
        intercepts = right - slopes * np.where(np.isfinite(breakpoints), breakpoints, 0.0)
        at[:, 0] = np.nan
        curve_pay = StackedPay(breakpoints, intercepts * periods, slopes * periods, at * periods)
        # x = S / stretch: attainment basis x = S / Q (year) or S / (Q·share) (one period);
        # amount basis x = credited in one period = S·(Q_c/Q)·share (year) or S·Q_c/Q (period)
        if component.basis == "attainment":
            stretch = quota if horizon == "year" else quota * share
        else:
            stretch = quota / (quota_c * (share if horizon == "year" else 1.0))
        curve_pay = curve_pay.stretch(stretch)
        if max_payout and component.max_payout is not None:
            curve_pay = curve_pay.minimum(component.max_payout)
        total = total + curve_pay
    for bonus in bonuses:
        months = MONTHS_PER_PERIOD[bonus.period]
        periods = 12 // months if horizon == "year" else 1
        if horizon == "year":
            level = bonus.at * quota  # same attainment on every measure, credits spread evenly
        else:
            level = bonus.at * quota * share_of(plan.quota_of_measure(bonus.measure), months)
        n = quota.size
        step = StackedPay(
            np.column_stack([np.full(n, -np.inf), np.maximum(level, 0.0)]),
            np.column_stack([np.zeros(n), np.full(n, bonus.amount * periods)]),
            np.zeros((n, 2)),
            np.column_stack([np.full(n, np.nan), np.full(n, bonus.amount * periods)]),
        )
        total = total + step
    return total.compact()
