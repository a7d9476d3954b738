"""The statements engine: credits (+ roster) → per rep, per payout period statements (design §3.3).

Everything is vectorised over reps and credit rows; the only loops run over the plan's components
and bonuses, and over the (at most 12) payout periods for the draw and clawback ledgers.

Money conventions
-----------------
* Credits are taken to whole cents; earnings to date of each component and bonus are rounded to
  whole cents (half away from zero), and each payout period's ``earned`` is the difference of
  rounded earnings to date, so that a year's payouts reconcile to the cent.
* ``paid = earned + draw_topup - draw_recovery + clawback``:

  - ``earned`` — the true-up: earnings to date minus earnings to date at the previous payout
    period's end (negative when cancellations lower earnings to date);
  - ``clawback`` — ``+X`` when a negative amount ``X`` is deferred rather than paid below zero
    (the rep then owes it: ``clawback_balance``), ``-Y`` when ``Y`` of that balance is recovered
    from this period's earnings;
  - ``draw_topup`` — what the draw adds to reach its amount; ``draw_recovery`` — what is taken
    back from the excess of earnings over a recoverable draw (``draw_balance`` is still owed).
* Over the year, ``sum(earned)`` equals the final earnings to date, ``sum(clawback)`` the final
  clawback balance, and ``sum(draw_topup) - sum(draw_recovery)`` the final recoverable draw
  balance.

As of a date
------------
With ``as_of``, only credits dated on or before it count, the statements stop at the payout
period containing it (that last period is *open*: its row shows what it would pay were it closed
on the as-of date), and :attr:`Statements.position` gives each rep's standing to date (see
:mod:`spmopt.plan.position`): YTD credited and earned, attainment against the annual quota and the
quota to date, pay to date (closed periods), and what is still at stake.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError
from spmopt.plan.audit import audit_lines
from spmopt.plan.calendar import (
    MONTHS_PER_YEAR,
    month_index,
    period_end_months,
    period_labels,
    year_end,
)
from spmopt.plan.csv_writer import write_csv
from spmopt.plan.earnings import CreditRows, RepTerms, plan_earnings, to_cents
from spmopt.plan.inputs import describe_row, is_validated, validate_credits, validate_roster
from spmopt.plan.model import MONTHS_PER_PERIOD
from spmopt.plan.plan import Plan
from spmopt.plan.position import POSITION_COLUMNS, AsOf, position_frame
from spmopt.plan.terms import counted_credits, roster_terms

STATEMENT_COLUMNS = (
    "rep_id",
    "period",
    "credited",
    "attainment",
    "earned",
    "draw_topup",
    "draw_recovery",
    "clawback",
    "paid",
    "draw_balance",
    "clawback_balance",
    "plan_id",
)
#: the statement columns in currency (rounded to cents in summaries)
MONEY_COLUMNS = tuple(
    c for c in STATEMENT_COLUMNS if c not in ("rep_id", "period", "attainment", "plan_id")
)


@dataclass(frozen=True)
class PlanState:
    """The arrays behind one plan's statements, for the monitoring tools (accruals, forecast):
    rep terms, credited cents per measure, rep and month (R, 12), the credit rows, and earnings."""

    plan: Plan
    reps: RepTerms
    monthly_by_measure: dict[str, np.ndarray]
    rows_by_measure: dict[str, CreditRows]
    earnings: object  # spmopt.plan.earnings.PlanEarnings


@dataclass(frozen=True)
class Statements:
    """Statements and their audit trail.

    Attributes
    ----------
    statements:
        One row per rep per payout period (columns :data:`STATEMENT_COLUMNS`; money in currency).
    lines:
        The audit trail: one row per rep, period and component, bonus or adjustment (columns
        :data:`LINE_COLUMNS`); for each rep and period the lines' ``amount`` sums to ``paid``.
    """

    statements: pd.DataFrame
    lines: pd.DataFrame
    #: the as-of date of statements to date (None: the whole year)
    as_of: dt.date | None = None
    #: with ``as_of``: one row per rep, the position to date (columns
    #: :data:`spmopt.plan.position.POSITION_COLUMNS`); credits after ``as_of`` were left out
    position: pd.DataFrame | None = None
    #: with ``as_of``: how many credit rows were dated after it (left out)
    credits_after_as_of: int = 0
    #: the arrays behind each plan's statements (:class:`PlanState`), for the monitoring tools
    plan_states: tuple[PlanState, ...] = field(default=(), repr=False, compare=False)

    def summary(self) -> pd.DataFrame:
        """One row per rep: year totals, final attainment and balances."""
        grouped = self.statements.groupby("rep_id", sort=False)
        totals = grouped[
            ["credited", "earned", "draw_topup", "draw_recovery", "clawback", "paid"]
        ].sum()
        last = grouped[["attainment", "draw_balance", "clawback_balance", "plan_id"]].last()
        return (
            totals.join(last)
            .reset_index()
            .round({column: 2 for column in MONEY_COLUMNS if column in totals.columns})
        )

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``statements.csv`` and ``lines.csv`` under ``out_dir`` (atomically per file)."""
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        written = []
        frames = [("statements.csv", self.statements), ("lines.csv", self.lines)]
        if self.position is not None:
            frames.append(("position.csv", self.position))
        for name, frame in frames:
            target = out_dir / name
            partial = out_dir / f".{name}.partial"
            write_csv(frame, partial)  # as frame.to_csv(index=False, float_format="%.10g")
            partial.replace(target)
            written.append(target)
        return written


