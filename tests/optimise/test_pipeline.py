"""The whole optimiser pipeline: simulate candidates → LP → plans → re-simulation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import spmopt
from spmopt.cli import main
from spmopt.errors import SpmoptInputError, SpmoptNoSolutionError
from spmopt.optimise import pipeline
from spmopt.optimise.constraints import RepParticipation, below_outside_option
from spmopt.optimise.pipeline import OptimiseOptions, constraints_from, optimise
from spmopt.run.simulation import as_scenario

HOLMSTROM_MILGROM = """
schema_version = 1
[scenario]
id = "hm"
seed = 11
replications = 30

[plans.linear]
plan = { schema_version = 1, plan = { id = "linear", year_start = "2027-01-01", payout_frequency = "year", base_salary = 0, target_incentive = 1, components = [ { id = "sales", measure = "bookings", quota = 1000000, basis = "amount", tiers = [ { from = 0, rate = 0.1 } ] } ] } }

[segments.reps]
plan = "linear"
gross_margin = 1.0
technology = { kind = "normal", sigma = 100000 }
reps = { count = 100, base_sales = 1000000, effectiveness = 100000, effort_cost = 100000, risk_aversion = 0.00001, outside_option = 800000, tenure_months = 36 }

[behaviour]
effort = { model = "static" }

[optimise]
replications = 30
validation_replications = 30
participation = true
refine_budget = 6   # the search beyond the grid runs, briefly (it is tested in test_refine.py)
levers = { rate = [3.0, 4.0, 5.0, 6.0, 7.0], base_salary = "participation" }
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text)
    return path


def test_full_pipeline_recovers_the_holmstrom_milgrom_rate(tmp_path):
    """Holmström–Milgrom: S = h + k·e + ε, ε ~ N(0, σ²), pay = base + β·S, cost c·e²/2, CARA r.

    The rep's best response is e = β·k/c and CE = base + β·(h + k·e) − c·e²/2 − r·β²·σ²/2. With
    base set so that CE equals the outside option ū = 800,000 (participation binds; ū exceeds
    the incentive's own CE on the whole grid, so the base is positive), the firm's expected
    profit per rep is h + k·e − c·e²/2 − r·β²·σ²/2 − ū, maximised at
    β* = 1 / (1 + r·c·σ²/k²) = 1 / (1 + 1e-5·1e5·1e10/1e10) = 0.5.
    On the grid β ∈ {0.3, …, 0.7} profit per rep is 1e5·(β − β²) − ū + h: 25,000 at β = 0.5 and
    24,000 at its neighbours, 1,000 apart; with common random numbers the noise of a profit
    difference per rep is σ·Δβ/√(100·30) ≈ 183, so picking a neighbour is a > 5σ event
    (false-failure rate < 1e-7).
    """
    # the grid's choice (the search beyond the grid is tested in test_refine.py)
    result = optimise(write(tmp_path, HOLMSTROM_MILGROM), validate=False, refine=False)
    chosen = result.plans["reps"]
    assert chosen.components[0].tiers[0].rate == pytest.approx(0.5)
    expected_base = 800000 - (0.5 * (1e6 + 1e5 * 0.5) - 1e5 * 0.25 / 2 - 1e-5 * 0.25 * 1e10 / 2)
    assert chosen.base_salary == pytest.approx(expected_base, abs=1.0)


def test_optimum_is_never_worse_than_the_incumbent_and_validates(tmp_path):
    text = HOLMSTROM_MILGROM.replace("rate = [3.0, 4.0, 5.0, 6.0, 7.0], ", "rate = [0.5, 2.0], ")
    result = optimise(write(tmp_path, text))
    responses = result.responses
    profit = responses["margin"] - responses["incentive_cost"] - responses["base_cost"]
    incumbent = profit[responses["candidate"] == "incumbent"].iloc[0]
    assert result.solution.objective >= incumbent - 1e-6
    validation = result.validation.set_index(["configuration", "metric"])
    # predicted and re-simulated profit agree within 4 combined standard errors (false-failure
    # rate 6e-5 per check)
    for configuration in ("incumbent", "optimised"):
        row = validation.loc[(configuration, "profit")]
        assert abs(row["z"]) <= 4


def test_infeasible_budget_names_the_constraints(tmp_path, capsys):
    text = HOLMSTROM_MILGROM + "\n[finance]\ncomp_budget = 1000\n"
    with pytest.raises(SpmoptNoSolutionError, match="budget"):
        optimise(write(tmp_path, text), validate=False)
    status = main(
        ["optimise", str(write(tmp_path, text)), "--out", str(tmp_path / "out"), "--quiet"]
    )
    assert status == 3
    assert "budget" in capsys.readouterr().err
    assert not (tmp_path / "out" / "choice.csv").exists()


