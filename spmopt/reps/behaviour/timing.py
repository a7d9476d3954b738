"""Deal timing: at the end of a measurement period reps may pull deals in or push them out.

At the close of a measurement period a rep has credited C in the period. It may

* **pull** deals worth x (face value, at most ``pull_share`` of next month's expected sales) into
  this period by conceding a price discount δ: the period is credited ``(1 − δ)·x``, the next
  period loses x, and the company loses ``δ·x`` of revenue (``discount_lost``). The engines
  take the expected sales for normal sales (next month's sales then owe x) and the deals due
  next month in the pipeline for deal sales (docs/simulation-model.md, step 5);
* **push** bookings worth y (at most ``push_share`` of this month's) into the next period.

The rep compares ``pay_now(C + (1 − δ)·x) + CE[pay_next(S − x)]`` (or ``pay_now(C − y) +
CE[pay_next(S + y)]``) with doing nothing, where ``pay_now`` is the period's payout against credit
and S the next period's sales, normal with the mean and σ the caller gives (CE closed form, see
:mod:`spmopt.reps.expectation`). This period's pay is known, so with CARA utility the comparison
of certainty equivalents is exact. Candidates are a grid on the feasible range joined with every
amount that lands credit exactly on a breakpoint of the period curve (thresholds, tier starts,
bonus levels, caps); the best strictly profitable move is taken, ties mean no gaming.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from spmopt.reps._checks import number
from spmopt.reps.expectation import (
    is_risky,
    normal_certainty_equivalent,
    normal_pay_certainty_equivalent,
)
from spmopt.reps.payfunction import StackedPay

DECISION_COLUMNS = ("pulled", "pulled_credit", "discount_lost", "pushed", "gain")


@dataclass(frozen=True, eq=False)
class TimingDecision:
    """Per-rep timing moves at one period end (currency; zeros where the rep does nothing).

    ``pulled``: face value of deals pulled in; ``pulled_credit = (1 − δ)·pulled`` credited now;
    ``discount_lost = δ·pulled``, revenue the company gives up; ``pushed``: bookings moved to
    the next period; ``gain``: the rep's gain in certainty equivalent.
    """

    pulled: np.ndarray
    pulled_credit: np.ndarray
    discount_lost: np.ndarray
    pushed: np.ndarray
    gain: np.ndarray

    @property
    def credit_change(self) -> np.ndarray:
        """Change in this period's credit: + pulled credit − pushed."""
        return self.pulled_credit - self.pushed

    @property
    def next_period_change(self) -> np.ndarray:
        """Change in the next period's sales: − pulled face value + pushed."""
        return self.pushed - self.pulled


def _zero_decision(n: int) -> TimingDecision:
    zero = np.zeros(n)
    return TimingDecision(zero, zero, zero, zero, zero)


def period_end_inputs(situation, month: int, month_sales, effort, pull_share, push_share):
    """Capacities and next-period sales moments of every rep at the end of ``month``.

    Next period: the following measurement period (wrapping into next year's first period at the
    year end, with this year's seasonality), sales normal with the technology's mean and variance
    at ``effort`` (N,). Returns (pull_capacity, push_capacity, next_mean, next_sd), each (N,).
    """
    period = situation.measurement_months
    reps = situation.reps
    effort = np.broadcast_to(np.asarray(effort, dtype=float), (len(reps),))
    productivity = situation.productivity
    following = (month + 1 + np.arange(period)) % 12
    exposure = productivity[:, following].sum(axis=1)
    next_mean = situation.sales.mean(reps, effort, exposure)
    next_sd = np.sqrt(situation.sales.variance(reps, effort, exposure))
    pull = pull_share * situation.sales.mean(reps, effort, productivity[:, following[0]])
    push = push_share * np.maximum(np.asarray(month_sales, dtype=float), 0.0)
    return pull, push, next_mean, next_sd


class NoTiming:
    """Timing model ``"none"``: reps never move deals across period ends."""

    name: ClassVar[str] = "none"

    def decide_at_period_end(self, situation, month, credited, month_sales, effort):
        return _zero_decision(len(situation))

    def decide(
        self, pay, credited, pull_capacity, push_capacity, next_mean, next_sd, risk_aversion=0.0
    ) -> TimingDecision:
        zero = np.zeros(np.shape(credited))
        return TimingDecision(zero, zero, zero, zero, zero)


