"""Choosing the credits and reps a plan pays, for running plans on a shared credits file.

A company's credits file usually holds every rep and every measure; one plan pays some reps on
some measures. :func:`select_for_plans` keeps what the given plans pay — by the roster's
``plan_id`` (the reps on the given plans, or on a named plan) and/or by measure (the credits of
measures the rep's plan pays) — and says what it left out. Nothing is dropped unless asked: a
credit on a measure no plan pays is otherwise an error (a misspelt measure must not vanish from
a payroll run).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError
from spmopt.plan.plan import Plan


def select_for_plans(
    plans: Sequence[Plan],
    credits: pd.DataFrame,
    roster: pd.DataFrame | None,
    *,
    by_roster: bool = False,
    by_measure: bool = False,
    reps_of: str | None = None,
    roster_source: str = "roster",
    credits_source: str = "credits",
) -> tuple[pd.DataFrame, pd.DataFrame | None, list[str]]:
    """The credits and roster rows the ``plans`` pay, and notes on what was left out.

    Parameters
    ----------
    plans:
        The plans to run.
    credits, roster:
        Validated tables (:func:`~spmopt.plan.inputs.read_credits`, ``read_roster``).
    by_roster:
        Keep only the reps whose roster ``plan_id`` is one of ``plans`` (a roster with a
        ``plan_id`` column is needed).
    reps_of:
        Keep only the reps whose roster ``plan_id`` is this id and pay them under the one plan
        given (e.g. a bookings-only alternative run on the reps of the incumbent plan).
    by_measure:
        Leave out the credits of measures the rep's plan does not pay.

    Returns
    -------
    (credits, roster, notes)
        ``roster`` loses its ``plan_id`` column when ``reps_of`` is given.
    """
    notes: list[str] = []
    ids = [plan.id for plan in plans]
    if by_roster or reps_of is not None:
        if roster is None or "plan_id" not in roster.columns:
            raise SpmoptInputError(
                "selecting reps by roster needs --roster with a plan_id column", roster_source
            )
        wanted = [reps_of] if reps_of is not None else ids
        if reps_of is not None and len(plans) != 1:
            raise SpmoptInputError(
                "--reps-of pays the selected reps under one plan; give one --plan"
            )
        keep = roster["plan_id"].isin(wanted).to_numpy()
        if not keep.any():
            found = ", ".join(sorted(set(roster["plan_id"])))
            hint = "" if reps_of is not None else "; --reps-of ID pays the reps of plan ID under it"
            raise SpmoptInputError(
                f"no rep's plan_id is {' or '.join(repr(w) for w in wanted)} (plan_ids: {found})"
                + hint,
                roster_source,
            )
        left = roster.loc[~keep, "plan_id"]
        if len(left):
            notes.append(
                f"{int(keep.sum())} reps selected by roster plan_id; {len(left)} reps on "
                f"{', '.join(sorted(set(left)))} left out"
            )
        roster = roster[keep]
        if reps_of is not None:
            roster = roster.drop(columns=["plan_id"])
        before = len(credits)
        credits = credits[credits["rep_id"].isin(roster["rep_id"])]
        if before > len(credits):
            notes.append(f"{before - len(credits)} credits of reps not selected left out")
        if credits.empty:
            raise SpmoptInputError("the selected reps have no credits", credits_source)
    if by_measure:
        credits = _paid_measures(plans, credits, roster, notes, credits_source)
    return credits, roster, notes


def _paid_measures(plans, credits, roster, notes, source):
    """Credits whose measure the rep's plan pays (one plan, or the roster's plan_id)."""
    measures = {plan.id: set(plan.measures) for plan in plans}
    if len(plans) == 1 or roster is None or "plan_id" not in roster.columns:
        paid_by = set().union(*measures.values())
        paid = credits["measure"].isin(paid_by).to_numpy()
    else:
        plan_of = roster.set_index("rep_id")["plan_id"]
        rep_plan = credits["rep_id"].map(plan_of).to_numpy()
        paid = np.array(
            [m in measures.get(p, ()) for m, p in zip(credits["measure"], rep_plan, strict=True)],
            dtype=bool,
        )
    if paid.all():
        return credits
    left = credits.loc[~paid]
    if not paid.any():
        raise SpmoptInputError(
            f"no credit is on a measure the plans pay ({', '.join(sorted(set().union(*measures.values())))}); "
            f"the credits have {', '.join(sorted(set(credits['measure'])))}",
            source,
        )
    counts = left.groupby("measure")["amount"].agg(["size", "sum"])
    notes.append(
        f"{len(left)} credits on measures the rep's plan does not pay left out ("
        + ", ".join(f"{m}: {int(r['size'])} rows, {r['sum']:,.2f}" for m, r in counts.iterrows())
        + ")"
    )
    return credits[paid]
