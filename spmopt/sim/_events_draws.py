"""Random draws and deal storage of the event engine (see :mod:`spmopt.sim.events`).

Draws use a fixed layout per seat so that two plans simulated on one scenario see the same
market wherever their decisions coincide (common random numbers): a seat's deal counts come
from one uniform per seat and month by inverse CDF, and its k-th deal of a block of months
takes the k-th slot of the seat's pool of uniforms, whatever the other seats do.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import stats

# pool slot columns: position of creation in its month, closing lag, position in closing month
CREATED, LAG, CLOSE = 0, 1, 2
NO_TIMING, PULLED, PUSHED = 0, 1, 2
COLUMNS = (
    "deal_id",
    "seat",
    "created",
    "closed",
    "amount",
    "credited",
    "discount",
    "timing",
    "close_month",
)
TIMING_LABELS = np.array(["", "pulled", "pushed"], dtype=object)


def poisson_quantile(u: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """The Poisson(``rate``) quantile of ``u`` elementwise (inverse CDF, int64).

    Sequential search vectorised over elements (a few passes for the rates of a month);
    rates above 200 use scipy's quantile function. ``u`` and ``rate`` are (N,) or (N, B): the
    number of terms searched (a guard against a sum that rounds below ``u``) is bounded per
    column, so B columns give the counts of B calls on one column each.
    """
    u = np.asarray(u, dtype=float)
    rate = np.asarray(rate, dtype=float)
    count = np.zeros(u.shape, dtype=np.int64)
    large = rate > 200.0
    small = ~large
    if small.any():
        lam = np.where(small, rate, 0.0)
        top = lam.max(axis=0)
        limit = (top + 12.0 * np.sqrt(top) + 40.0).astype(np.int64)  # per column
        term = np.exp(-lam)
        # the search continues only where u lies above P(X = 0): those elements, flat
        at = np.flatnonzero(small & (u > term))
        if limit.size > 1:  # one limit per element
            limit = np.broadcast_to(limit, u.shape).ravel()[at]
        count.ravel()[at] = _count_terms(*(x.ravel()[at] for x in (u, lam, term)), limit)
    if large.any():
        count[large] = stats.poisson.ppf(u[large], rate[large]).astype(np.int64)
    return count


def _count_terms(u, lam, term, limit) -> np.ndarray:
    """How many Poisson(``lam``) terms after ``term`` = P(X = 0) the CDF needs to reach ``u``,
    searching at most ``limit`` terms (one, or one per element); arrays (n,) with u > term."""
    term, cdf = term.copy(), term.copy()
    count = np.zeros(u.size, dtype=np.int64)
    active = np.ones(u.size, dtype=bool)
    if u.size == 0:
        return count
    i, first, last = 0, int(limit.min()), int(limit.max())
    above = np.empty(u.size, dtype=bool)
    while i < last and active.any():
        i += 1
        np.multiply(term, lam, out=term)  # term · λ / i, in place
        np.divide(term, i, out=term)
        np.add(cdf, term, out=cdf)
        if i > first:
            active &= i <= limit
        count += active
        active &= np.greater(u, cdf, out=above)
    return count


def pool_slots(expected_count: float, tail: float = 1e-6) -> int:
    """Slots per seat so that a Poisson(``expected_count``) count overflows with prob. ``tail``."""
    return int(stats.poisson.ppf(1.0 - tail, max(expected_count, 1e-9))) + 1


class DealPool:
    """Uniforms for the deals of N seats over a block of months, in a fixed layout.

    ``count_u`` (months, N) gives each seat-month's count by inverse CDF; each seat's deals in
    the block take consecutive slots of ``uniform`` (N, slots, 3) and ``normal`` (N, slots).
    A seat that exhausts its slots continues on its own generator (``overflow(seat)``).
    """

    def __init__(
        self,
        rng: np.random.Generator,
        seats: int,
        months: int,
        slots: int,
        overflow: Callable[[int], np.random.Generator],
    ):
        # drawn (seats, months); kept month by month, as months are taken one at a time
        self.count_u = np.ascontiguousarray(rng.random((seats, months)).T)
        self.uniform = rng.random((seats, slots, 3))
        self.normal = rng.standard_normal((seats, slots))
        self._uniforms = self.uniform.reshape(-1, 3)  # views: a (seat, slot) per row
        self._normals = self.normal.reshape(-1)
        self.cursor = np.zeros(seats, dtype=np.int64)
        self._overflow = overflow
        self._extra: dict[int, np.random.Generator] = {}

    def take(self, column: int, rate: np.ndarray):
        """The deals of every seat in month ``column`` of the block at Poisson ``rate`` (N,).

        Returns ``(seat, uniform (n, 3), normal (n,))`` for the n deals, grouped by seat.
        """
        _, seat, uniform, normal = self.take_months(column, rate[:, None])
        return seat, uniform, normal

    def take_months(self, first: int, rate: np.ndarray):
        """The deals of every seat in months ``first …`` of the block at Poisson ``rate`` (N, B),
        exactly as B calls of :meth:`take` in month order.

        Returns ``(month, seat, uniform (n, 3), normal (n,))`` for the n deals, grouped by month
        (counted from ``first``), then by seat.
        """
        seats, months = rate.shape
        counts = poisson_quantile(self.count_u[first : first + months].T, rate)
        groups = counts.T.ravel()  # (month, seat) groups in month-major order
        group = np.repeat(np.arange(groups.size), groups)
        month, seat = np.divmod(group, seats)
        # a seat's deals take consecutive slots: after its earlier months', in order within one
        start = (self.cursor[:, None] + np.cumsum(counts, axis=1) - counts).T.ravel()
        slot = start[group] + np.arange(group.size) - (np.cumsum(groups) - groups)[group]
        self.cursor += counts.sum(axis=1)
        slots = self.normal.shape[1]
        inside = slot < slots
        flat = seat * slots + slot  # the pools' rows, seat by seat
        if inside.all():
            return month, seat, self._uniforms.take(flat, axis=0), self._normals.take(flat)
        uniform = np.empty((seat.size, 3))
        normal = np.empty(seat.size)
        uniform[inside] = self._uniforms.take(flat[inside], axis=0)
        normal[inside] = self._normals.take(flat[inside])
        for j in np.flatnonzero(~inside):  # rare: only past the pool's 1 − 1e-6 quantile
            s = int(seat[j])
            rng = self._extra.get(s)
            if rng is None:
                rng = self._extra[s] = self._overflow(s)
            uniform[j] = rng.random(3)
            normal[j] = rng.standard_normal()
        return month, seat, uniform, normal


class DealStore:
    """Columns of every deal piece of one replication (growable arrays).

    A deal is split into pieces when part of it is pulled or pushed; pieces keep the deal's id.
    ``amount`` is the face value still attached to the piece (it shrinks when parts move).
    """

    def __init__(self, capacity: int = 1024):
        self.size = 0
        self._allocate(max(capacity, 16))

    def _allocate(self, capacity: int) -> None:
        old = self.__dict__.copy()
        self.deal_id = np.empty(capacity, dtype=np.int64)
        self.seat = np.empty(capacity, dtype=np.int64)
        self.created = np.empty(capacity)
        self.closed = np.empty(capacity)
        self.amount = np.empty(capacity)
        self.credited = np.zeros(capacity)
        self.discount = np.zeros(capacity)
        self.timing = np.zeros(capacity, dtype=np.int8)
        self.close_month = np.zeros(capacity, dtype=np.int64)
        if "deal_id" in old:
            for name in COLUMNS:
                getattr(self, name)[: self.size] = old[name][: self.size]

    def add(
        self, deal_id, seat, created, closed, amount, timing=NO_TIMING, close_month=None
    ) -> np.ndarray:
        """Append pieces (arrays of equal length); returns their indices. ``close_month``
        defaults to the month containing ``closed``."""
        n = np.size(seat)
        if self.size + n > self.deal_id.shape[0]:
            self._allocate(max(2 * self.deal_id.shape[0], self.size + n))
        new = slice(self.size, self.size + n)
        self.deal_id[new] = deal_id
        self.seat[new] = seat
        self.created[new] = created
        self.closed[new] = closed
        self.amount[new] = amount
        self.timing[new] = timing
        self.close_month[new] = np.floor(closed) if close_month is None else close_month
        self.size += n
        return np.arange(new.start, new.stop)
