"""Earnings to date from monthly credited amounts: the arithmetic shared by the statements engine
and the simulators.

Inputs are arrays over R reps (or rep × replication rows) and the 12 months of the plan year;
money is in whole cents as float64 (exact for sums below 2^53 cents). Nothing here reads files.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from spmopt.plan.calendar import MONTHS_PER_YEAR, period_end_months
from spmopt.plan.compile import component_scales
from spmopt.plan.model import MONTHS_PER_PERIOD, Bonus, Component
from spmopt.plan.plan import Plan

#: rows (× 12 months) per block of column-wise passes, so that a block stays in the CPU cache
_CACHE_ROWS = 4096


def to_cents(amount) -> np.ndarray:
    """Whole cents (int64) of a currency amount, rounding half away from zero.

    Representation error is absorbed first by rounding the cents to 6 decimals, as
    ``np.round(cents, 6)`` does (times 1e6, round half to even, divided by 1e6); every step runs
    in place in one buffer.

    >>> to_cents([2.675, -0.005, 0.004]).tolist()
    [268, -1, 0]
    """
    amount = np.asarray(amount, dtype=float)
    cents = np.abs(amount, out=np.empty(amount.shape))
    cents *= 100.0
    cents *= 1e6  # np.round(cents, 6) …
    np.rint(cents, out=cents)
    cents /= 1e6  # … done
    cents += 0.5
    np.floor(cents, out=cents)
    if amount.size and np.fmin.reduce(amount, axis=None) < 0:  # (fmin skips NaN)
        np.copysign(cents, amount, out=cents)
    whole = cents.astype(np.int64)
    return whole if whole.ndim else whole[()]


@dataclass
class RepTerms:
    """Per-rep terms of one plan, as arrays over R reps.

    ``start_month`` is the month of the plan year (0–11) a rep starts in; quota and target
    incentive are prorated by the months employed unless given explicitly (``explicit_quota``
    per component id, NaN where not given; ``target_incentive`` is the rep's annual figure).
    """

    ids: np.ndarray
    start_month: np.ndarray  # int (R,), 0 = employed from the plan year's start
    target_incentive: np.ndarray  # float (R,), annual, prorated unless explicit
    explicit_quota: dict[str, np.ndarray]  # component id -> float (R,), NaN where not given

    @property
    def employed(self) -> np.ndarray:
        """Months employed, bool (R, 12)."""
        return np.arange(MONTHS_PER_YEAR)[None, :] >= self.start_month[:, None]

    @classmethod
    def build(
        cls,
        plan: Plan,
        ids,
        *,
        start_month=None,
        target_incentive=None,
        quota=None,
    ) -> RepTerms:
        """Terms for reps ``ids`` on ``plan``: optional per-rep start month (int), annual target
        incentive and annual quota (array (R,), NaN = plan's; or a dict by component id)."""
        ids = np.asarray(ids).astype(str)
        count = len(ids)
        start = np.zeros(count, dtype=int) if start_month is None else np.asarray(start_month, int)
        months_employed = MONTHS_PER_YEAR - start
        prorated = plan.target_incentive * months_employed / MONTHS_PER_YEAR
        if target_incentive is not None:
            given = np.broadcast_to(np.asarray(target_incentive, dtype=float), (count,))
            prorated = np.where(np.isnan(given), prorated, given)
        explicit = {}
        for component in plan.components:
            values = quota.get(component.id) if isinstance(quota, dict) else quota
            explicit[component.id] = (
                np.full(count, np.nan)
                if values is None
                else np.broadcast_to(np.asarray(values, dtype=float), (count,)).copy()
            )
        return cls(ids=ids, start_month=start, target_incentive=prorated, explicit_quota=explicit)


@dataclass
class Quotas:
    """A component's quotas for R reps, computed exactly from whole-number schedule weights.

    A rep's quota for a span of months is ``base · (weight of those months employed) / denominator``:
    the plan's quota prorated by the schedule weight of the months employed, or a roster quota
    (already the rep's whole annual quota) spread over the months employed. Quotas of whole
    periods are computed per period (R, P) from a small table by start month, never per month.
    """

    base: np.ndarray  # (R,) plan or roster quota
    denominator: np.ndarray  # (R,) int whole-year weight, or weight of the months employed
    start_month: np.ndarray  # (R,) int first month employed, 0–12 (12: none)
    full_weight: np.ndarray  # (12,) int schedule weights

    @classmethod
    def of(cls, component: Component, terms: RepTerms) -> Quotas:
        weights = np.asarray(component.monthly_quota_weights(), dtype=np.int64)
        start = np.clip(terms.start_month, 0, MONTHS_PER_YEAR)
        employed_year = employed_weight_by_period(weights, start, "year")[:, 0]
        explicit = terms.explicit_quota[component.id]
        from_roster = ~np.isnan(explicit)
        return cls(
            base=np.where(from_roster, explicit, component.quota),
            denominator=np.where(from_roster, employed_year, weights.sum()),
            start_month=start,
            full_weight=weights,
        )

    @property
    def employed_weight(self) -> np.ndarray:
        """Schedule weights of the months employed, int (R, 12)."""
        employed = np.arange(MONTHS_PER_YEAR)[None, :] >= self.start_month[:, None]
        return self.full_weight[None, :] * employed

    @property
    def annual(self) -> np.ndarray:
        """Each rep's annual quota (R,)."""
        employed = employed_weight_by_period(self.full_weight, self.start_month, "year")[:, 0]
        return self.base * employed / self.denominator

    def by_period(self, period: str) -> np.ndarray:
        """Each rep's quota of each ``period`` of the year (R, P); 0 for periods not employed."""
        weight = employed_weight_by_period(self.full_weight, self.start_month, period)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                weight > 0, self.base[:, None] * weight / self.denominator[:, None], 0.0
            )

    def of_period(self, period: str) -> np.ndarray:
        """For each month (R, 12), the quota of the whole ``period`` containing it."""
        return np.repeat(self.by_period(period), MONTHS_PER_PERIOD[period], axis=1)

    def employed_share_by_period(self, period: str) -> np.ndarray:
        """For each ``period`` of the year (R, P), the schedule share of it the rep is employed."""
        employed = employed_weight_by_period(self.full_weight, self.start_month, period)
        return employed / period_sums(self.full_weight[None, :], period)

    def employed_share(self, period: str) -> np.ndarray:
        """For each month (R, 12), the schedule share of its ``period`` during which the rep is employed."""
        return np.repeat(self.employed_share_by_period(period), MONTHS_PER_PERIOD[period], axis=1)


def employed_weight_by_period(weights: np.ndarray, start_month: np.ndarray, period: str):
    """Schedule weight (int (R, P)) of the months employed in each ``period``, for reps first
    employed in ``start_month`` (0–12) of a year whose months weigh ``weights`` (12,).

    Looked up in a (13, P) table of every start month: exact integer sums, as summing the
    employed months' weights would give.
    """
    return _employed_weight_table(tuple(weights.tolist()), period)[start_month]


@functools.lru_cache(maxsize=64)
def _employed_weight_table(weights: tuple[int, ...], period: str) -> np.ndarray:
    """For each start month 0–12 (rows) the schedule weight employed in each period (columns)."""
    starts = np.arange(MONTHS_PER_YEAR + 1)[:, None]
    employed = np.arange(MONTHS_PER_YEAR)[None, :] >= starts
    table = period_sums(np.asarray(weights, dtype=np.int64)[None, :] * employed, period)
    table.setflags(write=False)
    return table


def period_sums(monthly: np.ndarray, period: str) -> np.ndarray:
    """Totals of ``monthly`` (R, 12) over each ``period`` of the year (R, P)."""
    return monthly.reshape(len(monthly), -1, MONTHS_PER_PERIOD[period]).sum(axis=2)


def period_total(monthly: np.ndarray, period: str) -> np.ndarray:
    """For each month, the total of ``monthly`` (R, 12) over the whole period containing it."""
    return np.repeat(period_sums(monthly, period), MONTHS_PER_PERIOD[period], axis=1)


def period_to_date(monthly: np.ndarray, period: str) -> np.ndarray:
    """Cumulative sum of ``monthly`` (R, 12) within each period (resetting at period starts).

    As ``cumsum`` within each period, with its dtype and, for floats, its order of additions:
    whole numbers (int64, exact modulo 2^64 as numpy's integers are) run as one cumulative sum
    of the flattened array less the running total before each period; floats by one addition of
    a month's column per month over blocks of rows that stay in cache. Both are several times
    faster than ``cumsum`` along a 12-month axis, which works row by row.
    """
    to_date = np.empty(monthly.shape, dtype=np.cumsum(monthly[:0]).dtype)
    by_month = monthly.reshape(len(monthly), -1, MONTHS_PER_PERIOD[period])
    out = to_date.reshape(by_month.shape)
    if to_date.dtype.kind in "iu" and to_date.size:
        np.cumsum(monthly.reshape(-1), out=to_date.reshape(-1))
        before = np.zeros(by_month.shape[:2], dtype=to_date.dtype)
        before.reshape(-1)[1:] = out[:, :, -1].reshape(-1)[:-1]
        out -= before[:, :, None]
        return to_date
    out[:, :, 0] = by_month[:, :, 0]
    for first in range(0, len(monthly), _CACHE_ROWS):
        rows = slice(first, first + _CACHE_ROWS)
        for month in range(1, by_month.shape[2]):
            np.add(out[rows, :, month - 1], by_month[rows, :, month], out=out[rows, :, month])
    return to_date


def year_to_date(
    period_to_date: np.ndarray, period: str, out: np.ndarray | None = None
) -> np.ndarray:
    """Year-to-date totals from period-to-date values (R, 12) of resetting periods: each month
    plus the totals of the periods completed before its own (into ``out`` when given, which may
    be ``period_to_date`` itself)."""
    by_period = period_to_date.reshape(len(period_to_date), -1, MONTHS_PER_PERIOD[period])
    before = np.zeros(by_period.shape[:2])
    before[:, 1:] = np.cumsum(by_period[:, :-1, -1], axis=1)
    if out is None:
        out = np.empty(period_to_date.shape, dtype=np.result_type(before, period_to_date))
    np.add(before[:, :, None], by_period, out=out.reshape(by_period.shape))
    return out


@dataclass
class ComponentEarnings:
    """One component's figures per rep and month (R, 12)."""

    component: Component
    credited_to_date: np.ndarray  # cents, within the measurement period
    period_quota: np.ndarray  # currency, quota of the measurement period containing the month
    earnings_to_date: np.ndarray  # int cents, year to date, max_payout applied
    capped: np.ndarray  # bool: max_payout binds


@dataclass
class CreditRows:
    """Individual credits, for per-transaction components: rep row, month (0–11), whole cents."""

    rep_index: np.ndarray
    month: np.ndarray
    cents: np.ndarray

    def monthly(self, count: int) -> np.ndarray:
        """Credited cents per rep and month (count, 12)."""
        flat = self.rep_index * MONTHS_PER_YEAR + self.month
        return np.bincount(flat, weights=self.cents, minlength=count * MONTHS_PER_YEAR).reshape(
            count, MONTHS_PER_YEAR
        )


def component_earnings(
    plan: Plan,
    component: Component,
    terms: RepTerms,
    monthly_credited: np.ndarray,
    rows: CreditRows | None = None,
) -> ComponentEarnings:
    """Earnings to date of ``component`` from credited cents per rep and month (R, 12).

    Period-to-date components need only the monthly totals; per-transaction components also need
    the individual credits (``rows``), each evaluated on the curve alone (a cancellation reverses
    the evaluation of its amount). Quotas and scales are computed once per rep and measurement
    period (R, P) and broadcast over the period's months.
    """
    period = component.measurement_period
    quota = Quotas.of(component, terms)
    annual_quota = quota.annual[:, None]
    quota_by_period = quota.by_period(period)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(annual_quota > 0, quota_by_period / annual_quota, 0.0)
    scales = component_scales(component, annual_quota, terms.target_incentive[:, None], share)
    credited_to_date = period_to_date(monthly_credited, period)
    if component.evaluation == "period_to_date":
        to_date = _period_to_date_earnings(
            plan, component, credited_to_date, quota_by_period, scales
        )
    else:
        if rows is None:
            raise ValueError(f"component '{component.id}' is per_transaction: pass the credit rows")
        to_date = _per_transaction_earnings(
            plan, component, rows, quota_by_period, scales, monthly_credited.shape
        )
    capped = np.zeros(to_date.shape, dtype=bool)
    if component.max_payout is not None:
        capped = to_date > component.max_payout
        np.minimum(to_date, component.max_payout, out=to_date)
    return ComponentEarnings(
        component=component,
        credited_to_date=credited_to_date,
        period_quota=np.repeat(quota_by_period, MONTHS_PER_PERIOD[period], axis=1),
        earnings_to_date=to_cents(to_date),
        capped=capped,
    )


def _period_to_date_earnings(
    plan: Plan,
    component: Component,
    credited_to_date: np.ndarray,
    quota_by_period: np.ndarray,
    scales: np.ndarray,
) -> np.ndarray:
    """Earnings to date [currency] (R, 12) of a period-to-date component: its curve at each
    month's credits [cents] (R, 12) to date in the period, or at their attainment of the period's
    quota (R, P); nothing in a period without quota; completed periods added up."""
    count, periods = quota_by_period.shape
    by_period = (count, periods, MONTHS_PER_PERIOD[component.measurement_period])
    x = np.divide(credited_to_date, 100.0, dtype=float).reshape(by_period)
    no_quota = None if (quota_by_period > 0).all() else ~(quota_by_period > 0)[:, :, None]
    if component.basis == "attainment":
        with np.errstate(divide="ignore", invalid="ignore"):
            x /= quota_by_period[:, :, None]
        if no_quota is not None:
            np.copyto(x, 0.0, where=no_quota)
    earned = plan.families[component.id].evaluate(x, scales[:, :, None, :])
    if no_quota is not None:
        np.copyto(earned, 0.0, where=no_quota)
    earned = earned.reshape(credited_to_date.shape)
    if periods == 1:  # the year to date is the period to date (and evaluate gives no -0.0)
        return earned
    return year_to_date(earned, component.measurement_period, out=earned)


def _per_transaction_earnings(
    plan: Plan,
    component: Component,
    rows: CreditRows,
    quota_by_period: np.ndarray,
    scales: np.ndarray,
    shape: tuple[int, int],
) -> np.ndarray:
    """Earnings to date [currency] ``shape`` (R, 12) of a per-transaction component: the curve at
    each credit's size [cents] (or its attainment of its period's quota (R, P)), signed as the
    credit, summed by rep and month and accumulated over the year. Against a period quota of 0
    an attainment-based credit earns nothing (as in the period-to-date evaluation)."""
    period = rows.month // MONTHS_PER_PERIOD[component.measurement_period]
    size = np.abs(rows.cents) / 100.0
    family = plan.families[component.id]
    if component.basis == "attainment":
        quota = quota_by_period[rows.rep_index, period]
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(quota > 0, size / quota, 0.0)
        curve = np.where(quota > 0, family.evaluate(x, scales[rows.rep_index, period]), 0.0)
    else:
        curve = family.evaluate(size, scales[rows.rep_index, period])
    earned_each = np.sign(rows.cents) * curve
    flat = rows.rep_index * MONTHS_PER_YEAR + rows.month
    earned = np.bincount(flat, weights=earned_each, minlength=shape[0] * shape[1])
    return earned.reshape(shape).cumsum(axis=1)


@dataclass
class BonusEarnings:
    """One bonus's figures per rep."""

    bonus: Bonus
    earned_at_month: np.ndarray  # int cents (R, 12): the lump sum, at the month its period ends
    credited: np.ndarray  # cents (R, n_periods) at each bonus period's end
    quota: np.ndarray  # currency (R, n_periods)


def bonus_earnings(
    bonus: Bonus, owner: Component, terms: RepTerms, monthly_credited: np.ndarray
) -> BonusEarnings:
    """The lump sums of ``bonus`` from its measure's credited cents per rep and month (R, 12);
    ``owner`` is the component whose quota the bonus uses."""
    ends = period_end_months(bonus.period)
    owner_quota = Quotas.of(owner, terms)
    quota = owner_quota.by_period(bonus.period)
    credited = period_to_date(monthly_credited, bonus.period)[:, ends]
    proration = owner_quota.employed_share_by_period(bonus.period)
    with np.errstate(divide="ignore", invalid="ignore"):
        reached = (quota > 0) & (credited / 100.0 / quota >= bonus.at)
    earned = np.zeros((len(terms.ids), MONTHS_PER_YEAR))
    earned[:, ends] = np.where(reached, bonus.amount * proration, 0.0)
    return BonusEarnings(
        bonus=bonus, earned_at_month=to_cents(earned), credited=credited, quota=quota
    )


@dataclass
class PlanEarnings:
    """Every component's and bonus's earnings, and the total to date (int cents (R, 12))."""

    components: list[ComponentEarnings]
    bonuses: list[BonusEarnings]

    @property
    def total_to_date(self) -> np.ndarray:
        """Total earnings to date per rep and month, int cents (R, 12)."""
        total = sum(result.earnings_to_date for result in self.components)
        for result in self.bonuses:
            total = total + result.earned_at_month.cumsum(axis=1)
        return total


def plan_earnings(
    plan: Plan,
    terms: RepTerms,
    monthly_by_measure: dict[str, np.ndarray],
    rows_by_measure: dict[str, CreditRows] | None = None,
) -> PlanEarnings:
    """Earnings of every component and bonus of ``plan`` from credited cents per measure, rep
    and month (each (R, 12)); ``rows_by_measure`` is needed for per-transaction components."""
    rows_by_measure = rows_by_measure or {}
    components = [
        component_earnings(
            plan,
            component,
            terms,
            monthly_by_measure[component.measure],
            rows_by_measure.get(component.measure),
        )
        for component in plan.components
    ]
    bonuses = [
        bonus_earnings(
            bonus, plan.quota_of_measure(bonus.measure), terms, monthly_by_measure[bonus.measure]
        )
        for bonus in plan.bonuses
    ]
    return PlanEarnings(components=components, bonuses=bonuses)
