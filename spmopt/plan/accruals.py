"""Monthly commission accruals and the ASC 340-40 capitalisation/amortisation waterfall.

Finance books commission expense month by month, before the year's payouts are known. Two common
methods, both per rep and month (see docs/monitoring.md):

* **rate-based** — the month's credits × the plan's effective rate at quota (year-end earnings at
  exactly quota ÷ the annual quota, per measure): simple, blind to accelerators and thresholds;
* **expected-attainment** — the expected year's earnings ÷ the expected year's credits × the
  credits to date, where the expected year completes the credits to date at the rep's pace to date
  (credits ÷ quota to date), or at an expected attainment given by the user.

With ``floor_at_earned=True``, accrued to date is never below the earnings to date (the
liability the plan has already created — e.g. a rep at the cap). Each month's accrual is the
change in the accrued-to-date figure (a catch-up, like a true-up). The
variance against the plan's earnings to date is reported every month; when the year is complete,
the accrual of each month is also compared with the actual year's earnings allocated by credits
to date (``actual_allocated_to_date``), and the year-end true-up is actual minus accrued.

ASC 340-40 capitalises incremental costs of obtaining a contract (commissions) and amortises them
over the period of benefit; the practical expedient lets a company expense them as incurred when
that period is one year or less. :func:`amortisation_waterfall` schedules a month's commission
cost straight-line over ``amortisation_months`` from the month incurred.

Nothing here draws random numbers; arrays are over R reps (or R × months stacked rows) and the
12 months of the plan year; money in cents unless named otherwise.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError
from spmopt.plan.calendar import MONTHS_PER_YEAR, year_end
from spmopt.plan.csv_writer import write_csv
from spmopt.plan.earnings import CreditRows, Quotas, RepTerms, plan_earnings, to_cents
from spmopt.plan.plan import Plan
from spmopt.plan.position import AsOf, completed_earnings, completion, monthly_quota
from spmopt.plan.statements import PlanState, statements

METHODS = ("rate", "expected")
ACCRUAL_COLUMNS = (
    "plan_id",
    "rep_id",
    "month",
    "method",
    "credited",
    "credited_to_date",
    "accrual",
    "accrued_to_date",
    "earned_to_date",
    "variance",
    "actual_allocated_to_date",
)
WATERFALL_COLUMNS = (
    "plan_id",
    "month",
    "incurred",
    "capitalised",
    "expensed_as_incurred",
    "amortised",
    "balance",
)
JOURNAL_COLUMNS = ("plan_id", "month", "entry", "debit_account", "credit_account", "amount")
ASSET = "Capitalised costs of obtaining contracts"
PAYABLE = "Accrued commissions"
EXPENSE = "Commission expense"
AMORTISATION = "Amortisation of contract costs"


@dataclass(frozen=True)
class Accruals:
    """Accruals and the capitalisation waterfall of one run.

    Attributes
    ----------
    accruals:
        One row per plan, rep, month (to the as-of month) and method (:data:`ACCRUAL_COLUMNS`).
    summary:
        One row per plan, rep and method at the last month: accrued, earned, variance, and when the
        year is complete the actual year's earnings, the true-up and the mean absolute monthly
        error of accrued to date against the actual allocated by credits.
    waterfall:
        One row per plan and month (beyond the year while balances amortise)
        (:data:`WATERFALL_COLUMNS`).
    journal:
        Journal entries per plan and month (:data:`JOURNAL_COLUMNS`).
    year_complete:
        Whether the credits cover the whole plan year (the as-of date is the year's end).
    """

    accruals: pd.DataFrame
    summary: pd.DataFrame
    waterfall: pd.DataFrame
    journal: pd.DataFrame
    year_complete: bool

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables by file stem."""
        return {
            "accruals": self.accruals,
            "accrual_summary": self.summary,
            "amortisation": self.waterfall,
            "journal": self.journal,
        }

    def write(self, out_dir: str | Path, *, xlsx: bool = False) -> list[Path]:
        """Write each table as CSV under ``out_dir`` (and all of them as sheets of
        ``accruals.xlsx`` when ``xlsx``)."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        for stem, frame in self.tables().items():
            target = out_dir / f"{stem}.csv"
            write_csv(frame, target)
            written.append(target)
        if xlsx:
            target = out_dir / "accruals.xlsx"
            with pd.ExcelWriter(target, engine="openpyxl") as writer:
                for stem, frame in self.tables().items():
                    frame.to_excel(writer, sheet_name=stem, index=False)
            written.append(target)
        return written


def accruals(
    plan: Plan | Sequence[Plan],
    credits: pd.DataFrame,
    roster: pd.DataFrame | None = None,
    *,
    as_of: dt.date | str | None = None,
    expected_attainment: float | None = None,
    amortisation_months: int = 12,
    practical_expedient: bool = True,
    capitalise: str = "earned",
    floor_at_earned: bool = False,
    credits_source: str = "credits",
    roster_source: str = "roster",
) -> Accruals:
    """Monthly commission accruals by both methods, and the ASC 340-40 waterfall.

    Parameters
    ----------
    plan, credits, roster:
        As for :func:`spmopt.statements`.
    as_of:
        Last day of the data (default: the plan year's end — the year is complete). Accruals run
        for every month up to the one containing it.
    expected_attainment:
        For the expected-attainment method, the year-end attainment expected of every rep (ratio,
        e.g. 0.95); default: each rep's pace to date.
    amortisation_months:
        Period of benefit over which capitalised commissions are amortised, straight-line from the
        month incurred [months, ≥ 1].
    practical_expedient:
        Expense commissions as incurred when ``amortisation_months`` ≤ 12 (ASC 340-40-25-4).
    capitalise:
        Which monthly commission cost is capitalised: ``earned`` (the plan's earnings true-up each
        month), ``rate`` or ``expected`` (that method's monthly accrual).
    floor_at_earned:
        Accrue at least the earnings to date — the liability already incurred (default: the
        methods as they are).

    Examples
    --------
    >>> result = accruals(plan, credits, as_of="2027-06-30")  # doctest: +SKIP
    >>> result.summary[["rep_id", "method", "accrued_to_date", "earned_to_date"]]  # doctest: +SKIP
    """
    if amortisation_months < 1:
        raise SpmoptInputError(f"amortisation period {amortisation_months} months; expected ≥ 1")
    if capitalise not in ("earned", *METHODS):
        raise SpmoptInputError(f"capitalise {capitalise!r}; expected earned, rate or expected")
    if expected_attainment is not None and not expected_attainment >= 0:
        raise SpmoptInputError(f"expected attainment {expected_attainment}; expected ≥ 0")
    plans = [plan] if isinstance(plan, Plan) else list(plan)
    if as_of is None and plans:
        as_of = year_end(plans[0].year_start)
    result = statements(
        plans,
        credits,
        roster,
        credits_source=credits_source,
        roster_source=roster_source,
        as_of=as_of,
    )
    parts = [
        _plan_accruals(
            state,
            AsOf.of(result.as_of, state.plan.year_start),
            expected_attainment,
            floor_at_earned,
        )
        for state in result.plan_states
    ]
    year_complete = all(
        result.as_of == year_end(state.plan.year_start) for state in result.plan_states
    )
    frame = pd.concat([part[0] for part in parts], ignore_index=True)
    waterfalls, journals = [], []
    for state, (_, monthly_cost) in zip(result.plan_states, parts, strict=True):
        cost = monthly_cost[capitalise]
        waterfall = amortisation_waterfall(
            cost, amortisation_months, practical_expedient, state.plan.year_start
        )
        waterfall.insert(0, "plan_id", state.plan.id)
        waterfalls.append(waterfall)
        journals.append(journal_entries(waterfall))
    return Accruals(
        accruals=frame,
        summary=_summary(frame, year_complete),
        waterfall=pd.concat(waterfalls, ignore_index=True),
        journal=pd.concat(journals, ignore_index=True),
        year_complete=year_complete,
    )


# ----------------------------------------------------------------------------------- one plan
def _stack(state: PlanState, months: int):
    """Rep terms, monthly credits and credit rows stacked ``months`` times (row k·R + r = rep r
    seen at the end of month k: only its credits of months ≤ k)."""
    reps, count = state.reps, len(state.reps.ids)
    stacked_reps = RepTerms(
        ids=np.tile(reps.ids, months),
        start_month=np.tile(reps.start_month, months),
        target_incentive=np.tile(reps.target_incentive, months),
        explicit_quota={key: np.tile(value, months) for key, value in reps.explicit_quota.items()},
    )
    last = np.repeat(np.arange(months), count)
    seen = np.arange(MONTHS_PER_YEAR)[None, :] <= last[:, None]
    monthly = {
        measure: np.where(seen, np.tile(values, (months, 1)), 0.0)
        for measure, values in state.monthly_by_measure.items()
    }
    rows = {}
    for measure, one in state.rows_by_measure.items():
        parts = [(one.month <= k) for k in range(months)]
        rows[measure] = CreditRows(
            rep_index=np.concatenate([one.rep_index[p] + k * count for k, p in enumerate(parts)]),
            month=np.concatenate([one.month[p] for p in parts]),
            cents=np.concatenate([one.cents[p] for p in parts]),
        )
    return stacked_reps, monthly, rows, last


def rate_at_quota(plan: Plan, reps: RepTerms) -> dict[str, np.ndarray]:
    """Each rep's effective commission rate at quota per measure (R,): the year-end earnings of
    the measure's components and bonuses when every measure ends the year exactly at quota,
    spread on the quota schedule, ÷ the measure's annual quota."""
    count = len(reps.ids)
    zero = {m: np.zeros((count, MONTHS_PER_YEAR)) for m in plan.measures}
    completed = completion(plan, reps, zero, (np.full(count, -1), np.zeros(count, int)), 1.0)
    empty = CreditRows(np.zeros(0, int), np.zeros(0, int), np.zeros(0))
    rows = {}
    for measure in plan.measures:
        rep, month = np.nonzero(completed[measure])
        rows[measure] = (
            CreditRows(rep, month, completed[measure][rep, month]) if len(rep) else empty
        )
    earnings = plan_earnings(plan, reps, completed, rows)
    rates = {}
    for measure in plan.measures:
        total = sum(
            (
                r.earnings_to_date[:, -1]
                for r in earnings.components
                if r.component.measure == measure
            ),
            np.zeros(count),
        )
        total = total + sum(
            (r.earned_at_month.sum(axis=1) for r in earnings.bonuses if r.bonus.measure == measure),
            np.zeros(count),
        )
        annual = Quotas.of(plan.quota_of_measure(measure), reps).annual
        with np.errstate(divide="ignore", invalid="ignore"):
            rates[measure] = np.where(annual > 0, total / 100.0 / annual, 0.0)
    return rates


def _plan_accruals(
    state: PlanState, as_of: AsOf, expected_attainment: float | None, floor_at_earned: bool
):
    """Accrual rows of one plan, and its monthly commission cost (R, months) by basis."""
    plan, count, months = state.plan, len(state.reps.ids), as_of.month + 1
    reps, monthly, rows, last = _stack(state, months)
    final_month = last == as_of.month
    first = np.where(final_month & ~as_of.month_closed, last, last + 1)
    elapsed = (np.arange(MONTHS_PER_YEAR)[None, :] <= last[:, None]).astype(float)
    elapsed[final_month, as_of.month] = as_of.month_share
    credited_to_date = sum(values.sum(axis=1) for values in monthly.values()) / 100.0
    # rate-based
    rates = rate_at_quota(plan, state.reps)
    rate_to_date = sum(
        np.tile(rates[measure], months) * monthly[measure].sum(axis=1) / 100.0
        for measure in monthly
    )
    # expected-attainment
    if expected_attainment is None:
        ratio = {}
        for measure, values in monthly.items():
            to_date = (
                monthly_quota(Quotas.of(plan.quota_of_measure(measure), reps)) * elapsed
            ).sum(1)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio[measure] = np.where(to_date > 0, values.sum(axis=1) / 100.0 / to_date, 0.0)
    else:
        ratio = expected_attainment
    completed = completion(plan, reps, monthly, (last, first), ratio)
    expected_year = completed_earnings(plan, reps, monthly, rows, completed) / 100.0
    projected_credit = sum(values.sum(axis=1) for values in completed.values()) / 100.0
    with np.errstate(divide="ignore", invalid="ignore"):
        expected_to_date = np.where(
            projected_credit > 0, expected_year * credited_to_date / projected_credit, 0.0
        )
    earned_to_date = state.earnings.total_to_date[:, :months].T.reshape(-1) / 100.0
    year_complete = as_of.month == MONTHS_PER_YEAR - 1 and as_of.month_closed
    if year_complete:
        actual_year = np.tile(state.earnings.total_to_date[:, -1] / 100.0, months)
        year_credit = np.tile(credited_to_date[-count:], months)
        with np.errstate(divide="ignore", invalid="ignore"):
            allocated = np.where(
                year_credit != 0, actual_year * credited_to_date / year_credit, 0.0
            )
    else:
        allocated = np.full(count * months, np.nan)
    labels = pd.period_range(pd.Timestamp(plan.year_start), periods=months, freq="M").astype(str)
    frames = []
    cost = {}
    for method, to_date in (("rate", rate_to_date), ("expected", expected_to_date)):
        if floor_at_earned:
            to_date = np.maximum(to_date, earned_to_date)
        to_date_cents = to_cents(to_date).reshape(months, count).T  # (R, months)
        accrual = np.diff(to_date_cents, axis=1, prepend=0)
        cost[method] = accrual
        frames.append(
            pd.DataFrame(
                {
                    "plan_id": plan.id,
                    "rep_id": reps.ids,
                    "month": np.repeat(np.asarray(labels), count),
                    "method": method,
                    "credited": np.diff(
                        credited_to_date.reshape(months, count), axis=0, prepend=0.0
                    ).reshape(-1),
                    "credited_to_date": credited_to_date,
                    "accrual": accrual.T.reshape(-1) / 100.0,
                    "accrued_to_date": to_date_cents.T.reshape(-1) / 100.0,
                    "earned_to_date": earned_to_date,
                    "variance": (to_date_cents.T.reshape(-1) / 100.0 - earned_to_date).round(2),
                    "actual_allocated_to_date": allocated.round(2),
                },
                columns=list(ACCRUAL_COLUMNS),
            )
        )
    cost["earned"] = np.diff(state.earnings.total_to_date[:, :months], axis=1, prepend=0)
    frame = pd.concat(frames, ignore_index=True)
    frame = frame.sort_values(["rep_id", "method", "month"], kind="stable", ignore_index=True)
    return frame, {key: value.sum(axis=0) for key, value in cost.items()}


def _summary(frame: pd.DataFrame, year_complete: bool) -> pd.DataFrame:
    """One row per plan, rep and method: the last month's figures (and the year's errors)."""
    keys = ["plan_id", "rep_id", "method"]
    grouped = frame.groupby(keys, sort=False)
    last = grouped[["month", "credited_to_date", "accrued_to_date", "earned_to_date"]].last()
    last["variance"] = (last["accrued_to_date"] - last["earned_to_date"]).round(2)
    if year_complete:
        last["true_up"] = 0.0 - last["variance"]
        error = (frame["accrued_to_date"] - frame["actual_allocated_to_date"]).abs()
        last["mean_abs_error"] = error.groupby([frame[k] for k in keys], sort=False).mean().round(2)
    return last.reset_index()


# ------------------------------------------------------------------------------- ASC 340-40
def amortisation_waterfall(
    monthly_cost_cents: np.ndarray,
    amortisation_months: int,
    practical_expedient: bool,
    year_start: dt.date,
) -> pd.DataFrame:
    """The capitalisation/amortisation waterfall of monthly commission costs [cents] (M,).

    Each month's cost C is capitalised and amortised straight-line over ``amortisation_months``
    (N) from the month incurred: amortised to date after j months = round(C·min(j, N)/N), so each
    cost amortises exactly. With the practical expedient and N ≤ 12 everything is expensed as
    incurred. Rows run until the last balance is amortised; money in currency.

    >>> table = amortisation_waterfall(np.array([360_000]), 36, True, dt.date(2027, 1, 1))
    >>> table["amortised"].iloc[0], table["balance"].iloc[0], table["month"].iloc[-1]
    (np.float64(100.0), np.float64(3500.0), '2029-12')
    """
    cost = np.asarray(monthly_cost_cents, dtype=np.int64)
    months_incurred = len(cost)
    expense_now = practical_expedient and amortisation_months <= MONTHS_PER_YEAR
    horizon = months_incurred if expense_now else months_incurred + amortisation_months - 1
    capitalised = np.zeros(horizon, dtype=np.int64)
    expensed = np.zeros(horizon, dtype=np.int64)
    amortised = np.zeros(horizon, dtype=np.int64)
    if expense_now:
        expensed[:months_incurred] = cost
    else:
        capitalised[:months_incurred] = cost
        elapsed = np.arange(amortisation_months + 1)
        for incurred, amount in enumerate(cost.tolist()):
            to_date = to_cents(amount / 100.0 * elapsed / amortisation_months)
            amortised[incurred : incurred + amortisation_months] += np.diff(to_date)
    balance = np.cumsum(capitalised - amortised)
    labels = pd.period_range(pd.Timestamp(year_start), periods=horizon, freq="M").astype(str)
    return pd.DataFrame(
        {
            "month": np.asarray(labels),
            "incurred": np.r_[cost, np.zeros(horizon - months_incurred, np.int64)] / 100.0,
            "capitalised": capitalised / 100.0,
            "expensed_as_incurred": expensed / 100.0,
            "amortised": amortised / 100.0,
            "balance": balance / 100.0,
        }
    )


def journal_entries(waterfall: pd.DataFrame) -> pd.DataFrame:
    """Journal entries of a waterfall (one plan): capitalise (Dr asset, Cr accrued commissions),
    expense as incurred (Dr expense, Cr accrued commissions), amortise (Dr amortisation, Cr
    asset); zero amounts left out; a negative cost (clawback) is a negative entry."""
    entries = [
        ("capitalise", ASSET, PAYABLE, "capitalised"),
        ("expense_as_incurred", EXPENSE, PAYABLE, "expensed_as_incurred"),
        ("amortise", AMORTISATION, ASSET, "amortised"),
    ]
    parts = []
    for entry, debit, credit, column in entries:
        rows = waterfall[waterfall[column] != 0]
        parts.append(
            pd.DataFrame(
                {
                    "plan_id": rows["plan_id"],
                    "month": rows["month"],
                    "entry": entry,
                    "debit_account": debit,
                    "credit_account": credit,
                    "amount": rows[column],
                }
            )
        )
    journal = pd.concat(parts, ignore_index=True)
    order = {"capitalise": 0, "expense_as_incurred": 1, "amortise": 2}
    journal["_order"] = journal["entry"].map(order)
    journal = journal.sort_values(["plan_id", "month", "_order"], kind="stable")
    return journal.drop(columns="_order").reset_index(drop=True)[list(JOURNAL_COLUMNS)]
