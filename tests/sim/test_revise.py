"""Mid-year revision (spmopt.run.revise) against answers computed by hand.

Deterministic reps (σ = 0 or negligible, flat seasonality, no timing, no attrition) sell
(h + k·e)/12 a month; the plan year's pay under a revision at the end of June is
E_old(H1 credits) + E_new(year's credits) − E_new(H1 credits), worked out below from the tier
tables by hand. Effort under the dynamic policy with a linear commission β is e = β·k/c each
month (docs/behaviour.md), so after a revision of the rates by m_r it is m_r·β·k/c.

Checked against broken versions of spmopt/run/revise.py (each fails the tests named):
no pay splice, or the splice a month late — the three pay-by-hand tests; effort not switched —
the three dynamic-effort tests; the switch a month early — the identity test (months to June
differ); attainment not converted to the revised quota — the cap test; the belief ignored — the
credibility closed form and the penalty test; the quota factor 10% off — the pay, quota-effort,
cap and quarterly-schedule tests; the revised run on other streams — the identity test; timing
keeping the old plan's pay — the timing test.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import spmopt
from spmopt.cli import main
from spmopt.errors import SpmoptInputError
from spmopt.reps.behaviour.registry import behaviour_from_dict
from spmopt.reps.population import Population
from spmopt.reps.seasonality import Seasonality
from spmopt.reps.technology import DealSales, NormalSales
from spmopt.run.revise import (
    DEFAULT_RATCHET,
    BelievedRatchet,
    Revision,
    credibility_costs,
    months_to_date,
    revise,
    revise_model,
    revised_plan,
)
from spmopt.sim.model import Segment, SimulationModel
from spmopt.sim.streams import RandomStreams

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
MARGIN = 0.8


def make_plan(tiers, quota=1_200_000.0, target_incentive=100_000.0) -> spmopt.Plan:
    return spmopt.Plan.from_dict(
        {
            "schema_version": 1,
            "plan": {
                "id": "p",
                "year_start": "2027-01-01",
                "target_incentive": target_incentive,
                "components": [
                    {"id": "bookings", "measure": "bookings", "quota": quota, "tiers": tiers}
                ],
            },
        }
    )


def make_model(plan, effort, count=2, sigma=0.0, timing=None, attrition=None, **traits):
    spec = {
        "count": count,
        "base_sales": 800_000,
        "effectiveness": 400_000,
        "effort_cost": 40_000,
        **traits,
    }
    population = Population.generate(
        {"segments": {"ae": spec}}, RandomStreams(1).generator("population")
    )
    segment = Segment("ae", plan, NormalSales(sigma=sigma), Seasonality.flat(), MARGIN)
    behaviour = behaviour_from_dict(
        {
            "effort": effort,
            "timing": timing or {"model": "none"},
            "attrition": attrition or {"model": "none"},
        }
    )
    return SimulationModel("revise", population, {"ae": segment}, behaviour=behaviour)


ACCELERATED = [{"from": 0.0, "rate": 0.1}, {"from": 1.0, "rate": 0.2}]  # marginal tiers


def test_pay_under_a_revision_by_hand():
    """Fixed effort 1: 100k a month, 600k by June, 1.2M for the year (quota 1.2M).

    hold: 10% of 1.2M = 120,000.
    H2 quota ×0.5: Q' = 1.2M·(0.5 + 0.5·0.5) = 900k; E_new(1.2M) = 90k + 20%·300k = 150k,
    E_new(600k) = 60k, so 60k + 90k = 150,000.
    H2 rates ×2 (20%/40%): E_new(1.2M) = 240k, E_new(600k) = 120k: 60k + 120k = 180,000.
    both: E_new(1.2M) = 20%·900k + 40%·300k = 300k, E_new(600k) = 120k: 60k + 180k = 240,000.
    """
    model = make_model(make_plan(ACCELERATED), {"model": "fixed_effort", "effort": 1.0})
    revisions = [Revision(0.5, 1.0), Revision(1.0, 2.0), Revision(0.5, 2.0)]
    runs = revise_model(model, 6, revisions, 2, RandomStreams(5))
    expected = {"hold": 120_000, "quota=0.5,rate=1": 150_000}
    expected |= {"quota=1,rate=2": 180_000, "quota=0.5,rate=2": 240_000}
    for key, pay in expected.items():
        incentive = runs[key]["incentive"]
        np.testing.assert_allclose(incentive.sum(axis=1), pay, atol=0.01, err_msg=key)
        # the months to June pay under the plan as it stood: 10% of 100k a month
        np.testing.assert_allclose(incentive[:, :6], 10_000, atol=0.01, err_msg=key)
        np.testing.assert_allclose(runs[key]["credited"].sum(axis=1), 1_200_000, atol=0.01)


def test_dynamic_effort_after_a_rate_revision_by_hand():
    """Linear 10% commission, k = 400k, c = 40k: e = β·k/c = 1 before July, 2 after a rate
    revision ×2 (the reps re-decide); pay = 10%·600k + 20%·(6·(800k + 800k)/12) = 220,000."""
    model = make_model(
        make_plan([{"from": 0.0, "rate": 0.1}]),
        {"model": "dynamic", "cadence": "month", "grid_points": 101},
    )
    runs = revise_model(model, 6, [Revision(1.0, 2.0)], 2, RandomStreams(5))
    effort = runs["quota=1,rate=2"]["effort"]
    np.testing.assert_allclose(effort[:, :6], 1.0, rtol=1e-6)
    np.testing.assert_allclose(effort[:, 6:], 2.0, rtol=1e-6)
    np.testing.assert_allclose(runs["hold"]["effort"], 1.0, rtol=1e-6)
    np.testing.assert_allclose(runs["quota=1,rate=2"]["incentive"].sum(axis=1), 220_000, atol=0.1)


def test_dynamic_effort_after_a_quota_revision_by_hand():
    """Multiplier plan (pay = TI·S/Q): β = TI/Q, e = TI·k/(Q·c) = 100k·400k/(1.2M·40k) = 5/6.
    An H2 quota ×0.5 makes Q' = 900k, so e = 100k·400k/(900k·40k) = 10/9 from July; the
    year pays TI·H1/Q + TI·H2/Q' with H1 = 6·(800k + 400k·5/6)/12, H2 = 6·(800k + 400k·10/9)/12."""
    model = make_model(
        make_plan([{"from": 0.0, "multiplier": 1.0}]),
        {"model": "dynamic", "cadence": "quarter", "grid_points": 101},
    )
    runs = revise_model(model, 6, [Revision(0.5, 1.0)], 2, RandomStreams(5))
    effort = runs["quota=0.5,rate=1"]["effort"]
    np.testing.assert_allclose(effort[:, :6], 5 / 6, rtol=1e-6)
    np.testing.assert_allclose(effort[:, 6:], 10 / 9, rtol=1e-6)
    h1 = 6 * (800_000 + 400_000 * 5 / 6) / 12
    h2 = 6 * (800_000 + 400_000 * 10 / 9) / 12
    pay = 100_000 * h1 / 1_200_000 + 100_000 * h2 / 900_000
    np.testing.assert_allclose(runs["quota=0.5,rate=1"]["incentive"].sum(axis=1), pay, atol=0.1)