def statements(
    plan: Plan | Sequence[Plan],
    credits: pd.DataFrame,
    roster: pd.DataFrame | None = None,
    *,
    credits_source: str = "credits",
    roster_source: str = "roster",
    as_of: dt.date | str | None = None,
) -> Statements:
    """Compute incentive statements for every rep from credits (and an optional roster).

    Parameters
    ----------
    plan:
        One plan, or several; with several, the roster's ``plan_id`` column assigns reps to plans.
    credits:
        ``rep_id, date, measure, amount[, deal_id]`` (amount in the plan's currency; negative =
        cancellation). Rows read by :func:`spmopt.plan.inputs.read_credits` keep file line numbers
        for error messages.
    roster:
        Optional ``rep_id[, plan_id, start_date, base_salary, target_incentive, quota,
        quota_<component id>]``. Without one, the reps are those in the credits, all on the plan.
    as_of:
        Optional date (``datetime.date`` or ``"2027-06-30"``) inside the plan year: statements to
        date. Credits dated after it are left out (counted in ``credits_after_as_of``), the
        statements stop at the payout period containing it, and ``.position`` gives each rep's
        standing to date.

    Returns
    -------
    Statements
        ``.statements`` (one row per rep per payout period) and ``.lines`` (the audit trail).

    Examples
    --------
    >>> credits = pd.DataFrame({"rep_id": ["a", "a"], "date": ["2027-01-15", "2027-05-02"],
    ...                         "measure": ["bookings"] * 2, "amount": [500_000.0, 500_000.0]})
    >>> result = statements(plan, credits)  # doctest: +SKIP
    >>> statements(plan, credits, as_of="2027-06-30").position  # doctest: +SKIP
    """
    plans = [plan] if isinstance(plan, Plan) else list(plan)
    if not plans:
        raise SpmoptInputError("no plan given")
    by_id = {p.id: p for p in plans}
    if len(by_id) != len(plans):
        raise SpmoptInputError("two plans share an id; plan ids must be unique")
    if not is_validated(credits, "credits"):
        credits = validate_credits(credits, credits_source)
    if roster is not None and not is_validated(roster, "roster"):
        roster = validate_roster(roster, roster_source)
    after = 0
    if as_of is not None:
        as_of = _as_of_date(as_of, plans)
        later = (credits["date"] > pd.Timestamp(as_of)).to_numpy()
        after = int(later.sum())
        if after:
            credits = credits[~later]
    # each distinct rep id is hashed once; credits carry its code (first appearance order)
    rep_code, rep_ids = pd.factorize(credits["rep_id"].to_numpy())
    if roster is None:
        if len(plans) > 1:
            raise SpmoptInputError(
                "several plans were given but no roster with a plan_id column to assign reps to them"
            )
        roster = pd.DataFrame({"rep_id": np.sort(rep_ids.astype(str))})
    assignments = np.asarray(_assign_plans(roster, by_id, roster_source))
    roster_row = pd.Index(roster["rep_id"]).get_indexer(rep_ids)[rep_code]
    unknown = roster_row < 0
    if unknown.any():
        position = int(np.flatnonzero(unknown)[0])
        raise SpmoptInputError(
            f"{describe_row(credits, position)}: rep_id {credits['rep_id'].iloc[position]!r} is not "
            "in the roster; expected every credited rep to have a roster row",
            credits_source,
        )
    credit_plan = assignments[roster_row]
    parts = []
    for plan_id, one_plan in by_id.items():
        on_plan = assignments == plan_id
        if not on_plan.any():
            continue
        position_in_plan = np.cumsum(on_plan) - 1  # roster row → row of this plan's roster
        selected = credit_plan == plan_id
        parts.append(
            _plan_statements(
                one_plan,
                credits if selected.all() else credits[selected],
                position_in_plan[roster_row[selected]],
                roster[on_plan],
                credits_source,
                roster_source,
                as_of,
            )
        )
    return Statements(
        statements=pd.concat([part.statements for part in parts], ignore_index=True),
        lines=pd.concat([part.lines for part in parts], ignore_index=True),
        as_of=as_of,
        position=None
        if as_of is None
        else pd.concat([part.position for part in parts], ignore_index=True)[
            list(POSITION_COLUMNS)
        ],
        credits_after_as_of=after,
        plan_states=tuple(state for part in parts for state in part.plan_states),
    )


