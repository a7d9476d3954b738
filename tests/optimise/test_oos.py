"""After the choice: MILP options checked up front, out-of-sample figures, constraint safety,
the frontier's infeasible budgets, and the optimiser's up-front estimate."""

from __future__ import annotations

import pytest

from spmopt.cli import main
from spmopt.errors import SpmoptInputError
from spmopt.optimise import pipeline
from spmopt.optimise.pipeline import optimise
from tests.optimise.test_pipeline import HOLMSTROM_MILGROM, write


def _no_simulation(*args, **kwargs):
    raise AssertionError("simulated before the options were checked")


def test_milp_without_gap_or_time_limit_stops_before_any_simulation(tmp_path, monkeypatch, capsys):
    path = write(tmp_path, HOLMSTROM_MILGROM)
    monkeypatch.setattr(pipeline, "_run", _no_simulation)
    with pytest.raises(SpmoptInputError, match="time limit"):
        optimise(path, mode="milp", gap_rel=0.001)
    with pytest.raises(SpmoptInputError, match="gap"):
        optimise(path, mode="milp", time_limit_s=10)
    status = main(["optimise", str(path), "--out", str(tmp_path / "out"), "--mode", "milp"])
    assert status == 2
    assert "--gap" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_milp_runs_with_gap_and_time_limit_from_the_command_line(tmp_path, capsys):
    path = write(tmp_path, HOLMSTROM_MILGROM)
    out = tmp_path / "out"
    argv = ["optimise", str(path), "--out", str(out), "--quiet", "--mode", "milp"]
    status = main([*argv, "--gap", "0.001", "--time-limit", "30"])
    assert status == 0, capsys.readouterr().err
    assert "Programme: " in capsys.readouterr().out
    assert (out / "choice.csv").exists()
