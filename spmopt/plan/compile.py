"""Compile a component's rule into its canonical curve family (design §3.1).

The x-axis is the component's basis: attainment (credited / quota of the measurement period) or
the credited amount itself. Values are linear in four per-rep scales of one measurement period:

* ``per_unit`` — 1; carries ``rate`` tiers keyed on amount (currency per unit credited),
* ``quota`` — the measurement period's quota; carries ``rate`` tiers keyed on attainment,
* ``base_rate`` — ``weight · target_incentive / quota`` (currency per unit credited); carries
  ``multiplier`` tiers keyed on amount,
* ``target_incentive`` — the component's target incentive for the measurement period; carries
  ``multiplier`` tiers keyed on attainment and the points of interpolated pay curves.
"""

from __future__ import annotations

import numpy as np

from spmopt.plan.curve import CurveFamily, PayoutCurve
from spmopt.plan.model import Component, Tier

SCALES: tuple[str, ...] = ("per_unit", "quota", "base_rate", "target_incentive")
_UNIT = np.eye(len(SCALES))


def _tier_slope(component: Component, tier: Tier) -> np.ndarray:
    """Slope of a rate or multiplier tier, as coefficients over :data:`SCALES`."""
    by_attainment = component.basis == "attainment"
    if tier.rate is not None:
        return tier.rate * _UNIT[SCALES.index("quota" if by_attainment else "per_unit")]
    column = "target_incentive" if by_attainment else "base_rate"
    return tier.multiplier * _UNIT[SCALES.index(column)]


def _rate_table(component: Component) -> tuple[list[float], list[np.ndarray], list[np.ndarray]]:
    """Breakpoints, right limits and slopes of a marginal / retroactive rate table."""
    breakpoints: list[float] = []
    right: list[np.ndarray] = []
    slopes: list[np.ndarray] = []
    zero = np.zeros(len(SCALES))
    if component.tiers[0].from_ > 0:
        breakpoints.append(0.0)
        right.append(zero)
        slopes.append(zero)
    for tier in component.tiers:
        slope = _tier_slope(component, tier)
        method = tier.method or component.method
        if method == "retroactive":
            start = slope * tier.from_
        elif breakpoints:  # marginal: continue from the curve's value at the tier's start
            start = right[-1] + slopes[-1] * (tier.from_ - breakpoints[-1])
        else:
            start = zero
        breakpoints.append(tier.from_)
        right.append(start)
        slopes.append(slope)
    return breakpoints, right, slopes


def _interpolated(component: Component) -> tuple[list[float], list[np.ndarray], list[np.ndarray]]:
    """Breakpoints, right limits and slopes of an interpolated pay curve."""
    ti = _UNIT[SCALES.index("target_incentive")]
    points = [(tier.from_, tier.payout) for tier in component.tiers]
    breakpoints: list[float] = []
    right: list[np.ndarray] = []
    slopes: list[np.ndarray] = []
    if points[0][0] > 0:
        breakpoints.append(0.0)
        right.append(0 * ti)
        slopes.append(0 * ti)
    for position, (start, payout) in enumerate(points):
        breakpoints.append(start)
        right.append(payout * ti)
        if position + 1 < len(points):
            next_start, next_payout = points[position + 1]
            slopes.append((next_payout - payout) / (next_start - start) * ti)
        else:
            slopes.append(0 * ti)
    return breakpoints, right, slopes


def _columns(family_parts, boundary: str) -> list[PayoutCurve]:
    breakpoints, right, slopes = family_parts
    right = np.array(right)
    slopes = np.array(slopes)
    curves = []
    for column in range(len(SCALES)):
        curve = PayoutCurve(breakpoints, right[:, column], slopes[:, column])
        if boundary == "lower":
            curve = PayoutCurve(breakpoints, curve.right, curve.slopes, at=curve.left_limits())
        curves.append(curve)
    return curves


def component_family(component: Component) -> CurveFamily:
    """The canonical curve family of ``component`` over its basis (threshold and cap applied).

    The component's ``max_payout`` is an annual ceiling on earnings to date and is applied by the
    statements engine (and by :meth:`spmopt.Plan.curve` for display), not here.
    """
    parts = (
        _interpolated(component) if component.method == "interpolated" else _rate_table(component)
    )
    columns = _columns(parts, component.boundary)
    if component.threshold is not None:
        inclusive = component.boundary == "higher"
        columns = [curve.gate(component.threshold, inclusive=inclusive) for curve in columns]
    if component.cap is not None:
        columns = [curve.clip_x(component.cap) for curve in columns]
    # every column went through the same operations, so they share breakpoints
    breakpoints = columns[0].breakpoints
    return CurveFamily(
        breakpoints=breakpoints,
        right=np.column_stack([curve.right for curve in columns]),
        slopes=np.column_stack([curve.slopes for curve in columns]),
        at=np.column_stack([curve.at for curve in columns]),
        scale_names=SCALES,
    )


def component_scales(component: Component, quota, target_incentive, period_share) -> np.ndarray:
    """Scale vectors (…, 4) for reps with annual ``quota`` and plan ``target_incentive``.

    ``period_share`` is the measurement period's share of the rep's annual quota (e.g. 0.25 for
    a quarter of an evenly spread quota). Arguments broadcast against each other.
    """
    quota = np.asarray(quota, dtype=float)
    target_incentive = np.asarray(target_incentive, dtype=float)
    period_share = np.asarray(period_share, dtype=float)
    component_ti = component.weight * target_incentive
    with np.errstate(divide="ignore", invalid="ignore"):
        base_rate = np.where(quota > 0, component_ti / quota, 0.0)
    shape = np.broadcast_shapes(quota.shape, target_incentive.shape, period_share.shape)
    scales = np.empty(shape + (len(SCALES),))
    scales[..., 0] = 1.0
    scales[..., 1] = quota * period_share
    scales[..., 2] = base_rate
    scales[..., 3] = component_ti * period_share
    return scales
