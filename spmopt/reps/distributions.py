"""Distributions of rep traits, declared per segment in a population spec.

A trait is either a plain number (the same for every rep) or a table naming a distribution:

======================  ==========================================================================
``{dist="fixed", value}``                  every rep gets ``value``
``{dist="normal", mean, sd[, lower, upper]}``  normal, optionally truncated to ``[lower, upper]``
``{dist="lognormal", mean|median, sigma}``  lognormal; ``mean`` (or ``median``) of the trait itself,
                                            ``sigma`` the standard deviation of its logarithm
``{dist="gamma", mean, sd}``                gamma with that mean and standard deviation
``{dist="uniform", low, high}``             uniform on ``[low, high]``
``{dist="empirical", values[, weights]}``   resampled (with replacement) from observed values
======================  ==========================================================================

Parameters are in the trait's own units (currency per year for ``base_sales``, etc.). Sampling takes
a numpy ``Generator`` (from :class:`spmopt.sim.streams.RandomStreams`); nothing here seeds globally.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import special

from spmopt.reps._checks import array, fail, keys, number


class Distribution:
    """A distribution of one trait: ``sample(n, rng)`` and the exact ``mean()``."""

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def mean(self) -> float:  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True)
class Fixed(Distribution):
    """Every rep has ``value``."""

    value: float

    def sample(self, n, rng):
        return np.full(n, self.value)

    def mean(self):
        return self.value


@dataclass(frozen=True)
class Normal(Distribution):
    """Normal(mean, sd²), truncated to ``[lower, upper]`` when given (sampled by inversion)."""

    mean_value: float
    sd: float
    lower: float = -math.inf
    upper: float = math.inf

    def sample(self, n, rng):
        if self.sd == 0:
            return np.full(n, min(max(self.mean_value, self.lower), self.upper))
        a = special.ndtr((self.lower - self.mean_value) / self.sd)
        b = special.ndtr((self.upper - self.mean_value) / self.sd)
        u = rng.uniform(a, b, size=n)
        return self.mean_value + self.sd * special.ndtri(u)

    def mean(self):
        if self.sd == 0 or (math.isinf(self.lower) and math.isinf(self.upper)):
            return self.mean_value
        alpha = (self.lower - self.mean_value) / self.sd
        beta = (self.upper - self.mean_value) / self.sd
        mass = special.ndtr(beta) - special.ndtr(alpha)
        pdf = np.exp(-0.5 * np.array([alpha, beta]) ** 2) / math.sqrt(2 * math.pi)
        return float(self.mean_value + self.sd * (pdf[0] - pdf[1]) / mass)


@dataclass(frozen=True)
class Lognormal(Distribution):
    """exp(N(mu, sigma²)); ``mu = log(mean) − sigma²/2`` when built from the mean."""

    mu: float
    sigma: float

    def sample(self, n, rng):
        return rng.lognormal(self.mu, self.sigma, size=n)

    def mean(self):
        return math.exp(self.mu + self.sigma**2 / 2)


@dataclass(frozen=True)
class Gamma(Distribution):
    """Gamma with shape ``(mean/sd)²`` and scale ``sd²/mean``."""

    mean_value: float
    sd: float

    def sample(self, n, rng):
        if self.sd == 0:
            return np.full(n, self.mean_value)
        shape = (self.mean_value / self.sd) ** 2
        return rng.gamma(shape, self.sd**2 / self.mean_value, size=n)

    def mean(self):
        return self.mean_value


@dataclass(frozen=True)
class Uniform(Distribution):
    """Uniform on ``[low, high]``."""

    low: float
    high: float

    def sample(self, n, rng):
        return rng.uniform(self.low, self.high, size=n)

    def mean(self):
        return (self.low + self.high) / 2


@dataclass(frozen=True, eq=False)
class Empirical(Distribution):
    """Observed ``values`` resampled with replacement, with optional ``weights``."""

    values: np.ndarray
    weights: np.ndarray

    def sample(self, n, rng):
        return rng.choice(self.values, size=n, replace=True, p=self.weights)

    def mean(self):
        return float(np.dot(self.values, self.weights))


_PARAMETERS = {
    "fixed": ({"value"}, set()),
    "normal": ({"mean", "sd"}, {"lower", "upper"}),
    "lognormal": ({"sigma"}, {"mean", "median"}),
    "gamma": ({"mean", "sd"}, set()),
    "uniform": ({"low", "high"}, set()),
    "empirical": ({"values"}, {"weights"}),
}


def parse_distribution(key: str, spec) -> Distribution:
    """A :class:`Distribution` from a number or a ``{dist = …, …}`` table.

    ``key`` is the path used in error messages, e.g. ``segments.smb.base_sales``.

    Examples
    --------
    >>> parse_distribution("x", {"dist": "uniform", "low": 1, "high": 3}).mean()
    2.0
    """
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        return Fixed(number(key, spec))
    if not isinstance(spec, dict):
        fail(key, "a number or a table {dist = ..., ...}", spec)
    if "dist" not in spec:
        fail(key, f"a 'dist' key naming one of {sorted(_PARAMETERS)}")
    name = spec["dist"]
    if name not in _PARAMETERS:
        fail(f"{key}.dist", f"one of {sorted(_PARAMETERS)}", name)
    required, optional = _PARAMETERS[name]
    keys(key, spec, required | optional | {"dist"}, required=sorted(required))

    def param(field, **bounds):
        return number(f"{key}.{field}", spec[field], **bounds)

    if name == "fixed":
        return Fixed(param("value"))
    if name == "normal":
        lower = param("lower") if "lower" in spec else -math.inf
        upper = param("upper") if "upper" in spec else math.inf
        if lower >= upper:
            fail(f"{key}.upper", f"a number above lower = {lower:g}", upper)
        return Normal(param("mean"), param("sd", low=0), lower, upper)
    if name == "lognormal":
        sigma = param("sigma", low=0)
        given = [field for field in ("mean", "median") if field in spec]
        if len(given) != 1:
            fail(key, "exactly one of 'mean' or 'median' (of the trait, not of its log)", given)
        centre = param(given[0], low=0, low_open=True)
        mu = math.log(centre) - (sigma**2 / 2 if given[0] == "mean" else 0.0)
        return Lognormal(mu, sigma)
    if name == "gamma":
        return Gamma(param("mean", low=0, low_open=True), param("sd", low=0))
    if name == "uniform":
        low, high = param("low"), param("high")
        if high < low:
            fail(f"{key}.high", f"a number >= low = {low:g}", high)
        return Uniform(low, high)
    values = spec["values"]
    if not isinstance(values, list | tuple) or not values:
        fail(f"{key}.values", "a non-empty list of numbers", values)
    values = array(f"{key}.values", values)
    if "weights" in spec:
        weights = array(f"{key}.weights", spec["weights"], low=0)
        if weights.shape != values.shape or weights.sum() <= 0:
            fail(f"{key}.weights", f"{values.size} non-negative weights with a positive sum")
    else:
        weights = np.ones_like(values)
    return Empirical(values, weights / weights.sum())
