"""A plan's terms for each roster rep, and which credits a plan counts (design §3.2–§3.3).

Shared by the statements engine (:mod:`spmopt.plan.statements`) and the finance views that
compare plans on the same credits (:func:`spmopt.finance.backtest.annual_attainment`):

* :func:`roster_terms` — each rep's start month, prorated target incentive [currency] and
  explicit quotas [measure units a year] from the roster;
* :func:`counted_credits` — which credit rows count: a cancellation of a deal booked more than
  the plan's clawback ``window_days`` earlier does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from spmopt.errors import SpmoptInputError
from spmopt.plan.calendar import MONTHS_PER_YEAR, month_index, year_end
from spmopt.plan.earnings import RepTerms
from spmopt.plan.inputs import describe_row
from spmopt.plan.plan import Plan


def roster_terms(plan: Plan, roster: pd.DataFrame, source: str) -> RepTerms:
    """Each rep's start month, target incentive and explicit quotas from the roster.

    ``roster`` is a validated roster (:func:`~spmopt.plan.inputs.read_roster`); ``source`` names
    it in errors. Returns the roster's reps in order with ``start_month`` (0-11 from the plan's
    ``year_start``; 0 without ``start_date``), ``target_incentive`` [currency a year; the plan's,
    prorated by months employed, unless the roster gives it] and ``explicit_quota`` (per
    component, NaN where the roster gives none: ``quota_<component id>`` overrides ``quota``).
    Raises ``SpmoptInputError`` for a start after the plan year or a ``quota_`` column naming no
    component.
    """
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
    return RepTerms(
        ids=roster["rep_id"].to_numpy().astype(str),
        start_month=start_month,
        target_incentive=target_incentive,
        explicit_quota=explicit_quota,
    )


def counted_credits(plan: Plan, credits: pd.DataFrame) -> np.ndarray:
    """Mask (one bool per credit row) of the credits ``plan`` counts: with a clawback window,
    a cancellation (negative amount with a ``deal_id``) more than ``window_days`` after its
    deal's first booking (same rep, deal and measure) does not count; everything else does.

    >>> import pandas as pd
    >>> from spmopt.plan import Plan
    >>> plan = Plan.from_toml('''
    ... schema_version = 1
    ... [plan]
    ... id = "p"
    ... year_start = "2027-01-01"
    ... payout_frequency = "quarter"
    ... base_salary = 0
    ... target_incentive = 1000
    ... [[plan.components]]
    ... id = "bookings"
    ... measure = "bookings"
    ... quota = 10000
    ... tiers = [{ from = 0.0, rate = 0.1 }]
    ... [plan.clawback]
    ... window_days = 30
    ... ''')
    >>> credits = pd.DataFrame({
    ...     "rep_id": ["a", "a", "a"], "measure": ["bookings"] * 3, "deal_id": ["d1"] * 3,
    ...     "date": pd.to_datetime(["2027-01-10", "2027-01-20", "2027-06-01"]),
    ...     "amount": [500.0, -100.0, -100.0]})
    >>> counted_credits(plan, credits).tolist()
    [True, True, False]
    """
    counts = np.ones(len(credits), dtype=bool)
    if plan.clawback is None:
        return counts
    negative = credits["amount"].to_numpy() < 0
    has_deal = (credits["deal_id"].to_numpy() != "") & negative
    if not has_deal.any():
        return counts
    deal_ids = credits["deal_id"].to_numpy()
    bookings = (credits["amount"].to_numpy() > 0) & _is_in(deal_ids, deal_ids[has_deal])
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


def _is_in(texts: np.ndarray, candidates: np.ndarray) -> np.ndarray:
    """Whether each of ``texts`` (strings) is among ``candidates``: hashed by pyarrow (a fifth
    of the CPU of pandas' ``isin`` on Python strings), by pandas when they are not all strings."""
    try:
        found = pc.is_in(pa.array(texts, pa.string()), value_set=pa.array(candidates, pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pd.Series(texts).isin(candidates).to_numpy()
    return found.to_numpy(zero_copy_only=False)
