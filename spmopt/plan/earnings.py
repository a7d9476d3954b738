"""Earnings to date from monthly credited amounts: the arithmetic shared by the statements engine
and the simulators.

Inputs are arrays over R reps (or rep × replication rows) and the 12 months of the plan year;
money is in whole cents as float64 (exact for sums below 2^53 cents). Nothing here reads files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spmopt.plan.calendar import MONTHS_PER_YEAR, period_end_months, period_of_month
from spmopt.plan.compile import component_scales
from spmopt.plan.model import MONTHS_PER_PERIOD, Bonus, Component
from spmopt.plan.plan import Plan


def to_cents(amount) -> np.ndarray:
    """Whole cents (int64) of a currency amount, rounding half away from zero."""
    amount = np.asarray(amount, dtype=float)
    cents = np.round(np.abs(amount) * 100.0, 6)  # absorb representation error before rounding
    return (np.sign(amount) * np.floor(cents + 0.5)).astype(np.int64)


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
    (already the rep's whole annual quota) spread over the months employed.
    """

    base: np.ndarray  # (R,) plan or roster quota
    denominator: np.ndarray  # (R,) whole-year weight, or weight of the months employed
    employed_weight: np.ndarray  # (R, 12) int schedule weights of months employed
    full_weight: np.ndarray  # (12,) int schedule weights

    @classmethod
    def of(cls, component: Component, terms: RepTerms) -> Quotas:
        weights = np.asarray(component.monthly_quota_weights(), dtype=np.int64)
        employed_weight = weights[None, :] * terms.employed
        explicit = terms.explicit_quota[component.id]
        from_roster = ~np.isnan(explicit)
        return cls(
            base=np.where(from_roster, explicit, component.quota),
            denominator=np.where(from_roster, employed_weight.sum(axis=1), weights.sum()),
            employed_weight=employed_weight,
            full_weight=weights,
        )

    @property
    def annual(self) -> np.ndarray:
        """Each rep's annual quota (R,)."""
        return self.base * self.employed_weight.sum(axis=1) / self.denominator

    def of_period(self, period: str) -> np.ndarray:
        """For each month (R, 12), the quota of the whole ``period`` containing it."""
        weight = period_total(self.employed_weight, period)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                weight > 0, self.base[:, None] * weight / self.denominator[:, None], 0.0
            )

    def employed_share(self, period: str) -> np.ndarray:
        """For each month (R, 12), the schedule share of its ``period`` during which the rep is employed."""
        return period_total(self.employed_weight, period) / period_total(
            self.full_weight[None, :], period
        )


def period_total(monthly: np.ndarray, period: str) -> np.ndarray:
    """For each month, the total of ``monthly`` (R, 12) over the whole period containing it."""
    length = MONTHS_PER_PERIOD[period]
    totals = monthly.reshape(len(monthly), -1, length).sum(axis=2)
    return np.repeat(totals, length, axis=1)


def period_to_date(monthly: np.ndarray, period: str) -> np.ndarray:
    """Cumulative sum of ``monthly`` (R, 12) within each period (resetting at period starts)."""
    length = MONTHS_PER_PERIOD[period]
    return monthly.reshape(len(monthly), -1, length).cumsum(axis=2).reshape(monthly.shape)


def year_to_date(period_to_date: np.ndarray, period: str) -> np.ndarray:
    """Year-to-date totals from period-to-date values (R, 12) of resetting periods."""
    ends = period_end_months(period)
    completed = np.cumsum(period_to_date[:, ends], axis=1)
    before = np.concatenate([np.zeros((len(period_to_date), 1)), completed[:, :-1]], axis=1)
    return before[:, period_of_month(period)] + period_to_date


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
    the evaluation of its amount).
    """
    quota = Quotas.of(component, terms)
    annual_quota = quota.annual
    period_quota = quota.of_period(component.measurement_period)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(annual_quota[:, None] > 0, period_quota / annual_quota[:, None], 0.0)
    scales = component_scales(
        component, annual_quota[:, None], terms.target_incentive[:, None], share
    )
    family = plan.families[component.id]
    credited_to_date = period_to_date(monthly_credited, component.measurement_period)
    by_attainment = component.basis == "attainment"
    if component.evaluation == "period_to_date":
        amount = credited_to_date / 100.0
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(period_quota > 0, amount / period_quota, 0.0) if by_attainment else amount
        earned = family.evaluate(x.ravel(), scales.reshape(-1, scales.shape[-1])).reshape(x.shape)
        earned = np.where(period_quota > 0, earned, 0.0)
        to_date = year_to_date(earned, component.measurement_period)
    else:
        if rows is None:
            raise ValueError(f"component '{component.id}' is per_transaction: pass the credit rows")
        size = np.abs(rows.cents) / 100.0
        quota_of_credit = period_quota[rows.rep_index, rows.month]
        x = size / quota_of_credit if by_attainment else size
        earned_each = np.sign(rows.cents) * family.evaluate(x, scales[rows.rep_index, rows.month])
        flat = rows.rep_index * MONTHS_PER_YEAR + rows.month
        earned = np.bincount(flat, weights=earned_each, minlength=monthly_credited.size)
        to_date = earned.reshape(monthly_credited.shape).cumsum(axis=1)
    capped = np.zeros(to_date.shape, dtype=bool)
    if component.max_payout is not None:
        capped = to_date > component.max_payout
        to_date = np.minimum(to_date, component.max_payout)
    return ComponentEarnings(
        component=component,
        credited_to_date=credited_to_date,
        period_quota=period_quota,
        earnings_to_date=to_cents(to_date),
        capped=capped,
    )


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
    quota = owner_quota.of_period(bonus.period)[:, ends]
    credited = period_to_date(monthly_credited, bonus.period)[:, ends]
    proration = owner_quota.employed_share(bonus.period)[:, ends]
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
