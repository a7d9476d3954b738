"""History format: validation errors name file, row and column; moments computed by hand; the
conversion of simulated seats into rep ids (new id at a hire or after a quit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spmopt.calibrate.history import history_from_rep_periods, read_history, validate_history
from spmopt.calibrate.moments import history_moments, moment_names
from spmopt.cli import main
from spmopt.errors import SpmoptInputError

QUOTA = 1_200_000.0


def _rows(rep, year, months, monthly, left_at=None, plan="p"):
    """Rows of ``rep`` in ``months``; ``monthly`` is a number or a function of the month."""
    amount = monthly if callable(monthly) else (lambda m: monthly)
    return [
        {
            "rep_id": rep,
            "month": f"{year}-{m + 1:02d}",
            "plan_id": plan,
            "quota": QUOTA,
            "credited_bookings": amount(m),
            "pay": 0.0,
            "left": int(m == left_at),
        }
        for m in months
    ]


def _history() -> pd.DataFrame:
    """Reps at 100%, 80% and 50% of quota both years; D leaves after June of the first year.
    A books twice as much in quarter-end months (b a month, 2b in Mar, Jun, Sep, Dec: b = Q/16);
    the others book evenly."""
    rows = []
    for year in (2024, 2025):
        rows += _rows("A", year, range(12), lambda m: QUOTA / 16 * (2 if m % 3 == 2 else 1))
        rows += _rows("B", year, range(12), 0.5 * QUOTA / 12)
        rows += _rows("C", year, range(12), 0.8 * QUOTA / 12)
    rows += _rows("D", 2024, range(6), 0.5 * QUOTA / 12, left_at=5)
    return pd.DataFrame(rows)


def test_moments_of_a_hand_built_history():
    history = validate_history(_history().astype(str), "h.csv")
    names = moment_names([2024, 2025])
    moments = dict(zip(names, history_moments(history)[0], strict=True))
    assert moments["mean_attainment[2024]"] == pytest.approx((1.0 + 0.5 + 0.8) / 3)
    assert moments["share_at_quota[2025]"] == pytest.approx(1 / 3)
    assert moments["quit_rate[2024]"] == pytest.approx(1 / (36 + 6))  # one quit in 42 rep-months
    assert moments["quit_rate[2025]"] == 0.0
    # credit in quotas: 2024 A 1 + B 0.5 + C 0.8 + D 0.25 = 2.55; 2025: 2.3
    # quarter-end months 2024: A 8b = 0.5, B 0.5/3, C 0.8/3, D (Mar, Jun) 2·0.5/12
    assert moments["quarter_end_share[2024]"] == pytest.approx(
        (0.5 + 0.5 / 3 + 0.8 / 3 + 1 / 12) / 2.55
    )
    assert moments["quarter_end_share[2025]"] == pytest.approx((0.5 + 1.3 / 3) / 2.3)
    # quarter-start months: A 4b = 0.25 a year, B and C a third, D (Jan, Apr) 1/12 in 2024
    assert moments["quarter_start_share"] == pytest.approx((2 * (0.25 + 1.3 / 3) + 1 / 12) / 4.85)
    assert moments["december_share"] == pytest.approx(2 * (1 / 8 + 1.3 / 12) / 4.85)
    assert moments["attainment_sd"] == pytest.approx(np.std([1.0, 0.5, 0.8] * 2, ddof=1))
    assert moments["bunching_above_quota"] == pytest.approx(1 / 3)  # A at 1.0, none in [0.9, 1)
    assert moments["attainment_persistence"] == pytest.approx(1.0)
    assert moments["q4_pace[behind]"] == pytest.approx(0.5)
    assert moments["q4_pace[near]"] == pytest.approx(0.8)
    assert moments["q4_pace[ahead]"] == pytest.approx(1.0)
    # below the median annualised attainment (0.8): B twice, D once (D quit) → 1 quit / 30 months
    assert moments["quit_gap_low_high"] == pytest.approx(1 / 30 - 0.0)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda f: f.drop(columns="quota"), "column 'quota': missing"),
        (lambda f: f.drop(columns="credited_bookings"), "no credited_<measure> column"),
        (lambda f: f.assign(colour="red"), "column 'colour': unknown column"),
        (
            lambda f: f.assign(month=f["month"].where(f.index != 3, "2024-13")),
            "row 5, column 'month'",
        ),
        (
            lambda f: f.assign(quota=f["quota"].where(f.index != 4, "-1")),
            "row 6, column 'quota': expected a number > 0",
        ),
        (
            lambda f: f.assign(pay=f["pay"].where(f.index != 2, "lots")),
            "row 4, column 'pay': expected a number",
        ),
        (lambda f: f.assign(left=f["left"].where(f.index != 0, "maybe")), "row 2, column 'left'"),
        (lambda f: f.drop(index=5), "row 7, column 'month': a gap"),
        (lambda f: pd.concat([f, f.iloc[[0]]]), "a second row for this rep and month"),
        (
            lambda f: f.assign(left=np.where(f.index == 2, "1", f["left"])),
            "row 5, column 'left': a row after the rep left",
        ),
    ],
)
def test_validation_names_file_row_and_column(change, expected):
    frame = change(_history().astype(str)).reset_index(drop=True)
    with pytest.raises(SpmoptInputError, match="h.csv") as error:
        validate_history(frame, "h.csv")
    assert expected in str(error.value)


def test_cli_exits_2_on_a_bad_history(tmp_path, capsys):
    bad = _history().astype(str)
    bad.loc[3, "quota"] = "n/a"
    path = tmp_path / "history.csv"
    bad.to_csv(path, index=False)
    status = main(
        [
            "calibrate",
            str(path),
            "--scenario",
            "scenarios/data/history/scenario.toml",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert status == 2
    assert "history.csv: row 5, column 'quota'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_shipped_history_is_valid():
    history = read_history("scenarios/data/history/history.csv")
    assert sorted(history["year"].unique()) == [2024, 2025, 2026]
    assert history["plan_id"].nunique() == 3
    first = history.loc[history["month"] == "2024-01"]
    assert len(first) == 200


def test_new_rep_id_after_a_quit_and_at_a_hire():
    """Seat s1 quits in March, is vacant in April, hired in May; the next year starts full."""
    periods = [f"2024-{m:02d}" for m in range(1, 7)] + ["2025-01"]
    occupied = [True, True, True, False, True, True, True]
    quit = [False, False, True, False, False, True, False]
    hired = [False, False, False, False, True, False, False]
    frame = pd.DataFrame(
        {
            "replication": 0,
            "rep_id": "s1",
            "period": periods,
            "plan_id": "p",
            "occupied": occupied,
            "quota": QUOTA,
            "credited": 1.0,
            "incentive": 0.0,
            "quit": quit,
            "hired": hired,
        }
    )
    rows = history_from_rep_periods(frame)
    assert rows["rep_id"].tolist() == ["s1", "s1", "s1", "s1~1", "s1~1", "s1~2"]
    assert rows["left"].tolist() == [0, 0, 1, 0, 1, 0]


def test_help_gives_every_option_a_default(capsys):
    with pytest.raises(SystemExit):
        main(["calibrate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for option in (
        "--scenario",
        "--out",
        "--parameters",
        "--replications",
        "--bootstrap",
        "--max-evaluations",
        "--profile-points",
        "--seed",
        "--no-plots",
        "--quiet",
    ):
        description = text.split(option, 2)[-1].split(" --", 1)[0]
        assert "default" in description or "required" in description, option


def test_public_calibrate_is_the_function_after_read_history():
    """``spmopt.read_history`` imports the subpackage ``spmopt.calibrate``, whose import sets the
    attribute ``spmopt.calibrate`` to the package; the public ``spmopt.calibrate`` must stay the
    function (a fresh interpreter: the test run has imported everything already)."""
    import subprocess
    import sys

    code = (
        "import spmopt; spmopt.read_history; import spmopt.calibrate.report; "
        "assert callable(spmopt.calibrate), spmopt.calibrate; "
        "assert callable(spmopt.calibrated_scenario)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
