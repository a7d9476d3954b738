"""The SMM estimator on a model with a known answer: recovery, coverage of the sandwich standard
errors with the 1 + 1/S correction, and the size of the J-test (fast; no engine).

Model: x = μ + σ·z, z ~ N(0, 1), N observations; moments E[x], E[x²], E[x³] (K = 3, P = 2, one
over-identifying restriction). Simulated moments use S fixed draws of z (common random numbers
across θ), exactly the way the history simulator uses fixed draws.
"""

from __future__ import annotations

import numpy as np
import pytest

from spmopt.calibrate.estimate import bootstrap_covariance, smm_fit
from spmopt.sim.streams import RandomStreams

TRUE = np.array([1.0, 0.5])  # μ, σ
N, S = 400, 5


def _moments(x: np.ndarray) -> np.ndarray:
    """Rows of x (…, N) → (…, 3) moments."""
    return np.stack([x.mean(-1), (x**2).mean(-1), (x**3).mean(-1)], axis=-1)


def _fit(seed: int):
    streams = RandomStreams(seed)
    data = TRUE[0] + TRUE[1] * streams.generator("data").standard_normal(N)
    draws = streams.generator("draws").standard_normal((S, N))
    observed = _moments(data)
    omega = bootstrap_covariance(
        lambda index: _moments(data[index]), N, 400, streams.generator("bootstrap")
    )
    return smm_fit(
        lambda theta: _moments(theta[0] + theta[1] * draws),
        observed,
        omega,
        start=[0.8, 0.7],
        low=[-5.0, 0.01],
        high=[5.0, 5.0],
        scale=[0.1, 0.1],
        names=("mu", "sigma"),
    )


def test_recovers_the_parameters_within_their_standard_errors():
    fit = _fit(0)
    # the standard error of the mean is σ/√N·√(1+1/S) ≈ 0.027: the estimate is within 4 SE
    # (false-failure rate < 1e-4 per parameter at this fixed seed)
    assert np.all(np.abs(fit.estimate - TRUE) < 4 * fit.standard_error)
    assert fit.standard_error[0] == pytest.approx(0.5 / np.sqrt(N) * np.sqrt(1 + 1 / S), rel=0.25)
    assert fit.j_dof == 1
    assert fit.replications == S


def test_coverage_and_j_test_size_over_seeds():
    """95% intervals cover the truth in ≈95% of 60 seeds and the 5% J-test rejects in ≈5%.

    Binomial(60, 0.95): P(fewer than 51 covered) ≈ 0.003 per parameter; Binomial(60, 0.05):
    P(more than 9 rejections) ≈ 0.002 — the false-failure rate of this test is below 1%.
    A standard error missing the 1 + 1/S factor (S = 5: 9.5% too small) still passes, but one
    off by a factor 2 (e.g. Ω/S instead of Ω) fails.
    """
    covered = np.zeros(2)
    rejected = 0
    seeds = 60
    for seed in range(seeds):
        fit = _fit(1000 + seed)
        covered += np.abs(fit.estimate - TRUE) <= 1.96 * fit.standard_error
        rejected += fit.j_p_value < 0.05
    assert np.all(covered >= 51), covered
    assert rejected <= 9, rejected


def test_misspecified_model_fails_the_j_test():
    """Data with a skewness the model cannot produce (lognormal, σ = 0.5) is rejected."""
    streams = RandomStreams(7)
    data = np.exp(0.5 * streams.generator("data").standard_normal(2000))
    draws = streams.generator("draws").standard_normal((S, 2000))
    omega = bootstrap_covariance(
        lambda index: _moments(data[index]), 2000, 400, streams.generator("bootstrap")
    )
    fit = smm_fit(
        lambda theta: _moments(theta[0] + theta[1] * draws),
        _moments(data),
        omega,
        start=[1.5, 2.0],
        low=[-5.0, 0.01],
        high=[10.0, 10.0],
        scale=[0.1, 0.1],
    )
    assert fit.j_p_value < 1e-3


def test_moves_a_parameter_whose_moments_jump_on_fixed_draws():
    """Quit-like moments: the share of fixed uniform draws below a hazard p — a step function
    of p. A finite-difference step far below the spacing of the draws (scipy's √ε fallback at
    the start point) sees a zero derivative and never leaves the start; the fixed step of a
    fifth of a scale does. Truth 0.3, start 0.5; within 4 SE (false-failure rate < 1e-4)."""
    streams = RandomStreams(3)
    n = 4000
    data = streams.generator("data").random((2, n)) < 0.3
    draws = streams.generator("draws").random((S, 2, n))
    index_draws = streams.generator("bootstrap")
    omega = bootstrap_covariance(lambda index: data[:, index].mean(axis=-1).T, n, 300, index_draws)
    fit = smm_fit(
        lambda theta: (draws < theta[0]).mean(axis=-1),
        data.mean(axis=-1),
        omega,
        start=[0.5],
        low=[0.0],
        high=[1.0],
        scale=[0.05],
    )
    assert abs(fit.estimate[0] - 0.3) < 4 * fit.standard_error[0]
    assert fit.standard_error[0] > 0


def test_estimated_weighting_matrix_corrections_over_seeds():
    """Ω̂ from few bootstrap draws (B = 40 for K = 15 moments): Ω̂⁻¹ is biased upwards by
    (B − 1)/(B − K − 2) = 1.70, which inflates J, and its noisy weights add variance to θ̂ that
    (GᵀΩ̂⁻¹G)⁻¹ does not show. Model: K independent N(μ, 1) means of N = 400 draws, P = 1.

    Over 100 seeds, without the corrections the mean J is ≈ 24 (not K − P = 14) and the variance
    of μ̂ is ≈ 2.4× the mean squared standard error. With them: the mean J is within 3 of 14
    (its SE over 100 seeds ≈ 0.7, so ≈ 4 SE) and the variance ratio within [0.6, 1.6] (the sample
    variance of 100 estimates has a relative SE ≈ 0.14, so ≈ 3.5 SE of its log); false-failure
    rate < 0.1% (fixed seeds: deterministic)."""
    n, k, b = 400, 15, 40
    estimates, variances, j_values = [], [], []
    for seed in range(100):
        streams = RandomStreams(5000 + seed)
        data = 1.0 + streams.generator("data").standard_normal((n, k))
        draws = streams.generator("draws").standard_normal((S, n, k))
        omega = bootstrap_covariance(
            lambda index, data=data: data[index].mean(axis=1), n, b, streams.generator("boot")
        )
        fit = smm_fit(
            lambda theta, draws=draws: (theta[0] + draws).mean(axis=1),
            data.mean(axis=0),
            omega,
            start=[0.9],
            low=[-5.0],
            high=[5.0],
            scale=[0.05],
            omega_draws=b,
        )
        estimates.append(fit.estimate[0])
        variances.append(fit.standard_error[0] ** 2)
        j_values.append(fit.j_statistic)
    assert abs(np.mean(j_values) - (k - 1)) < 3, np.mean(j_values)
    ratio = np.var(estimates, ddof=1) / np.mean(variances)
    assert 0.6 < ratio < 1.6, ratio
