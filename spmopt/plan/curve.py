"""The canonical payout curve: piecewise linear with jumps, evaluated vectorised.

Every payout rule in a plan (marginal, retroactive and interpolated tiers, thresholds, caps,
payout caps, lump-sum bonuses) compiles to a :class:`PayoutCurve`, so one evaluator serves the
statements engine, the simulators and the optimiser, and any plan can be drawn and tabulated.

A curve is given by breakpoints ``b_0 < b_1 < … < b_{K-1}`` and, for each breakpoint,

* ``right[k]`` — the limit of the curve from the right at ``b_k`` (the start of piece ``k``),
* ``slopes[k]`` — the slope of piece ``k`` on ``(b_k, b_{k+1})`` (the last piece runs to +∞),
* ``at[k]`` — the value exactly at ``b_k``.

``at[k]`` differs from ``right[k]`` only where the curve jumps at ``b_k`` and the value exactly on
the boundary belongs to the piece below (the plan's ``boundary = "lower"`` rule). Below ``b_0`` the
curve is zero.

:class:`CurveFamily` is the same object with values and slopes that are linear in a few per-rep
*scales* (quota, target incentive, …), so that thousands of heterogeneous reps share one set of
breakpoints and are evaluated in a single vectorised pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

_FLOAT_TOLERANCE = 1e-12
_FAR_AWAY = 1e12  # the last piece is extended this far (relative) for numpy.interp
_FEW_BREAKPOINTS = 8  # up to this many, pieces are found by comparisons, not a binary search


def _as_float_array(values) -> np.ndarray:
    array = np.array(values, dtype=float)
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class PayoutCurve:
    """A piecewise-linear curve with jumps, f: credited (or attainment) → earnings.

    Parameters
    ----------
    breakpoints:
        Strictly increasing x-values ``b_k`` (units of the x-axis: currency or attainment ratio).
    right:
        Value of the curve just to the right of each breakpoint (y units, usually currency).
    slopes:
        Slope of each piece after its breakpoint (y units per x unit).
    at:
        Value exactly at each breakpoint; defaults to ``right`` (boundary values take the higher
        piece).

    Examples
    --------
    A 10% commission with a 1.5x accelerator above 100 (marginal):

    >>> curve = PayoutCurve([0.0, 100.0], right=[0.0, 10.0], slopes=[0.1, 0.15])
    >>> curve([50.0, 100.0, 120.0]).tolist()
    [5.0, 10.0, 13.0]
    """

    breakpoints: np.ndarray
    right: np.ndarray
    slopes: np.ndarray
    at: np.ndarray | None = None

    def __post_init__(self):
        breakpoints = _as_float_array(self.breakpoints)
        right = _as_float_array(self.right)
        slopes = _as_float_array(self.slopes)
        at = right if self.at is None else _as_float_array(self.at)
        if breakpoints.ndim != 1 or breakpoints.size == 0:
            raise ValueError("a payout curve needs at least one breakpoint")
        if not (right.shape == slopes.shape == at.shape == breakpoints.shape):
            raise ValueError("breakpoints, right, slopes and at must have the same length")
        if np.any(np.diff(breakpoints) <= 0):
            raise ValueError("breakpoints must be strictly increasing")
        object.__setattr__(self, "breakpoints", breakpoints)
        object.__setattr__(self, "right", right)
        object.__setattr__(self, "slopes", slopes)
        object.__setattr__(self, "at", at)
        self._prepare_evaluation()

    # ------------------------------------------------------------------ evaluation
    def __call__(self, x) -> np.ndarray:
        """Evaluate the curve at ``x`` (any shape); returns an array of the same shape.

        The continuous part runs through ``numpy.interp``; each jump adds its size where
        ``x >= b_k``, and boundary values are set where ``x == b_k`` (a loop over the curve's few
        breakpoints, never over points).
        """
        x = np.asarray(x, dtype=float)
        if x.ndim == 0:
            return self(x.reshape(1)).reshape(())
        y = np.interp(x, self._interp_x, self._interp_y)
        for breakpoint, jump in self._jump_steps:
            y += jump * (x >= breakpoint)
        for breakpoint, value in self._boundary_values:
            np.copyto(y, value, where=x == breakpoint)
        return y

    def _prepare_evaluation(self) -> None:
        """Precompute the interpolation table, jump steps and boundary values (at construction)."""
        b = self.breakpoints
        continuous = np.concatenate([[0.0], np.cumsum(self.slopes[:-1] * np.diff(b))])
        reach = _FAR_AWAY * max(1.0, float(np.abs(b).max()))
        interp_x = np.append(b, b[-1] + reach)
        interp_y = np.append(continuous, continuous[-1] + self.slopes[-1] * reach)
        jumps = self.jumps()
        object.__setattr__(self, "_interp_x", interp_x)
        object.__setattr__(self, "_interp_y", interp_y)
        object.__setattr__(
            self,
            "_jump_steps",
            tuple((float(b[k]), float(jumps[k])) for k in np.flatnonzero(jumps)),
        )
        object.__setattr__(
            self,
            "_boundary_values",
            tuple((float(b[k]), float(self.at[k])) for k in np.flatnonzero(self.at != self.right)),
        )

    def left_limits(self) -> np.ndarray:
        """Limit of the curve from the left at each breakpoint (0 at ``b_0``)."""
        left = np.empty_like(self.right)
        left[0] = 0.0
        left[1:] = self.right[:-1] + self.slopes[:-1] * np.diff(self.breakpoints)
        return left

    def jumps(self) -> np.ndarray:
        """Size of the jump at each breakpoint: right limit minus left limit."""
        return self.right - self.left_limits()

    def is_non_decreasing(self) -> bool:
        """True when the curve never falls (no negative slope, no downward jump)."""
        tol = _FLOAT_TOLERANCE * max(1.0, float(np.abs(self.right).max()))
        return bool(np.all(self.slopes >= -tol) and np.all(self.jumps() >= -tol))

    # ------------------------------------------------------------------ algebra
    def __add__(self, other: PayoutCurve) -> PayoutCurve:
        """The pointwise sum of two curves (exact, including boundary values)."""
        if not isinstance(other, PayoutCurve):
            return NotImplemented
        b = np.union1d(self.breakpoints, other.breakpoints)
        return PayoutCurve(
            b,
            right=self._right_limit(b) + other._right_limit(b),
            slopes=self._slope_after(b) + other._slope_after(b),
            at=self(b) + other(b),
        )

    def scale(self, x_factor: float = 1.0, y_factor: float = 1.0) -> PayoutCurve:
        """The curve g(x) = y_factor · f(x / x_factor) (e.g. attainment axis → currency axis)."""
        if x_factor <= 0:
            raise ValueError("x_factor must be positive")
        return PayoutCurve(
            self.breakpoints * x_factor,
            right=self.right * y_factor,
            slopes=self.slopes * (y_factor / x_factor),
            at=self.at * y_factor,
        )

    def clip_x(self, upper: float) -> PayoutCurve:
        """The curve g(x) = f(min(x, upper)): nothing more is earned above ``upper``."""
        b = np.union1d(self.breakpoints[self.breakpoints < upper], [upper])
        keep = b < upper
        slopes = np.where(keep, self._slope_after(b), 0.0)
        value_at_upper = float(self(np.array(upper)))
        right = np.where(keep, self._right_limit(b), value_at_upper)
        at = np.where(keep, self(b), value_at_upper)
        return PayoutCurve(b, right=right, slopes=slopes, at=at)

    def gate(self, threshold: float, inclusive: bool = True) -> PayoutCurve:
        """Zero below ``threshold``; from it on the ungated curve (a threshold gate).

        ``inclusive`` decides whether a value exactly at the threshold is paid.
        """
        b = np.union1d(self.breakpoints, [threshold])
        keep = b >= threshold
        right = np.where(keep, self._right_limit(b), 0.0)
        slopes = np.where(keep, self._slope_after(b), 0.0)
        at = np.where((b > threshold) | ((b == threshold) & inclusive), self(b), 0.0)
        return PayoutCurve(b, right=right, slopes=slopes, at=at)

    def minimum(self, ceiling: float) -> PayoutCurve:
        """The curve min(f(x), ceiling), exact: new breakpoints where pieces cross the ceiling."""
        cross = []
        b = self.breakpoints
        ends = np.append(b[1:], np.inf)
        for k in range(b.size):  # a handful of pieces: compile time, not a hot path
            if self.slopes[k] != 0:
                x_cross = b[k] + (ceiling - self.right[k]) / self.slopes[k]
                if b[k] < x_cross < ends[k]:
                    cross.append(x_cross)
        grid = np.union1d(b, cross)
        right = self._right_limit(grid)
        slopes = self._slope_after(grid)
        at = self(grid)
        # each piece of the refined grid lies wholly on one side of the ceiling: decide which by
        # the original curve inside the piece, not at its start (robust to rounding at crossings)
        following = np.append(grid[1:], grid[-1] + max(1.0, abs(grid[-1])))
        above = self._right_limit((grid + following) / 2) > ceiling
        right = np.where(above, ceiling, np.minimum(right, ceiling))
        slopes = np.where(above, 0.0, slopes)
        at = np.minimum(at, ceiling)
        return PayoutCurve(grid, right=right, slopes=slopes, at=at)

    def _piece_index(self, x: np.ndarray) -> np.ndarray:
        return np.maximum(np.searchsorted(self.breakpoints, x, side="right") - 1, 0)

    def _right_limit(self, x: np.ndarray) -> np.ndarray:
        idx = self._piece_index(x)
        y = self.right[idx] + self.slopes[idx] * (x - self.breakpoints[idx])
        return np.where(x < self.breakpoints[0], 0.0, y)

    def _slope_after(self, x: np.ndarray) -> np.ndarray:
        idx = self._piece_index(x)
        return np.where(x < self.breakpoints[0], 0.0, self.slopes[idx])

    # ------------------------------------------------------------------ presentation
    def to_frame(self) -> pd.DataFrame:
        """The curve as a table: one row per breakpoint with its limits, jump and slope."""
        return pd.DataFrame(
            {
                "breakpoint": self.breakpoints,
                "value_at": self.at,
                "left_limit": self.left_limits(),
                "right_limit": self.right,
                "jump": self.jumps(),
                "slope": self.slopes,
            }
        )

    def __repr__(self) -> str:
        return (
            f"PayoutCurve(breakpoints={self.breakpoints.tolist()}, right={self.right.tolist()}, "
            f"slopes={self.slopes.tolist()}, at={self.at.tolist()})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PayoutCurve):
            return NotImplemented
        return all(
            np.array_equal(getattr(self, name), getattr(other, name))
            for name in ("breakpoints", "right", "slopes", "at")
        )

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True, eq=False)
class CurveFamily:
    """Payout curves sharing breakpoints, with values and slopes linear in per-rep scales.

    The curve for a rep with scale vector ``s`` (length ``S``) has right limits ``right @ s``,
    slopes ``slopes @ s`` and boundary values ``at @ s``. A component keyed on attainment, for
    instance, pays ``quota · (rate part) + target_incentive · (multiplier part)``, so reps with
    different quotas and target incentives are evaluated together without a loop.

    Parameters
    ----------
    breakpoints:
        Shared breakpoints, shape (K,).
    right, slopes, at:
        Coefficient matrices, shape (K, S).
    scale_names:
        Names of the S scales, e.g. ``("per_unit", "quota", "base_rate", "target_incentive")``.
    """

    breakpoints: np.ndarray
    right: np.ndarray
    slopes: np.ndarray
    at: np.ndarray
    scale_names: tuple[str, ...]

    def __post_init__(self):
        for name in ("breakpoints", "right", "slopes", "at"):
            object.__setattr__(self, name, _as_float_array(getattr(self, name)))
        k, s = self.right.shape
        if self.breakpoints.shape != (k,) or self.slopes.shape != (k, s) or self.at.shape != (k, s):
            raise ValueError("curve family arrays do not have matching shapes")
        if len(self.scale_names) != s:
            raise ValueError("one scale name per coefficient column is required")
        used = np.flatnonzero(
            np.any(self.right != 0, axis=0)
            | np.any(self.slopes != 0, axis=0)
            | np.any(self.at != 0, axis=0)
        )
        object.__setattr__(self, "_used_columns", tuple(int(c) for c in used))
        object.__setattr__(
            self,
            "_boundary_columns",
            frozenset(int(c) for c in np.flatnonzero(np.any(self.at != self.right, axis=0))),
        )

    def bind(self, **scales: float) -> PayoutCurve:
        """The concrete curve for one set of scales, given by name (missing scales are 0)."""
        unknown = set(scales) - set(self.scale_names)
        if unknown:
            raise KeyError(f"unknown scales {sorted(unknown)}; expected {self.scale_names}")
        s = np.array([float(scales.get(name, 0.0)) for name in self.scale_names])
        return PayoutCurve(self.breakpoints, self.right @ s, self.slopes @ s, self.at @ s)

    def evaluate(self, x, scales) -> np.ndarray:
        """Evaluate at ``x`` (any shape) with scales (…, S), vectorised; same shape as ``x``.

        The scales' last axis holds the S scale values and their other axes broadcast to ``x``:
        (N, S) gives each of N points its own scales; (R, P, 1, S) gives one scale vector per rep
        and measurement period to ``x`` of shape (R, P, L), without materialising it per point.
        Only the scale columns a curve uses are read (a rate table keyed on attainment uses one of
        the four), so the cost is a few passes per breakpoint and per used column.

        >>> family = CurveFamily([0.0, 1.0], right=[[0.0], [1.0]], slopes=[[1.0], [1.5]],
        ...                      at=[[0.0], [1.0]], scale_names=("target_incentive",))
        >>> family.evaluate([[0.5, 1.5], [2.0, 0.0]], [[[100.0]], [[10.0]]]).tolist()
        [[50.0, 175.0], [25.0, 0.0]]
        """
        x = np.asarray(x, dtype=float)
        scales = np.asarray(scales, dtype=float)
        if scales.shape[-1:] != (len(self.scale_names),):
            raise ValueError(f"scales need a last axis of the {len(self.scale_names)} scales")
        if x.ndim == 0:
            return self.evaluate(x.reshape(1), scales).reshape(())
        idx, below = self._piece_index(x)  # in range: take(mode="clip") skips the bounds checks
        offset = self.breakpoints.take(idx, mode="clip")
        np.subtract(x, offset, out=offset)
        on_boundary = offset == 0.0 if self._boundary_columns else None
        y = None
        for column in self._used_columns:
            piece = self.slopes[:, column].take(idx, mode="clip")
            piece *= offset
            last = column == self._used_columns[-1]  # then offset's buffer is free again
            piece += self.right[:, column].take(idx, out=offset if last else None, mode="clip")
            if column in self._boundary_columns:
                np.copyto(piece, self.at[:, column].take(idx, mode="clip"), where=on_boundary)
            piece *= scales[..., column]
            if y is None:
                y = piece
                y += 0.0  # as 0.0 + piece: a signed zero becomes +0.0
            else:
                y += piece
        if y is None:
            y = np.zeros(x.shape)
        if below is not None:
            y[below] = 0.0
        return y

    def _piece_index(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The piece of each point — the last breakpoint ≤ x, as ``searchsorted(side="right")
        - 1``, so NaN falls in the last piece — clipped to 0, and a mask of the points below the
        first breakpoint (None when there are none).

        With few breakpoints, counting the breakpoints above each point (one comparison per
        breakpoint, in bytes) is several times cheaper than a binary search.
        """
        breakpoints = self.breakpoints
        if breakpoints.size > _FEW_BREAKPOINTS:
            idx = np.searchsorted(breakpoints, x, side="right") - 1
            below = idx < 0
            np.maximum(idx, 0, out=idx)
            return idx, (below if below.any() else None)
        above = np.zeros(x.shape, dtype=np.int8)
        for breakpoint in breakpoints[1:]:
            above += np.less(x, breakpoint).view(np.int8)  # NaN is not below any breakpoint
        idx = np.subtract(breakpoints.size - 1, above, dtype=np.intp)
        if x.size == 0 or not np.fmin.reduce(x, axis=None) < breakpoints[0]:  # fmin skips NaN
            return idx, None
        return idx, x < breakpoints[0]