def test_dynamic_reps_read_their_attainment_against_the_revised_quota():
    """A cap makes effort depend on attainment: 10% commission on credit up to 100% of quota,
    no base sales (h = 0), so a rep works β·k/c = 1 (400k a year) unless the cap is in sight.
    Quota 480k: the cap is out of reach, the rep sells 200k by June and 400k in the year. With
    the H2 quota ×0.5 from July the revised annual quota is 480k·0.75 = 360k: 200k is 56% of it
    and only 160k are left to earn, so the year's sales stop at the cap, 360k, (the grid stops it within 1%
    of it) and pay 20k + 10%·(sales − 200k), about 36,000. A rep reading its attainment against the old quota would believe
    itself at 200/480 of the revised quota and sell 400k."""
    model = make_model(
        make_plan([{"from": 0.0, "rate": 0.1}], quota=480_000.0),
        {"model": "dynamic", "cadence": "month", "grid_points": 201},
        base_sales=0,
    )
    plan = model.segments["ae"].plan
    document = plan.to_dict()
    document["plan"]["components"][0]["cap"] = 1.0
    model = model.with_plans({"ae": spmopt.Plan.from_dict(document)})
    runs = revise_model(model, 6, [Revision(0.5, 1.0)], 2, RandomStreams(5))
    held = runs["hold"]["credited"].sum(axis=1)
    revised = runs["quota=0.5,rate=1"]["credited"].sum(axis=1)
    np.testing.assert_allclose(runs["hold"]["credited"][:, :6].sum(axis=1), 200_000, rtol=1e-6)
    np.testing.assert_allclose(held, 400_000, rtol=1e-6)
    np.testing.assert_allclose(revised, 360_000, rtol=0.01)
    pay = 20_000 + 0.1 * (np.minimum(revised, 360_000) - 200_000)  # ≈ 36,000
    np.testing.assert_allclose(runs["quota=0.5,rate=1"]["incentive"].sum(axis=1), pay, atol=0.02)


