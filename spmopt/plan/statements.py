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
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
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
    period_of_month,
    year_end,
)
from spmopt.plan.compile import component_scales
from spmopt.plan.inputs import describe_row, is_validated, validate_credits, validate_roster
from spmopt.plan.model import MONTHS_PER_PERIOD, Bonus, Component
from spmopt.plan.plan import Plan

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
MONEY_COLUMNS = (
    "credited",
    "earned",
    "draw_topup",
    "draw_recovery",
    "clawback",
    "paid",
    "draw_balance",
    "clawback_balance",
    "amount",
    "credited_to_date",
    "quota",
    "earnings_to_date",
    "previously_earned",
)


def to_cents(amount) -> np.ndarray:
    """Whole cents (int64) of a currency amount, rounding half away from zero."""
    amount = np.asarray(amount, dtype=float)
    cents = np.round(np.abs(amount) * 100.0, 6)  # absorb representation error before rounding
    return (np.sign(amount) * np.floor(cents + 0.5)).astype(np.int64)


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
        for name, frame in (("statements.csv", self.statements), ("lines.csv", self.lines)):
            target = out_dir / name
            partial = out_dir / f".{name}.partial"
            frame.to_csv(partial, index=False, float_format="%.10g")
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

    Returns
    -------
    Statements
        ``.statements`` (one row per rep per payout period) and ``.lines`` (the audit trail).

    Examples
    --------
    >>> credits = pd.DataFrame({"rep_id": ["a", "a"], "date": ["2027-01-15", "2027-05-02"],
    ...                         "measure": ["bookings"] * 2, "amount": [500_000.0, 500_000.0]})
    >>> result = statements(plan, credits)  # doctest: +SKIP
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
    if roster is None:
        if len(plans) > 1:
            raise SpmoptInputError(
                "several plans were given but no roster with a plan_id column to assign reps to them"
            )
        rep_ids = pd.unique(credits["rep_id"].to_numpy())
        roster = pd.DataFrame({"rep_id": np.sort(rep_ids.astype(str))})
    assignments = np.asarray(_assign_plans(roster, by_id, roster_source))
    roster_row = pd.Index(roster["rep_id"]).get_indexer(credits["rep_id"])
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
                credits[selected],
                position_in_plan[roster_row[selected]],
                roster[on_plan],
                credits_source,
                roster_source,
            )
        )
    return Statements(
        statements=pd.concat([part.statements for part in parts], ignore_index=True),
        lines=pd.concat([part.lines for part in parts], ignore_index=True),
    )


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
@dataclass
class _Reps:
    """Per-rep inputs of one plan, as arrays over the R reps."""

    ids: np.ndarray
    start_month: np.ndarray  # int (R,), 0 = employed from the plan year's start
    employed: np.ndarray  # bool (R, 12)
    target_incentive: np.ndarray  # float (R,), annual, prorated unless explicit
    explicit_quota: dict[str, np.ndarray]  # component id -> float (R,), NaN where not given


def _roster_arrays(plan: Plan, roster: pd.DataFrame, source: str) -> _Reps:
    year_start = plan.year_start
    count = len(roster)
    start_month = np.zeros(count, dtype=int)
    if "start_date" in roster.columns:
        starts = roster["start_date"]
        given = starts.notna().to_numpy()
        months = np.where(
            given, month_index(starts.fillna(pd.Timestamp(year_start)), year_start), 0
        )
        late = given & (months >= MONTHS_PER_YEAR)
        if late.any():
            position = int(np.flatnonzero(late)[0])
            raise SpmoptInputError(
                f"{describe_row(roster, position)}: start_date {starts.iloc[position].date()} is after "
                f"the plan year ({year_start} to {year_end(year_start)}); expected a rep employed "
                "during the year",
                source,
            )
        start_month = np.maximum(months, 0).astype(int)
    employed = np.arange(MONTHS_PER_YEAR)[None, :] >= start_month[:, None]
    months_employed = employed.sum(axis=1)
    target_incentive = plan.target_incentive * months_employed / MONTHS_PER_YEAR
    if "target_incentive" in roster.columns:
        explicit = roster["target_incentive"].to_numpy(dtype=float)
        target_incentive = np.where(np.isnan(explicit), target_incentive, explicit)
    component_ids = {component.id for component in plan.components}
    stray = [
        column
        for column in roster.columns
        if column.startswith("quota_") and column.removeprefix("quota_") not in component_ids
    ]
    if stray:
        raise SpmoptInputError(
            f"column {stray[0]} names no component of plan '{plan.id}' "
            f"(components: {', '.join(sorted(component_ids))})",
            source,
        )
    explicit_quota = {}
    for component in plan.components:
        quota = np.full(count, np.nan)
        for column in ("quota", f"quota_{component.id}"):
            if column in roster.columns:
                values = roster[column].to_numpy(dtype=float)
                quota = np.where(np.isnan(values), quota, values)
        explicit_quota[component.id] = quota
    return _Reps(
        ids=roster["rep_id"].to_numpy().astype(str),
        start_month=start_month,
        employed=employed,
        target_incentive=target_incentive,
        explicit_quota=explicit_quota,
    )


