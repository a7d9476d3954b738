"""Where each rep stands at an as-of date during the plan year (the in-year monitoring view).

Statements to date answer "what has been paid"; the position answers "how is the year going":
credits and earnings to date, attainment against the annual quota and against the quota *to date*
(the quota schedule's share of the months elapsed, the as-of month pro-rated by days), pay to date
(the closed payout periods), and what is still at stake — the earnings a rep adds by finishing the
year exactly at quota, and (for capped plans) at most.

"Finishing at quota" is a completion of the credit stream: in every remaining month each measure's
credited amount to date in its measurement period is raised to at least the quota to date of that
period (on the quota schedule), never lowered. A rep already above quota gets no further credits;
a rep behind catches up from the as-of month on. Per-transaction components see each month's
catch-up as one credit. Everything is vectorised over reps; money in the arrays is whole cents
unless named ``_currency``.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spmopt.plan.calendar import MONTHS_PER_YEAR
from spmopt.plan.earnings import (
    CreditRows,
    PlanEarnings,
    Quotas,
    RepTerms,
    period_to_date,
    plan_earnings,
    to_cents,
)
from spmopt.plan.model import MONTHS_PER_PERIOD
from spmopt.plan.plan import Plan

POSITION_COLUMNS = (
    "rep_id",
    "plan_id",
    "as_of",
    "credited_ytd",
    "quota_year",
    "quota_to_date",
    "attainment_year",
    "attainment_to_date",
    "earned_ytd",
    "paid_to_date",
    "earned_unpaid",
    "credit_to_quota",
    "earned_at_quota",
    "at_stake_to_quota",
    "earned_at_most",
    "at_stake_max",
)


@dataclass(frozen=True)
class AsOf:
    """An as-of date inside a plan year: its month (0–11) and the share of that month elapsed."""

    date: dt.date
    month: int
    month_share: float  # days elapsed / days in the month, in (0, 1]

    @classmethod
    def of(cls, date: dt.date, year_start: dt.date) -> AsOf:
        """The as-of point of ``date`` in the plan year starting ``year_start``.

        >>> point = AsOf.of(dt.date(2027, 5, 15), dt.date(2027, 1, 1))
        >>> point.month, round(point.month_share, 4), point.month_closed
        (4, 0.4839, False)
        """
        month = (date.year - year_start.year) * 12 + (date.month - year_start.month)
        days = calendar.monthrange(date.year, date.month)[1]
        return cls(date=date, month=int(month), month_share=date.day / days)

    @property
    def month_closed(self) -> bool:
        """Whether the as-of date is the last day of its month."""
        return self.month_share >= 1.0

    def elapsed(self) -> np.ndarray:
        """Share of each month of the year elapsed (12,): 1 before the as-of month, 0 after."""
        share = (np.arange(MONTHS_PER_YEAR) < self.month).astype(float)
        share[self.month] = self.month_share
        return share


def monthly_quota(quota: Quotas) -> np.ndarray:
    """Each rep's quota of each month [currency] (R, 12) on the quota schedule (0 before the
    rep starts); the months of a period sum to :meth:`Quotas.by_period`."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            quota.denominator[:, None] > 0,
            quota.base[:, None] * quota.employed_weight / quota.denominator[:, None],
            0.0,
        )