def test_an_identity_revision_equals_holding_the_plan():
    """Multiples 1 and 1 through the whole revision path (revised plan, policies solved again,
    the switch, the pay splice) give the held plan's numbers exactly, with noise, timing and
    attrition on; any revision leaves the months to the as-of date exactly as held (common
    random numbers: the same as-of state for every candidate)."""
    model = make_model(
        make_plan(ACCELERATED),
        {"model": "dynamic", "cadence": "month", "grid_points": 101},
        count=6,
        sigma=150_000.0,
        timing={"model": "pull_push", "discount": 0.1},
        attrition={"model": "hazard", "annual_turnover": 0.3},
    )
    runs = revise_model(model, 6, [Revision(1.0, 1.0), Revision(1.1, 0.9)], 4, RandomStreams(9))
    for name, column in runs["hold"].items():
        np.testing.assert_array_equal(runs["quota=1,rate=1"][name], column, err_msg=name)
        # a real revision: the months to June (the as-of state) are the held plan's exactly
        np.testing.assert_array_equal(runs["quota=1.1,rate=0.9"][name][:, :6], column[:, :6])
    assert runs["hold"]["quit"].any()  # attrition did act
    revised = runs["quota=1.1,rate=0.9"]
    assert not np.array_equal(revised["effort"][:, 6:], runs["hold"]["effort"][:, 6:])


def test_timing_after_the_switch_weighs_the_revised_pay():
    """Deal sales, fixed effort, pull/push timing, a 50,000 club bonus at quota. Under the held
    quota (1.8M, about 1.55 times the reps' expected 1.16M) few reps are close enough to the bonus
    at year end to pull deals in; with the second half's quota ×0.2 (Q' = 1.8M·0.6 = 1.08M) many
    are, so they pull several times as much. Effort is fixed, so without the timing switch the
    two runs would pull exactly the same."""
    plan = make_plan([{"from": 0.0, "rate": 0.05}], quota=1_800_000.0).to_dict()
    plan["plan"]["bonuses"] = [
        {"id": "club", "measure": "bookings", "at": 1.0, "amount": 50_000, "period": "year"}
    ]
    model = make_model(
        spmopt.Plan.from_dict(plan),
        {"model": "fixed_effort", "effort": 1.0},
        count=20,
        timing={"model": "pull_push", "discount": 0.1, "pull_share": 0.5},
    )
    segment = replace(model.segments["ae"], technology=DealSales(deal_size_mean=40_000))
    model = replace(model, segments={"ae": segment})
    runs = revise_model(model, 6, [Revision(0.2, 1.0)], 20, RandomStreams(5))
    held, revised = runs["hold"]["pulled"].sum(), runs["quota=0.2,rate=1"]["pulled"].sum()
    assert revised > 2 * held > 0