def _as_of_date(value: dt.date | str, plans: Sequence[Plan]) -> dt.date:
    """The as-of date, checked to lie inside every plan's year."""
    try:
        date = pd.Timestamp(value).date()
    except (ValueError, TypeError):
        raise SpmoptInputError(
            f"as-of date {value!r} is not a date; expected e.g. 2027-06-30"
        ) from None
    for plan in plans:
        if not plan.year_start <= date <= year_end(plan.year_start):
            raise SpmoptInputError(
                f"as-of date {date} is outside plan '{plan.id}''s year ({plan.year_start} to "
                f"{year_end(plan.year_start)}); expected a date inside the plan year"
            )
    return date


def _assign_plans(roster: pd.DataFrame, by_id: dict[str, Plan], source: str) -> list[str]:
    if "plan_id" not in roster.columns:
        if len(by_id) > 1:
            raise SpmoptInputError(
                "several plans were given; the roster needs a plan_id column to assign reps", source
            )
        return [next(iter(by_id))] * len(roster)
    plan_ids = roster["plan_id"].to_numpy()
    unknown = ~np.isin(plan_ids, list(by_id))
    if unknown.any():
        position = int(np.flatnonzero(unknown)[0])
        raise SpmoptInputError(
            f"{describe_row(roster, position)}: plan_id {plan_ids[position]!r} is not among the plans "
            f"given ({', '.join(by_id)})",
            source,
        )
    return list(plan_ids)


# --------------------------------------------------------------------------------------- one plan
def _ledgers(plan: Plan, earned: np.ndarray, employed_period: np.ndarray, start_period: np.ndarray):
    """Clawback carry and draws, period by period (vectorised over reps). All money in cents."""
    count, periods = earned.shape
    out = {
        name: np.zeros((count, periods), dtype=np.int64)
        for name in (
            "draw_topup",
            "draw_recovery",
            "clawback",
            "paid",
            "draw_balance",
            "clawback_balance",
        )
    }
    owed = np.zeros(count, dtype=np.int64)
    draw_balance = np.zeros(count, dtype=np.int64)
    draw = plan.draw
    draw_cents = int(to_cents(draw.amount)) if draw is not None else 0
    for period in range(periods):
        active = employed_period[:, period]
        net = earned[:, period] - owed
        owed = np.where(active, np.maximum(-net, 0), owed)
        gross = np.where(active, np.maximum(net, 0), 0)
        clawback = np.where(active, gross - earned[:, period], 0)
        topup = np.zeros(count, dtype=np.int64)
        recovery = np.zeros(count, dtype=np.int64)
        if draw is not None:
            in_draw = active & (
                True if draw.periods is None else (period - start_period) < draw.periods
            )
            topup = np.where(in_draw, np.maximum(draw_cents - gross, 0), 0)
            if draw.kind == "recoverable":
                excess = np.where(in_draw, np.maximum(gross - draw_cents, 0), gross)
                recovery = np.where(active, np.minimum(draw_balance, excess), 0)
                draw_balance = draw_balance + topup - recovery
        out["draw_topup"][:, period] = topup
        out["draw_recovery"][:, period] = recovery
        out["clawback"][:, period] = clawback
        out["paid"][:, period] = gross + topup - recovery
        out["draw_balance"][:, period] = draw_balance
        out["clawback_balance"][:, period] = owed
    return out


