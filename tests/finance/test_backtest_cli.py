"""``spmopt backtest`` on the shipped data, and its bad-input contract (exit 2, one message,
nothing written)."""

from __future__ import annotations

import pandas as pd

from spmopt.cli import main

PLANS = "scenarios/plans"
DATA = "scenarios/data"


def _args(old, new, out, *extra):
    return [
        "backtest",
        "--plan",
        f"{PLANS}/{old}.toml",
        "--plan",
        f"{PLANS}/{new}.toml",
        "--credits",
        f"{DATA}/credits.csv",
        "--roster",
        f"{DATA}/roster.csv",
        "--out",
        str(out),
        *extra,
    ]


def test_backtest_writes_tables_and_figure(tmp_path, capsys):
    out = tmp_path / "bt"
    assert main(_args("saas-ae", "capped-decelerator", out, "--show", "3")) == 0
    printed = capsys.readouterr().out
    assert "Winners and losers" in printed
    reps = pd.read_csv(out / "backtest_reps.csv")
    assert len(reps) == 24
    assert (out / "pay_change.png").stat().st_size > 0
    assert (out / "statements_saas-ae.csv").is_file()


def test_plans_that_do_not_fit_the_credits_exit_2(tmp_path, capsys):
    """multi-measure pays on renewals and margin, which the saas-ae reps' credits lack."""
    out = tmp_path / "bt"
    assert main(_args("saas-ae", "multi-measure", out)) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "multi-measure" in error and "renewals" in error
    assert not out.exists()


def test_unwritable_out_and_wrong_plan_count_exit_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert main(_args("saas-ae", "bonus-based", blocker / "out")) == 2
    assert "is a file" in capsys.readouterr().err
    args = _args("saas-ae", "bonus-based", tmp_path / "bt")
    args[3:5] = []  # one --plan only
    assert main(args) == 2
    assert "exactly twice" in capsys.readouterr().err
    assert not (tmp_path / "bt").exists()
