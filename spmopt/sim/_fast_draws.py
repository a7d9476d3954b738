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
        self, name: str, counts: np.ndarray, budget: np.ndarray, kinds: Sequence[str]
    ) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
        """Variates of ``counts[r, s]`` deals of each replication r and seat s, aligned.

        ``budget`` (S,) ≥ 1 slots per seat; ``kinds`` names each deal's variates (``uniform``
        or ``normal``). Every replication draws a block of ``kinds × Σ budget`` variates from
        stream ``name`` whatever the counts; deal k < budget[s] of seat s uses slot
        ``offset[s] + k``, later deals draw from the overflow family. Returns the replication
        and seat of each deal and one array of variates per kind.
        """
        replications, seats = counts.shape
        width = int(budget.sum())
        offsets = np.cumsum(budget) - budget
        seat_of_slot = np.repeat(np.arange(seats), budget)
        rank_of_slot = np.arange(width) - np.repeat(offsets, budget)
        block = np.empty((len(kinds), replications, width))
        for r, generator in enumerate(self.generators(name)):
            for kind, rows in zip(kinds, block, strict=True):
                _fill(generator, kind, rows[r])
        used = np.flatnonzero(rank_of_slot < np.repeat(counts, budget, axis=1))
        replication, slot = np.divmod(used, width)
        seat = seat_of_slot[slot]
        draws = [rows.reshape(-1)[used] for rows in block]
        extra = np.maximum(counts - budget, 0)
        if not extra.any():
            return replication, seat, draws
        cell = np.repeat(np.arange(counts.size), extra.ravel())
        more = [np.empty(cell.size) for _ in kinds]
        totals = extra.sum(axis=1)
        start = 0
        for generator, total in zip(self.generators(name, "overflow"), totals, strict=True):
            stop = start + int(total)
            for kind, values in zip(kinds, more, strict=True):
                _fill(generator, kind, values[start:stop])
            start = stop
        return (
            np.concatenate([replication, cell // seats]),
            np.concatenate([seat, cell % seats]),
            [np.concatenate(pair) for pair in zip(draws, more, strict=True)],
        )


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
    Vectorised: two passes over all cells (enough for most rates near 1–2), then the cells still
    searching, compressed. Rates above 30 start 8 standard deviations below the mean.
    """
    u = np.ascontiguousarray(uniform, dtype=float).ravel()
    lam = np.ascontiguousarray(rate, dtype=float).ravel()
    count = np.zeros(lam.shape, np.int64)
    p = np.exp(-lam)  # P(N = count)
    cdf = p.copy()  # P(N ≤ count)
    large = lam > _LARGE_RATE
    if large.any():
        big = lam[large]
        start = np.maximum(np.floor(big - 8.0 * np.sqrt(big)), 0.0)
        count[large] = start.astype(np.int64)
        p[large] = np.exp(special.xlogy(start, big) - big - special.gammaln(start + 1.0))
        cdf[large] = special.pdtr(start, big)
    for _ in range(2):
        step = u > cdf
        count += step
        p *= lam / np.maximum(count, 1)
        cdf += np.where(step, p, 0.0)
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

    The unit interval is cut into ``buckets`` equal parts; a bucket inside which the inverse
    is constant answers with one lookup, the few straddling a step of the table fall back to a
    binary search. The result is exactly :func:`draw_lags`.
    """

    def __init__(self, cdf: np.ndarray, buckets: int = 4096):
        self.cdf = np.asarray(cdf, dtype=float)
        self.buckets = buckets
        edges = np.arange(buckets + 1) / buckets
        self.low = draw_lags(self.cdf, edges[:-1])
        self.high = draw_lags(self.cdf, np.nextafter(edges[1:], 0.0))

    def __call__(self, uniform: np.ndarray) -> np.ndarray:
        bucket = np.minimum((uniform * self.buckets).astype(np.intp), self.buckets - 1)
        lag = self.low[bucket]
        straddle = np.flatnonzero(self.high[bucket] != lag)
        if straddle.size:
            lag[straddle] = draw_lags(self.cdf, uniform[straddle])
        return lag

    def with_rest(self, uniform: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The draw and the position of ``uniform`` within its step, a uniform on [0, 1)
        independent of the draw (so one uniform serves two independent draws)."""
        lag = self(uniform)
        below = np.where(lag > 0, self.cdf[np.maximum(lag - 1, 0)], 0.0)
        width = self.cdf[lag] - below
        rest = np.clip((uniform - below) / np.where(width > 0, width, 1.0), 0.0, np.nextafter(1, 0))
        return lag, rest
