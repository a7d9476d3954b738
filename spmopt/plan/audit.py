"""The audit trail of a statement run: one line per rep, payout period and component, bonus or
adjustment, explaining each amount (design §3.3 ``lines.csv``).

For every rep and payout period the lines' ``amount`` sums to the statement's ``paid``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmopt.plan.calendar import period_end_months, period_labels, period_of_month

LINE_COLUMNS = (
    "rep_id",
    "period",
    "line",
    "basis",
    "amount",
    "credited_to_date",
    "quota",
    "attainment",
    "earnings_to_date",
    "previously_earned",
)


def _money(cents: np.ndarray) -> pd.Series:
    return pd.Series([f"{value:,.2f}" for value in (np.asarray(cents) / 100.0).tolist()])


def describe_component(component) -> str:
    """The rule behind a component line, in words; the figures are in the line's other columns."""
    basis = "attainment of the quota" if component.basis == "attainment" else "credited amount"
    evaluation = (
        f"credited to date in the {component.measurement_period}"
        if component.evaluation == "period_to_date"
        else "each credit on its own"
    )
    parts = [f"{component.method} tiers on {basis} ({component.measure}, {evaluation})"]
    if component.threshold is not None:
        parts.append(f"threshold {component.threshold:g}")
    if component.cap is not None:
        parts.append(f"cap {component.cap:g}")
    parts.append("amount = earnings_to_date - previously_earned")
    return "; ".join(parts)


def audit_lines(
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
) -> pd.DataFrame:
    """The audit lines of one plan's statements, ordered by rep (roster order), then period.

    ``rep_index`` gives each credit's row in ``reps``; each part's rows carry their rep row and
    payout period (integers) for the final ordering.
    """
    count, periods = employed_period.shape
    keep = employed_period.ravel()
    rep_rows = np.repeat(np.arange(count), periods)[keep]
    period_rows = np.tile(np.arange(periods), count)[keep]
    rep_ids = reps.ids[rep_rows]
    period_names = labels[period_rows]
    frames = []
    order_rep = []
    order_period = []
    for result, earned in zip(components, component_earned, strict=True):
        component = result.component
        to_date = result.earnings_to_date[:, ends]
        previous = np.concatenate([np.zeros((count, 1), dtype=np.int64), to_date[:, :-1]], axis=1)
        credited = result.credited_to_date[:, ends]
        quota = result.period_quota[:, ends]
        with np.errstate(divide="ignore", invalid="ignore"):
            attainment = np.where(quota > 0, credited / 100.0 / quota, np.nan)
        capped = result.capped[:, ends].ravel()[keep]
        rule = describe_component(component)
        basis = np.where(
            capped, f"{rule}; capped at max_payout {component.max_payout or 0:,.2f}", rule
        )
        frames.append(
            pd.DataFrame(
                {
                    "rep_id": rep_ids,
                    "period": period_names,
                    "line": f"component:{component.id}",
                    "basis": basis,
                    "amount": earned.ravel()[keep] / 100.0,
                    "credited_to_date": credited.ravel()[keep] / 100.0,
                    "quota": quota.ravel()[keep],
                    "attainment": attainment.ravel()[keep],
                    "earnings_to_date": to_date.ravel()[keep] / 100.0,
                    "previously_earned": previous.ravel()[keep] / 100.0,
                }
            )
        )
        order_rep.append(rep_rows)
        order_period.append(period_rows)
    payout_of_month = period_of_month(plan.payout_frequency)
    for result in bonuses:
        bonus = result.bonus
        bonus_ends = period_end_months(bonus.period)
        bonus_labels = period_labels(bonus.period, plan.year_start)
        rows, which = np.nonzero(result.earned_at_month[:, bonus_ends])
        if rows.size == 0:
            continue
        credited = result.credited[rows, which]
        quota = result.quota[rows, which]
        frames.append(
            pd.DataFrame(
                {
                    "rep_id": reps.ids[rows],
                    "period": labels[payout_of_month[bonus_ends[which]]],
                    "line": f"bonus:{bonus.id}",
                    "basis": (
                        bonus.measure
                        + " credited "
                        + _money(credited)
                        + " in "
                        + pd.Series(np.asarray(bonus_labels)[which])
                        + " = "
                        + pd.Series(credited / 100.0 / quota).map("{:.2%}".format)
                        + f" of quota, at or above {bonus.at:.0%}: lump sum"
                    ).to_numpy(),
                    "amount": result.earned_at_month[rows, bonus_ends[which]] / 100.0,
                    "credited_to_date": credited / 100.0,
                    "quota": quota,
                    "attainment": credited / 100.0 / quota,
                }
            )
        )
        order_rep.append(rows)
        order_period.append(payout_of_month[bonus_ends[which]])
    adjustments = {
        "draw_topup": (
            "draw_topup",
            1,
            "draw of {draw} per period: earnings below it are topped up",
        ),
        "draw_recovery": (
            "draw_recovery",
            -1,
            "recovery of the recoverable draw balance from earnings above the draw",
        ),
        "clawback": ("clawback", 1, "negative true-up deferred (+) or recovered from earnings (-)"),
    }
    for line, (column, sign, text) in adjustments.items():
        values = ledgers[column]
        rows, which = np.nonzero(values)
        if rows.size == 0:
            continue
        draw_text = f"{plan.draw.amount:,.2f}" if plan.draw is not None else ""
        frames.append(
            pd.DataFrame(
                {
                    "rep_id": reps.ids[rows],
                    "period": labels[which],
                    "line": line,
                    "basis": text.format(draw=draw_text),
                    "amount": sign * values[rows, which] / 100.0,
                }
            )
        )
        order_rep.append(rows)
        order_period.append(which)
    ignored = np.flatnonzero(~counts)
    if ignored.size:
        rows = credits.iloc[ignored]
        frames.append(
            pd.DataFrame(
                {
                    "rep_id": rows["rep_id"].to_numpy(),
                    "period": labels[payout_of_month[month[ignored]]],
                    "line": "cancellation_outside_clawback_window",
                    "basis": (
                        "deal "
                        + rows["deal_id"].astype(str)
                        + " cancelled on "
                        + rows["date"].dt.strftime("%Y-%m-%d")
                        + f" more than {plan.clawback.window_days} days after booking: "
                        + rows["amount"].map("{:,.2f}".format)
                        + " not clawed back"
                    ).to_numpy(),
                    "amount": 0.0,
                }
            )
        )
        order_rep.append(rep_index[ignored])
        order_period.append(payout_of_month[month[ignored]])
    lines = pd.concat(frames, ignore_index=True).reindex(columns=list(LINE_COLUMNS))
    order = np.lexsort((np.concatenate(order_period), np.concatenate(order_rep)))  # stable
    return lines.take(order).reset_index(drop=True)
