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


def segment_incentive(segment, decisions, o: dict, year_quota: np.ndarray) -> None:
    """Write the incentives of one segment's seats in a block of replications into
    ``o["incentive"]`` (``o``: (R, 12, N) views of ``occupied``, ``hired``, ``credited``;
    ``year_quota`` (R, N): each seat's annual quota at the year's start).

    Spells: one row per (replication, seat) for the rep in the seat at the year's start
    (credits until the seat's first hire of the year), then one row per hire.
    """
    cols, seats = segment.columns, segment.seats
    plan = segment.segment.plan
    occupied = o["occupied"][:, :, cols]
    hired = o["hired"][:, :, cols]
    r, ns = occupied.shape[0], seats.size
    cents = to_cents(o["credited"][:, :, cols])
    later = np.cumsum(hired, axis=1, dtype=np.int16) > 0  # after the year's first hire
    own = occupied & ~later  # the months of the rep in the seat at the year's start
    incumbent_cents = np.where(own, cents, 0).transpose(0, 2, 1).reshape(r * ns, MONTHS)
    hire_r, hire_m, hire_s = np.nonzero(hired)
    hires = hire_r.size
    start = np.concatenate([np.zeros(r * ns, np.int64), hire_m])
    ratio = np.concatenate(
        [
            (year_quota[:, seats] / segment.segment.plan_quota).ravel(),
            np.full(hires, np.nan),
        ]
    )
    target = np.concatenate([np.tile(decisions.target_incentive[seats], r), np.full(hires, np.nan)])
    quota = {c.id: c.quota * ratio for c in plan.components}
    spell_cents = incumbent_cents
    if hires:
        ordinal = np.full(occupied.shape, -1, np.int32)
        ordinal[hire_r, hire_m, hire_s] = np.arange(hires, dtype=np.int32)
        ordinal = np.maximum.accumulate(ordinal, axis=1)  # the latest hire in the seat
        cell_r, cell_m, cell_s = np.nonzero(occupied & later)
        spell = ordinal[cell_r, cell_m, cell_s]
        hire_cents = np.zeros((hires, MONTHS))
        hire_cents[spell, cell_m] = cents[cell_r, cell_m, cell_s]
        spell_cents = np.concatenate([incumbent_cents, hire_cents])
    spells = spell_cents.shape[0]
    earned = np.empty((spells, MONTHS))
    for first in range(0, spells, EARNINGS_ROWS):  # blocks keep temporaries small
        rows = slice(first, min(first + EARNINGS_ROWS, spells))
        terms = RepTerms.build(
            plan,
            np.full(rows.stop - rows.start, "", dtype="<U1"),  # labels: unused here
            start_month=start[rows],
            target_incentive=target[rows],
            quota={key: value[rows] for key, value in quota.items()},
        )
        earned[rows] = plan_earnings(
            plan, terms, {segment.measure: spell_cents[rows]}
        ).total_to_date
    # earnings to date are 0 before a spell starts, so the monthly change is a plain diff
    change = np.diff(earned, axis=1, prepend=0.0) / 100.0
    incentive = change[: r * ns].reshape(r, ns, MONTHS).transpose(0, 2, 1) * own
    if hires:
        incentive[cell_r, cell_m, cell_s] = change[r * ns + spell, cell_m]
    o["incentive"][:, :, cols] = incentive
