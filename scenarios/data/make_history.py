"""Generate the synthetic three-year rep-month history ``history/history.csv``.

200 AEs over 2024-2026, one plan a year (``history/plans/``: an uncapped accelerator, then a
capped plan with a threshold and a higher quota, then a lower pay mix measured quarterly), simulated
with the fast engine from the known parameters in ``history/scenario.toml`` (the "truth" a
calibration should recover; listed in ``history/README.md``). Deterministic: the fixed draws and
every engine stream come from the seed below.

Run from the repository root::

    .venv/bin/python scenarios/data/make_history.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from spmopt.calibrate.history import read_history
from spmopt.calibrate.simulate import PARAMETERS, HistorySimulator
from spmopt.scenario import Scenario

SEED = 2024
REPS = 200
YEARS = (2024, 2025, 2026)
HERE = Path(__file__).parent / "history"


def layout() -> pd.DataFrame:
    """The history's shape: REPS reps × 36 months, plan ``hist-<year>`` each year."""
    rows = [
        {"year": year, "month_of_year": month, "plan_id": f"hist-{year}", "quota": 0.0}
        for year in YEARS
        for month in range(12)
        for _ in range(REPS)
    ]
    frame = pd.DataFrame(rows)
    scenario = Scenario.load(HERE / "scenario.toml")
    for year in YEARS:
        plan = scenario.plan_of(f"hist-{year}")
        frame.loc[frame["year"] == year, "quota"] = plan.quota_of_measure("bookings").quota
    return frame


def main() -> None:
    scenario = Scenario.load(HERE / "scenario.toml")
    simulator = HistorySimulator(
        scenario, layout(), replications=1, seed=SEED, parameters=tuple(PARAMETERS)
    )
    truth = simulator.scenario_values()
    history = simulator.history([truth[name] for name in simulator.parameters])
    out = pd.DataFrame(
        {
            "rep_id": history["rep_id"],
            "month": history["month"],
            "plan_id": history["plan_id"],
            "quota": history["quota"].round(2),
            "credited_bookings": history["credited"].round(2),
            "pay": history["pay"].round(2),
            "left": history["left"].astype(int),
            "territory_id": history["territory_id"],
        }
    )
    path = HERE / "history.csv"
    out.to_csv(path, index=False)
    read_history(path)  # the file we ship passes its own validation
    print(f"wrote {path}: {len(out)} rows, {out['rep_id'].nunique()} reps")
    for name, value in truth.items():
        print(f"  {name} = {value:.6g}")


if __name__ == "__main__":
    main()
