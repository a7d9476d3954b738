"""The in-year monitoring commands: ``payouts --as-of``, ``accrue``, ``forecast``."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from spmopt.cli import main

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "scenarios" / "plans"
DATA = ROOT / "scenarios" / "data"


def run(argv, capsys):
    status = main([str(part) for part in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_payouts_as_of_writes_statements_to_date_and_positions(tmp_path, capsys):
    argv = ["payouts", "--plan", PLANS / "saas-ae.toml", "--plan", PLANS / "multi-measure.toml"]
    argv += ["--credits", DATA / "credits.csv", "--roster", DATA / "roster.csv"]
    status, out, err = run([*argv, "--out", tmp_path, "--as-of", "2027-06-30"], capsys)
    assert status == 0, err
    statements = pd.read_csv(tmp_path / "statements.csv")
    position = pd.read_csv(tmp_path / "position.csv")
    assert set(statements["period"]) <= {"2027-Q1", "2027-Q2", *[f"2027-0{m}" for m in range(1, 7)]}
    assert len(position) == 40 and (position["as_of"] == "2027-06-30").all()
    assert "of reps at or above quota to date" in out and "credit rows dated after" in out
    status, _, err = run([*argv, "--out", tmp_path / "x", "--as-of", "2028-02-01"], capsys)
    assert status == 2 and "outside plan" in err
    with pytest.raises(SystemExit) as exit_info:
        main([str(part) for part in [*argv, "--out", tmp_path / "y", "--as-of", "June"]])
    assert exit_info.value.code == 2 and "YYYY-MM-DD" in capsys.readouterr().err


def test_accrue_writes_accruals_waterfall_and_journal(tmp_path, capsys):
    argv = ["accrue", "--plan", PLANS / "saas-ae.toml", "--plan", PLANS / "multi-measure.toml"]
    argv += ["--credits", DATA / "credits.csv", "--roster", DATA / "roster.csv"]
    argv += ["--amortisation-months", "36", "--xlsx", "--out", tmp_path]
    status, out, err = run(argv, capsys)
    assert status == 0, err
    for name in ("accruals.csv", "accrual_summary.csv", "amortisation.csv", "journal.csv"):
        assert (tmp_path / name).exists()
    assert (tmp_path / "accruals.xlsx").exists()
    accruals = pd.read_csv(tmp_path / "accruals.csv")
    assert set(accruals["method"]) == {"rate", "expected"} and accruals["month"].nunique() == 12
    assert "Year complete" in out and "capitalised" in out
    status, _, err = run([*argv[:-1], tmp_path / "bad", "--as-of", "2026-01-01"], capsys)
    assert status == 2 and "outside plan" in err


def test_forecast_writes_rep_and_total_tables(tmp_path, capsys):
    argv = ["forecast", "--plan", PLANS / "saas-ae.toml", "--plan", PLANS / "multi-measure.toml"]
    argv += ["--credits", DATA / "credits.csv", "--roster", DATA / "roster.csv"]
    argv += ["--as-of", "2027-06-30", "--replications", "50", "--out", tmp_path]
    status, out, err = run(argv, capsys)
    assert status == 0, err
    reps = pd.read_csv(tmp_path / "forecast_reps.csv")
    totals = pd.read_csv(tmp_path / "forecast_totals.csv")
    assert len(reps) == 40 and list(totals["plan_id"]) == ["saas-ae", "multi-measure", "all"]
    assert (reps["payout_p10"] <= reps["payout_p90"]).all()
    assert "P(over budget)" in out
    status, _, err = run([*argv[:-2], "--out", tmp_path / "end", "--as-of", "2027-12-31"], capsys)
    assert status == 2 and "nothing is left" in err


def test_forecast_replays_last_year(tmp_path, capsys):
    """Last year's credits = this year's full-year credits one year earlier, for R001–R010: the
    replay of R002–R010 is their actual year (the earnings of the full-year statements); R001's
    last-year quota is half this year's, so its second half counts twice; the others fall back
    to their run rate."""
    import spmopt

    credits = pd.read_csv(DATA / "credits.csv")
    last = credits[credits["rep_id"].isin([f"R{i:03d}" for i in range(1, 11)])].copy()
    last["date"] = last["date"].str.replace("2027-", "2026-")
    last.to_csv(tmp_path / "last.csv", index=False)
    pd.DataFrame({"rep_id": ["R001"], "quota": [600_000]}).to_csv(tmp_path / "lr.csv", index=False)
    plans = [PLANS / "saas-ae.toml", PLANS / "multi-measure.toml"]
    argv = ["forecast", "--plan", plans[0], "--plan", plans[1], "--credits", DATA / "credits.csv"]
    argv += ["--roster", DATA / "roster.csv", "--as-of", "2027-06-30", "--replications", "20"]
    argv += ["--last-year", tmp_path / "last.csv", "--last-year-roster", tmp_path / "lr.csv"]
    status, out, err = run([*argv, "--out", tmp_path / "out"], capsys)
    assert status == 0, err
    assert "replay of last year" in out and "no credits last year" in out
    reps = pd.read_csv(tmp_path / "out" / "forecast_reps.csv").set_index("rep_id")
    assert set(reps.index[reps["replay_basis"] == "last_year"]) == {
        f"R{i:03d}" for i in range(1, 11)
    }
    rest = reps["replay_basis"] == "run_rate"
    assert (reps.loc[rest, "replay_payout"] == reps.loc[rest, "run_rate_payout"]).all()
    roster = spmopt.read_roster(DATA / "roster.csv")
    both = [spmopt.Plan.load(path) for path in plans]
    year = spmopt.statements(both, spmopt.read_credits(DATA / "credits.csv"), roster)
    earned = year.summary().set_index("rep_id")["earned"]
    mine = [f"R{i:03d}" for i in range(2, 11)]
    assert reps.loc[mine, "replay_payout"].to_numpy() == pytest.approx(
        earned.loc[mine].to_numpy(), abs=0.01
    )
    assert reps.loc["R001", "replay_attainment"] > reps.loc["R001", "attainment_ytd"] + 0.5


def test_forecast_with_behaviour(tmp_path, capsys):
    """--behaviour: the saas-ae plan's reps respond through the scenario's dynamic policy (a
    rate factor per rep); the multi-measure plan stays statistical (no factor)."""
    argv = ["forecast", "--plan", PLANS / "saas-ae.toml", "--plan", PLANS / "multi-measure.toml"]
    argv += ["--credits", DATA / "credits.csv", "--roster", DATA / "roster.csv"]
    argv += ["--as-of", "2027-06-30", "--replications", "20"]
    argv += ["--behaviour", ROOT / "scenarios" / "saas-ae.toml", "--out", tmp_path]
    status, out, err = run(argv, capsys)
    assert status == 0, err
    assert "rate ×" in out
    reps = pd.read_csv(tmp_path / "forecast_reps.csv")
    saas = reps["plan_id"] == "saas-ae"
    assert reps.loc[saas, "behaviour_factor"].notna().all()
    assert reps.loc[~saas, "behaviour_factor"].isna().all()
