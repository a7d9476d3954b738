"""Calibrate a scenario's behaviour parameters to a rep-month history: data moments and their
bootstrap covariance, the two-step SMM fit on the fast engine, identification diagnostics
(``docs/calibration-from-history.md``).

Example
-------
>>> from spmopt.calibrate import calibrate, read_history  # doctest: +SKIP
>>> result = calibrate(read_history("history.csv"), Scenario.load("s.toml"))  # doctest: +SKIP
>>> result.fit.parameters()  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from spmopt.calibrate.estimate import SmmFit, bootstrap_covariance, smm_fit, whitener
from spmopt.calibrate.moments import history_moments, moment_names
from spmopt.calibrate.simulate import DEFAULT_PARAMETERS, PARAMETERS, HistorySimulator
from spmopt.errors import SpmoptInputError
from spmopt.scenario import Scenario
from spmopt.sim.streams import RandomStreams

#: fewer reps than this in the history's first month draws a warning
FEW_REPS = 100
#: a singular value of the whitened, scaled Jacobian below this share of the largest marks a
#: direction the moments barely identify
WEAK_DIRECTION = 1e-3

#: the group of segments too small to fit alone, fitted together
POOLED = "pooled"

__all__ = [
    "Calibration",
    "calibrate",
    "calibrate_segments",
    "data_moments",
    "identification",
    "segment_groups",
]


@dataclass(frozen=True, eq=False)
class Calibration:
    """What :func:`calibrate` returns: the fit, the simulator (for re-simulation), the tidy
    diagnostics tables and the warnings."""

    fit: SmmFit
    simulator: HistorySimulator
    singular_values: pd.DataFrame
    identifying_moments: pd.DataFrame
    profiles: pd.DataFrame
    warnings: tuple[str, ...]


def data_moments(history: pd.DataFrame, years, bootstrap: int, rng: np.random.Generator):
    """m̂ (K,) of the history and Ω̂ (K, K), its covariance by a cluster bootstrap: clusters are
    territories (``territory_id``) when the history has them, else reps. Territories keep a
    replacement hire with the territory's book, as the model does (a refilled seat keeps its
    traits); resampling reps alone would treat them as independent and understate Ω."""
    cluster = "territory_id" if "territory_id" in history.columns else "rep_id"
    history = history.sort_values([cluster, "rep_id", "year", "month_of_year"], kind="stable")
    history = history.reset_index(drop=True)
    observed = history_moments(history, years)[0]
    codes, clusters = pd.factorize(history[cluster])
    rep_codes = pd.factorize(history["rep_id"])[0]
    starts = np.searchsorted(codes, np.arange(len(clusters)))  # rows are grouped by cluster
    counts = np.bincount(codes, minlength=len(clusters))
    columns = history[["year", "month_of_year", "quota", "credited", "left"]]
    reps = int(rep_codes.max()) + 1

    def moments_of(index: np.ndarray) -> np.ndarray:
        parts = []
        for chunk in np.array_split(np.arange(len(index)), max(1, len(index) // 50)):
            chosen = index[chunk].ravel()
            lengths = counts[chosen]
            first = np.repeat(starts[chosen], lengths)
            within = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
            rows = first + within
            unit = np.repeat(np.arange(len(chosen), dtype=np.int64), lengths)
            frame = columns.iloc[rows].reset_index(drop=True)
            frame["rep_id"] = unit * reps + rep_codes[rows]  # a drawn cluster's reps, kept apart
            frame["replication"] = np.repeat(chunk, counts[index[chunk]].sum(axis=1))
            parts.append(history_moments(frame, years))
        return np.vstack(parts)

    omega = bootstrap_covariance(moments_of, len(clusters), bootstrap, rng)
    return observed, omega


def identification(fit: SmmFit, scale: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Singular values of the whitened, scaled Jacobian Ω^(−1/2)·G·diag(scale) (rank and
    condition number of what the moments identify), and each parameter's three most
    informative moments (largest |whitened derivative|)."""
    whiten = whitener(fit.omega)
    weighted = whiten @ fit.jacobian * scale
    values = np.linalg.svd(weighted, compute_uv=False)
    top = values.max() if values.size else 0.0
    table = pd.DataFrame(
        {
            "direction": np.arange(len(values)),
            "singular_value": values,
            "relative": values / top if top > 0 else values,
        }
    )
    rows = []
    sensitivity = np.abs(fit.jacobian * scale) / np.sqrt(np.diag(fit.omega))[:, None]
    for j, name in enumerate(fit.names):
        order = np.argsort(-sensitivity[:, j])[:3]
        for rank, k in enumerate(order):
            rows.append(
                {
                    "parameter": name,
                    "rank": rank + 1,
                    "moment": fit.moment_names[k],
                    "change_in_data_se_per_scale": float(sensitivity[k, j]),
                }
            )
    return table, pd.DataFrame(rows)


