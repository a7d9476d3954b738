"""Random draws of the fast engine: exact samplers vectorised over cells, fed by per-replication
streams.

Every draw comes from :class:`~spmopt.sim.streams.RandomStreams` generators keyed by replication
(one generator per replication and stream name); draws for a chunk of replications are the
per-replication draws laid side by side, so results do not depend on the chunk size.
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
        self._streams = streams
        self._first = first
        self._generators: dict[str, list[np.random.Generator]] = {}
        self.count = count

    def generators(self, name: str) -> list[np.random.Generator]:
        """One generator per replication for stream ``name`` (created on first use)."""
        if name not in STREAMS:
            raise ValueError(f"unknown stream '{name}'; the fast engine uses {STREAMS}")
        if name not in self._generators:
            self._generators[name] = [
                self._streams.generator(name, replication=self._first + r)
                for r in range(self.count)
            ]
        return self._generators[name]

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

    def per_deal(self, name: str, totals: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """For ``totals[r]`` deals of each replication: standard normals (sizes) and uniforms
        (closing lags), each replication's deals in a contiguous block."""
        total = int(np.sum(totals))
        normals = np.empty(total)
        uniforms = np.empty(total)
        start = 0
        for generator, count in zip(self.generators(name), totals, strict=True):
            stop = start + int(count)
            generator.standard_normal(out=normals[start:stop])
            generator.random(out=uniforms[start:stop])
            start = stop
        return normals, uniforms

    def per_deal_uniforms(self, name: str, totals: Sequence[int], k: int) -> np.ndarray:
        """``k`` uniforms for each of ``totals[r]`` deals of each replication, shape (deals, k)."""
        out = np.empty((int(np.sum(totals)), k))
        start = 0
        for generator, count in zip(self.generators(name), totals, strict=True):
            stop = start + int(count)
            generator.random(out=out[start:stop])
            start = stop
        return out


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
        start = np.floor(big - 8.0 * np.sqrt(big))
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
