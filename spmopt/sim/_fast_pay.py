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
#: spells per call of plan_earnings (its (rows, 12) temporaries stay small)
EARNINGS_ROWS = 16_384


def monthly_earnings(plan, measure: str, cents, start, target, ratio) -> np.ndarray:
    """Each spell's incentive per month [currency] (spells, 12): the steps of its earnings to
    date from :func:`plan_earnings` (0 before the spell starts, so a plain difference).

    ``cents`` (spells, 12) credited; ``start`` month of each spell; ``target`` its annual target
    incentive and ``ratio`` its quota relative to the plan's (NaN: the plan's, prorated).
    """
    spells = cents.shape[0]
    change = np.empty((spells, MONTHS))
    for first in range(0, spells, EARNINGS_ROWS):  # blocks keep temporaries small
        rows = slice(first, min(first + EARNINGS_ROWS, spells))
        terms = RepTerms.build(
            plan,
            np.full(rows.stop - rows.start, "", dtype="<U1"),  # labels: unused here
            start_month=start[rows],
            target_incentive=target[rows],
            quota={c.id: c.quota * ratio[rows] for c in plan.components},
        )
        earned = plan_earnings(plan, terms, {measure: cents[rows]}).total_to_date  # int cents
        steps = change[rows]
        steps[:, 0] = earned[:, 0]
        np.subtract(earned[:, 1:], earned[:, :-1], out=steps[:, 1:])  # exact in int64
        steps /= 100.0
    return change


def segment_incentive(segment, decisions, o: dict, year_quota: np.ndarray) -> None:
    """Write the incentives of one segment's seats in a block of replications into
    ``o["incentive"]`` (``o``: (R, 12, N) views of ``occupied``, ``hired``, ``credited``;
    ``year_quota`` (R, N): each seat's annual quota at the year's start).

    Spells: one row per (replication, seat) for the rep in the seat at the year's start
    (credits until the seat's first hire of the year), then one row per hire, all in one table
    for :func:`monthly_earnings`. The work runs seat-major, (R, seats, 12), so that a
    (replication, seat) row is a spell's year.
    """
    cols, seats = segment.columns, segment.seats
    plan, measure = segment.segment.plan, segment.measure
    r, ns = year_quota.shape[0], seats.size
    cents = to_cents(o["credited"][:, :, cols].transpose(0, 2, 1))  # (R, seats, 12)
    occupied = o["occupied"][:, :, cols].transpose(0, 2, 1)
    hired = np.ascontiguousarray(o["hired"][:, :, cols].transpose(0, 2, 1))
    # hires counted along (replication, seat, month): a cell after its row's first hire belongs
    # to the spell of the latest hire, number ``hire_count - 1``
    hire_count = np.cumsum(hired.ravel(), dtype=np.int32).reshape(r * ns, MONTHS)
    before_row = np.concatenate([[0], hire_count[:-1, -1]]).astype(np.int32)
    later = (hire_count > before_row[:, None]).reshape(r, ns, MONTHS)
    own = occupied & ~later  # the months of the rep in the seat at the year's start
    hire_cells = np.flatnonzero(occupied & later)
    hire_spells = hire_count.ravel()[hire_cells] - 1
    hire_months = hire_cells % MONTHS
    hire_start = np.flatnonzero(hired) % MONTHS
    incumbents, hires = r * ns, hire_start.size

    spell_cents = np.zeros((incumbents + hires, MONTHS))
    np.multiply(cents, own, out=spell_cents[:incumbents].reshape(r, ns, MONTHS))
    hire_slots = hire_spells * MONTHS + hire_months  # in the hires' rows
    spell_cents[incumbents:].ravel()[hire_slots] = cents.ravel()[hire_cells]
    change = monthly_earnings(
        plan,
        measure,
        spell_cents,
        np.concatenate([np.zeros(incumbents, np.int64), hire_start]),
        np.concatenate([np.tile(decisions.target_incentive[seats], r), np.full(hires, np.nan)]),
        np.concatenate(
            [(year_quota[:, seats] / segment.segment.plan_quota).ravel(), np.full(hires, np.nan)]
        ),
    )
    incentive = change[:incumbents].reshape(r, ns, MONTHS)
    incentive *= own
    incentive.ravel()[hire_cells] = change[incumbents:].ravel()[hire_slots]
    o["incentive"][:, :, cols] = incentive.transpose(0, 2, 1)
