"""Moments of a rep-month history, the same function for the company's data and for simulated
histories (``docs/calibration-from-history.md`` lists them and what each identifies).

Input: a validated history (:func:`spmopt.calibrate.history.validate_history`) with a
``replication`` column (0 for data; one history per simulated replication or bootstrap draw).
Output: an array (replications, moments) in the order of :func:`moment_names`.

Units: a *rep-year* is a rep's months within one calendar (plan) year; *full* rep-years cover all
twelve months (the rep may leave at the end of December). Attainment = credited / annual quota.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmopt.errors import SpmoptInputError

#: pacing groups: year-to-date pace at the end of September (credited / (0.75·quota))
PACE_EDGES = (0.6, 1.0)
#: the band either side of quota whose difference measures bunching just above quota
BUNCH_BAND = 0.1

__all__ = ["history_moments", "moment_names"]


def moment_names(years) -> list[str]:
    """Names of the moments for a history covering calendar ``years`` (in order)."""
    names = []
    for year in years:
        names += [
            f"mean_attainment[{year}]",
            f"share_at_quota[{year}]",
            f"quit_rate[{year}]",
            f"quarter_end_share[{year}]",
        ]
    names += [
        "attainment_sd",
        "bunching_above_quota",
        "attainment_persistence",
        "quarter_start_share",
        "december_share",
        "q4_pace[behind]",
        "q4_pace[near]",
        "q4_pace[ahead]",
        "quit_gap_low_high",
    ]
    return names


def _rep_years(history: pd.DataFrame) -> pd.DataFrame:
    """One row per (replication, rep, year): months, credited by part of the year, quota, left."""
    months = history["month_of_year"].to_numpy()
    credited = history["credited"].to_numpy(dtype=float)
    frame = pd.DataFrame(
        {
            "replication": history["replication"].to_numpy(),
            "rep_id": history["rep_id"].to_numpy(),
            "year": history["year"].to_numpy(),
            "months": 1,
            "credited": credited,
            "to_september": np.where(months < 9, credited, 0.0),
            "q4": np.where(months >= 9, credited, 0.0),
            "quota": history["quota"].to_numpy(dtype=float),
            "left": history["left"].to_numpy(dtype=float),
        }
    )
    return (
        frame.groupby(["replication", "rep_id", "year"], sort=True)
        .agg(
            months=("months", "sum"),
            credited=("credited", "sum"),
            to_september=("to_september", "sum"),
            q4=("q4", "sum"),
            quota=("quota", "mean"),
            left=("left", "sum"),
        )
        .reset_index()
    )


def _by_replication(values: pd.Series, replications: np.ndarray) -> np.ndarray:
    """A per-replication series as an array over ``replications`` (NaN where missing)."""
    return values.reindex(replications).to_numpy(dtype=float)


def history_moments(history: pd.DataFrame, years=None) -> np.ndarray:
    """The moment vector of each replication's history, shape (replications, moments).

    ``years``: the calendar years to report per-year moments for (default: those in the
    history). Raises :class:`SpmoptInputError` if a moment cannot be computed (e.g. no full
    rep-year in a pacing group), naming it.
    """
    if "replication" not in history.columns:
        history = history.assign(replication=0)
    years = sorted(history["year"].unique()) if years is None else list(years)
    replications = np.sort(history["replication"].unique())
    units = _rep_years(history)
    units["attainment"] = units["credited"] / units["quota"]
    full = units.loc[units["months"] == 12].copy()
    full["at_quota"] = (full["attainment"] >= 1.0).astype(float)
    columns = []
    month = history["month_of_year"].to_numpy()
    keyed = pd.DataFrame(
        {
            "replication": history["replication"].to_numpy(),
            "year": history["year"].to_numpy(),
            "credited": history["credited"].to_numpy(dtype=float),
            "quarter_end": np.where(month % 3 == 2, history["credited"].to_numpy(float), 0.0),
            "quarter_start": np.where(month % 3 == 0, history["credited"].to_numpy(float), 0.0),
            "december": np.where(month == 11, history["credited"].to_numpy(float), 0.0),
        }
    )
    per_year = keyed.groupby(["replication", "year"]).sum()
    for year in years:
        in_year = full.loc[full["year"] == year].groupby("replication")
        columns.append(_by_replication(in_year["attainment"].mean(), replications))
        columns.append(_by_replication(in_year["at_quota"].mean(), replications))
        spells = units.loc[units["year"] == year].groupby("replication")
        columns.append(_by_replication(spells["left"].sum() / spells["months"].sum(), replications))
        year_totals = per_year.xs(year, level="year") if year in per_year.index.levels[1] else None
        if year_totals is None:
            columns.append(np.full(len(replications), np.nan))
        else:
            columns.append(
                _by_replication(year_totals["quarter_end"] / year_totals["credited"], replications)
            )
    centred = full["attainment"] - full.groupby(["replication", "year"])["attainment"].transform(
        "mean"
    )
    columns.append(_by_replication(centred.groupby(full["replication"]).std(), replications))
    attainment = full["attainment"].to_numpy()
    above = (attainment >= 1.0) & (attainment < 1.0 + BUNCH_BAND)
    below = (attainment >= 1.0 - BUNCH_BAND) & (attainment < 1.0)
    bunching = pd.Series(above.astype(float) - below, index=full.index)
    columns.append(_by_replication(bunching.groupby(full["replication"]).mean(), replications))
    columns.append(_persistence(full, replications))
    totals = keyed.groupby("replication").sum()
    columns.append(_by_replication(totals["quarter_start"] / totals["credited"], replications))
    columns.append(_by_replication(totals["december"] / totals["credited"], replications))
    pace = full["to_september"] / (0.75 * full["quota"])
    q4_pace = full["q4"] / (0.25 * full["quota"])
    group = np.digitize(pace.to_numpy(), PACE_EDGES)
    for g in range(len(PACE_EDGES) + 1):
        mine = group == g
        columns.append(
            _by_replication(q4_pace[mine].groupby(full["replication"][mine]).mean(), replications)
        )
    columns.append(_quit_gap(units, replications))
    moments = np.column_stack(columns)
    bad = ~np.isfinite(moments)
    if bad.any():
        name = moment_names(years)[int(np.flatnonzero(bad.any(axis=0))[0])]
        raise SpmoptInputError(
            f"moment '{name}' cannot be computed from this history (too few reps or years in it; "
            "see docs/calibration-from-history.md)"
        )
    return moments


def _persistence(full: pd.DataFrame, replications: np.ndarray) -> np.ndarray:
    """Correlation of a rep's attainment in consecutive years (full rep-years in both)."""
    now = full[["replication", "rep_id", "year", "attainment"]]
    nxt = now.assign(year=now["year"] - 1).rename(columns={"attainment": "next"})
    pairs = now.merge(nxt, on=["replication", "rep_id", "year"])
    if pairs.empty:
        return np.full(len(replications), np.nan)
    return _by_replication(
        pairs.groupby("replication")[["attainment", "next"]]
        .corr()
        .xs("attainment", level=1)["next"],
        replications,
    )


def _quit_gap(units: pd.DataFrame, replications: np.ndarray) -> np.ndarray:
    """Monthly quit rate of rep-years with annualised attainment below the replication's median
    minus that of those at or above it."""
    annualised = units["credited"] / (units["quota"] * units["months"] / 12.0)
    median = annualised.groupby(units["replication"]).transform("median")
    low = annualised < median
    rate = (
        units.assign(low=low.to_numpy()).groupby(["replication", "low"])[["left", "months"]].sum()
    )
    ratio = rate["left"] / rate["months"]
    gap = ratio.xs(True, level="low").reindex(replications) - ratio.xs(False, level="low").reindex(
        replications
    )
    return gap.to_numpy(dtype=float)
