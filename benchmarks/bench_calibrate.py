"""Calibration benchmark (issue 13): fit time of ``spmopt calibrate`` on the shipped synthetic
history, 200 reps × 36 months (``scenarios/data/history/``); writes
``benchmarks/results/calibrate.json``.

Records the wall-clock and CPU seconds of the whole fit (bootstrap of the data moments, the two
search steps, the Jacobian for the standard errors, the objective profiles), the number of
simulator evaluations and the seconds per evaluation (S simulated histories of 200 reps over
three plan years), the machine's load average (the project machine is shared: compare per-CPU
figures), and the estimates next to the true values the history was generated from.

Run ``python benchmarks/bench_calibrate.py`` (six parameters, S = 5, 200 bootstrap resamples, at
most 30 evaluations per search step, 3-point profiles: half the command's default S and search
budget, so that the run fits in the shared machine's afternoon) or ``--quick`` (two parameters,
S = 2, a small search: a smoke run).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import record

from spmopt.calibrate.fit import calibrate
from spmopt.calibrate.history import read_history
from spmopt.calibrate.simulate import DEFAULT_PARAMETERS
from spmopt.scenario import Scenario

ROOT = Path(__file__).resolve().parent.parent
HISTORY = ROOT / "scenarios/data/history/history.csv"
SCENARIO = ROOT / "scenarios/data/history/scenario.toml"
#: starting values away from the truth (the scenario's values are the truth)
START = {
    "base_sales_log_median": 13.2,
    "base_sales_sigma": 0.25,
    "effort_cost_log": 11.3,
    "push_share": 0.2,
    "annual_turnover": 0.25,
    "shortfall_hazard": 0.8,
}


def main(quick: bool) -> None:
    settings = (
        {
            "parameters": ("base_sales_log_median", "push_share"),
            "replications": 2,
            "bootstrap": 50,
            "max_evaluations": 6,
            "profile_points": 0,
        }
        if quick
        else {
            "parameters": DEFAULT_PARAMETERS,
            "replications": 5,
            "bootstrap": 200,
            "max_evaluations": 30,
            "profile_points": 3,
        }
    )
    load = os.getloadavg()[0]
    clock, cpu = time.perf_counter(), time.process_time()
    history = read_history(HISTORY)
    scenario = Scenario.load(SCENARIO)
    result = calibrate(
        history,
        scenario,
        start={k: v for k, v in START.items() if k in settings["parameters"]},
        progress=lambda message: print(
            f"  {message} ({time.perf_counter() - clock:.0f} s)", flush=True
        ),
        **settings,
    )
    wall, used = time.perf_counter() - clock, time.process_time() - cpu
    fit = result.fit
    truth = result.simulator.scenario_values()
    figures = {
        "history": "200 reps x 36 months (6,849 rep-months), 3 plans",
        "quick": quick,
        **{k: (list(v) if isinstance(v, tuple) else v) for k, v in settings.items()},
        "load_average_at_start": round(load, 2),
        "fit_wall_seconds": round(wall, 1),
        "fit_cpu_seconds": round(used, 1),
        "evaluations": fit.evaluations,
        "cpu_seconds_per_evaluation": round(used / max(fit.evaluations, 1), 2),
        "j_statistic": round(fit.j_statistic, 3),
        "j_dof": fit.j_dof,
        "j_p_value": round(fit.j_p_value, 4),
        "estimates": {
            name: {
                "estimate": round(float(fit.estimate[j]), 5),
                "standard_error": round(float(fit.standard_error[j]), 5),
                "truth": round(truth[name], 5),
                "start": START[name],
            }
            for j, name in enumerate(fit.names)
        },
    }
    path = record("calibrate" + ("-quick" if quick else ""), figures)
    print(fit.parameters().to_string(index=False))
    print(f"fit: {wall:.0f} s wall, {used:.0f} s CPU, {fit.evaluations} evaluations; wrote {path}")


if __name__ == "__main__":
    main("--quick" in sys.argv[1:])