def test_credibility_cost_against_the_closed_form():
    """Static effort, multiplier plan pay = TI·S/Q: β = TI/Q, e₀ = β·k/c. Believing with
    probability ρ in the ratchet Q' = Q + λ·(S − Q) (λ = 0.2 below quota, δ = 0.9, 3 years:
    D = 0.9 + 0.81·0.8) the rep pays ρ·m·λ·D per unit of sales with m = −∂CE/∂Q = TI·S₀/Q²
    (envelope theorem), so e_ρ = (β − ρ·m·λ·D)·k/c and next year's profit per rep falls by
    (margin − β)·k·(e₀ − e_ρ). ρ = 0 costs nothing; the cost grows linearly in ρ."""
    quota, ti, h, k, c = 1_200_000.0, 100_000.0, 800_000.0, 400_000.0, 40_000.0
    model = make_model(
        make_plan([{"from": 0.0, "multiplier": 1.0}]), {"model": "static"}, sigma=1_000.0
    )
    costs = credibility_costs(model, [0.0, 0.5, 1.0], 3, RandomStreams(2))
    beta = ti / quota
    e0 = beta * k / c
    m = ti * (h + k * e0) / quota**2
    lam = DEFAULT_RATCHET.lambda_down
    d = 0.9 + 0.81 * (1 - lam)
    for rho, cost in zip(costs["belief"], costs["credibility_cost"], strict=True):
        e_rho = (beta - rho * m * lam * d) * k / c
        expected = 2 * (MARGIN - beta) * k * (e0 - e_rho)  # two reps
        assert cost == pytest.approx(expected, rel=2e-3, abs=1e-6), rho
    assert costs["credibility_cost"].iloc[0] == 0.0
    assert 0 < costs["credibility_cost"].iloc[1] < costs["credibility_cost"].iloc[2]


def test_believed_ratchet_scales_the_penalty_by_the_belief():
    """m = 2, λ = 0.5 above quota, δ = 0.9, 3 years: D = 0.9 + 0.81·0.5 = 1.305; slope above
    quota −ρ·m·λ·D = −0.3·2·0.5·1.305 with ρ = 0.3."""
    ratchet = BelievedRatchet(up=0.5, down=0.2, discount=0.9, horizon_years=3, belief=0.3)
    below, above = ratchet.penalty_slopes(2.0)
    assert above == pytest.approx(-0.3 * 2 * 0.5 * 1.305)
    assert below == pytest.approx(-0.3 * 2 * 0.2 * (0.9 + 0.81 * 0.8))


def test_break_even_belief_from_the_cost_per_unit_of_belief():
    """Costs 0, 50, 100 at ρ = 0, 0.5, 1: 100 per unit of ρ, so a gain of 20 pays below ρ = 0.2."""
    from spmopt.run.revise import _cost_per_belief

    table = pd.DataFrame({"belief": [0.0, 0.5, 1.0], "credibility_cost": [0.0, 50.0, 100.0]})
    assert _cost_per_belief(table) == pytest.approx(100.0)
    assert 20 / _cost_per_belief(table) == pytest.approx(0.2)


