"""Sales technologies: the distribution of a rep's sales in a span of the year for an effort level.

Both technologies have expected sales ``x·(h + k·e)`` where ``x`` is the span's *exposure*: the sum
over its months of seasonality weight × ramp factor (1 for a fully ramped rep over the whole year;
see :func:`spmopt.reps.seasonality.productivity`). Effort ``e`` is an annualised intensity held
over the span. They differ in the shape of the distribution:

* :class:`NormalSales` — ``S = x·(h + k·e) + ε``, ``ε ~ N(0, x·σ²)``: the agency-theory benchmark,
  a location family (effort shifts the distribution, the noise does not depend on it).
* :class:`DealSales` — won deals ~ Poisson(x·(h + k·e)/m) with lognormal sizes of mean ``m``
  (leads arrive at rate won/p and are won with probability p; deals close after a Gamma cycle
  time; closings bunch at quarter ends, see :meth:`DealSales.closing_lag_table`). Mean
  ``x·(h + k·e)``, variance ``x·(h + k·e)·m·exp(σ_d²)``, both exact. The distribution
  is the Poisson mixture over the number of deals n of the n-deal sums, which are tabulated on a
  fine grid by discrete Fourier transforms of the discretised deal-size distribution
  (:class:`CompoundTable`; means exact, other errors of the order of one grid step).

Every technology offers ``mean``, ``variance``, ``sample``, ``cdf`` and ``prepare`` (expectations
of a pay function for the behaviour models). Random draws take a numpy ``Generator``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special, stats

from spmopt.reps._checks import number
from spmopt.reps.expectation import (
    is_risky,
    normal_certainty_equivalent,
    normal_expected_pay,
    normal_pay_moments,
    pay_scale,
)
from spmopt.reps.payfunction import StackedPay
from spmopt.reps.population import RepArrays
from spmopt.reps.seasonality import MONTHS, Seasonality


def _column(values, like: np.ndarray) -> np.ndarray:
    """Per-rep values (N,) shaped to broadcast against ``like`` (N, ...)."""
    values = np.asarray(values, dtype=float)
    if values.ndim == 0:
        return values
    return values.reshape(values.shape + (1,) * (like.ndim - values.ndim))


def expected_sales(reps: RepArrays, effort, exposure=1.0) -> np.ndarray:
    """Expected sales ``x·(h + k·e)`` [currency], shape of ``effort`` (N, ...)."""
    effort = np.asarray(effort, dtype=float)
    h = _column(reps.base_sales, effort)
    k = _column(reps.effectiveness, effort)
    return _column(exposure, effort) * (h + k * effort)


class Prepared:
    """Expectations of one pay function (per rep) under a technology, reusable across efforts."""

    def moments(self, effort) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover
        """(expected pay, certainty equivalent of pay) at ``effort`` of shape (N, E)."""
        raise NotImplementedError

    def certainty_equivalent(self, effort) -> np.ndarray:
        """Certainty equivalent of pay at ``effort`` (N, E)."""
        return self.moments(effort)[1]


@dataclass(frozen=True)
class NormalSales:
    """Normal sales: S = x·(h + k·e) + ε, ε ~ N(0, x·σ²), σ of annual sales [currency/yr].

    A population column ``sales_sd`` overrides ``sigma`` rep by rep.

    Examples
    --------
    >>> NormalSales(sigma=100_000).sigma
    100000.0
    """

    sigma: float
    name = "normal"
    location_family = True

    def __post_init__(self):
        object.__setattr__(
            self, "sigma", number("NormalSales.sigma (σ of annual sales)", self.sigma, low=0)
        )

    def sd_annual(self, reps: RepArrays) -> np.ndarray:
        """σ of each rep's annual sales (N,)."""
        if reps.sales_sd is not None:
            return np.where(np.isnan(reps.sales_sd), self.sigma, reps.sales_sd)
        return np.full(len(reps), self.sigma)

    def mean(self, reps, effort, exposure=1.0):
        return expected_sales(reps, effort, exposure)

    def variance(self, reps, effort, exposure=1.0):
        effort = np.asarray(effort, dtype=float)
        return np.broadcast_to(
            _column(exposure, effort) * _column(self.sd_annual(reps), effort) ** 2, effort.shape
        )

    def noise_sd(self, reps, exposure=1.0) -> np.ndarray:
        """σ of the span's sales noise (N,) (does not depend on effort)."""
        return np.sqrt(np.asarray(exposure, dtype=float)) * self.sd_annual(reps)

    def sample(self, reps, effort, exposure, rng: np.random.Generator, size=None):
        """Draws of sales; ``size`` prepends replication axes."""
        mean = self.mean(reps, effort, exposure)
        sd = np.sqrt(self.variance(reps, effort, exposure))
        shape = mean.shape if size is None else tuple(np.atleast_1d(size)) + mean.shape
        return mean + sd * rng.standard_normal(shape)

    def cdf(self, x, reps, effort, exposure=1.0):
        """P(S ≤ x)."""
        mean = self.mean(reps, effort, exposure)
        sd = np.sqrt(self.variance(reps, effort, exposure))
        x = np.asarray(x, dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            z = (x - mean) / sd
        return np.where(sd > 0, special.ndtr(z), (x >= mean).astype(float))

    def prepare(self, pay: StackedPay, reps: RepArrays, exposure=1.0, risk_aversion=None):
        return _PreparedNormal(self, pay, reps, exposure, risk_aversion)


class _PreparedNormal(Prepared):
    def __init__(self, technology, pay, reps, exposure, risk_aversion):
        self.technology = technology
        self.pay = pay
        self.reps = reps
        self.exposure = np.asarray(exposure, dtype=float)
        self.sd = technology.noise_sd(reps, exposure)
        self.r = reps.risk_aversion if risk_aversion is None else np.asarray(risk_aversion)

    def moments(self, effort):
        mu, sd, pieces = self._inputs(effort)
        positive = sd > 0
        safe_sd = np.where(positive, sd, 1.0)
        r = np.broadcast_to(_column(self.r, mu), mu.shape)
        expected, ce = normal_pay_moments(mu, safe_sd, *pieces, r)
        if not np.all(positive):
            exact = self.pay(mu)
            expected = np.where(positive, expected, exact)
            ce = np.where(positive, ce, exact)
        return expected, ce

    def certainty_equivalent(self, effort):
        """Only the certainty equivalent of pay (N, E): one pass per rep, half the work."""
        mu, sd, (lo, hi, a, s) = self._inputs(effort)
        positive = sd > 0
        safe_sd = np.where(positive, sd, 1.0)
        scale = np.max(pay_scale(mu, safe_sd, a, s), axis=tuple(range(1, mu.ndim)))
        risky = is_risky(self.r, scale)
        r = _column(self.r, mu)
        if risky.all():
            ce = normal_certainty_equivalent(mu, safe_sd, lo, hi, a, s, r)
        elif not risky.any():
            ce = normal_expected_pay(mu, safe_sd, lo, hi, a, s)
        else:
            ce = self._mixed(mu, safe_sd, (lo, hi, a, s), risky)
        if not np.all(positive):
            ce = np.where(positive, ce, self.pay(mu))
        return ce

    def _mixed(self, mu, safe_sd, pieces, risky):
        lo, hi, a, s = pieces
        ce = np.empty(mu.shape)
        if risky.any():
            rows = np.flatnonzero(risky)
            ce[rows] = normal_certainty_equivalent(
                mu[rows],
                safe_sd[rows],
                lo[rows],
                hi[rows],
                a[rows],
                s[rows],
                _column(self.r[rows], mu[rows]),
            )
        if not risky.all():
            rows = np.flatnonzero(~risky)
            ce[rows] = normal_expected_pay(
                mu[rows], safe_sd[rows], lo[rows], hi[rows], a[rows], s[rows]
            )
        return ce

    def _inputs(self, effort):
        effort = np.asarray(effort, dtype=float)
        mu = expected_sales(self.reps, effort, self.exposure)
        sd = np.broadcast_to(_column(self.sd, effort), mu.shape)
        shape = (effort.shape[0],) + (1,) * (effort.ndim - 1) + (-1,)
        n = effort.shape[0]
        pieces = tuple(
            np.broadcast_to(values.reshape(shape), (n,) + shape[1:-1] + (values.shape[-1],))
            for values in (
                self.pay.breakpoints,
                self.pay.upper_ends(),
                self.pay.intercepts,
                self.pay.slopes,
            )
        )
        return mu, sd, pieces


@dataclass(frozen=True)
class DealSales:
    """Deal-by-deal sales: Poisson leads, win probability, lognormal sizes, Gamma cycle times.

    Parameters
    ----------
    win_probability:
        Share of leads that are won (0 < p ≤ 1).
    deal_size_mean:
        Mean size of a won deal [currency].
    deal_size_sigma:
        σ of the logarithm of deal sizes (0 = every deal the same size).
    cycle_months_mean, cycle_months_shape:
        Gamma distribution of the time from lead to close [months].
    quarter_end_lift:
        Closings bunch at quarter ends (reps and buyers close at quarter ends): each deal's
        probability of closing in a quarter-end month (plan months 3, 6, 9, 12) is multiplied
        by this ratio, keeping the deal's expected closing month (see
        :meth:`closing_lag_table`). 1 = no bunching.

    Expected sales are ``x·(h + k·e)`` as for :class:`NormalSales`: the rep's lead rate is
    ``x·(h + k·e)/(p·m)`` leads per year, so effort and seasonality scale the lead flow.
    """

    win_probability: float = 0.25
    deal_size_mean: float = 50_000.0
    deal_size_sigma: float = 0.8
    cycle_months_mean: float = 3.0
    cycle_months_shape: float = 2.0
    quarter_end_lift: float = 1.0
    name = "deals"
    location_family = False

    def __post_init__(self):
        number("DealSales.win_probability", self.win_probability, low=0, low_open=True, high=1)
        number("DealSales.deal_size_mean", self.deal_size_mean, low=0, low_open=True)
        number("DealSales.deal_size_sigma", self.deal_size_sigma, low=0, high=5)
        number("DealSales.cycle_months_mean", self.cycle_months_mean, low=0, low_open=True)
        number("DealSales.cycle_months_shape", self.cycle_months_shape, low=0, low_open=True)
        number("DealSales.quarter_end_lift", self.quarter_end_lift, low=0, low_open=True, high=10)

    # ------------------------------------------------------------------ moments
    @property
    def size_log_mu(self) -> float:
        """μ of log deal size: log(m) − σ²/2."""
        return math.log(self.deal_size_mean) - self.deal_size_sigma**2 / 2

    def won_deals(self, reps, effort, exposure=1.0):
        """Expected number of won deals in the span."""
        return expected_sales(reps, effort, exposure) / self.deal_size_mean

    def lead_rate(self, reps, effort, exposure=1.0):
        """Expected number of leads in the span."""
        return self.won_deals(reps, effort, exposure) / self.win_probability

    def mean(self, reps, effort, exposure=1.0):
        return expected_sales(reps, effort, exposure)

    def variance(self, reps, effort, exposure=1.0):
        """Compound Poisson: E[N]·E[size²] = mean·m·exp(σ_d²)."""
        return (
            self.mean(reps, effort, exposure)
            * self.deal_size_mean
            * math.exp(self.deal_size_sigma**2)
        )

    def third_central_moment(self, reps, effort, exposure=1.0):
        """E[N]·E[size³] = mean·m²·exp(3σ_d²)."""
        return (
            self.mean(reps, effort, exposure)
            * self.deal_size_mean**2
            * math.exp(3 * self.deal_size_sigma**2)
        )

    # ------------------------------------------------------------------ sampling
    def sample(self, reps, effort, exposure, rng: np.random.Generator, size=None):
        """Draws of span sales: a Poisson number of won deals, lognormal sizes summed."""
        rate = self.won_deals(reps, effort, exposure)
        shape = rate.shape if size is None else tuple(np.atleast_1d(size)) + rate.shape
        counts = rng.poisson(np.broadcast_to(rate, shape))
        sizes = rng.lognormal(self.size_log_mu, self.deal_size_sigma, size=int(counts.sum()))
        cell = np.repeat(np.arange(counts.size), counts.ravel())
        return np.bincount(cell, weights=sizes, minlength=counts.size).reshape(shape)

    def sample_deals(self, reps, effort_by_month, rng, seasonality=None, productivity=None):
        """Leads of one plan year as deal-level arrays (for the event engine).

        ``effort_by_month`` (N, 12); ``productivity`` (N, 12) defaults to the seasonality weights
        (fully ramped reps). Returns a dict of arrays, one entry per lead: ``rep_index``,
        ``created_month`` (fractional months from year start), ``won``, ``size`` [currency],
        ``cycle_months`` and ``close_month`` (created + cycle; may fall after month 12; the
        quarter-end bunching of :meth:`closing_lag_table` is not applied to these leads).
        """
        weights = (seasonality or Seasonality.flat()).weights
        exposure = weights if productivity is None else np.asarray(productivity, dtype=float)
        exposure = np.broadcast_to(exposure, (len(reps), MONTHS))
        leads = self.lead_rate(reps, np.asarray(effort_by_month, dtype=float), exposure)
        counts = rng.poisson(leads)
        total = int(counts.sum())
        flat = np.repeat(np.arange(counts.size), counts.ravel())
        rep_index, month = np.divmod(flat, MONTHS)
        created = month + rng.uniform(size=total)
        won = rng.uniform(size=total) < self.win_probability
        size = rng.lognormal(self.size_log_mu, self.deal_size_sigma, size=total)
        cycle = rng.gamma(
            self.cycle_months_shape, self.cycle_months_mean / self.cycle_months_shape, size=total
        )
        return {
            "rep_index": rep_index,
            "created_month": created,
            "won": won,
            "size": size,
            "cycle_months": cycle,
            "close_month": created + cycle,
        }

    def closing_lags(self, tail: float = 1e-9, nodes: int = 1000) -> np.ndarray:
        """P(a deal created in month m closes in month m + d), d = 0, 1, …: P(floor(U + T) = d)
        with U the uniform time of creation within its month and T the Gamma cycle time
        [months]; the lags cover all but ``tail`` of T's mass and sum to 1."""
        shape = self.cycle_months_shape
        scale = self.cycle_months_mean / shape
        horizon = int(stats.gamma.ppf(1 - tail, shape, scale=scale)) + 2
        u = (np.arange(nodes) + 0.5) / nodes
        d = np.arange(horizon + 1)
        mass = stats.gamma.cdf(d[:, None] + 1 - u, shape, scale=scale) - stats.gamma.cdf(
            np.maximum(d[:, None] - u, 0.0), shape, scale=scale
        )
        lags = mass.mean(axis=1)
        return lags / lags.sum()

    def closing_lag_table(self) -> np.ndarray:
        """P(a deal created in plan month c closes in month c + d), shape (12, L): row c (0–11,
        the creation month within the plan year), column d = 0 … L − 1; rows sum to 1.

        Row c tilts :meth:`closing_lags` ``p(d)`` towards quarter-end closings:
        ``p_c(d) ∝ p(d)·w(c + d)·exp(θ_c·d)`` with ``w = quarter_end_lift`` when month
        ``(c + d) mod 12`` ends a quarter (2, 5, 8, 11) and 1 otherwise; ``θ_c`` keeps the row's
        mean lag equal to that of ``p`` (each deal's expected closing month is unchanged, only
        the months around it are reweighted). Every deal still closes exactly once, so a steady
        year books what it creates; with a flat lead flow a quarter-end month books about
        ``quarter_end_lift`` times a mid-quarter month (see :meth:`closing_profile`). Without a
        lift every row is :meth:`closing_lags`.
        """
        lags = self.closing_lags()
        if self.quarter_end_lift == 1.0:
            return np.tile(lags, (MONTHS, 1))
        d = np.arange(lags.size)
        mean = float(lags @ d)
        table = np.empty((MONTHS, lags.size))
        for created in range(MONTHS):  # twelve rows, one root each
            quarter_end = (created + d) % 3 == 2
            tilted = lags * np.where(quarter_end, self.quarter_end_lift, 1.0)
            table[created] = _mean_preserving_tilt(tilted, d, mean)
        return table

    def closing_profile(self, seasonality: Seasonality | None = None) -> np.ndarray:
        """Share of a steady year's closings in each month (12,), sums to 1.

        Leads created with the seasonality profile, repeating every year, close after the Gamma
        cycle time: a circular convolution of the lead profile with P(floor(U + T) = d), U the
        uniform time of creation within its month, each creation month with its own row of
        :meth:`closing_lag_table` (quarter-end bunching).
        """
        weights = (seasonality or Seasonality.flat()).weights
        table = self.closing_lag_table()
        profile = np.zeros(MONTHS)
        lag = np.arange(table.shape[1])
        for created in range(MONTHS):  # twelve creation months
            np.add.at(profile, (created + lag) % MONTHS, weights[created] * table[created])
        return profile

    # ------------------------------------------------------------------ distribution
    def _count_range(self, rate_max: float) -> int:
        """Largest number of deals worth tabulating for Poisson means up to ``rate_max``."""
        return int(math.ceil(rate_max + 9 * math.sqrt(rate_max) + 10))

    def sum_table(self, n_max: int, grid_size: int = 1 << 14) -> CompoundTable:
        """Distributions of the sum of n = 0 … n_max deals on one grid (see :class:`CompoundTable`)."""
        return CompoundTable.build(self, n_max, grid_size)

    def cdf(self, x, reps, effort, exposure=1.0):
        """P(S ≤ x): Poisson mixture of the tabulated n-deal sums (see :class:`CompoundTable`)."""
        rate = self.won_deals(reps, effort, exposure)
        x = np.broadcast_to(np.asarray(x, dtype=float), rate.shape)
        table = self.sum_table(self._count_range(float(np.max(rate))))
        weights = stats.poisson.pmf(table.counts, rate[..., None])
        return np.where(x >= 0, np.sum(weights * table.cdf(x), axis=-1), 0.0)

    def prepare(
        self, pay: StackedPay, reps: RepArrays, exposure=1.0, risk_aversion=None, effort_max=None
    ):
        return _PreparedDeals(self, pay, reps, exposure, risk_aversion, effort_max)


def _mean_preserving_tilt(weights: np.ndarray, lag: np.ndarray, mean: float) -> np.ndarray:
    """``weights·exp(θ·lag)`` normalised, θ chosen so that its mean lag is ``mean`` [months]
    (the mean is increasing in θ; a bracketed root)."""

    def tilt(theta: float) -> np.ndarray:
        values = weights * np.exp(theta * (lag - mean))
        return values / values.sum()

    theta = optimize.brentq(lambda t: tilt(t) @ lag - mean, -10.0, 10.0, xtol=1e-15)
    return tilt(theta)


@dataclass(frozen=True, eq=False)
class CompoundTable:
    """Probability mass of the sum of n lognormal deals on a uniform grid, n = 0 … n_max.

    The deal-size distribution is discretised on the grid ``x_g = g·h`` preserving, cell by
    cell, both the probability and the mean (each cell's mass is split between its two ends so
    that its mean is kept: the mean of every n-deal sum is exact); n-fold sums are powers of its
    discrete Fourier transform. The grid reaches beyond the mean of n_max deals by 12 of their
    standard deviations and by the 1 − 1e-12 quantile of one deal, so the mass lost to wrapping
    is negligible; errors in expectations of pay with jumps are of the order of one grid step h.
    """

    step: float
    pmf: np.ndarray  # (n_max + 1, G): row n = distribution of the sum of n deals

    @property
    def counts(self) -> np.ndarray:
        return np.arange(self.pmf.shape[0])

    @property
    def grid(self) -> np.ndarray:
        return self.step * np.arange(self.pmf.shape[1])

    @classmethod
    def build(cls, technology: DealSales, n_max: int, grid_size: int) -> CompoundTable:
        m, sigma = technology.deal_size_mean, technology.deal_size_sigma
        mu = math.log(m) - sigma**2 / 2
        spread = m * math.sqrt(math.expm1(sigma**2))
        single = math.exp(mu + sigma * 7.04) if sigma > 0 else m  # 1 − 1e-12 quantile
        top = n_max * m + 12 * math.sqrt(max(n_max, 1)) * max(spread, m * 1e-3) + single
        step = top / (grid_size - 1)
        edges = step * np.arange(grid_size)
        if sigma > 0:
            with np.errstate(divide="ignore"):
                z = (np.log(np.maximum(edges, 1e-300)) - mu) / sigma
            cdf = special.ndtr(z)
            partial = m * special.ndtr(z - sigma)  # E[X; X ≤ edge]
            cell_prob = np.diff(cdf)
            cell_mean = np.diff(partial)
        else:
            index = min(int(m // step), grid_size - 2)
            cell_prob = np.zeros(grid_size - 1)
            cell_mean = np.zeros(grid_size - 1)
            cell_prob[index] = 1.0
            cell_mean[index] = m
        with np.errstate(divide="ignore", invalid="ignore"):
            centre = np.where(cell_prob > 0, cell_mean / cell_prob, edges[:-1])
        upper_share = np.clip((centre - edges[:-1]) / step, 0.0, 1.0)
        upper_share[0] = 1.0  # no deal is worth 0: keeps P(S = 0) = P(no deal) exact
        severity = np.zeros(grid_size)
        severity[:-1] += cell_prob * (1 - upper_share)
        severity[1:] += cell_prob * upper_share
        severity /= severity.sum()
        transform = np.fft.rfft(severity)
        powers = transform[None, :] ** np.arange(n_max + 1)[:, None]
        pmf = np.fft.irfft(powers, n=grid_size, axis=1)
        pmf = np.maximum(pmf, 0.0)
        pmf /= pmf.sum(axis=1, keepdims=True)
        return cls(step=step, pmf=pmf)

    def cdf(self, x) -> np.ndarray:
        """P(sum of n deals ≤ x) for every n, shape x.shape + (n_max + 1,)."""
        cumulative = np.cumsum(self.pmf, axis=1)
        index = np.floor(np.asarray(x, dtype=float) / self.step + 1e-9).astype(np.intp)
        index = np.clip(index, -1, self.pmf.shape[1] - 1)
        values = np.where(index[..., None] >= 0, cumulative.T[np.maximum(index, 0)], 0.0)
        return values


class _PreparedDeals(Prepared):
    """Expectations of pay given n deals, for every n, computed once; efforts reweight them."""

    _CHUNK_ELEMENTS = 8_000_000

    def __init__(self, technology, pay, reps, exposure, risk_aversion, effort_max):
        self.technology = technology
        self.reps = reps
        self.exposure = np.asarray(exposure, dtype=float)
        self.r = reps.risk_aversion if risk_aversion is None else np.asarray(risk_aversion)
        n_reps = len(reps)
        if effort_max is None:
            effort_max = np.full(n_reps, 10.0)
        top_rate = technology.won_deals(reps, np.asarray(effort_max, float), self.exposure)
        table = technology.sum_table(technology._count_range(float(np.max(top_rate))))
        self.n = table.counts
        pay = pay.broadcast(n_reps)
        grid = table.grid
        expected = np.empty((n_reps, self.n.size))
        utility = np.empty((n_reps, self.n.size))
        shift = np.empty(n_reps)
        chunk = max(1, self._CHUNK_ELEMENTS // grid.size)
        for start in range(0, n_reps, chunk):  # bounded memory, not a per-rep loop
            rows = slice(start, start + chunk)
            values = pay.take(np.arange(n_reps)[rows])(
                np.broadcast_to(grid, (len(range(n_reps)[rows]), grid.size))
            )
            low = values.min(axis=1)
            shift[rows] = low
            expected[rows] = values @ table.pmf.T
            with np.errstate(over="ignore"):
                tilted = np.exp(-self.r[rows, None] * (values - low[:, None]))
            utility[rows] = tilted @ table.pmf.T
        self.expected = expected
        self.utility = utility
        self.shift = shift

    def moments(self, effort):
        effort = np.asarray(effort, dtype=float)
        rate = self.technology.won_deals(self.reps, effort, self.exposure)
        weights = stats.poisson.pmf(self.n, rate[..., None])
        shape = (effort.shape[0],) + (1,) * (effort.ndim - 1) + (-1,)
        expected = np.sum(weights * self.expected.reshape(shape), axis=-1)
        mean_utility = np.sum(weights * self.utility.reshape(shape), axis=-1)
        r = _column(self.r, effort)
        shift = _column(self.shift, effort)
        risky = r * np.maximum(np.abs(expected - shift), 1.0) > 1e-7  # see normal_pay_moments
        with np.errstate(divide="ignore", invalid="ignore"):
            ce = np.where(risky, shift - np.log(mean_utility) / np.where(risky, r, 1.0), expected)
        return expected, ce