def _profiles(fit: SmmFit, points: int) -> pd.DataFrame:
    """Objective Q on a slice through θ̂ along each parameter (others fixed), ±2 standard errors."""
    if points < 2:
        return pd.DataFrame(columns=["parameter", "value", "offset_se", "objective"])
    rows = []
    objective = fit.objective
    for j, name in enumerate(fit.names):
        se = fit.standard_error[j]
        for offset in np.linspace(-2.0, 2.0, points):
            theta = fit.estimate.copy()
            theta[j] = theta[j] + offset * se
            low, high = PARAMETERS[name].low, PARAMETERS[name].high
            if not low <= theta[j] <= high:
                continue
            rows.append(
                {
                    "parameter": name,
                    "value": theta[j],
                    "offset_se": offset,
                    "objective": objective(theta),
                }
            )
    return pd.DataFrame(rows)


def identification_warnings(singular: pd.DataFrame) -> list[str]:
    """A warning when a direction of the parameters is barely identified (relative singular
    value below :data:`WEAK_DIRECTION`, i.e. a rank-deficient or ill-conditioned Jacobian)."""
    weak = singular.loc[singular["relative"] < WEAK_DIRECTION]
    if not len(weak):
        return []
    smallest = max(float(singular["relative"].min()), 1e-300)
    return [
        f"the moments barely identify {len(weak)} direction(s) of the parameters (Jacobian "
        f"rank {len(singular) - len(weak)} of {len(singular)}, condition number "
        f"{1 / smallest:.3g}); see identification.csv and informative_moments.csv"
    ]


def history_warnings(history: pd.DataFrame) -> list[str]:
    """Warnings about what the history can identify: no plan variation, few reps."""
    warnings = []
    if history["plan_id"].nunique() < 2:
        warnings.append(
            "no plan variation: every month is on one plan, so the effort cost is identified only "
            "by within-year pacing; expect a large standard error"
        )
    first = history["year"] * 12 + history["month_of_year"]
    reps = int((first == first.min()).sum())
    if reps < FEW_REPS:
        warnings.append(
            f"few reps: {reps} in the first month (fewer than {FEW_REPS}); the moments are noisy "
            "and the J-test unreliable; pool similar teams (--segment-column pools small segments; "
            "latent classes are not implemented)"
        )
    if history["year"].nunique() < 2:
        warnings.append("one year of history: persistence across years is not measured")
    return warnings


