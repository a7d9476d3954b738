"""Step 7 of the fast engine: incentive pay of every rep spell from ``plan_earnings``.

A seat's plan year holds one or more *rep spells*: the rep in the seat at the year's start (until
it leaves) and each new hire (from its start month). Each spell is one row for
:func:`spmopt.plan.earnings.plan_earnings`: monthly credited cents (zero outside the spell),
``RepTerms`` with the spell's start month (quota and target incentive prorated for a hire; the
seat's quota and target incentive for the rep there at the start). The month's incentive is the
change in the spell's earnings to date; a spell that ends keeps what it earned.
"""

from __future__ import annotations

import numpy as np

from spmopt.plan.earnings import RepTerms, plan_earnings, to_cents

MONTHS = 12
#: spells per call of plan_earnings (its (rows, 12, scales) temporaries stay small)
EARNINGS_ROWS = 16_384


def monthly_earnings(plan, measure: str, cents, start, target, ratio) -> np.ndarray:
    """Each spell's incentive per month [currency] (spells, 12): the steps of its earnings to
    date from :func:`plan_earnings` (0 before the spell starts, so a plain difference).

    ``cents`` (spells, 12) credited; ``start`` month of each spell; ``target`` its annual target
    incentive and ``ratio`` its quota relative to the plan's (NaN: the plan's, prorated).
    """
    spells = cents.shape[0]
    earned = np.empty((spells, MONTHS))
    for first in range(0, spells, EARNINGS_ROWS):  # blocks keep temporaries small
        rows = slice(first, min(first + EARNINGS_ROWS, spells))
        terms = RepTerms.build(
            plan,
            np.full(rows.stop - rows.start, "", dtype="<U1"),  # labels: unused here
            start_month=start[rows],
            target_incentive=target[rows],
            quota={c.id: c.quota * ratio[rows] for c in plan.components},
        )
        earned[rows] = plan_earnings(plan, terms, {measure: cents[rows]}).total_to_date
    change = np.diff(earned, axis=1, prepend=0.0)
    change /= 100.0
    return change


def segment_incentive(segment, decisions, o: dict, year_quota: np.ndarray) -> None:
    """Write the incentives of one segment's seats in a block of replications into
    ``o["incentive"]`` (``o``: (R, 12, N) views of ``occupied``, ``hired``, ``credited``;
    ``year_quota`` (R, N): each seat's annual quota at the year's start).

    Spells: one row per (replication, seat) for the rep in the seat at the year's start
    (credits until the seat's first hire of the year), then one row per hire.
    """
    cols, seats = segment.columns, segment.seats
    plan, measure = segment.segment.plan, segment.measure
    occupied = o["occupied"][:, :, cols]
    hired = o["hired"][:, :, cols]
    r, ns = occupied.shape[0], seats.size
    cents = to_cents(o["credited"][:, :, cols])
    later = np.cumsum(hired, axis=1, dtype=np.int16) > 0  # after the year's first hire
    own = occupied & ~later  # the months of the rep in the seat at the year's start
    incumbent = monthly_earnings(
        plan,
        measure,
        np.where(own, cents, 0).transpose(0, 2, 1).reshape(r * ns, MONTHS),
        np.zeros(r * ns, np.int64),
        np.tile(decisions.target_incentive[seats], r),
        (year_quota[:, seats] / segment.segment.plan_quota).ravel(),
    )
    incentive = incumbent.reshape(r, ns, MONTHS).transpose(0, 2, 1) * own
    hire_r, hire_m, hire_s = np.nonzero(hired)
    if hire_r.size:
        hires = hire_r.size
        ordinal = np.full(occupied.shape, -1, np.int32)
        ordinal[hire_r, hire_m, hire_s] = np.arange(hires, dtype=np.int32)
        ordinal = np.maximum.accumulate(ordinal, axis=1)  # the latest hire in the seat
        cell_r, cell_m, cell_s = np.nonzero(occupied & later)
        spell = ordinal[cell_r, cell_m, cell_s]
        hire_cents = np.zeros((hires, MONTHS))
        hire_cents[spell, cell_m] = cents[cell_r, cell_m, cell_s]
        nothing = np.full(hires, np.nan)
        change = monthly_earnings(plan, measure, hire_cents, hire_m, nothing, nothing)
        incentive[cell_r, cell_m, cell_s] = change[spell, cell_m]
    o["incentive"][:, :, cols] = incentive