def test_cli_writes_plans_that_payouts_accepts(tmp_path, capsys):
    out = tmp_path / "out"
    status = main(
        ["optimise", str(write(tmp_path, HOLMSTROM_MILGROM)), "--out", str(out), "--quiet"]
    )
    assert status == 0, capsys.readouterr().err
    plans = sorted((out / "plans").glob("*.toml"))
    assert plans and all(spmopt.Plan.load(path).id for path in plans)
    for name in ("choice.csv", "responses.csv", "validation.csv", "model.lp", "shadow_prices.csv"):
        assert (out / name).stat().st_size > 0
    text = capsys.readouterr().out
    assert "Chosen plans" in text and "re-simulated" in text and "Search beyond the grid" in text
    assert (out / "refinement.csv").stat().st_size > 0
    # identical reps whose base makes CE equal the outside option: none is below it
    assert "below their own outside option: 0.0% incumbent, 0.0% optimised" in text
    for name in ("choice.csv", "responses.csv"):
        header = (out / name).read_text().splitlines()[0].split(",")
        assert "share_below_outside_option" in header, name
    assert np.isfinite(spmopt.Plan.load(plans[0]).annual_payout(1.0))


def test_participation_lever_and_the_share_of_reps_below_their_own_outside_option(tmp_path):
    """Holmström–Milgrom reps identical but for their outside options ū_i ~ N(800k, 20k): every
    rep has the same CE, and the participation lever sets the base so that it equals the mean
    ū. So each candidate (a) meets the segment-mean participation row (CE = mean ū up to
    floating point, within the relative tolerance), and (b) leaves exactly the reps with
    ū_i > mean ū below their own outside option: the share is counted from the population
    alone, independently of the best response."""
    text = HOLMSTROM_MILGROM.replace(
        "outside_option = 800000", "outside_option = { dist = 'normal', mean = 800000, sd = 20000 }"
    ).replace("count = 100", "count = 40")
    scenario = as_scenario(write(tmp_path, text))
    options = OptimiseOptions.from_scenario(scenario)
    made = pipeline._segment_candidates(scenario, options)
    outside = scenario.population.frame["outside_option"].to_numpy()
    mean = outside.mean()
    for candidate in made["reps"]:
        ce, below = pipeline._certainty_equivalents(
            scenario, {"reps": candidate}, "segment", ["reps"]
        )
        assert ce[0] == pytest.approx(mean, rel=1e-12), candidate.id
        assert not below_outside_option(ce[0], mean), candidate.id
        assert below[0] == pytest.approx(np.mean(outside > mean), abs=1e-12), candidate.id
    assert 0.3 < np.mean(outside > mean) < 0.7


def test_rep_participation_option_from_the_scenario(tmp_path):
    """``[optimise] rep_participation``: a share, or a table with max_share and per_unit."""
    for value, expected in (
        ("0.1", RepParticipation(0.1)),
        ("{ max_share = 0.2, per_unit = true }", RepParticipation(0.2, per_unit=True)),
    ):
        text = HOLMSTROM_MILGROM.replace(
            "participation = true", f"participation = true\nrep_participation = {value}"
        )
        scenario = as_scenario(write(tmp_path, text))
        options = OptimiseOptions.from_scenario(scenario)
        assert constraints_from(scenario, options).rep_participation == expected
    text = HOLMSTROM_MILGROM.replace(
        "participation = true", "participation = true\nrep_participation = 1.5"
    )
    with pytest.raises(SpmoptInputError, match="optimise.rep_participation"):
        OptimiseOptions.from_scenario(as_scenario(write(tmp_path, text)))


def test_per_rep_choice_writes_a_roster_and_re_simulates(tmp_path):
    """One plan per rep: every rep gets a plan, the roster maps reps to plan files, and the
    chosen mix is re-simulated (reps as sub-segments by chosen plan)."""
    text = HOLMSTROM_MILGROM.replace("participation = true", 'participation = true\nunit = "rep"')
    text = text.replace("count = 100", "count = 20")
    result = optimise(write(tmp_path, text))
    assert len(result.plans) == 20
    written = result.write(tmp_path / "out")
    roster = (tmp_path / "out" / "roster.csv").read_text().splitlines()
    assert roster[0] == "rep_id,plan_id" and len(roster) == 21
    assert {path.name for path in written} >= {"choice.csv", "validation.csv", "model.lp"}
    assert set(result.validation["configuration"]) == {"incumbent", "optimised", "gain"}


@pytest.mark.parametrize(
    ("scenario_file", "plan_file"),
    [("saas-ae.toml", "saas-ae.toml"), ("field-sales.toml", "bonus-based.toml")],
)
def test_certainty_equivalents_are_those_the_engines_use(scenario_file, plan_file):
    """The optimiser's CE column (participation, the CE of each candidate) must be the CE the
    engines' year decisions give the same reps (which drives their quit hazards): the same
    seasonality (field-sales has seasonal sales, which matter to a quarterly plan such as
    bonus-based.toml) and the same ramp. Two independent call paths of the model."""
    from spmopt.optimise.levers import Candidate
    from spmopt.sim.model import decide_year

    scenario = as_scenario(Path("scenarios") / scenario_file)
    plan = spmopt.Plan.load(Path("scenarios/plans") / plan_file)
    model = scenario.model().with_plans({name: plan for name in scenario.model().segments})
    decisions = decide_year(model, model.initial_quotas())
    for segment, seats in model.segment_seats().items():
        candidate = Candidate("incumbent", segment, {}, plan)
        ce, _ = pipeline._certainty_equivalents(
            scenario, {segment: candidate}, "segment", [segment]
        )
        engine = decisions.certainty_equivalent[seats].mean()
        assert ce[0] == pytest.approx(engine, rel=1e-9), segment
