"""Random draws of the fast engine: exact samplers vectorised over cells, fed by per-replication
streams laid out so that common random numbers survive changes of effort.

Every draw comes from :class:`~spmopt.sim.streams.RandomStreams` generators keyed by replication
(one generator per replication and stream name); draws for a chunk of replications are the
per-replication draws laid side by side, so results do not depend on the chunk size.

**Alignment.** Two plans simulated on one scenario should see the same market where their
decisions coincide, and nearly the same market where they differ a little. Samplers that consume
a variable number of draws shift every later draw of the stream as soon as one count differs. So
each stream consumes fixed-length blocks only:

* a deal count is the Poisson quantile of one uniform per (seat, month) (:func:`poisson_by_inversion`,
  monotone in the rate);
* deal ``k`` of a seat in a month takes its variates (size, lag, …) from a fixed slot of the
  month's block when ``k`` is below the seat's *budget* (a plan-independent number of slots,
  about the seat's expected deals at effort 1); deals beyond the budget draw from the overflow
  family (:meth:`RandomStreams.spawn` ``("overflow")``, the same stream names), so they never
  shift the main blocks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special

from spmopt.sim.streams import RandomStreams

STREAMS = ("pipeline", "deals", "sales", "attrition")
# above this mean a count starts its inversion 8 standard deviations below the mean
_LARGE_RATE = 30.0


class ChunkStreams:
    """The named generators of replications ``first … first + count − 1``."""

    def __init__(self, streams: RandomStreams, first: int, count: int):
        self._families = {"main": streams, "overflow": streams.spawn("overflow")}
        self._first = first
        self._generators: dict[tuple[str, str], list[np.random.Generator]] = {}
        self._parent: tuple[ChunkStreams, int, int] | None = None
        self.count = count

    def subset(self, start: int, stop: int) -> ChunkStreams:
        """The streams of replications ``start … stop − 1`` of this chunk (the same generators,
        so drawing through the subset advances them here too)."""
        child = ChunkStreams.__new__(ChunkStreams)
        child._families, child._first = self._families, self._first + start
        child._generators, child._parent, child.count = {}, (self, start, stop), stop - start
        return child

    def generators(self, name: str, family: str = "main") -> list[np.random.Generator]:
        """One generator per replication for stream ``name`` (created on first use)."""
        if self._parent is not None:
            parent, start, stop = self._parent
            return parent.generators(name, family)[start:stop]
        if name not in STREAMS:
            raise ValueError(f"unknown stream '{name}'; the fast engine uses {STREAMS}")
        key = (name, family)
        if key not in self._generators:
            streams = self._families[family]
            self._generators[key] = [
                streams.generator(name, replication=self._first + r) for r in range(self.count)
            ]
        return self._generators[key]

    def uniform(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Uniforms on [0, 1) of shape (replications, *shape), one block per replication."""
        out = np.empty((self.count, *shape))
        for generator, block in zip(self.generators(name), out, strict=True):
            generator.random(out=block)
        return out

    def normal(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Standard normals of shape (replications, *shape)."""
        out = np.empty((self.count, *shape))
        for generator, block in zip(self.generators(name), out, strict=True):
            generator.standard_normal(out=block)
        return out

    def deal_draws(
        self, name: str, counts: np.ndarray, layout: SlotLayout, kinds: Sequence[str]
    ) -> list[DealDraws]:
        """Variates of ``counts[r, s]`` deals of each replication r and seat s, aligned.

        ``layout`` holds the budget of slots per seat; ``kinds`` names each deal's variates
        (``uniform`` or ``normal``). Every replication draws a block of ``kinds × Σ budget``
        variates from stream ``name`` whatever the counts; deal k < budget[s] of seat s uses
        slot ``offset[s] + k``, later deals draw from the overflow family. Returns the deals in
        one or two groups: those within the budget, then (if any) the overflow.
        """
        replications, seats = counts.shape
        width = layout.width
        block = np.empty((len(kinds), replications, width))
        for r, generator in enumerate(self.generators(name)):
            for kind, rows in zip(kinds, block, strict=True):
                _fill(generator, kind, rows[r])
        used = np.flatnonzero(layout.rank_of_slot < counts.take(layout.seat_of_slot, axis=1))
        replication, slot = np.divmod(used, width)
        seat = layout.seat_of_slot.take(slot)
        groups = [DealDraws(replication, seat, [rows.reshape(-1).take(used) for rows in block])]
        extra = counts - layout.budget
        np.maximum(extra, 0, out=extra)
        if not extra.any():
            return groups
        cell = np.repeat(np.arange(counts.size), extra.ravel())
        more = [np.empty(cell.size) for _ in kinds]
        totals = extra.sum(axis=1)
        start = 0
        for generator, total in zip(self.generators(name, "overflow"), totals, strict=True):
            stop = start + int(total)
            for kind, values in zip(kinds, more, strict=True):
                _fill(generator, kind, values[start:stop])
            start = stop
        replication, seat = np.divmod(cell, seats)
        groups.append(DealDraws(replication, seat, more))
        return groups


@dataclass(frozen=True, eq=False)
class DealDraws:
    """Deals drawn for a chunk: replication (within the chunk) and seat (within the seats the
    counts were given for) of each deal, and one array of variates per kind."""

    replication: np.ndarray
    seat: np.ndarray
    variates: list[np.ndarray]


class SlotLayout:
    """The fixed slots of a draw budget (see :meth:`ChunkStreams.deal_draws`): ``budget[s]`` ≥ 1
    slots for seat s, laid side by side; the seat and the rank within its seat of every slot."""

    def __init__(self, budget: np.ndarray):
        self.budget = np.asarray(budget, dtype=np.int64)
        self.width = int(self.budget.sum())
        offsets = np.cumsum(self.budget) - self.budget
        self.seat_of_slot = np.repeat(np.arange(self.budget.size), self.budget)
        self.rank_of_slot = np.arange(self.width) - np.repeat(offsets, self.budget)


def _fill(generator: np.random.Generator, kind: str, out: np.ndarray) -> None:
    if kind == "uniform":
        generator.random(out=out)
    elif kind == "normal":
        generator.standard_normal(out=out)
    else:  # pragma: no cover - internal
        raise ValueError(f"unknown variate kind '{kind}'")


def poisson_by_inversion(uniform: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Poisson(``rate``) counts by inversion of one uniform per cell (exact; int64, flat).

    The count is the least c with P(N ≤ c) ≥ u, so it is monotone in the rate: two plans seeing
    the same uniform get counts that differ only where their rates do (common random numbers
    survive a change of effort, unlike samplers that use a variable number of uniforms).
    Vectorised: unconditional passes over all cells, each adding one to the count where the
    cumulative probability so far is below u (about the mean rate plus 1.5 standard deviations
    of them, which settles most cells), then the cells still searching, compressed. Rates above
    30 start 8 standard deviations below the mean. The count does not depend on the number of
    passes.
    """
    u = np.ascontiguousarray(uniform, dtype=float).ravel()
    lam = np.ascontiguousarray(rate, dtype=float).ravel()
    count = np.zeros(lam.shape, np.int64)
    p = np.exp(-lam)  # P(N = c), c = the count the search has reached
    large = lam > _LARGE_RATE
    first = None  # where not all 0: the count each cell's search starts from
    if large.any():
        big = lam[large]
        start = np.maximum(np.floor(big - 8.0 * np.sqrt(big)), 0.0)
        count[large] = start.astype(np.int64)
        p[large] = np.exp(special.xlogy(start, big) - big - special.gammaln(start + 1.0))
        first = count.copy()
    cdf = p.copy()  # P(N ≤ c)
    if first is not None:
        cdf[large] = special.pdtr(start, big)
    typical = float(np.minimum(lam, _LARGE_RATE).mean()) if lam.size else 0.0
    passes = int(np.clip(typical + 1.5 * np.sqrt(typical) + 1.0, 3, 16))
    below = np.empty(lam.shape, bool)
    ratio = np.empty(lam.shape)
    for k in range(1, passes + 1):  # u > P(N ≤ first + k − 1)  ⇒  the count ≥ first + k
        np.greater(u, cdf, out=below)
        count += below
        np.divide(lam, k if first is None else first + k, out=ratio)
        p *= ratio
        cdf += p
    index = np.flatnonzero(u > cdf)
    if index.size == 0:
        return count
    lam_a, p_a, cdf_a, u_a, count_a = lam[index], p[index], cdf[index], u[index], count[index]
    while index.size:
        count_a += 1
        p_a *= lam_a / count_a
        cdf_a += p_a
        # the far tail underflows (p = 0) only for u within ~1e-16 of 1: stop there
        keep = (u_a > cdf_a) & (p_a > 0.0)
        count[index] = count_a
        index = index[keep]
        lam_a, p_a, cdf_a, u_a, count_a = (
            lam_a[keep],
            p_a[keep],
            cdf_a[keep],
            u_a[keep],
            count_a[keep],
        )
    return count


def lag_cdf(lags: np.ndarray) -> np.ndarray:
    """Cumulative closing-lag probabilities with the last entry exactly 1."""
    cdf = np.cumsum(np.asarray(lags, dtype=float))
    cdf /= cdf[-1]
    cdf[-1] = 1.0
    return cdf


def draw_lags(cdf: np.ndarray, uniform: np.ndarray) -> np.ndarray:
    """Closing lag d of each deal: the least d with P(lag ≤ d) > u (inversion)."""
    return np.searchsorted(cdf, uniform, side="right")


class LagSampler:
    """:func:`draw_lags` for one cumulative table, with a guide table (Chen's method).

    The unit interval is cut into ``buckets`` equal parts (a power of two); a bucket inside which
    the inverse is constant answers with one lookup, the few straddling a step of the table fall
    back to a binary search. The result is exactly :func:`draw_lags`.
    """

    def __init__(self, cdf: np.ndarray, buckets: int = 4096):
        if buckets & (buckets - 1):
            raise ValueError(f"buckets must be a power of two, not {buckets}")
        self.cdf = np.asarray(cdf, dtype=float)
        self.buckets = buckets
        edges = np.arange(buckets + 1) / buckets
        low = draw_lags(self.cdf, edges[:-1])
        high = draw_lags(self.cdf, np.nextafter(edges[1:], 0.0))
        #: the draw of every uniform in the bucket, or −1 where the bucket straddles a step
        self.table = np.where(high == low, low, -1)
        # for with_rest: P(draw < d) and the width of step d (1 where empty) of each draw d
        self._below = np.concatenate([[0.0], self.cdf[:-1]])
        width = self.cdf - self._below
        self._width = np.where(width > 0, width, 1.0)

    def __call__(self, uniform: np.ndarray) -> np.ndarray:
        # u · buckets is exact (a power of two); "clip" maps u = 1 (a conditional draw's
        # rounding, see Engine._lags) to the last bucket
        lag = self.table.take((uniform * self.buckets).astype(np.intp), mode="clip")
        straddle = np.flatnonzero(lag < 0)
        if straddle.size:
            lag[straddle] = draw_lags(self.cdf, uniform[straddle])
        return lag

    def with_rest(self, uniform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The draw and the position of ``uniform`` within its step, a uniform on [0, 1)
        independent of the draw (so one uniform serves two independent draws)."""
        lag = self(uniform)
        rest = uniform - self._below.take(lag)
        rest /= self._width.take(lag)
        np.clip(rest, 0.0, np.nextafter(1, 0), out=rest)
        return lag, rest
