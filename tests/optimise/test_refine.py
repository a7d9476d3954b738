"""The search beyond the lever grid (spmopt/optimise/refine.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from spmopt.cli import main
from spmopt.errors import SpmoptInputError
from spmopt.optimise.pipeline import optimise
from spmopt.optimise.refine import check_resolution, lever_resolution, refinable_levers
from spmopt.plan.plan import Plan

# Holmström–Milgrom segment: linear plan paying β·S with β = 0.1 × the rate multiple m, sales
# S = h + k·e + ε, ε ~ N(0, σ²), effort cost c·e²/2, CARA risk aversion r, base set so that the
# certainty equivalent equals the outside option (participation lever).
REPS, REPLICATIONS = 100, 50
RESOLUTION = 0.25  # in rate multiples: 0.025 in β
HOLMSTROM_MILGROM = f"""
schema_version = 1
[scenario]
id = "hm"
seed = 11
replications = 30

[plans.linear]
plan = {{ schema_version = 1, plan = {{ id = "linear", year_start = "2027-01-01", payout_frequency = "year", base_salary = 0, target_incentive = 1, components = [ {{ id = "sales", measure = "bookings", quota = 1000000, basis = "amount", tiers = [ {{ from = 0, rate = 0.1 }} ] }} ] }} }}

[segments.reps]
plan = "linear"
gross_margin = 1.0
technology = {{ kind = "normal", sigma = 100000 }}
reps = {{ count = {REPS}, base_sales = 1000000, effectiveness = 100000, effort_cost = 100000, risk_aversion = 0.00001, outside_option = 800000, tenure_months = 36 }}

[behaviour]
effort = {{ model = "static" }}

[optimise]
replications = {REPLICATIONS}
validation_replications = 30
participation = true
resolution = {RESOLUTION}
refine_budget = 40
levers = {{ rate = [2.0, 3.0], base_salary = "participation" }}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    return path


def test_refinement_reaches_the_holmstrom_milgrom_rate_from_a_grid_that_excludes_it(tmp_path):
    """β* = 1 / (1 + r·c·σ²/k²) (docs/behaviour.md; the static best response e = β·k/c) with the
    base paying the outside option: the firm's profit per rep is h + k·e − c·e²/2 − r·β²σ²/2 − ū,
    and with r = 1e-5, c = 1e5, σ = 1e5, k = 1e5 that is β* = 0.5, a rate multiple m* = 5. The
    grid {2, 3} excludes it (its best point is its edge, 3).

    On common random numbers the simulated profit per rep is the same quadratic plus (1 − β)·ε̄,
    ε̄ the mean noise over reps and replications (sd σ/√(N·R) = 1e5/√5000 = 1,414), so its
    maximiser is β̂ = β* − ε̄/(2·1e5): sd 0.0071 in β, 0.071 in m. The search ends within the
    resolution 0.25 of β̂'s multiple (its last neighbours, ± 0.25, lost); the tolerance is the
    resolution plus 4 sd of β̂ (false-failure rate 6e-5). Without refinement the choice is the
    grid's edge, m = 3, 2 away.
    """
    result = optimise(write(tmp_path, HOLMSTROM_MILGROM), validate=False)
    multiple = result.plans["reps"].components[0].tiers[0].rate / 0.1
    assert abs(multiple - 5.0) <= RESOLUTION + 4 * 0.071
    assert result.refinement_status == "converged"
    rounds = result.refinement
    assert rounds["round"].iloc[0] == 0 and rounds["value"].iloc[0] == 3.0
    last = rounds.iloc[-1]
    assert last["action"] == "converged" and last["step"] <= RESOLUTION
    assert last["simulation_runs"] <= 3 + 40
    # the programme's objective on the common random numbers never falls from round to round
    objective = rounds.groupby("round")["objective"].first()
    assert objective.is_monotonic_increasing


def test_refinement_off_keeps_the_grid_choice(tmp_path):
    result = optimise(write(tmp_path, HOLMSTROM_MILGROM), validate=False, refine=False)
    assert result.plans["reps"].components[0].tiers[0].rate == pytest.approx(0.3)
    assert result.refinement.empty and result.refinement_status == "off"


