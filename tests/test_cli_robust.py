"""The ``spmopt`` command on the inputs a new user got wrong (issue 14): exit status 2 and one
message, never a traceback, a wrapped-round number or a half-written ``--out``."""

from __future__ import annotations

from pathlib import Path

import pytest

from spmopt.cli import main

ROOT = Path(__file__).resolve().parents[1]
PLANS = ROOT / "scenarios" / "plans"
SCENARIOS = ROOT / "scenarios"


def run(argv, capsys):
    status = main([str(part) for part in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


# ------------------------------------------------------------------------- payouts: amount range
@pytest.mark.parametrize("amount", ["9.3e16", "-9.3e16", "2e12"])
def test_payouts_refuses_amounts_beyond_the_cents_range(tmp_path, capsys, amount):
    credits = tmp_path / "credits.csv"
    credits.write_text(
        f"rep_id,date,measure,amount\nR001,2027-01-04,bookings,100\nR001,2027-02-04,bookings,{amount}\n"
    )
    out = tmp_path / "out"
    status, stdout, err = run(
        ["payouts", "--plan", PLANS / "saas-ae.toml", "--credits", credits, "--out", out], capsys
    )
    assert status == 2
    assert f"{credits}: line 3: amount" in err and "outside the supported range" in err
    assert "Traceback" not in err and not out.exists()


def test_payouts_refuses_a_rep_total_beyond_the_cents_range(tmp_path, capsys):
    credits = tmp_path / "credits.csv"
    rows = "".join(f"R001,2027-01-{day:02d},bookings,9e11\n" for day in range(1, 13))
    credits.write_text("rep_id,date,measure,amount\n" + rows)
    status, _, err = run(
        [
            "payouts",
            "--plan",
            PLANS / "saas-ae.toml",
            "--credits",
            credits,
            "--out",
            tmp_path / "o",
        ],
        capsys,
    )
    assert status == 2 and "line 13: rep 'R001'" in err