def _plan_statements(
    plan: Plan,
    credits: pd.DataFrame,
    rep_index: np.ndarray,
    roster: pd.DataFrame,
    credits_source: str,
    roster_source: str,
    as_of: dt.date | None = None,
) -> Statements:
    """Statements of the reps on one plan; ``rep_index`` gives each credit's row in ``roster``;
    with ``as_of``, the periods up to the one containing it, and the position to date."""
    year_start: dt.date = plan.year_start
    reps = roster_terms(plan, roster, roster_source)
    count = len(reps.ids)
    month = np.asarray(month_index(credits["date"], year_start), dtype=np.int64)
    measure_code = _check_credits(plan, credits, month, credits_source)
    early = month < reps.start_month[rep_index]
    if early.any():
        position = int(np.flatnonzero(early)[0])
        raise SpmoptInputError(
            f"{describe_row(credits, position)}: credit dated {credits['date'].iloc[position].date()} "
            f"is before rep {credits['rep_id'].iloc[position]!r} starts (roster start_date)",
            credits_source,
        )
    counts = counted_credits(plan, credits)
    cents = np.where(counts, to_cents(credits["amount"].to_numpy()), 0).astype(float)
    rows_by_measure = {}
    for code, name in enumerate(plan.measures):
        of_measure = measure_code == code
        rows_by_measure[name] = CreditRows(
            rep_index[of_measure], month[of_measure], cents[of_measure]
        )
    monthly_by_measure = {name: rows.monthly(count) for name, rows in rows_by_measure.items()}
    earnings = plan_earnings(plan, reps, monthly_by_measure, rows_by_measure)
    components, bonuses = earnings.components, earnings.bonuses

    payout = plan.payout_frequency
    ends = period_end_months(payout)
    labels = np.array(period_labels(payout, year_start))
    periods = len(ends)

    def true_up(year_to_date: np.ndarray) -> np.ndarray:
        at_ends = year_to_date[:, ends]
        return np.diff(at_ends, axis=1, prepend=0)

    component_earned = [true_up(result.earnings_to_date) for result in components]
    bonus_earned = [true_up(result.earned_at_month.cumsum(axis=1)) for result in bonuses]
    earned = sum(component_earned) + sum(bonus_earned, np.zeros((count, periods), dtype=np.int64))
    employed_period = reps.employed[:, ends]
    start_period = reps.start_month // MONTHS_PER_PERIOD[payout]
    ledgers = _ledgers(plan, earned, employed_period, start_period)

    credited_total = sum(monthly_by_measure.values())
    credited_period = np.add.reduceat(credited_total, np.r_[0, ends[:-1] + 1], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        attainment = sum(
            result.component.weight
            * np.where(
                result.period_quota > 0, result.credited_to_date / 100.0 / result.period_quota, 0.0
            )
            for result in components
        )[:, ends]

    keep = employed_period.ravel()
    statements_frame = pd.DataFrame(
        {
            "rep_id": np.repeat(reps.ids, periods)[keep],
            "period": np.tile(labels, count)[keep],
            "credited": credited_period.ravel()[keep] / 100.0,
            "attainment": attainment.ravel()[keep],
            "earned": earned.ravel()[keep] / 100.0,
            **{
                name: ledgers[name].ravel()[keep] / 100.0
                for name in (
                    "draw_topup",
                    "draw_recovery",
                    "clawback",
                    "paid",
                    "draw_balance",
                    "clawback_balance",
                )
            },
            "plan_id": plan.id,
        },
        columns=list(STATEMENT_COLUMNS),
    )
    lines = audit_lines(
        plan,
        reps,
        labels,
        ends,
        employed_period,
        components,
        component_earned,
        bonuses,
        ledgers,
        credits,
        counts,
        month,
        rep_index,
    )
    state = (PlanState(plan, reps, monthly_by_measure, rows_by_measure, earnings),)
    if as_of is None:
        return Statements(statements=statements_frame, lines=lines, plan_states=state)
    point = AsOf.of(as_of, year_start)
    started = ends - MONTHS_PER_PERIOD[payout] < point.month  # periods begun by the as-of month
    closed = (ends < point.month) | ((ends == point.month) & point.month_closed)
    position = position_frame(
        plan,
        reps,
        earnings,
        monthly_by_measure,
        rows_by_measure,
        (ledgers["paid"] * (closed & employed_period)).sum(axis=1),
        (earned * (closed & employed_period)).sum(axis=1),
        point,
    )
    open_labels = labels[started]
    return Statements(
        statements=statements_frame[statements_frame["period"].isin(open_labels)].reset_index(
            drop=True
        ),
        lines=lines[lines["period"].isin(open_labels)].reset_index(drop=True),
        as_of=as_of,
        position=position,
        plan_states=state,
    )


def _check_credits(plan: Plan, credits: pd.DataFrame, month: np.ndarray, source: str) -> np.ndarray:
    """Check that every credit's measure is paid by ``plan`` and its ``month`` (0–11) in the plan
    year; returns each credit's measure as its position in ``plan.measures``."""
    code, names = pd.factorize(credits["measure"].to_numpy())
    measures = list(plan.measures)
    position = np.array([measures.index(n) if n in measures else -1 for n in names], dtype=int)
    measure_code = position[code]
    stray = measure_code < 0
    if stray.any():
        position = int(np.flatnonzero(stray)[0])
        raise SpmoptInputError(
            f"{describe_row(credits, position)}: measure {credits['measure'].iloc[position]!r} is not "
            f"paid by plan '{plan.id}' (it pays on {', '.join(sorted(measures))})",
            source,
        )
    outside = (month < 0) | (month >= MONTHS_PER_YEAR)
    if outside.any():
        position = int(np.flatnonzero(outside)[0])
        raise SpmoptInputError(
            f"{describe_row(credits, position)}: date {credits['date'].iloc[position].date()} is "
            f"outside plan '{plan.id}''s year ({plan.year_start} to {year_end(plan.year_start)})",
            source,
        )
    return measure_code