def test_budget_stops_the_search(tmp_path):
    text = HOLMSTROM_MILGROM.replace("refine_budget = 40", "refine_budget = 1")
    result = optimise(write(tmp_path, text), validate=False)
    assert result.refinement_status == "budget"
    # the grid's 3 runs (incumbent m = 1, then 2 and 3) and the one run the budget allows
    assert result.refinement["simulation_runs"].max() == 3 + 1


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("resolution = 0", "optimise.resolution"),
        ("resolution = -0.1", "optimise.resolution"),
        ('resolution = "fine"', "optimise.resolution"),
        ("resolution = { rate = 0 }", "optimise.resolution.rate"),
        ("resolution = { tiers = 0.1 }", "optimise.resolution.tiers"),
        ("refine_budget = -1", "optimise.refine_budget"),
        ("refine_budget = 2.5", "optimise.refine_budget"),
        ('refine = "yes"', "optimise.refine"),
    ],
)
def test_bad_refinement_options_exit_2_naming_the_key(tmp_path, capsys, line, key):
    old = "refine_budget = 40" if line.startswith("refine_budget") else f"resolution = {RESOLUTION}"
    text = HOLMSTROM_MILGROM.replace(old, line)
    code = main(["optimise", str(write(tmp_path, text)), "--out", str(tmp_path / "out")])
    assert code == 2
    assert key in capsys.readouterr().err


def test_bad_resolution_on_the_command_line_exits_2(tmp_path, capsys):
    path = write(tmp_path, HOLMSTROM_MILGROM)
    with pytest.raises(SystemExit) as stop:
        main(["optimise", str(path), "--out", str(tmp_path / "out"), "--resolution", "0"])
    assert stop.value.code == 2
    assert "--resolution" in capsys.readouterr().err


def test_resolutions_by_lever():
    plan = Plan.from_dict(
        {
            "schema_version": 1,
            "plan": {
                "id": "p",
                "year_start": "2027-01-01",
                "base_salary": 60000,
                "target_incentive": 40000,
                "components": [
                    {
                        "id": "c",
                        "measure": "bookings",
                        "quota": 1e6,
                        "tiers": [{"from": 0, "rate": 0.1}],
                    }
                ],
            },
        }
    )
    assert lever_resolution("rate", 0.02, plan) == 0.02
    assert lever_resolution("bonus_amount", 0.02, plan) == pytest.approx(2000.0)
    assert lever_resolution("bonus_amount", {"bonus_amount": 500}, plan) == 500
    assert lever_resolution("quota", {"bonus_amount": 500}, plan) == 0.01
    with pytest.raises(SpmoptInputError, match="optimise.resolution"):
        check_resolution(float("inf"))


def test_refinable_levers_are_lists_of_two_or_more_numbers():
    levers = {"rate": [0.8, 1.2], "quota": [1.0], "cap": [0, 1.5], "base_salary": "participation"}
    assert refinable_levers(levers) == ("rate", "cap")


def test_moves_stay_inside_each_levers_domain():
    """A move across a closed bound stops at it, across an open one halfway to it; no cap
    (cap = 0) is a category and is never moved."""
    from spmopt.optimise.refine import _moves, _Search

    levers = ("quota", "rate", "pay_mix", "cap")
    search = _Search(
        segment="s",
        plan=None,
        grid_keys=levers,
        participation=False,
        levers=levers,
        resolutions=dict.fromkeys(levers, 0.01),
        grids={},
        rate_tables={},
        settings={"quota": 0.05, "rate": 0.05, "pay_mix": 0.95, "cap": 0.0},
        steps={"quota": 0.1, "rate": 0.1, "pay_mix": 0.1, "cap": 0.5},
    )
    moved = {(lever, move[lever]) for move in _moves(search) for lever in levers}
    moved -= {(lever, search.settings[lever]) for lever in levers}
    assert moved == {
        ("quota", 0.025),
        ("quota", 0.15),
        ("rate", 0.0),
        ("rate", 0.15),
        ("pay_mix", 0.85),
        ("pay_mix", 0.975),
    }