def completion(
    plan: Plan,
    reps: RepTerms,
    monthly_by_measure: dict[str, np.ndarray],
    as_of: AsOf | tuple[np.ndarray, np.ndarray],
    ratio,
) -> dict[str, np.ndarray]:
    """Monthly credited cents per measure (R, 12) completing the year from ``as_of``: credits to
    the as-of month as given, then each remaining month raised so that credited to date in the
    measure's measurement period reaches ``ratio`` × its quota to date; months already ahead get
    nothing.

    ``as_of`` is an :class:`AsOf`, or per rep row a pair (last month of actual credits, first
    month completed), ints (R,). ``ratio`` is a number, an array (R,), or a dict of either by
    measure.
    """
    if isinstance(as_of, AsOf):
        last, first = as_of.month, as_of.month + int(as_of.month_closed)
    else:
        last, first = as_of
    months = np.arange(MONTHS_PER_YEAR)[None, :]
    actual_months = months <= np.reshape(last, (-1, 1))
    remaining = months >= np.reshape(first, (-1, 1))
    completed = {}
    for measure, monthly in monthly_by_measure.items():
        owner = plan.quota_of_measure(measure)
        target_ratio = ratio[measure] if isinstance(ratio, dict) else ratio
        target_ratio = np.reshape(np.asarray(target_ratio, dtype=float), (-1, 1))
        period = owner.measurement_period
        quota = monthly_quota(Quotas.of(owner, reps))
        target = to_cents(target_ratio * period_to_date(quota, period)).astype(float)
        actual = np.where(actual_months, monthly, 0.0)
        actual_to_date = period_to_date(actual, period)
        raised = np.where(remaining, np.maximum(actual_to_date, target), actual_to_date)
        # back to monthly amounts, within each measurement period
        by_period = raised.reshape(len(raised), -1, MONTHS_PER_PERIOD[period])
        monthly_new = np.diff(by_period, axis=2, prepend=0.0).reshape(raised.shape)
        completed[measure] = monthly_new
    return completed


def _rows_from_monthly(rows: CreditRows, monthly_added: np.ndarray) -> CreditRows:
    """Credit rows with each rep-month's added amount (cents, (R, 12)) as one more credit."""
    rep, month = np.nonzero(monthly_added != 0)
    return CreditRows(
        rep_index=np.concatenate([rows.rep_index, rep]),
        month=np.concatenate([rows.month, month]),
        cents=np.concatenate([rows.cents, monthly_added[rep, month]]),
    )


def year_end_earnings(
    plan: Plan,
    reps: RepTerms,
    monthly_by_measure: dict[str, np.ndarray],
    rows_by_measure: dict[str, CreditRows],
    as_of,
    ratio,
) -> np.ndarray:
    """Year-end earnings [cents] (R,) if each rep completes the year at ``ratio`` × quota (see
    :func:`completion` for ``as_of`` and ``ratio``); ``rows_by_measure`` must hold only the
    credits up to each row's as-of month."""
    completed = completion(plan, reps, monthly_by_measure, as_of, ratio)
    return completed_earnings(plan, reps, monthly_by_measure, rows_by_measure, completed)


def completed_earnings(plan, reps, monthly_by_measure, rows_by_measure, completed) -> np.ndarray:
    """Year-end earnings [cents] (R,) of the completed monthly credits ``completed`` (R, 12) per
    measure, from the actual ``monthly_by_measure`` and their ``rows_by_measure`` (only credits up
    to each row's as-of month); per-transaction components see each month's addition as one more
    credit."""
    per_transaction = {c.measure for c in plan.components if c.evaluation == "per_transaction"}
    rows = {}
    for measure, monthly in monthly_by_measure.items():
        actual_rows = rows_by_measure.get(measure)
        if measure in per_transaction and actual_rows is not None:
            rows[measure] = _rows_from_monthly(actual_rows, completed[measure] - monthly)
        elif actual_rows is not None:
            rows[measure] = actual_rows
    return plan_earnings(plan, reps, completed, rows).total_to_date[:, -1]


def _cap_ratios(plan: Plan) -> dict[str, float] | None:
    """For a plan whose every component stops paying somewhere, the attainment of each measure
    at which nothing more is earned; None when some component is uncapped."""
    ratios: dict[str, float] = {}
    for component in plan.components:
        if component.basis != "attainment" or component.evaluation != "period_to_date":
            if component.max_payout is None:
                return None
        if component.cap is None and component.max_payout is None:
            return None
    for measure in plan.measures:
        owner = plan.quota_of_measure(measure)
        caps = []
        for component in plan.components:
            if component.measure != measure:
                continue
            if (
                component.cap is not None
                and component.basis == "attainment"
                and component.evaluation == "period_to_date"
            ):
                caps.append(component.cap * _quota_ratio(component, owner))
            else:  # max_payout: reached at some finite amount; a generous completion reaches it
                caps.append(np.inf)
        ratios[measure] = max(caps)
    return ratios


