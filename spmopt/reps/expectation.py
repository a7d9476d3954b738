"""Expectations of piecewise-linear pay (with jumps) under normal sales, in closed form.

For pay ``a_k + s_k·x`` on ``[lo_k, hi_k)`` and X ~ N(μ, σ²) everything is closed form:

* ``E[pay] = Σ_k a_k·P_k + s_k·(μ·P_k + σ·(φ(α_k) − φ(β_k)))`` with ``α_k = (lo_k − μ)/σ``,
  ``β_k = (hi_k − μ)/σ``, ``P_k = Φ(β_k) − Φ(α_k)``;
* ``E[exp(−r·pay)] = Σ_k exp(−r·a_k − t_k·μ + t_k²σ²/2)·(Φ(β_k + t_kσ) − Φ(α_k + t_kσ))`` with
  ``t_k = r·s_k`` (completing the square: X tilted by exp(−tX) is N(μ − tσ², σ²)).

The certainty equivalent of pay under CARA utility is ``−log E[exp(−r·pay)] / r`` (→ E[pay] as
r → 0). Exponents are shifted by their maximum before summing so that nothing overflows, and
normal probabilities of intervals are taken in the tail where they keep relative precision.
"""

from __future__ import annotations

import numpy as np
from scipy import special

_SQRT_2PI = np.sqrt(2 * np.pi)


def log_ndtr_diff(alpha, beta):
    """log(Φ(β) − Φ(α)) for α ≤ β, accurate in both tails (−inf when the interval is empty)."""
    alpha, beta = np.broadcast_arrays(np.asarray(alpha, float), np.asarray(beta, float))
    flip = alpha > 0  # in the upper tail use Φ(−α) − Φ(−β)
    low = np.where(flip, -beta, alpha)
    high = np.where(flip, -alpha, beta)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_high = special.log_ndtr(high)
        log_low = special.log_ndtr(low)
        result = log_high + np.log1p(-np.exp(log_low - log_high))
    return np.where(high > low, result, -np.inf)


def ndtr_diff(alpha, beta):
    """Φ(β) − Φ(α) for α ≤ β, computed in the tail where it keeps relative precision."""
    flip = alpha > 0
    low = np.where(flip, -beta, alpha)
    high = np.where(flip, -alpha, beta)
    return special.ndtr(high) - special.ndtr(low)


def _pdf(z):
    with np.errstate(invalid="ignore", over="ignore"):
        value = np.exp(-0.5 * z * z) / _SQRT_2PI
    return np.where(np.isfinite(z), value, 0.0)


def _standardised_pieces(mu, sd, lo, hi):
    """``mu``, ``sd`` with a pieces axis added, the pieces' standardised ends α = (lo − μ)/σ and
    β = (hi − μ)/σ, and each piece's probability P_k = Φ(β_k) − Φ(α_k)."""
    mu = np.asarray(mu, float)[..., None]
    sd = np.asarray(sd, float)[..., None]
    with np.errstate(invalid="ignore"):
        alpha = (lo - mu) / sd
        beta = (hi - mu) / sd
    return mu, sd, alpha, beta, ndtr_diff(alpha, beta)


def normal_expected_pay(mu, sd, lo, hi, a, s):
    """E[pay] for X ~ N(mu, sd²), sd > 0 (shapes as in :func:`normal_pay_moments`)."""
    mu, sd, alpha, beta, prob = _standardised_pieces(mu, sd, lo, hi)
    return np.sum(a * prob + s * (mu * prob + sd * (_pdf(alpha) - _pdf(beta))), axis=-1)


