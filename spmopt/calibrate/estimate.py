"""Simulated method of moments with fixed draws (``docs/calibration-from-history.md``).

Notation: data moments m̂ (K,), simulated moments m(θ) = mean over S simulated histories on
fixed random numbers, g(θ) = m(θ) − m̂, Ω = Var(m̂) (estimated by a rep-cluster bootstrap of the
data). Objective Q(θ) = g(θ)ᵀ W g(θ).

* step 1: W₁ = diag(Ω)⁻¹ (moments in standard-error units), θ̂₁ = argmin Q;
* step 2: W₂ = Ω⁻¹ (optimal), started at θ̂₁;
* covariance of θ̂ (sandwich, simulation correction): V = (1 + 1/S)·(GᵀWG)⁻¹ GᵀWΩWG (GᵀWG)⁻¹,
  G = ∂m/∂θ at θ̂ by central differences on the same fixed draws;
* J-test: J = g(θ̂)ᵀ Ω⁻¹ g(θ̂) / (1 + 1/S) ~ χ²(K − P) under correct specification.

When Ω̂ is estimated from B draws (the bootstrap), Ω̂⁻¹ is biased upwards by (B − 1)/(B − K − 2)
and the weights it gives are noisy; with ``omega_draws = B`` both are corrected (Gaussian
results, :func:`estimated_covariance_factors`): J is multiplied by the Hartlap factor
(B − K − 2)/(B − 1), and V by (B − 1)/(B − K + P − 1) (the mean of (GᵀΩ̂⁻¹G)⁻¹) times the
Dodelson–Schneider factor 1 + (K − P)(B − K − 2)/((B − K − 1)(B − K − 4)) (the extra variance of
θ̂ from noisy weights).

The search is :func:`scipy.optimize.least_squares` on the whitened residual L⁻¹g (Ω or its
diagonal = LLᵀ) in scaled coordinates u = (θ − θ₀)/scale, with forward-difference Jacobians of a fixed step of a
fifth of a scale (coarse enough to step over the small jumps that discrete events — quits,
bunching indicators — leave in an objective on fixed draws).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import linalg, optimize, stats

__all__ = [
    "SmmFit",
    "smm_fit",
    "bootstrap_covariance",
    "estimated_covariance_factors",
    "jacobian",
]

#: finite-difference step in units of a parameter's scale (search and standard errors)
STEP_SCALES = 0.2


@dataclass(frozen=True, eq=False)
class SmmFit:
    """The result of :func:`smm_fit` (arrays over parameters P and moments K)."""

    names: tuple[str, ...]
    moment_names: tuple[str, ...]
    estimate: np.ndarray
    standard_error: np.ndarray
    covariance: np.ndarray
    data_moments: np.ndarray
    model_moments: np.ndarray
    omega: np.ndarray
    jacobian: np.ndarray
    j_statistic: float
    j_dof: int
    j_p_value: float
    first_step: np.ndarray
    replications: int
    evaluations: int
    #: θ → objective Q(θ) with the optimal weights, on the fit's fixed draws (for profiles)
    objective: Callable[[np.ndarray], float] | None = field(default=None, repr=False)

    def parameters(self) -> pd.DataFrame:
        """Tidy table: ``parameter, estimate, standard_error, ci_low, ci_high, first_step``."""
        half = stats.norm.ppf(0.975) * self.standard_error
        return pd.DataFrame(
            {
                "parameter": self.names,
                "estimate": self.estimate,
                "standard_error": self.standard_error,
                "ci_low": self.estimate - half,
                "ci_high": self.estimate + half,
                "first_step": self.first_step,
            }
        )

    def moments(self) -> pd.DataFrame:
        """Tidy table: ``moment, data, model, data_se, t`` (t = (model − data)/data_se)."""
        se = np.sqrt(np.diag(self.omega))
        return pd.DataFrame(
            {
                "moment": self.moment_names,
                "data": self.data_moments,
                "model": self.model_moments,
                "data_se": se,
                "t": (self.model_moments - self.data_moments) / se,
            }
        )


def bootstrap_covariance(
    moments_of: Callable[[np.ndarray], np.ndarray],
    clusters: int,
    draws: int,
    rng: np.random.Generator,
) -> np.ndarray:
    """Ω̂: covariance of the moment vector over ``draws`` resamples of the ``clusters`` (reps,
    drawn with replacement). ``moments_of(index)`` takes an (draws, clusters) array of cluster
    indices and returns the (draws, K) moments of the resampled histories."""
    index = rng.integers(0, clusters, size=(draws, clusters))
    samples = moments_of(index)
    return np.cov(samples, rowvar=False)


def estimated_covariance_factors(draws: int | None, moments: int, parameters: int):
    """(J factor, variance factor) for a weighting Ω̂⁻¹ from an Ω̂ estimated on ``draws`` = B
    samples of K = ``moments`` moments, P = ``parameters`` (Gaussian results; (1, 1) when
    ``draws`` is None).

    * J: Hartlap, Simon & Schneider (2007): E[Ω̂⁻¹] = Ω⁻¹·(B − 1)/(B − K − 2), so J is multiplied
      by (B − K − 2)/(B − 1);
    * V: E[(GᵀΩ̂⁻¹G)⁻¹] = (GᵀΩ⁻¹G)⁻¹·(B − K + P − 1)/(B − 1) (a P×P block of an inverse Wishart),
      and noisy weights add variance to θ̂ by 1 + (K − P)(B − K − 2)/((B − K − 1)(B − K − 4))
      (Dodelson & Schneider 2013); the factor is their product's correction.
    Needs B > K + 4."""
    if draws is None:
        return 1.0, 1.0
    b, k, p = float(draws), float(moments), float(parameters)
    if b <= k + 4:
        raise ValueError(f"omega_draws = {draws} must exceed moments + 4 = {moments + 4}")
    j_factor = (b - k - 2) / (b - 1)
    mean_inverse = (b - 1) / (b - k + p - 1)
    noisy_weights = 1.0 + (k - p) * (b - k - 2) / ((b - k - 1) * (b - k - 4))
    return j_factor, mean_inverse * noisy_weights


def whitener(covariance: np.ndarray) -> np.ndarray:
    """R = L⁻¹ with LLᵀ = ``covariance``, so that RᵀR = covariance⁻¹ (the weighting) and R·g
    is g in standard-error units. A ridge of 10⁻⁹·diag keeps the Cholesky defined."""
    matrix = np.asarray(covariance, dtype=float)
    matrix = matrix + 1e-9 * np.diag(np.diag(matrix))
    lower = np.linalg.cholesky(matrix)
    return linalg.solve_triangular(lower, np.eye(len(matrix)), lower=True)


def jacobian(
    mean_moments: Callable[[np.ndarray], np.ndarray],
    theta: np.ndarray,
    steps: np.ndarray,
    low: np.ndarray,
    high: np.ndarray,
) -> tuple[np.ndarray, int]:
    """G (K, P) = ∂m/∂θ by central differences (one-sided at a bound); returns (G, evaluations)."""
    columns = []
    evaluations = 0
    for j, step in enumerate(steps):
        up, down = theta.copy(), theta.copy()
        up[j] = min(theta[j] + step, high[j])
        down[j] = max(theta[j] - step, low[j])
        columns.append((mean_moments(up) - mean_moments(down)) / (up[j] - down[j]))
        evaluations += 2
    return np.column_stack(columns), evaluations


def smm_fit(
    simulate: Callable[[np.ndarray], np.ndarray],
    data_moments: np.ndarray,
    omega: np.ndarray,
    start,
    low,
    high,
    scale,
    *,
    names=None,
    moment_names=None,
    max_evaluations: int = 200,
    omega_draws: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> SmmFit:
    """Fit θ by two-step simulated method of moments.

    Parameters
    ----------
    simulate:
        θ (P,) → simulated moments (S, K) on fixed random numbers (the same draws for every θ).
    data_moments:
        m̂ (K,).
    omega:
        Ω̂ (K, K), covariance of m̂.
    start, low, high, scale:
        Starting values, bounds and typical step sizes (natural units, (P,)).
    max_evaluations:
        Bound on the search iterations' residual evaluations per step (each iteration adds P
        simulator calls for its Jacobian).
    omega_draws:
        B, the draws Ω̂ was estimated from (bootstrap resamples): corrects J and the covariance
        for the noise of Ω̂ (:func:`estimated_covariance_factors`); None: Ω̂ taken as exact.
    """
    start, low, high, scale = (np.asarray(a, dtype=float) for a in (start, low, high, scale))
    data_moments = np.asarray(data_moments, dtype=float)
    omega = np.asarray(omega, dtype=float)
    names = tuple(names or (f"theta{j}" for j in range(len(start))))
    moment_names = tuple(moment_names or (f"m{k}" for k in range(len(data_moments))))
    counter = {"evaluations": 0, "replications": None}
    cache: dict[bytes, np.ndarray] = {}

    def mean_moments(theta: np.ndarray) -> np.ndarray:
        key = np.asarray(theta, dtype=float).tobytes()
        if key not in cache:
            draws = np.atleast_2d(simulate(np.asarray(theta, dtype=float)))
            counter["evaluations"] += 1
            counter["replications"] = draws.shape[0]
            cache[key] = draws.mean(axis=0)
        return cache[key]

    def search(covariance: np.ndarray, origin: np.ndarray, label: str) -> np.ndarray:
        """argmin of gᵀ·covariance⁻¹·g from ``origin``."""
        whiten = whitener(covariance)
        u_low, u_high = (low - origin) / scale, (high - origin) / scale

        def residual(u):
            return whiten @ (mean_moments(origin + u * scale) - data_moments)

        def forward_jacobian(u):
            """Forward differences of a fixed STEP_SCALES in scaled units (backward at an upper
            bound). scipy's own ``diff_step`` is relative to |u| and falls back to √ε at u = 0,
            far too fine for moments that move in small jumps on fixed draws."""
            base = residual(u)
            columns = []
            for j in range(len(u)):
                step = STEP_SCALES if u[j] + STEP_SCALES <= u_high[j] else -STEP_SCALES
                moved = u.copy()
                moved[j] += step
                columns.append((residual(moved) - base) / step)
            return np.column_stack(columns)

        solution = optimize.least_squares(
            residual,
            np.clip(np.zeros_like(origin), u_low, u_high),
            jac=forward_jacobian,
            bounds=(u_low, u_high),
            x_scale=1.0,
            max_nfev=max_evaluations,
            xtol=1e-3,
            ftol=1e-4,
        )
        if progress is not None:
            progress(f"{label}: objective {2 * solution.cost:.3g} after {solution.nfev} steps")
        return origin + solution.x * scale

    whiten = whitener(omega)
    optimal = whiten.T @ whiten  # Ω⁻¹
    first = search(np.diag(np.diag(omega)), start, "step 1 (diagonal weights)")
    estimate = search(omega, first, "step 2 (optimal weights)")
    g_matrix, _ = jacobian(mean_moments, estimate, STEP_SCALES * scale, low, high)
    replications = counter["replications"]
    correction = 1.0 + 1.0 / replications
    bread = np.linalg.pinv(g_matrix.T @ optimal @ g_matrix)
    meat = g_matrix.T @ optimal @ omega @ optimal @ g_matrix
    dof = len(data_moments) - len(start)
    j_factor, variance_factor = estimated_covariance_factors(
        omega_draws, len(data_moments), len(start)
    )
    covariance = correction * variance_factor * bread @ meat @ bread
    model_moments = mean_moments(estimate)
    gap = model_moments - data_moments
    j_statistic = float(j_factor * gap @ optimal @ gap / correction)
    return SmmFit(
        names=names,
        moment_names=moment_names,
        estimate=estimate,
        standard_error=np.sqrt(np.clip(np.diag(covariance), 0, None)),
        covariance=covariance,
        data_moments=data_moments,
        model_moments=model_moments,
        omega=omega,
        jacobian=g_matrix,
        j_statistic=j_statistic,
        j_dof=dof,
        j_p_value=float(stats.chi2.sf(j_statistic, dof)) if dof > 0 else float("nan"),
        first_step=first,
        replications=replications,
        evaluations=counter["evaluations"],
        objective=lambda theta: _objective(mean_moments, data_moments, optimal, theta),
    )


def _objective(mean_moments, data_moments, weighting, theta) -> float:
    gap = mean_moments(np.asarray(theta, dtype=float)) - data_moments
    return float(gap @ weighting @ gap)
