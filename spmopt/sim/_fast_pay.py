"""Step 7 of the fast engine: incentive pay of every rep spell from ``plan_earnings``.

A seat's plan year holds one or more *rep spells*: the rep in the seat at the year's start (until
it leaves) and each new hire (from its start month). Each spell is one row for
:func:`spmopt.plan.earnings.plan_earnings`: monthly credited cents (zero outside the spell),
``RepTerms`` with the spell's start month (quota and target incentive prorated for a hire; the
seat's quota and target incentive for the rep there at the start). The month's incentive is the
change in the spell's earnings to date; a spell that ends keeps what it earned.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    flat_change = change.reshape(-1)
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
        # differences along the flattened rows (one fast pass, exact in int64), then each
        # row's first month
        flat = earned.reshape(-1)
        np.subtract(
            flat[1:], flat[:-1], out=flat_change[rows.start * MONTHS + 1 : rows.stop * MONTHS]
        )
        change[rows, 0] = earned[:, 0]
        change[rows] /= 100.0
    return change


def by_seat(monthly: np.ndarray) -> np.ndarray:
    """A contiguous seat-major copy (R, seats, 12) of a month-major block (R, 12, seats)."""
    return np.ascontiguousarray(monthly.transpose(0, 2, 1))


@dataclass(frozen=True)
class Spells:
    """Who holds each seat-month of a block, seat-major (R, seats, 12): the rep in the seat at
    the year's start (``own``) or one of the year's hires, numbered along (replication, seat,
    month)."""

    own: np.ndarray  # bool (R, seats, 12): months of the rep in the seat at the year's start
    hire_cells: np.ndarray  # flat indices of the seat-months in a hire's spell
    hire_slots: np.ndarray  # each one's flat index in a (hires, 12) table of the hires' spells
    hire_start: np.ndarray  # start month of each hire (hires,)

    @classmethod
    def of(cls, occupied: np.ndarray, hired: np.ndarray) -> Spells:
        """From bool (R, seats, 12) ``occupied`` and ``hired``: a seat-month after its row's
        first hire belongs to the latest hire, number ``count of hires so far - 1``."""
        count = np.cumsum(hired.ravel(), dtype=np.int32).reshape(-1, MONTHS)
        before_row = np.concatenate([[0], count[:-1, -1]]).astype(np.int32)
        later = (count > before_row[:, None]).reshape(hired.shape)
        hire_cells = np.flatnonzero(occupied & later)
        spell = count.ravel()[hire_cells] - 1
        return cls(
            own=occupied & ~later,
            hire_cells=hire_cells,
            hire_slots=spell * MONTHS + hire_cells % MONTHS,
            hire_start=np.flatnonzero(hired) % MONTHS,
        )


def segment_incentive(segment, decisions, o: dict, year_quota: np.ndarray) -> None:
    """Write the incentives of one segment's seats in a block of replications into
    ``o["incentive"]`` (``o``: (R, 12, N) views of ``occupied``, ``hired``, ``credited``;
    ``year_quota`` (R, N): each seat's annual quota at the year's start).

    Spells: one row per (replication, seat) for the rep in the seat at the year's start
    (credits until the seat's first hire of the year), then one row per hire. The work runs
    seat-major, (R, seats, 12), so that a (replication, seat) row is a spell's year, and in place
    where it can: fresh memory is slow to touch on some machines.
    """
    cols, seats = segment.columns, segment.seats
    plan, measure = segment.segment.plan, segment.measure
    r, ns = year_quota.shape[0], seats.size
    spells = Spells.of(*(by_seat(o[name][:, :, cols]) for name in ("occupied", "hired")))
    cents = to_cents(o["credited"][:, :, cols].transpose(0, 2, 1))  # (R, seats, 12)
    hires = spells.hire_start.size
    hire_cents = np.zeros((hires, MONTHS), dtype=cents.dtype)
    hire_cents.ravel()[spells.hire_slots] = cents.ravel()[spells.hire_cells]
    cents *= spells.own  # now the incumbents' credits
    incentive = monthly_earnings(
        plan,
        measure,
        cents.reshape(r * ns, MONTHS),
        np.zeros(r * ns, np.int64),
        np.tile(decisions.target_incentive[seats], r),
        (year_quota[:, seats] / segment.segment.plan_quota).ravel(),
    ).reshape(r, ns, MONTHS)
    incentive *= spells.own
    if hires:
        nothing = np.full(hires, np.nan)
        change = monthly_earnings(plan, measure, hire_cents, spells.hire_start, nothing, nothing)
        incentive.ravel()[spells.hire_cells] = change.ravel()[spells.hire_slots]
    o["incentive"][:, :, cols] = incentive.transpose(0, 2, 1)