@dataclass(frozen=True)
class DealTiming:
    """Timing model ``"pull_push"``.

    Parameters
    ----------
    discount:
        Price concession δ to pull a deal into the period (share of its value, 0 ≤ δ < 1).
    pull_share, push_share:
        Shares of next month's expected sales that can be pulled (in the engines: of the deals
        due next month for deal sales) and of this month's bookings that can be pushed (0
        disables either move).
    grid_points:
        Grid of amounts searched besides the breakpoint-landing amounts.
    """

    discount: float = 0.10
    pull_share: float = 0.5
    push_share: float = 0.5
    grid_points: int = 33
    name: ClassVar[str] = "pull_push"

    def __post_init__(self):
        number("behaviour.timing.discount", self.discount, low=0, high=0.99)
        number("behaviour.timing.pull_share", self.pull_share, low=0, high=1)
        number("behaviour.timing.push_share", self.push_share, low=0, high=1)
        number("behaviour.timing.grid_points", self.grid_points, low=2, integer=True)

    def decide_at_period_end(
        self, situation, month: int, credited, month_sales, effort
    ) -> TimingDecision:
        """The moves of every rep in ``situation`` at the end of plan month ``month`` (0-based).

        Zeros unless ``month`` closes a measurement period. The closing period's payout curve
        (with its quota share) values both this period's and the next period's credit; annually
        measured terms of a plan with shorter periods (a club bonus) are not weighed. ``credited``: period credit to date
        (N,); ``month_sales``: this month's bookings (N,), the pushable pool; ``effort``: the
        effort the rep expects to put in next period (N,), e.g. its static best response.
        """
        if (month + 1) % situation.measurement_months:
            return _zero_decision(len(situation))
        pull, push, next_mean, next_sd = period_end_inputs(
            situation, month, month_sales, effort, self.pull_share, self.push_share
        )
        return self.decide(
            situation.period_pay_of(month // situation.measurement_months),
            credited,
            pull,
            push,
            next_mean,
            next_sd,
            situation.reps.risk_aversion,
        )

    def decide(
        self,
        pay: StackedPay,
        credited,
        pull_capacity,
        push_capacity,
        next_mean,
        next_sd,
        risk_aversion=0.0,
    ) -> TimingDecision:
        """The moves of N reps at a period end.

        ``pay``: period payout against credit per rep (e.g. ``situation.period_pay``);
        ``credited``: credit so far in the closing period; ``pull_capacity``: face value that can
        be pulled (e.g. ``pull_share`` × next month's expected sales — the caller applies the
        share); ``push_capacity``: bookings that can be pushed; ``next_mean``, ``next_sd``: the
        next period's sales without any move. All (N,) [currency].
        """
        credited = np.asarray(credited, dtype=float)
        n = credited.shape[0]
        pay = pay.broadcast(n) if pay.breakpoints.shape[0] != n else pay
        r = np.broadcast_to(np.asarray(risk_aversion, dtype=float), (n,))
        next_mean = np.broadcast_to(np.asarray(next_mean, dtype=float), (n,))
        next_sd = np.broadcast_to(np.asarray(next_sd, dtype=float), (n,))
        keep = 1.0 - self.discount
        pull_cap = np.maximum(np.asarray(pull_capacity, dtype=float), 0.0)
        push_cap = np.maximum(np.asarray(push_capacity, dtype=float), 0.0)
        b = np.where(np.isfinite(pay.breakpoints), pay.breakpoints, np.nan)
        fractions = np.linspace(0.0, 1.0, int(self.grid_points))
        pull = np.concatenate(
            [pull_cap[:, None] * fractions, (b - credited[:, None]) / keep], axis=1
        )
        pull = np.clip(np.nan_to_num(pull, nan=0.0), 0.0, pull_cap[:, None])
        push = np.concatenate([push_cap[:, None] * fractions, credited[:, None] - b], axis=1)
        push = np.clip(np.nan_to_num(push, nan=0.0), 0.0, push_cap[:, None])

        value = _MoveValue(pay, next_mean, next_sd, r)
        base = value(slice(None), credited[:, None], np.zeros((n, 1)))[:, 0]
        grid = fractions.size
        pull_amount, pull_gain = _best_move(
            value, base, pull, grid, lambda rows, x: (credited[rows, None] + keep * x, -x)
        )
        push_amount, push_gain = _best_move(
            value, base, push, grid, lambda rows, y: (credited[rows, None] - y, y)
        )
        tolerance = 1e-9 * np.maximum(1.0, np.abs(base))
        do_pull = (pull_gain > tolerance) & (pull_gain >= push_gain)
        do_push = (push_gain > tolerance) & ~do_pull
        pulled = np.where(do_pull, pull_amount, 0.0)
        pushed = np.where(do_push, push_amount, 0.0)
        gain = np.where(do_pull, pull_gain, np.where(do_push, push_gain, 0.0))
        return TimingDecision(
            pulled=pulled,
            pulled_credit=keep * pulled,
            discount_lost=self.discount * pulled,
            pushed=pushed,
            gain=gain,
        )


def _best_move(value, base, amounts, grid, move, block: int = 128):
    """Each rep's best move among ``amounts`` (N, C) [currency], and its gain over ``base``.

    ``move(rows, amounts)`` gives this period's credit and the shift of next period's sales of
    the ``rows``' candidates; ``value`` values them (:class:`_MoveValue`). The first ``grid``
    columns are the grid from 0 (no move, valued as ``base``) to the capacity, the others land
    credit on breakpoints. Only moves are valued: a gain ≤ 0 means that no move beats the
    status quo (the caller moves only on a positive gain). Reps whose candidates are all 0
    have nothing to move (gain 0). Reps are valued ``block`` at a time, which keeps the
    temporaries (reps × candidates × pieces) in a core's cache; a breakpoint column that
    equals the grid's first or last column for every rep of a block is not valued (``argmax``
    takes the first of equal values, so the grid's copy wins). Returns (amount, gain), (N,).
    """
    n = amounts.shape[0]
    amount, gain = np.zeros(n), np.zeros(n)
    movable = np.flatnonzero(amounts.any(axis=1))
    for start in range(0, movable.size, block):
        rows = movable[start : start + block]
        candidates = amounts[rows]
        landing = candidates[:, grid:]
        copies = (landing == candidates[:, :1]) | (landing == candidates[:, grid - 1 : grid])
        candidates = np.concatenate(
            [candidates[:, 1:grid], landing[:, ~copies.all(axis=0)]], axis=1
        )
        values = value(rows, *move(rows, candidates))
        best = np.argmax(values, axis=1)
        within = np.arange(rows.size)
        amount[rows] = candidates[within, best]
        gain[rows] = values[within, best] - base[rows]
    return amount, gain


class _MoveValue:
    """The reps' values of moves: this period's pay at the credit after the move plus the
    certainty equivalent of next period's pay at sales normal with mean ``next_mean`` + the
    move's shift and σ ``next_sd`` [currency].

    The per-rep terms (pieces, σ, risk aversion) enter the expectation with shape (N, 1) and
    broadcast over the candidates, so they are computed once per rep. Where every rep is risk
    averse enough that CARA matters whatever the scale of its pay (``is_risky(r, 0)``), the
    certainty equivalent is taken directly (:func:`normal_pay_certainty_equivalent` would
    choose it after computing the scale); otherwise that function decides per element.
    """

    def __init__(self, pay: StackedPay, next_mean, next_sd, risk_aversion):
        self.pay = pay
        self.next_mean = next_mean
        self.sd = np.where(next_sd > 0, next_sd, 1e-9 * np.maximum(1.0, np.abs(next_mean)))
        self.r = np.asarray(risk_aversion, dtype=float)
        self.upper = pay.upper_ends()
        # is_risky grows with the scale of pay; a NaN scale (non-finite inputs) is not risky
        self.always_risky = (
            bool(np.all(is_risky(self.r, 0.0)))
            and np.isfinite(pay.slopes).all()
            and np.isfinite(self.sd).all()
        )

    def __call__(self, rows, now_credit, next_shift) -> np.ndarray:
        """Values (R, C) of the candidates of reps ``rows`` (index or slice): their credit
        this period ``now_credit`` and the shift of their next period's sales ``next_shift``."""
        pay = self.pay
        lo = pay.breakpoints[rows, None, :]
        hi = self.upper[rows, None, :]
        a = pay.intercepts[rows, None, :]
        s = pay.slopes[rows, None, :]
        sd = self.sd[rows, None]
        r = self.r[rows, None]
        mu = self.next_mean[rows, None] + next_shift
        if self.always_risky and np.isfinite(mu).all():
            with np.errstate(divide="ignore", invalid="ignore"):
                ce = normal_certainty_equivalent(mu, sd, lo, hi, a, s, r)
        else:
            ce = normal_pay_certainty_equivalent(mu, sd, lo, hi, a, s, np.broadcast_to(r, mu.shape))
        return pay.take(rows)(now_credit) + ce