@dataclass
class _Quota:
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
    def of(cls, component: Component, reps: _Reps) -> _Quota:
        weights = np.asarray(component.monthly_quota_weights(), dtype=np.int64)
        employed_weight = weights[None, :] * reps.employed
        explicit = reps.explicit_quota[component.id]
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
        weight = _period_total(self.employed_weight, period)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(
                weight > 0, self.base[:, None] * weight / self.denominator[:, None], 0.0
            )

    def employed_share(self, period: str) -> np.ndarray:
        """For each month (R, 12), the schedule share of its ``period`` during which the rep is employed."""
        return _period_total(self.employed_weight, period) / _period_total(
            self.full_weight[None, :], period
        )


def _period_total(monthly: np.ndarray, period: str) -> np.ndarray:
    """For each month, the total of ``monthly`` (R, 12) over the whole period containing it."""
    length = MONTHS_PER_PERIOD[period]
    totals = monthly.reshape(len(monthly), -1, length).sum(axis=2)
    return np.repeat(totals, length, axis=1)


def _period_to_date(monthly: np.ndarray, period: str) -> np.ndarray:
    """Cumulative sum of ``monthly`` (R, 12) within each period (resetting at period starts)."""
    length = MONTHS_PER_PERIOD[period]
    return monthly.reshape(len(monthly), -1, length).cumsum(axis=2).reshape(monthly.shape)


def _year_to_date(period_to_date: np.ndarray, period: str) -> np.ndarray:
    """Year-to-date totals from period-to-date values (R, 12) of resetting periods."""
    ends = period_end_months(period)
    completed = np.cumsum(period_to_date[:, ends], axis=1)
    before = np.concatenate([np.zeros((len(period_to_date), 1)), completed[:, :-1]], axis=1)
    return before[:, period_of_month(period)] + period_to_date


@dataclass
class _ComponentResult:
    component: Component
    credited_to_date: np.ndarray  # cents (R, 12), within the measurement period
    period_quota: np.ndarray  # currency (R, 12), quota of the measurement period containing month
    earnings_to_date: np.ndarray  # cents (R, 12), year to date, ceilings applied
    capped: np.ndarray  # bool (R, 12): max_payout binds


def _component(
    plan: Plan,
    component: Component,
    reps: _Reps,
    rep_index: np.ndarray,
    month: np.ndarray,
    cents: np.ndarray,
) -> _ComponentResult:
    count = len(reps.ids)
    quota = _Quota.of(component, reps)
    annual_quota = quota.annual
    period_quota = quota.of_period(component.measurement_period)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(annual_quota[:, None] > 0, period_quota / annual_quota[:, None], 0.0)
    scales = component_scales(
        component, annual_quota[:, None], reps.target_incentive[:, None], share
    )
    family = plan.families[component.id]
    flat = rep_index * MONTHS_PER_YEAR + month
    credited = np.bincount(flat, weights=cents, minlength=count * MONTHS_PER_YEAR).reshape(
        count, MONTHS_PER_YEAR
    )
    credited_to_date = _period_to_date(credited, component.measurement_period)
    by_attainment = component.basis == "attainment"
    if component.evaluation == "period_to_date":
        amount = credited_to_date / 100.0
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.where(period_quota > 0, amount / period_quota, 0.0) if by_attainment else amount
        earned = family.evaluate(x.ravel(), scales.reshape(-1, scales.shape[-1])).reshape(x.shape)
        earned = np.where(period_quota > 0, earned, 0.0)
        year_to_date = _year_to_date(earned, component.measurement_period)
    else:  # per_transaction: each credit on the tiers alone; a cancellation reverses its amount
        size = np.abs(cents) / 100.0
        quota_of_credit = period_quota[rep_index, month]
        x = size / quota_of_credit if by_attainment else size
        earned_each = np.sign(cents) * family.evaluate(x, scales[rep_index, month])
        earned = np.bincount(flat, weights=earned_each, minlength=count * MONTHS_PER_YEAR)
        year_to_date = earned.reshape(count, MONTHS_PER_YEAR).cumsum(axis=1)
    capped = np.zeros(year_to_date.shape, dtype=bool)
    if component.max_payout is not None:
        capped = year_to_date > component.max_payout
        year_to_date = np.minimum(year_to_date, component.max_payout)
    return _ComponentResult(
        component=component,
        credited_to_date=credited_to_date,
        period_quota=period_quota,
        earnings_to_date=to_cents(year_to_date),
        capped=capped,
    )


@dataclass
class _BonusResult:
    bonus: Bonus
    earned_at_month: np.ndarray  # cents (R, 12): the lump sum, at the month its period ends
    credited: np.ndarray  # cents (R, n_periods) at each bonus period's end
    quota: np.ndarray  # currency (R, n_periods)


