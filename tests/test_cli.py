"""The ``spmopt`` command: outputs, and bad input answered with exit status 2 and one message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from spmopt.cli import main

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "scenarios" / "plans"
DATA = ROOT / "scenarios" / "data"

GOOD_PLAN = """
schema_version = 1
[plan]
id = "p"
year_start = "2027-01-01"
target_incentive = 50000
[[plan.components]]
id = "bookings"
measure = "bookings"
quota = 500000
tiers = [{ from = 0.0, rate = 0.1 }]
"""


def run(argv, capsys):
    status = main([str(part) for part in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_payouts_writes_statements_and_lines(tmp_path, capsys):
    status, out, err = run(
        [
            "payouts",
            "--plan",
            PLANS / "saas-ae.toml",
            "--plan",
            PLANS / "multi-measure.toml",
            "--credits",
            DATA / "credits.csv",
            "--roster",
            DATA / "roster.csv",
            "--out",
            tmp_path,
        ],
        capsys,
    )
    assert status == 0, err
    statements = pd.read_csv(tmp_path / "statements.csv")
    lines = pd.read_csv(tmp_path / "lines.csv")
    assert list(statements.columns[:9]) == [
        "rep_id",
        "period",
        "credited",
        "attainment",
        "earned",
        "draw_topup",
        "draw_recovery",
        "clawback",
        "paid",
    ]
    assert list(lines.columns[:5]) == ["rep_id", "period", "line", "basis", "amount"]
    assert set(statements["period"]) >= {"2027-Q1", "2027-01"}
    assert "Plan 'saas-ae'" in out and "Plan 'multi-measure'" in out
    by_period = lines.groupby(["rep_id", "period"])["amount"].sum().round(2)
    paid = statements.set_index(["rep_id", "period"])["paid"].round(2)
    pd.testing.assert_series_equal(by_period.sort_index(), paid.sort_index(), check_names=False)
    assert not list(tmp_path.glob(".spmopt-staging-*"))


def test_curve_writes_table_and_plot(tmp_path, capsys):
    status, out, _ = run(["curve", PLANS / "saas-ae.toml", "--out", tmp_path], capsys)
    assert status == 0
    table = pd.read_csv(tmp_path / "curve.csv")
    assert table["attainment"].iloc[0] == 0 and table["attainment"].iloc[-1] == 2.0
    assert {"incentive", "effective_rate", "cost_of_sales"} <= set(table.columns)
    # saas-ae by hand: TI 100k at quota 960k, marginal multipliers 1, 1.5 from 100%, 2 from 125%
    at = table.set_index("attainment")
    hand = {0.5: 50_000, 1.0: 100_000, 1.25: 137_500, 2.0: 137_500 + 2 * 0.75 * 100_000}
    for attainment, incentive in hand.items():
        assert at.loc[attainment, "incentive"] == pytest.approx(incentive)
    # cost of sales at quota: (base 100k + incentive 100k) / sales 960k
    assert at.loc[1.0, "cost_of_sales"] == pytest.approx(200_000 / 960_000)
    assert (tmp_path / "curve.png").stat().st_size > 10_000
    assert "100.0%" in out


def test_validate_accepts_every_shipped_plan(capsys):
    status, out, _ = run(["validate", *sorted(PLANS.glob("*.toml"))], capsys)
    assert status == 0
    assert out.count(": ok") == len(list(PLANS.glob("*.toml")))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("plan_text", "expected"),
    [
        (
            GOOD_PLAN.replace("quota = 500000", "quota = 500000\ncolour = 1"),
            "unknown key 'plan.components[0](id 'bookings').colour'",
        ),
        (
            GOOD_PLAN.replace("rate = 0.1", "rate = -0.1"),
            "tiers[0].rate: Input should be greater than or equal to 0",
        ),
        (GOOD_PLAN.replace("quota = 500000", "quota = 0"), "quota: Input should be greater than 0"),
        (
            GOOD_PLAN.replace(
                "{ from = 0.0, rate = 0.1 }",
                "{ from = 0.5, rate = 0.1 }, { from = 0.2, rate = 0.2 }",
            ),
            "tier starts must be strictly increasing",
        ),
        (
            GOOD_PLAN.replace("quota = 500000", "quota = 500000\nweight = 0.7"),
            "weights must sum to 1",
        ),
        (GOOD_PLAN.replace('year_start = "2027-01-01"', ""), "missing key 'plan.year_start'"),
        ("", "the plan file is empty"),
        ("schema_version = [", "not valid TOML"),
    ],
)
def test_bad_plan_exits_2_with_one_message(tmp_path, capsys, plan_text, expected):
    plan = write(tmp_path, "plan.toml", plan_text)
    status, out, err = run(["validate", plan], capsys)
    assert status == 2
    assert expected in err
    assert str(plan) in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("credits_text", "expected"),
    [
        ("rep_id,date,amount\na,2027-01-01,5\n", "missing column measure"),
        ("", "the file is empty"),
        ("rep_id,date,measure,amount\n", "no credit rows"),
        (
            "rep_id,date,measure,amount\na,2027-01-01,bookings,5\na,2027-02-30,bookings,5\n",
            "line 3: date '2027-02-30' is not a date",
        ),
        (
            "rep_id,date,measure,amount\na,2027-01-01,bookings,five\n",
            "line 2: amount 'five' is not a number",
        ),
        (
            "rep_id,date,measure,amount\na,2027-01-01,units,5\n",
            "line 2: measure 'units' is not paid by plan 'p'",
        ),
    ],
)
def test_bad_credits_exit_2_and_leave_no_output(tmp_path, capsys, credits_text, expected):
    plan = write(tmp_path, "plan.toml", GOOD_PLAN)
    credits = write(tmp_path, "credits.csv", credits_text)
    out_dir = tmp_path / "out"
    status, _, err = run(
        ["payouts", "--plan", plan, "--credits", credits, "--out", out_dir], capsys
    )
    assert status == 2
    assert expected in err and "credits.csv" in err
    assert not (out_dir / "statements.csv").exists()


def test_missing_file_and_usage_errors(tmp_path, capsys):
    status, _, err = run(["validate", tmp_path / "nope.toml"], capsys)
    assert status == 2 and "file not found" in err
    with pytest.raises(SystemExit) as exit_info:
        main(["payouts", "--plan"])
    assert exit_info.value.code == 2


def test_console_script_runs_as_a_module():
    completed = subprocess.run(
        [sys.executable, "-m", "spmopt", "validate", str(PLANS / "saas-ae.toml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert "ok" in completed.stdout


def test_simulate_streams_the_same_table_as_the_python_api(tmp_path, capsys):
    import spmopt

    status, out, err = run(
        [
            "simulate",
            ROOT / "scenarios" / "field-sales.toml",
            "--replications",
            "3",
            "--out",
            tmp_path,
            "--quiet",
        ],
        capsys,
    )
    assert status == 0, err
    table = pd.read_parquet(tmp_path / "rep_periods.parquet")
    direct = spmopt.simulate(ROOT / "scenarios" / "field-sales.toml", replications=3)
    assert len(table) == len(direct.rep_periods) == 80 * 12 * 3
    summary = pd.read_csv(tmp_path / "summary.csv").set_index("metric")["mean"]
    expected = direct.summary().set_index("metric")["mean"]
    pd.testing.assert_series_equal(summary, expected, check_names=False, rtol=1e-9)
    assert (tmp_path / "bookings_by_month.png").exists() and "profit" in out


def test_simulate_rejects_an_unknown_plan_name(tmp_path, capsys):
    status, _, err = run(
        [
            "simulate",
            ROOT / "scenarios" / "field-sales.toml",
            "--plan",
            "nope",
            "--out",
            tmp_path,
            "--quiet",
        ],
        capsys,
    )
    assert status == 2 and "no plan named 'nope'" in err
    assert not (tmp_path / "summary.csv").exists()


def test_validate_checks_scenarios_before_any_simulation(tmp_path, capsys):
    status, out, _ = run(["validate", *sorted((ROOT / "scenarios").glob("*.toml"))], capsys)
    assert status == 0 and out.count("ok — scenario") == 4
    bad = tmp_path / "bad.toml"
    bad.write_text(
        (ROOT / "scenarios" / "field-sales.toml")
        .read_text()
        .replace("seed = 31", "seed = 31\nyears = 99")
    )
    status, _, err = run(["validate", bad], capsys)
    assert status == 2 and "years" in err
