"""Property tests (hypothesis) of the payout arithmetic's cheaper code paths against the plain
formulas they replace, bit for bit (``tobytes`` equality: signed zeros and NaN included):

* ``CurveFamily.evaluate`` with scales broadcast per rep and period, and its piece search by
  comparisons (few breakpoints) or binary search (many), equals the per-point evaluation with
  ``searchsorted`` and materialised (N, S) scales;
* ``to_cents`` (in place) equals ``sign · floor(round(|a| · 100, 6) + 0.5)``;
* ``period_to_date`` (column additions) equals ``cumsum`` within each period, and
  ``year_to_date`` adds the completed periods as before;
* ``Quotas`` per period (a table by start month) equals the quotas from the employed months'
  weights summed per rep.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spmopt import CurveFamily
from spmopt.plan.calendar import period_end_months, period_of_month
from spmopt.plan.earnings import (
    Quotas,
    RepTerms,
    period_to_date,
    to_cents,
    year_to_date,
)
from spmopt.plan.model import MONTHS_PER_PERIOD, Component

EXAMPLES = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PERIODS = st.sampled_from(["month", "quarter", "year"])


def same_bits(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.dtype == expected.dtype and actual.shape == expected.shape
    assert actual.tobytes() == expected.tobytes(), f"{actual} != {expected}"


# ------------------------------------------------------------------------------- the formulas
def evaluate_per_point(family: CurveFamily, x: np.ndarray, scales: np.ndarray) -> np.ndarray:
    """The evaluation before scales could broadcast: x (N,), scales (N, S)."""
    idx = np.searchsorted(family.breakpoints, x, side="right") - 1
    below = idx < 0
    np.maximum(idx, 0, out=idx)
    offset = x - family.breakpoints.take(idx)
    on_boundary = offset == 0.0
    y = np.zeros(x.shape)
    for column in range(family.right.shape[1]):
        if not (family.right[:, column].any() or family.slopes[:, column].any()):
            if not family.at[:, column].any():
                continue
        piece = family.slopes[:, column].take(idx)
        piece *= offset
        piece += family.right[:, column].take(idx)
        if np.any(family.at[:, column] != family.right[:, column]):
            np.copyto(piece, family.at[:, column].take(idx), where=on_boundary)
        piece *= scales[:, column]
        y += piece
    y[below] = 0.0
    return y


def cents_formula(amount: np.ndarray) -> np.ndarray:
    cents = np.round(np.abs(amount) * 100.0, 6)
    return (np.sign(amount) * np.floor(cents + 0.5)).astype(np.int64)


def year_to_date_formula(to_date: np.ndarray, period: str) -> np.ndarray:
    completed = np.cumsum(to_date[:, period_end_months(period)], axis=1)
    before = np.concatenate([np.zeros((len(to_date), 1)), completed[:, :-1]], axis=1)
    return before[:, period_of_month(period)] + to_date


# ------------------------------------------------------------------------------- strategies
small_values = st.integers(-40, 40).map(lambda value: value / 8)  # exact, with repeats


@st.composite
def families(draw) -> CurveFamily:
    """Curve families with 1–12 breakpoints (both piece searches), 4 scales, some unused, and
    boundary values that differ from the right limits in some columns."""
    k = draw(st.integers(1, 12))
    breakpoints = sorted(draw(st.sets(small_values, min_size=k, max_size=k)))
    used = draw(st.lists(st.booleans(), min_size=4, max_size=4))
    table = st.lists(st.lists(small_values, min_size=4, max_size=4), min_size=k, max_size=k)
    right = np.array(draw(table)) * used
    slopes = np.array(draw(table)) * used
    at = np.where(draw(st.booleans()), np.array(draw(table)) * used, right)
    return CurveFamily(breakpoints, right, slopes, at, ("a", "b", "c", "d"))


@st.composite
def points(draw, family: CurveFamily, shape: tuple[int, ...]) -> np.ndarray:
    """x values on and between the breakpoints, below the first, NaN and ±inf."""
    specials = [np.nan, np.inf, -np.inf, -0.0, *family.breakpoints.tolist()]
    value = st.one_of(small_values, st.sampled_from(specials), st.floats(-1e6, 1e6))
    size = int(np.prod(shape))
    return np.array(draw(st.lists(value, min_size=size, max_size=size))).reshape(shape)


# ------------------------------------------------------------------------------- properties
@EXAMPLES
@given(data=st.data(), family=families(), reps=st.integers(1, 5), period=PERIODS)
def test_broadcast_scales_evaluate_as_per_point_scales(data, family, reps, period):
    length = MONTHS_PER_PERIOD[period]
    periods = 12 // length
    x = data.draw(points(family, (reps, periods, length)))
    count = reps * periods * 4
    scales = data.draw(st.lists(small_values, min_size=count, max_size=count))
    scales = np.array(scales).reshape(reps, periods, 1, 4)  # one scale vector per rep and period
    per_point = np.broadcast_to(scales, x.shape + (4,)).reshape(-1, 4)
    with np.errstate(invalid="ignore"):  # inf · 0 and inf − inf: NaN, as intended
        expected = evaluate_per_point(family, x.ravel(), per_point)
        same_bits(family.evaluate(x, scales), expected.reshape(x.shape))
        same_bits(family.evaluate(x.ravel(), per_point), expected)


@EXAMPLES
@given(
    amounts=st.lists(
        st.one_of(
            st.floats(-1e9, 1e9, allow_nan=False),
            st.integers(-(10**9), 10**9).map(lambda cents: cents / 100),
            st.integers(-(10**6), 10**6).map(lambda tenths: tenths / 1000 + 0.005),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_to_cents_is_the_rounding_formula(amounts):
    amount = np.array(amounts)
    same_bits(to_cents(amount), cents_formula(amount))
    same_bits(to_cents(amount.reshape(-1, 1)[::-1]), cents_formula(amount.reshape(-1, 1)[::-1]))
    assert to_cents(amounts[0]) == cents_formula(np.float64(amounts[0]))


@EXAMPLES
@given(
    monthly=st.lists(st.floats(-1e12, 1e12, allow_nan=False), min_size=12, max_size=120),
    period=PERIODS,
    whole=st.booleans(),
)
def test_period_to_date_and_year_to_date_are_the_cumulative_sums(monthly, period, whole):
    monthly = np.array(monthly[: len(monthly) // 12 * 12]).reshape(-1, 12)
    if whole:
        monthly = np.round(monthly).astype(np.int64)
    length = MONTHS_PER_PERIOD[period]
    to_date = period_to_date(monthly, period)
    expected = monthly.reshape(len(monthly), -1, length).cumsum(axis=2).reshape(monthly.shape)
    same_bits(to_date, expected)
    same_bits(year_to_date(to_date, period), year_to_date_formula(to_date, period))


@EXAMPLES
@given(
    weights=st.one_of(st.none(), st.lists(st.integers(1, 40), min_size=4, max_size=4)),
    starts=st.lists(st.integers(-2, 14), min_size=1, max_size=30),
    explicit=st.lists(st.sampled_from([np.nan, 0.0, 1000.0, 123_456.78]), min_size=30, max_size=30),
    period=PERIODS,
)
def test_quotas_by_period_are_the_summed_month_weights(weights, starts, explicit, period):
    schedule = None if weights is None else [weight / sum(weights) for weight in weights]
    component = Component.model_validate(
        {
            "id": "bookings",
            "measure": "bookings",
            "quota": 960_000,
            "quota_schedule": schedule,
            "tiers": [{"from": 0.0, "rate": 0.1}],
        }
    )
    start = np.array(starts)
    terms = RepTerms(
        ids=np.arange(start.size).astype(str),
        start_month=start,
        target_incentive=np.full(start.size, 1000.0),
        explicit_quota={"bookings": np.array(explicit[: start.size])},
    )
    # the formulas: employed months' weights, summed per rep and per period
    full = np.asarray(component.monthly_quota_weights(), dtype=np.int64)
    employed = full[None, :] * terms.employed
    roster = ~np.isnan(terms.explicit_quota["bookings"])
    base = np.where(roster, terms.explicit_quota["bookings"], component.quota)
    denominator = np.where(roster, employed.sum(axis=1), full.sum())
    length = MONTHS_PER_PERIOD[period]
    weight = np.repeat(employed.reshape(len(employed), -1, length).sum(axis=2), length, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        of_period = np.where(weight > 0, base[:, None] * weight / denominator[:, None], 0.0)
        annual = base * employed.sum(axis=1) / denominator
    full_period = np.repeat(full.reshape(-1, length).sum(axis=1), length)
    quotas = Quotas.of(component, terms)
    same_bits(quotas.of_period(period), of_period)
    same_bits(quotas.by_period(period), of_period[:, length - 1 :: length])
    with np.errstate(invalid="ignore"):  # a roster quota for a rep never employed: 0 / 0
        same_bits(quotas.annual, annual)
    same_bits(quotas.employed_weight, employed)
    same_bits(quotas.employed_share(period), weight / full_period[None, :])