def _bonus(
    bonus: Bonus, owner: _ComponentResult, reps: _Reps, monthly_credited: np.ndarray
) -> _BonusResult:
    ends = period_end_months(bonus.period)
    owner_quota = _Quota.of(owner.component, reps)
    quota = owner_quota.of_period(bonus.period)[:, ends]
    credited = _period_to_date(monthly_credited, bonus.period)[:, ends]
    proration = owner_quota.employed_share(bonus.period)[:, ends]
    with np.errstate(divide="ignore", invalid="ignore"):
        reached = (quota > 0) & (credited / 100.0 / quota >= bonus.at)
    earned = np.zeros((len(reps.ids), MONTHS_PER_YEAR))
    earned[:, ends] = np.where(reached, bonus.amount * proration, 0.0)
    return _BonusResult(
        bonus=bonus, earned_at_month=to_cents(earned), credited=credited, quota=quota
    )


def _clawback_window(plan: Plan, credits: pd.DataFrame) -> np.ndarray:
    """Mask of credits that count: cancellations older than the clawback window do not."""
    counts = np.ones(len(credits), dtype=bool)
    if plan.clawback is None:
        return counts
    negative = credits["amount"].to_numpy() < 0
    has_deal = (credits["deal_id"].to_numpy() != "") & negative
    if not has_deal.any():
        return counts
    cancelled_deals = credits["deal_id"].to_numpy()[has_deal]
    bookings = (credits["amount"].to_numpy() > 0) & credits["deal_id"].isin(
        cancelled_deals
    ).to_numpy()
    originals = (
        credits.loc[bookings, ["rep_id", "deal_id", "measure", "date"]]
        .groupby(["rep_id", "deal_id", "measure"], sort=False)["date"]
        .min()
        .rename("booked")
    )
    cancels = credits.loc[has_deal, ["rep_id", "deal_id", "measure", "date"]]
    booked = cancels.join(originals, on=["rep_id", "deal_id", "measure"])["booked"]
    age_days = (cancels["date"] - booked).dt.days.to_numpy()
    outside = ~np.isnan(age_days.astype(float)) & (age_days > plan.clawback.window_days)
    counts[np.flatnonzero(has_deal)[outside]] = False
    return counts


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
) -> Statements:
    """Statements of the reps on one plan; ``rep_index`` gives each credit's row in ``roster``."""
    year_start: dt.date = plan.year_start
    reps = _roster_arrays(plan, roster, roster_source)
    count = len(reps.ids)
    _check_credits(plan, credits, credits_source)
    month = np.asarray(month_index(credits["date"], year_start), dtype=np.int64)
    early = month < reps.start_month[rep_index]
    if early.any():
        position = int(np.flatnonzero(early)[0])
        raise SpmoptInputError(
            f"{describe_row(credits, position)}: credit dated {credits['date'].iloc[position].date()} "
            f"is before rep {credits['rep_id'].iloc[position]!r} starts (roster start_date)",
            credits_source,
        )
    counts = _clawback_window(plan, credits)
    cents = np.where(counts, to_cents(credits["amount"].to_numpy()), 0).astype(float)
    measure = credits["measure"].to_numpy()

    monthly_by_measure = {}
    for name in plan.measures:
        mask = measure == name
        monthly_by_measure[name] = np.bincount(
            rep_index[mask] * MONTHS_PER_YEAR + month[mask],
            weights=cents[mask],
            minlength=count * MONTHS_PER_YEAR,
        ).reshape(count, MONTHS_PER_YEAR)
    components = []
    for component in plan.components:
        mask = measure == component.measure
        components.append(
            _component(plan, component, reps, rep_index[mask], month[mask], cents[mask])
        )
    owners = {}
    for result in components:
        owners.setdefault(result.component.measure, result)
    bonuses = [
        _bonus(bonus, owners[bonus.measure], reps, monthly_by_measure[bonus.measure])
        for bonus in plan.bonuses
    ]

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
    )
    return Statements(statements=statements_frame, lines=lines)


def _check_credits(plan: Plan, credits: pd.DataFrame, source: str) -> None:
    measures = set(plan.measures)
    stray = ~credits["measure"].isin(measures).to_numpy()
    if stray.any():
        position = int(np.flatnonzero(stray)[0])
        raise SpmoptInputError(
            f"{describe_row(credits, position)}: measure {credits['measure'].iloc[position]!r} is not "
            f"paid by plan '{plan.id}' (it pays on {', '.join(sorted(measures))})",
            source,
        )
    month = np.asarray(month_index(credits["date"], plan.year_start))
    outside = (month < 0) | (month >= MONTHS_PER_YEAR)
    if outside.any():
        position = int(np.flatnonzero(outside)[0])
        raise SpmoptInputError(
            f"{describe_row(credits, position)}: date {credits['date'].iloc[position].date()} is "
            f"outside plan '{plan.id}''s year ({plan.year_start} to {year_end(plan.year_start)})",
            source,
        )