def calibrate(
    history: pd.DataFrame,
    scenario: Scenario,
    *,
    parameters=DEFAULT_PARAMETERS,
    replications: int = 10,
    seed: int = 1,
    bootstrap: int = 200,
    max_evaluations: int = 60,
    profile_points: int = 5,
    start: dict | None = None,
    progress: Callable[[str], None] | None = None,
) -> Calibration:
    """Fit ``parameters`` of ``scenario`` to a validated ``history`` by two-step SMM.

    ``replications`` = S simulated histories per θ on the fixed draws of ``seed``; ``bootstrap``
    resamples of reps for Ω̂; ``max_evaluations`` bounds the simulator calls of each search
    step; ``start`` overrides starting values (default: the scenario's values).
    """
    simulator = HistorySimulator(scenario, history, replications, seed, parameters)
    years = simulator.years
    rng = RandomStreams(seed).generator("calibration_bootstrap")
    count = len(moment_names(years))
    if bootstrap < 2 * count:
        raise SpmoptInputError(
            f"bootstrap: {bootstrap} resamples cannot estimate the covariance of {count} moments; "
            f"use at least {2 * count} (default 200)"
        )
    observed, omega = data_moments(history, years, bootstrap, rng)
    values = simulator.scenario_values()
    values.update(start or {})
    spec = [PARAMETERS[name] for name in parameters]
    origin = np.array([values[name] for name in parameters])
    low = np.array([p.low for p in spec])
    high = np.array([p.high for p in spec])
    scale = np.array([p.scale for p in spec])
    fit = smm_fit(
        simulator.moments,
        observed,
        omega,
        np.clip(origin, low, high),
        low,
        high,
        scale,
        names=parameters,
        moment_names=moment_names(years),
        max_evaluations=max_evaluations,
        omega_draws=bootstrap,
        progress=progress,
    )
    singular, informative = identification(fit, scale)
    warnings = history_warnings(history) + identification_warnings(singular)
    if progress is not None:
        progress("objective profiles")
    profiles = _profiles(fit, profile_points)
    return Calibration(fit, simulator, singular, informative, profiles, tuple(warnings))


def _first_month_reps(history: pd.DataFrame) -> int:
    """Reps present in the history's first month."""
    month = history["year"] * 12 + history["month_of_year"]
    return int((month == month.min()).sum())


def segment_groups(history: pd.DataFrame, min_reps: int = FEW_REPS):
    """How :func:`calibrate_segments` fits a history with a ``segment`` column: a segment with at
    least ``min_reps`` reps in the history's first month is fitted alone; the others are pooled
    into one group :data:`POOLED` (one set of parameters for all of them), with a warning.

    Returns ({group: [segments]}, [warnings]); groups in the segments' sorted order, the pooled
    group last. A pool of one segment is named by it."""
    if "segment" not in history.columns:
        raise SpmoptInputError("the history has no segment column (see --segment-column)")
    alone, small = {}, []
    for segment, rows in history.groupby("segment", sort=True):
        reps = _first_month_reps(rows)
        if reps >= min_reps:
            alone[str(segment)] = [str(segment)]
        else:
            small.append((str(segment), reps))
    warnings = []
    if len(small) == 1:
        alone[small[0][0]] = [small[0][0]]
    elif small:
        alone[POOLED] = [name for name, _ in small]
        listed = ", ".join(f"{name} ({reps})" for name, reps in small)
        warnings.append(
            f"pooled segments with fewer than {min_reps} reps in the first month: {listed}; "
            f"they are fitted together as '{POOLED}' (one set of parameters for all of them)"
        )
    return alone, warnings


def calibrate_segments(
    history: pd.DataFrame,
    scenario: Scenario,
    *,
    min_reps: int = FEW_REPS,
    progress: Callable[[str], None] | None = None,
    **options,
) -> dict[str, Calibration]:
    """Fit each segment of a history with a ``segment`` column separately (those with at least
    ``min_reps`` reps in the first month) and the rest pooled (:func:`segment_groups`), each by
    :func:`calibrate` with ``options`` on the scenario's one-segment structure. Returns
    {group: Calibration}; the pooling warning is in the pooled group's ``warnings``."""
    groups, warnings = segment_groups(history, min_reps)
    results = {}
    for group, segments in groups.items():
        rows = history.loc[history["segment"].isin(segments)].drop(columns="segment")

        def report(message: str, group: str = group) -> None:
            if progress is not None:
                progress(f"{group}: {message}")

        result = calibrate(rows.reset_index(drop=True), scenario, progress=report, **options)
        if group == POOLED:
            result = replace(result, warnings=(*warnings, *result.warnings))
        results[group] = result
    return results