def normal_pay_second_moment(mu, sd, lo, hi, a, s):
    """E[pay²] for X ~ N(mu, sd²), sd > 0 (shapes as in :func:`normal_pay_moments`):
    ``Σ_k a_k²·P_k + 2·a_k·s_k·E[X; k] + s_k²·E[X²; k]`` with, for X = μ + σZ on piece k,
    ``E[X; k] = μ·P_k + σ·(φ(α_k) − φ(β_k))`` and
    ``E[X²; k] = μ²·P_k + 2μσ·(φ(α_k) − φ(β_k)) + σ²·(P_k + α_k·φ(α_k) − β_k·φ(β_k))``."""
    mu, sd, alpha, beta, prob = _standardised_pieces(mu, sd, lo, hi)
    pdf_alpha, pdf_beta = _pdf(alpha), _pdf(beta)
    first = mu * prob + sd * (pdf_alpha - pdf_beta)
    # α·φ(α) → 0 at infinite ends
    tails = np.where(np.isfinite(alpha), alpha, 0.0) * pdf_alpha
    tails -= np.where(np.isfinite(beta), beta, 0.0) * pdf_beta
    second = mu * mu * prob + 2 * mu * sd * (pdf_alpha - pdf_beta) + sd * sd * (prob + tails)
    a = np.where(prob > 0, a, 0.0)  # empty pieces may carry infinite intercepts
    return np.sum(a * a * prob + 2 * a * s * first + s * s * second, axis=-1)


def normal_certainty_equivalent(mu, sd, lo, hi, a, s, r):
    """−log E[exp(−r·pay)] / r for X ~ N(mu, sd²), sd > 0, r > 0 (no small-r safeguard)."""
    mu = np.asarray(mu, float)[..., None]
    sd = np.asarray(sd, float)[..., None]
    r = np.asarray(r, float)[..., None]
    t = r * s
    with np.errstate(invalid="ignore", over="ignore"):
        alpha = (lo - mu) / sd + t * sd
        beta = (hi - mu) / sd + t * sd
        exponent = -r * a - t * mu + 0.5 * (t * sd) ** 2
    tilted = ndtr_diff(alpha, beta)
    live = tilted > 0
    exponent = np.where(live, exponent, -np.inf)
    top = exponent.max(axis=-1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_mean = top[..., 0] + np.log(
            np.sum(np.where(live, np.exp(exponent - top) * tilted, 0.0), axis=-1)
        )
        return -log_mean / r[..., 0]


def pay_scale(mu, sd, a, s):
    """A scale of pay near the mean: max_k |a_k + s_k·mu| + |s_k|·sd."""
    mu = np.asarray(mu, float)[..., None]
    sd = np.asarray(sd, float)[..., None]
    return np.max(np.abs(np.where(np.isfinite(a), a, 0.0) + s * mu) + np.abs(s) * sd, axis=-1)


def is_risky(r, scale):
    """Whether CARA matters numerically: r·scale above 1e-7.

    Below it the CE differs from E[pay] by about r·Var/2 < 5e-8 of the scale, while
    −log E[exp(−r·pay)]/r would lose every digit to cancellation.
    """
    return np.asarray(r) * np.maximum(scale, 1.0) > 1e-7


def normal_pay_moments(mu, sd, lo, hi, a, s, r):
    """Expected pay and certainty equivalent of pay for X ~ N(mu, sd²), sd > 0.

    ``mu``, ``sd``, ``r`` broadcast to the batch shape B; ``lo``, ``hi``, ``a``, ``s`` have shape
    B + (K,). Returns two arrays of shape B.
    """
    expected = normal_expected_pay(mu, sd, lo, hi, a, s)
    r = np.broadcast_to(np.asarray(r, float), expected.shape)
    risky = is_risky(r, pay_scale(mu, sd, a, s))
    with np.errstate(divide="ignore", invalid="ignore"):
        ce = normal_certainty_equivalent(mu, sd, lo, hi, a, s, np.where(risky, r, 1.0))
    return expected, np.where(risky, ce, expected)


def normal_pay_certainty_equivalent(mu, sd, lo, hi, a, s, r):
    """The certainty equivalent of pay alone (expected pay where CARA does not matter):
    :func:`normal_pay_moments`' second value, computing expected pay only where it is needed."""
    r = np.asarray(r, float)
    shape = np.broadcast_shapes(np.shape(mu), np.shape(sd), r.shape, np.shape(a)[:-1])
    r = np.broadcast_to(r, shape)
    risky = is_risky(r, pay_scale(mu, sd, a, s))
    if not risky.any():
        return normal_expected_pay(mu, sd, lo, hi, a, s)
    with np.errstate(divide="ignore", invalid="ignore"):
        ce = normal_certainty_equivalent(mu, sd, lo, hi, a, s, np.where(risky, r, 1.0))
    if risky.all():
        return ce
    return np.where(risky, ce, normal_expected_pay(mu, sd, lo, hi, a, s))
