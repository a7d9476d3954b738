"""After the choice: ranking and selection among close candidates, and the optimality gap.

Choosing the best of many noisy estimates overstates the winner (the optimiser's curse, Smith &
Winkler 2006): the candidate that looks best on the sample it was chosen on is, on average,
worse on fresh random numbers. Two classical tools guard against it here:

:func:`kim_nelson`
    The fully sequential indifference-zone procedure of Kim & Nelson (2001), *A fully sequential
    procedure for indifference-zone selection in simulation*, ACM TOMACS 11(3), with common
    random numbers: with probability at least 1 − α it selects the system with the largest
    mean whenever that mean exceeds every other by at least δ (the indifference zone).
:func:`optimality_gap_interval`
    The multiple-replication procedure of Mak, Morton & Wood (1999), *Monte Carlo bounding
    techniques for determining solution quality in stochastic programs*, Oper. Res. Letters 24:
    from independent batches g = 1…n_g, each solved as its own sample-average problem,
    G_g = v*_g − v_g(x̂) ≥ 0 estimates the gap of the chosen x̂ with a non-negative bias
    (E v*_n ≥ v*), so the one-sided interval [0, Ḡ + t_{n_g−1, 1−α}·s_G/√n_g] covers the true
    gap v* − v(x̂) with probability at least about 1 − α.

No randomness is created here: samples come from a caller-supplied function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = [
    "GapInterval",
    "KimNelsonResult",
    "kim_nelson",
    "optimality_gap_interval",
    "shrink_rep_responses",
]


@dataclass(frozen=True)
class KimNelsonResult:
    """Outcome of :func:`kim_nelson`.

    Attributes
    ----------
    best:
        Index of the selected system.
    means:
        Each system's sample mean over the replications it received [units of the output].
    replications:
        Replications each system's mean is over (eliminated systems stop at their stage).
    eliminated_at:
        Stage r at which each system was eliminated (0 for the survivor).
    stopped:
        ``"selected"`` (one system left or the procedure's own bound reached) or ``"budget"``
        (``max_replications`` reached first: the largest mean among survivors is returned and the
        probability guarantee does not hold).
    """

    best: int
    means: np.ndarray
    replications: np.ndarray
    eliminated_at: np.ndarray
    stopped: str


def kim_nelson(
    sample: Callable[[int, int, np.ndarray], np.ndarray],
    systems: int,
    *,
    delta: float,
    alpha: float = 0.05,
    n0: int = 10,
    batch: int = 10,
    max_replications: int | None = None,
) -> KimNelsonResult:
    """Select the system with the largest mean (Kim–Nelson fully sequential, common random numbers).

    Parameters
    ----------
    sample:
        ``sample(first, count, alive)`` returns an array ``(count, len(alive))``: outputs of the
        systems ``alive`` (indices) in replications ``first … first + count − 1``; replication r
        of every system must use the same random numbers (common random numbers).
    systems:
        Number of systems k ≥ 1.
    delta:
        Indifference zone δ > 0: differences of means below it do not matter [output units].
    alpha:
        1 − the probability of correct selection guaranteed when the best leads by ≥ δ.
    n0:
        First-stage replications (≥ 2), used to estimate the variances of differences.
    batch:
        Replications requested per call after the first stage; eliminations are still checked
        after every single replication, so the decisions are those of the one-at-a-time
        procedure (only some extra sampling of systems eliminated mid-batch is wasted).
    max_replications:
        Stop at this many replications per system (None: run to the procedure's own bound).
    """
    if systems < 1 or n0 < 2 or not delta > 0 or not 0 < alpha < 1:
        raise ValueError("kim_nelson: needs systems ≥ 1, n0 ≥ 2, delta > 0, 0 < alpha < 1")
    everyone = np.arange(systems)
    if systems == 1:
        values = np.asarray(sample(0, n0, everyone), dtype=float)
        return KimNelsonResult(0, values.mean(axis=0), np.full(1, n0), np.zeros(1, int), "selected")
    eta = 0.5 * ((2 * alpha / (systems - 1)) ** (-2 / (n0 - 1)) - 1)
    h2 = 2 * eta * (n0 - 1)
    data = np.asarray(sample(0, n0, everyone), dtype=float)
    differences = data[:, :, None] - data[:, None, :]
    s2 = differences.var(axis=0, ddof=1)  # S²_il, variance of X_i − X_l over the first stage
    bound = np.floor(h2 * s2 / delta**2)  # N_il: the procedure stops by max N_il + 1
    alive = np.ones(systems, bool)
    eliminated_at = np.zeros(systems, int)
    used = np.full(systems, n0)
    sums = data.sum(axis=0)
    r = n0
    pending = np.zeros((0, systems))
    stopped = "selected"
    while True:
        means = sums / used
        width = np.maximum(0.0, delta / (2 * r) * (h2 * s2 / delta**2 - r))
        # i is out if some surviving l beats it by more than W_il(r)
        beaten = (means[None, :] - width - means[:, None]) > 0
        out = alive & (beaten & alive[None, :]).any(axis=1)
        eliminated_at[out] = r
        alive &= ~out
        survivors = np.flatnonzero(alive)
        if survivors.size == 1 or r > bound[np.ix_(survivors, survivors)].max():
            break
        if max_replications is not None and r >= max_replications:
            stopped = "budget"
            break
        if pending.shape[0] == 0:
            count = batch if max_replications is None else min(batch, max_replications - r)
            pending = np.full((count, systems), np.nan)
            pending[:, survivors] = np.asarray(sample(r, count, survivors), dtype=float)
        sums[alive] += pending[0, alive]
        used[alive] += 1
        pending = pending[1:]
        r += 1
    means = sums / used
    best = int(survivors[np.argmax(means[survivors])])
    return KimNelsonResult(best, means, used, eliminated_at, stopped)


@dataclass(frozen=True)
class GapInterval:
    """The multiple-replication procedure's estimate of the optimality gap [objective units].

    ``mean`` Ḡ and ``se`` s_G/√n_g over ``batches`` batch gaps; ``upper`` is the one-sided
    (1 − α) upper confidence limit, the interval being [0, upper]. The optimiser also records
    ``batch_replications`` (replications per batch) and ``candidates`` (the contending
    candidates re-simulated, over all segments); 0 when not given.
    """

    mean: float
    se: float
    upper: float
    batches: int
    alpha: float
    batch_replications: int = 0
    candidates: int = 0

    def as_dict(self) -> dict[str, float]:
        """The figures as one record."""
        return {
            "gap_mean": self.mean,
            "gap_se": self.se,
            "gap_upper": self.upper,
            "batches": self.batches,
            "alpha": self.alpha,
            "batch_replications": self.batch_replications,
            "candidates": self.candidates,
        }


def optimality_gap_interval(gaps, alpha: float = 0.05) -> GapInterval:
    """One-sided (1 − α) confidence interval [0, Ḡ + t·s/√n_g] of the optimality gap from batch
    gaps G_g = v*_g − v_g(x̂) (Mak–Morton–Wood multiple-replication procedure).

    >>> interval = optimality_gap_interval([1.0, 2.0, 3.0], alpha=0.05)
    >>> round(interval.mean, 3), round(interval.upper, 3)
    (2.0, 3.686)
    """
    from scipy.stats import t

    values = np.asarray(gaps, dtype=float)
    if values.size < 2:
        raise ValueError("optimality_gap_interval: needs at least 2 batches")
    mean = float(values.mean())
    se = float(values.std(ddof=1) / np.sqrt(values.size))
    upper = mean + float(t.ppf(1 - alpha, values.size - 1)) * se
    return GapInterval(mean, se, max(upper, 0.0), int(values.size), alpha)


SHRUNK_METRICS = ("revenue", "comp_cost", "profit")


def shrink_rep_responses(
    responses: pd.DataFrame, samples: pd.DataFrame, segment_of: pd.Series
) -> pd.DataFrame:
    """Per-rep responses with each candidate's difference from the incumbent shrunk towards its
    segment's mean difference (empirical Bayes, James–Stein type), against the optimiser's curse
    of per-rep choices.

    For rep i and candidate j, d_ij = ȳ_ij − ȳ_i0 (common random numbers: its standard error
    s_ij comes from the per-replication differences); within a segment, d̄_j is the mean over
    reps and τ²_j = max(0, var_i d_ij − mean_i s²_ij) the spread of the true differences, and
    d*_ij = d_ij − s²_ij / (s²_ij + τ²_j) · (d_ij − d̄_j). Revenue, comp cost and profit are
    shrunk (``samples`` columns); the response table's ``revenue``, ``incentive_cost`` (comp cost
    minus base) and ``margin`` are rebuilt from them so that its expected profit is the shrunk
    one. Reps with no ``incumbent`` row are left as they are.

    Parameters
    ----------
    responses:
        The response table, one row per rep (``unit``) and candidate.
    samples:
        Per-replication ``comp_cost``, ``revenue`` and ``profit`` by ``unit``, ``candidate`` and
        ``scenario`` (replication).
    segment_of:
        Each rep's segment, indexed by rep id (str).
    """
    from spmopt.optimise.levers import INCUMBENT

    wide = (
        samples.astype({"unit": str, "candidate": str})
        .set_index(["unit", "scenario", "candidate"])[list(SHRUNK_METRICS)]
        .unstack("candidate")
    )
    shrunk = {}
    for metric in SHRUNK_METRICS:
        values = wide[metric]
        if INCUMBENT not in values:
            return responses
        differences = values.sub(values[INCUMBENT], axis=0)
        by_rep = differences.groupby(level="unit")
        d = by_rep.mean()
        variance = by_rep.var(ddof=1).div(by_rep.count().clip(lower=1))
        segment = segment_of.astype(str).reindex(d.index).to_numpy()
        d_bar = d.groupby(segment).transform("mean")
        tau2 = d.groupby(segment).transform("var") - variance.groupby(segment).transform("mean")
        tau2 = tau2.clip(lower=0.0)
        weight = (variance / (variance + tau2)).where(variance > 0, 0.0).fillna(0.0)
        level = values[INCUMBENT].groupby(level="unit").mean()
        shrunk[metric] = (d - weight * (d - d_bar)).add(level, axis=0).stack().rename(metric)
    table = pd.concat(shrunk.values(), axis=1).add_suffix("_shrunk")
    table = table.rename_axis(["unit", "candidate"]).reset_index()
    merged = responses.astype({"unit": str, "candidate": str}).merge(
        table, on=["unit", "candidate"], how="left"
    )
    known = merged["revenue_shrunk"].notna().to_numpy()
    out = responses.copy()
    comp = merged["comp_cost_shrunk"].to_numpy()[known]
    out.loc[known, "revenue"] = merged["revenue_shrunk"].to_numpy()[known]
    out.loc[known, "incentive_cost"] = comp - merged["base_cost"].to_numpy()[known]
    out.loc[known, "margin"] = (
        merged["profit_shrunk"].to_numpy()[known] + comp + merged["discount_cost"].to_numpy()[known]
    )
    return out
