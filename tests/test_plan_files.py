"""``--plan-file`` on simulate and compare: plan files without a scenario entry, per segment."""

from __future__ import annotations

import pandas as pd
import pytest

import spmopt
from spmopt.cli import main
from spmopt.errors import SpmoptInputError
from spmopt.run.plan_files import combine_plan_files, parse_plan_file


def _plan(plan_id: str, rate: float) -> str:
    return f"""
schema_version = 1
[plan]
id = "{plan_id}"
year_start = "2027-01-01"
target_incentive = {rate * 1_000_000}
[[plan.components]]
id = "bookings"
measure = "bookings"
quota = 1000000
tiers = [{{ from = 0.0, rate = {rate} }}]
"""


SCENARIO = """
schema_version = 1
[scenario]
id = "two-segments"
year_start = "2027-01-01"
seed = 3
replications = 2
[plans]
own = { path = "own.toml" }
[segments.a]
plan = "own"
technology = { kind = "normal", sigma = 100000 }
reps = { count = 2, base_sales = 800000, effectiveness = 100000, effort_cost = 50000 }
[segments.b]
plan = "own"
technology = { kind = "normal", sigma = 100000 }
reps = { count = 2, base_sales = 900000, effectiveness = 100000, effort_cost = 50000 }
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "own.toml").write_text(_plan("own", 0.10))
    (tmp_path / "high.toml").write_text(_plan("high", 0.15))
    (tmp_path / "scenario.toml").write_text(SCENARIO)
    return tmp_path


def test_segment_assignment_puts_only_that_segment_on_the_file(folder):
    scenario = spmopt.Scenario.load(folder / "scenario.toml")
    plan = parse_plan_file(f"b={folder / 'high.toml'}", scenario)
    model = scenario.model(plan)
    assert {name: s.plan.id for name, s in model.segments.items()} == {"a": "own", "b": "high"}
    every = combine_plan_files([str(folder / "high.toml")], scenario)
    assert {s.plan.id for s in scenario.model(every).segments.values()} == {"high"}
    with pytest.raises(SpmoptInputError, match="no segment 'c'"):
        parse_plan_file(f"c={folder / 'high.toml'}", scenario)
    with pytest.raises(SpmoptInputError, match="two --plan-file values without a segment"):
        combine_plan_files([str(folder / "high.toml")] * 2, scenario)


def test_simulate_and_compare_take_plan_files(folder, capsys):
    scenario, high = str(folder / "scenario.toml"), str(folder / "high.toml")
    out = folder / "sim"
    args = ["simulate", scenario, "--plan-file", f"b={high}", "--out", str(out)]
    assert main([*args, "--quiet", "--no-plot", "--format", "csv"]) == 0
    printed = capsys.readouterr().out
    assert "Plans by segment: a: own, b: high" in printed
    rows = pd.read_csv(out / "rep_periods.csv")
    assert set(rows["plan_id"]) == {"own+high"}
    out = folder / "cmp"
    args = ["compare", scenario, "--plans", "own", "--plan-file", high, "--out", str(out)]
    assert main([*args, "--quiet"]) == 0
    table = pd.read_csv(out / "comparison.csv")
    assert list(table["plan_id"]) == ["own", "high"]
    assert (
        main(["simulate", scenario, "--plan", "own", "--plan-file", high, "--out", str(out)]) == 2
    )
    assert "not both" in capsys.readouterr().err