def test_revised_plan_of_a_quarterly_plan_keeps_the_first_half_quotas():
    """Quota 1.2M measured per quarter, H2 quota ×1.5 from July: Q' = 1.2M·1.25 = 1.5M with a
    schedule giving Q1, Q2 300k each and Q3, Q4 450k each."""
    plan = spmopt.Plan.from_dict(
        {
            "schema_version": 1,
            "plan": {
                "id": "q",
                "year_start": "2027-01-01",
                "target_incentive": 100_000,
                "components": [
                    {
                        "id": "bookings",
                        "measure": "bookings",
                        "quota": 1_200_000,
                        "measurement_period": "quarter",
                        "tiers": [{"from": 0.0, "rate": 0.1}],
                    }
                ],
            },
        }
    )
    revised, factor = revised_plan(plan, 6, Revision(1.5, 1.0))
    component = revised.components[0]
    assert factor == 1.25 and component.quota == pytest.approx(1_500_000)
    quarters = np.add.reduceat(np.array(component.monthly_quota_fractions()), [0, 3, 6, 9])
    np.testing.assert_allclose(quarters * component.quota, [300e3, 300e3, 450e3, 450e3])


def test_quarterly_feedback_needs_a_quarter_end():
    model = make_model(
        make_plan(ACCELERATED), {"model": "dynamic", "cadence": "quarter", "grid_points": 51}
    )
    with pytest.raises(SpmoptInputError, match="review block"):
        revise_model(model, 5, [Revision(1.1, 1.0)], 2, RandomStreams(1))


def test_bad_input_is_one_clear_message():
    model = make_model(make_plan(ACCELERATED), {"model": "fixed_effort", "effort": 1.0})
    with pytest.raises(SpmoptInputError, match="outside the plan year"):
        months_to_date(model, "2028-06-30")
    with pytest.raises(SpmoptInputError, match="month end"):
        months_to_date(model, "2027-06-15")
    with pytest.raises(SpmoptInputError, match="≥ 0"):
        revise(model, "2027-06-30", quota_multiples=[-0.5], replications=2)
    assert months_to_date(model, "2027-06-30") == 6
    assert spmopt.revise is revise  # the public name


def run(argv, capsys):
    status = main([str(part) for part in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


FIELD = ROOT / "scenarios" / "field-sales.toml"


def test_cli_writes_tables_and_prints_the_comparison(tmp_path, capsys):
    argv = ["revise", FIELD, "--as-of", "2027-06-30", "--quota-multiples", "1.1"]
    argv += ["--replications", "3", "--beliefs", "0,1", "--quiet", "--out", tmp_path]
    status, out, err = run(argv, capsys)
    assert status == 0, err
    summary = pd.read_csv(tmp_path / "revise_summary.csv")
    assert list(summary["revision_id"]) == ["hold", "quota=1.1,rate=1"]
    assert summary["chosen"].sum() == 1
    credibility = pd.read_csv(tmp_path / "revise_credibility.csv")
    assert list(credibility["belief"]) == [0.0, 0.5, 1.0]
    assert (tmp_path / "revise_reps.csv").exists() and "Chosen:" in out


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--as-of", "2026-06-30"], "outside the plan year"),
        (["--as-of", "2027-06-30", "--plan", "nope"], "no plan named 'nope'"),
        (["--as-of", "2027-06-30", "--quota-multiples", "0.9,-1"], "multiples ≥ 0"),
        (["--as-of", "2027-06-30", "--belief", "1.5"], "probabilit"),
    ],
)
def test_cli_bad_input_exits_2(tmp_path, capsys, extra, message):
    try:
        status, _, err = run(["revise", FIELD, *extra, "--out", tmp_path / "o"], capsys)
    except SystemExit as stop:  # argparse rejects malformed arguments itself
        status, err = stop.code, capsys.readouterr().err
    assert status == 2 and message in err
    assert not (tmp_path / "o").exists()


def test_cli_help_gives_every_option_a_description_and_its_default(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["revise", "--help"])
    assert stop.value.code == 0
    entries, current = {}, None
    for line in capsys.readouterr().out.splitlines():  # as tests/test_cli_robust.py reads help
        if line.startswith("  --"):
            current, _, description = line.strip().partition("  ")
            entries[current] = description.strip()
        elif line.startswith("   ") and current is not None:
            entries[current] += " " + line.strip()
        else:
            current = None
    assert len(entries) == 15
    for invocation, description in entries.items():
        assert "default" in description or "required" in description, invocation
