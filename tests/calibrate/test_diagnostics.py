"""Identification diagnostics and the calibrated scenario file (fast: no fit is run)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from spmopt.calibrate.estimate import SmmFit
from spmopt.calibrate.fit import (
    Calibration,
    history_warnings,
    identification,
    identification_warnings,
)
from spmopt.calibrate.history import read_history
from spmopt.calibrate.moments import moment_names
from spmopt.calibrate.report import calibrated_scenario, write_calibration
from spmopt.calibrate.simulate import HistorySimulator
from spmopt.scenario import Scenario

SCENARIO = "scenarios/data/history/scenario.toml"
HISTORY = "scenarios/data/history/history.csv"


def _fit(jacobian: np.ndarray, names, estimate) -> SmmFit:
    k, p = jacobian.shape
    return SmmFit(
        names=tuple(names),
        moment_names=tuple(f"m{i}" for i in range(k)),
        estimate=np.asarray(estimate, dtype=float),
        standard_error=np.full(p, 0.01),
        covariance=np.eye(p) * 1e-4,
        data_moments=np.zeros(k),
        model_moments=np.zeros(k),
        omega=np.eye(k),
        jacobian=jacobian,
        j_statistic=3.0,
        j_dof=k - p,
        j_p_value=0.4,
        first_step=np.asarray(estimate, dtype=float),
        replications=5,
        evaluations=10,
    )


def test_rank_deficient_jacobian_is_reported():
    """Two parameters moving the moments in the same proportions: one direction is not
    identified (singular value 0), and the warning names the rank."""
    column = np.array([1.0, 2.0, 0.5, 0.0])
    fit = _fit(np.column_stack([column, 2 * column, [0, 0, 1.0, 1.0]]), "abc", [0, 0, 0])
    singular, informative = identification(fit, np.ones(3))
    assert singular["relative"].iloc[-1] < 1e-12
    (warning,) = identification_warnings(singular)
    assert "rank 2 of 3" in warning
    assert informative.loc[informative["parameter"] == "a", "moment"].iloc[0] == "m1"
    full_rank = _fit(np.eye(4)[:, :3], "abc", [0, 0, 0])
    assert identification_warnings(identification(full_rank, np.ones(3))[0]) == []


def test_history_warnings_no_plan_variation_and_few_reps():
    history = read_history(HISTORY)
    assert history_warnings(history) == []
    small = history.loc[history["rep_id"].isin(history["rep_id"].unique()[:40])]
    one_plan = small.assign(plan_id="hist-2024")
    warnings = history_warnings(one_plan)
    assert any(w.startswith("no plan variation") for w in warnings)
    assert any(w.startswith("few reps") for w in warnings)


def test_calibrated_scenario_loads_with_the_fitted_values(tmp_path):
    scenario = Scenario.load(SCENARIO)
    history = read_history(HISTORY)
    names = ("base_sales_log_median", "effort_cost_log", "push_share", "annual_turnover")
    simulator = HistorySimulator(scenario, history, replications=2, seed=1, parameters=names)
    k = len(moment_names(simulator.years))
    fit = _fit(np.ones((k, len(names))), names, [13.5, 11.5, 0.4, 0.25])
    calibration = Calibration(fit, simulator, pd.DataFrame(), pd.DataFrame(), pd.DataFrame(), ())
    text = calibrated_scenario(calibration)
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    loaded = Scenario.load(path)
    reps = loaded.spec.segments["ae"].reps
    assert reps["base_sales"]["median"] == np.round(np.exp(13.5), 2)
    assert reps["effort_cost"] == np.round(np.exp(11.5), 2)
    assert reps["count"] == 200
    assert loaded.behaviour.timing.push_share == 0.4
    assert loaded.behaviour.attrition.annual_turnover == 0.25
    assert loaded.behaviour.attrition.shortfall_hazard == 0.5  # not fitted: the scenario's
    assert loaded.spec.segments["ae"].plan == "hist-2026"
    assert str(loaded.year_start) == "2026-01-01"
    written = write_calibration(calibration, tmp_path / "out", plots=False)
    assert {p.name for p in written} >= {"scenario.toml", "parameters.csv", "report.md"}


def test_profiles_slice_the_objective_through_the_estimate():
    """Q(θ) = Σ((θ − θ̂)/SE)²: the slice at ±2 SE reads 4, at the estimate 0; points outside a
    parameter's bounds are left out."""
    from dataclasses import replace

    from spmopt.calibrate.fit import _profiles

    fit = _fit(np.eye(4)[:, :2], ("push_share", "annual_turnover"), [0.5, 0.01])
    fit = replace(fit, objective=lambda theta: float(np.sum(((theta - fit.estimate) / 0.01) ** 2)))
    table = _profiles(fit, 5)
    push = table.loc[table["parameter"] == "push_share"]
    assert push["objective"].round(9).tolist() == [4.0, 1.0, 0.0, 1.0, 4.0]
    # annual_turnover's lower bound is 0.005: 0.01 − 0.02 and 0.01 − 0.01 are dropped
    assert table.loc[table["parameter"] == "annual_turnover", "offset_se"].tolist() == [0, 1, 2]
