"""Seasonality of sales over the 12 months of the plan year, and ramp-up of new hires.

Rep parameters are annual. :func:`split_annual` spreads them over months so that annual means and
variances are preserved: with seasonality weights ``s_m`` (summing to 1), month m has mean
``h·s_m`` and, for independent monthly shocks, variance ``σ²·s_m``; summing the 12 months gives
back mean ``h`` and variance ``σ²``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spmopt.reps._checks import array, fail, number

MONTHS = 12


@dataclass(frozen=True, eq=False)
class Seasonality:
    """Monthly shares ``weights`` (12 non-negative numbers summing to 1) of annual sales.

    Examples
    --------
    >>> Seasonality.flat().weights.sum()
    np.float64(1.0)
    >>> round(float(Seasonality.quarter_end(lift=2.0).weights[2] / Seasonality.quarter_end(lift=2.0).weights[0]), 6)
    2.0
    """

    weights: np.ndarray

    def __post_init__(self):
        weights = array("seasonality", self.weights, low=0)
        if weights.shape != (MONTHS,):
            fail("seasonality", "12 monthly weights", weights.shape)
        total = weights.sum()
        if total <= 0:
            fail("seasonality", "weights with a positive sum")
        weights = weights / total
        weights.setflags(write=False)
        object.__setattr__(self, "weights", weights)

    @classmethod
    def flat(cls) -> Seasonality:
        """Every month 1/12 of the year."""
        return cls(np.full(MONTHS, 1.0 / MONTHS))

    @classmethod
    def quarter_end(cls, lift: float = 1.5) -> Seasonality:
        """The last month of each quarter sells ``lift`` times the other two (Oyer 1998 shape).

        As a seasonality of new business (leads) it is smoothed out by the sales cycle; deals that
        bunch their *closings* at quarter ends use ``DealSales.quarter_end_lift`` instead.
        """
        lift = number("seasonality.lift", lift, low=0, low_open=True)
        return cls(np.tile([1.0, 1.0, lift], 4))

    def share(self, months) -> float:
        """Total weight of the given months (0-based)."""
        return float(self.weights[np.asarray(months, dtype=int)].sum())


def split_annual(mean, variance, seasonality: Seasonality | None = None):
    """Monthly means ``mean·s_m`` and variances ``variance·s_m``, shape ``mean.shape + (12,)``.

    >>> m, v = split_annual(1200.0, 144.0)
    >>> float(m.sum()), float(v.sum())
    (1200.0, 144.0)
    """
    weights = (seasonality or Seasonality.flat()).weights
    mean = np.asarray(mean, dtype=float)[..., None]
    variance = np.asarray(variance, dtype=float)[..., None]
    return mean * weights, variance * weights


@dataclass(frozen=True)
class Ramp:
    """Productivity of a new hire: ``start_fraction`` at hire, rising linearly to 1 at ramp end.

    The factor for a rep with ``ramp_months = R`` in tenure month t (0-based, evaluated at the
    middle of the month) is ``min(1, start + (1 − start)·(t + ½)/R)``; R = 0 means no ramp. It
    scales the rep's expected sales (base and effort response) and the variance of sales.
    Calibration: AE median ramp about 5 months, SDR 3.2 (Bridge Group, see docs/calibration.md).
    """

    start_fraction: float = 0.25

    def __post_init__(self):
        number("ramp.start_fraction", self.start_fraction, low=0, high=1)

    def factor(self, tenure_months, ramp_months) -> np.ndarray:
        """Productivity factor in [start_fraction, 1] (broadcasts its arguments)."""
        tenure = np.asarray(tenure_months, dtype=float)
        ramp = np.asarray(ramp_months, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            progress = np.where(ramp > 0, (tenure + 0.5) / ramp, 1.0)
        return np.minimum(1.0, self.start_fraction + (1 - self.start_fraction) * progress)

    def by_month(self, tenure_months, ramp_months) -> np.ndarray:
        """Factors for the 12 months of the plan year, shape (N, 12), from tenure at year start."""
        tenure = np.asarray(tenure_months, dtype=float)[..., None] + np.arange(MONTHS)
        return self.factor(tenure, np.asarray(ramp_months, dtype=float)[..., None])


def productivity(
    tenure_months, ramp_months, seasonality: Seasonality | None = None, ramp: Ramp | None = None
) -> np.ndarray:
    """Seasonality weights times ramp factors, shape (N, 12): month m's share of annual output.

    Sums to 1 across the months for a fully ramped rep; less for a rep still ramping.
    """
    weights = (seasonality or Seasonality.flat()).weights
    return weights * (ramp or Ramp()).by_month(tenure_months, ramp_months)
