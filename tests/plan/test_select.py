"""Running the shipped plans on the shipped credits, as scenarios/plans/README.md promises:
``spmopt payouts`` selects the reps (roster plan_id) or credits (measure) a plan pays."""

from __future__ import annotations

import pandas as pd
import pytest

from spmopt.cli import main

DATA = "scenarios/data"


def _payouts(tmp_path, plan, *extra, roster=True):
    out = tmp_path / "out"
    args = ["payouts", "--plan", f"scenarios/plans/{plan}.toml", "--credits"]
    args += [f"{DATA}/credits.csv", "--out", str(out), "--show", "1", *extra]
    if roster:
        args += ["--roster", f"{DATA}/roster.csv"]
    return main(args), out


@pytest.mark.parametrize(
    ("plan", "extra", "reps"),
    [
        ("saas-ae", ["--select", "roster"], 24),
        ("multi-measure", ["--select", "roster"], 16),
        ("capped-decelerator", ["--reps-of", "saas-ae"], 24),
        ("bonus-based", ["--reps-of", "saas-ae"], 24),
    ],
)
def test_each_shipped_plan_runs_on_the_shipped_data(tmp_path, capsys, plan, extra, reps):
    status, out = _payouts(tmp_path, plan, *extra)
    assert status == 0, capsys.readouterr().err
    statements = pd.read_csv(out / "statements.csv")
    assert statements["rep_id"].nunique() == reps
    assert "left out" in capsys.readouterr().out


def test_select_measure_leaves_out_unpaid_measures_and_says_so(tmp_path, capsys):
    """Without a roster the saas-ae plan pays every rep's bookings; the renewals and margin rows
    of the multi-measure reps are left out, with their count and amount printed."""
    status, out = _payouts(tmp_path, "saas-ae", "--select", "measure", roster=False)
    assert status == 0
    printed = capsys.readouterr().out
    credits = pd.read_csv(f"{DATA}/credits.csv")
    unpaid = credits[credits["measure"] != "bookings"]
    assert f"{len(unpaid)} credits on measures" in printed
    statements = pd.read_csv(out / "statements.csv")
    booked = credits[credits["measure"] == "bookings"]
    assert statements["rep_id"].nunique() == booked["rep_id"].nunique()


def test_selection_is_opt_in_and_misuse_exits_2(tmp_path, capsys):
    """By default a credit no plan pays is still an error (a misspelt measure must not vanish);
    --reps-of needs one plan; a plan no rep is on names the roster's plan ids."""
    status, out = _payouts(tmp_path, "saas-ae")
    assert status == 2 and not out.exists()
    assert "plan_id 'multi-measure'" in capsys.readouterr().err
    status, out = _payouts(tmp_path, "capped-decelerator", "--select", "roster")
    assert status == 2 and not out.exists()
    assert "--reps-of" in capsys.readouterr().err
    args = ["payouts", "--plan", "scenarios/plans/saas-ae.toml", "--plan"]
    args += ["scenarios/plans/multi-measure.toml", "--credits", f"{DATA}/credits.csv"]
    args += ["--roster", f"{DATA}/roster.csv", "--reps-of", "saas-ae", "--out", str(out)]
    assert main(args) == 2
    assert "one --plan" in capsys.readouterr().err