def _quota_ratio(component, owner) -> float:
    """The component's quota as a multiple of its measure's (owner's) quota."""
    return component.quota / owner.quota if owner.quota > 0 else 1.0


def position_frame(
    plan: Plan,
    reps: RepTerms,
    earnings: PlanEarnings,
    monthly_by_measure: dict[str, np.ndarray],
    rows_by_measure: dict[str, CreditRows],
    paid_to_date_cents: np.ndarray,
    earned_closed_cents: np.ndarray,
    as_of: AsOf,
) -> pd.DataFrame:
    """One row per rep on ``plan``: the position at ``as_of`` (columns :data:`POSITION_COLUMNS`).

    ``paid_to_date_cents`` and ``earned_closed_cents`` (R,) are the paid and earned amounts of the
    payout periods closed by the as-of date (from the statements' ledgers).
    """
    month = as_of.month
    elapsed = as_of.elapsed()
    attainment_year = np.zeros(len(reps.ids))
    attainment_to_date = np.zeros(len(reps.ids))
    for result in earnings.components:
        component = result.component
        quota = Quotas.of(component, reps)
        annual = quota.annual
        to_date = monthly_quota(quota) @ elapsed
        credited = monthly_by_measure[component.measure][:, : month + 1].sum(axis=1) / 100.0
        with np.errstate(divide="ignore", invalid="ignore"):
            attainment_year += component.weight * np.where(annual > 0, credited / annual, 0.0)
            attainment_to_date += component.weight * np.where(to_date > 0, credited / to_date, 0.0)
    quota_year = np.zeros(len(reps.ids))
    quota_to_date = np.zeros(len(reps.ids))
    credit_to_quota = np.zeros(len(reps.ids))
    credited_ytd = np.zeros(len(reps.ids))
    for measure, monthly in monthly_by_measure.items():
        quota = Quotas.of(plan.quota_of_measure(measure), reps)
        credited = monthly[:, : month + 1].sum(axis=1) / 100.0
        credited_ytd += credited
        quota_year += quota.annual
        quota_to_date += monthly_quota(quota) @ elapsed
        credit_to_quota += np.maximum(quota.annual - credited, 0.0)
    earned_ytd = earnings.total_to_date[:, month]
    at_quota = year_end_earnings(plan, reps, monthly_by_measure, rows_by_measure, as_of, 1.0)
    at_quota = np.maximum(at_quota, earned_ytd)
    caps = _cap_ratios(plan)
    if caps is None:
        at_most = np.full(len(reps.ids), np.nan)
    else:
        finite = {m: (r if np.isfinite(r) else 1e6) for m, r in caps.items()}
        at_most = year_end_earnings(plan, reps, monthly_by_measure, rows_by_measure, as_of, finite)
        at_most = np.maximum(at_most, earned_ytd)
    return pd.DataFrame(
        {
            "rep_id": reps.ids,
            "plan_id": plan.id,
            "as_of": as_of.date.isoformat(),
            "credited_ytd": credited_ytd,
            "quota_year": quota_year,
            "quota_to_date": quota_to_date,
            "attainment_year": attainment_year,
            "attainment_to_date": attainment_to_date,
            "earned_ytd": earned_ytd / 100.0,
            "paid_to_date": paid_to_date_cents / 100.0,
            "earned_unpaid": (earned_ytd - earned_closed_cents) / 100.0,
            "credit_to_quota": credit_to_quota,
            "earned_at_quota": at_quota / 100.0,
            "at_stake_to_quota": (at_quota - earned_ytd) / 100.0,
            "earned_at_most": at_most / 100.0,
            "at_stake_max": (at_most - earned_ytd) / 100.0,
        },
        columns=list(POSITION_COLUMNS),
    )
