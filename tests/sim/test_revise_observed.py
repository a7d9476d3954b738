"""Mid-year revision from the company's observed credits (``spmopt revise --credits``).

Known answers: the months to the as-of date are the observed ones (pay to date equals the
statements engine's earnings to date, rep by rep, under hold and every revision); reps whose
effort does nothing (k = 0) and whose sales are certain (σ = 0) sell in the second half exactly
their fitted base sales h·(6/12) = their first-half credits (flat seasonality), so their
second-half pay follows from the tier table by hand; the fit of base sales is checked against a
Monte Carlo run of the fast engine (an independent path from the static best response the fit
solves).

Checked against broken versions of spmopt/run/revise.py (each fails the tests named): the
observed credits not written into the months to date (the ``observe`` hook a no-op) — both
pay-to-date tests and the dynamic-effort test (the cap and threshold tests cannot see it: there
the fitted reps' simulated first half equals the observed one); the company's reps paid on the
engine's terms instead of their roster terms — the quarterly pay-to-date test (the April
starter's quarterly quotas); the revised pay not spliced for the company's reps — the cap and
threshold tests; base sales fitted on the credits to date annualised by months instead of the
seasonality share — the fit test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import spmopt
from spmopt.cli import main
from spmopt.errors import SpmoptInputError
from spmopt.reps.behaviour.registry import behaviour_from_dict
from spmopt.reps.population import Population
from spmopt.reps.seasonality import Seasonality
from spmopt.reps.technology import NormalSales
from spmopt.run.revise import Revision, _simulate, observed_model, revise_model
from spmopt.sim.model import Segment, SimulationModel, decide_year
from spmopt.sim.streams import RandomStreams

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
QUOTA = 1_200_000.0
AS_OF = "2027-06-30"


def make_plan(tiers, cap=None, threshold=None, period="year") -> spmopt.Plan:
    component = {"id": "bookings", "measure": "bookings", "quota": QUOTA, "tiers": tiers}
    component["measurement_period"] = period
    if cap is not None:
        component["cap"] = cap
    if threshold is not None:
        component["threshold"] = threshold
    return spmopt.Plan.from_dict(
        {
            "schema_version": 1,
            "plan": {
                "id": "p",
                "year_start": "2027-01-01",
                "payout_frequency": "quarter",
                "base_salary": 90_000,
                "target_incentive": 100_000.0,
                "components": [component],
            },
        }
    )


def make_model(
    plan, effort=None, sigma=0.0, seasonality=None, timing=None, attrition=None, **traits
):
    """A one-segment scenario whose drawn reps lend their traits (k = 0 unless given)."""
    spec = {
        "count": 3,
        "base_sales": 800_000,
        "effectiveness": 0.0,
        "effort_cost": 40_000,
        **traits,
    }
    population = Population.generate(
        {"segments": {"ae": spec}}, RandomStreams(1).generator("population")
    )
    segment = Segment("ae", plan, NormalSales(sigma=sigma), seasonality or Seasonality.flat(), 0.8)
    behaviour = behaviour_from_dict(
        {
            "effort": effort or {"model": "fixed_effort", "effort": 1.0},
            "timing": timing or {"model": "none"},
            "attrition": attrition or {"model": "none"},
        }
    )
    return SimulationModel("observed", population, {"ae": segment}, behaviour=behaviour)


def credits_frame(monthly: dict[str, list[float]], extra=()) -> pd.DataFrame:
    """Credits on the 15th of each month (monthly[rep][m] for m = 0, 1, …)."""
    rows = [
        {"rep_id": rep, "date": f"2027-{m + 1:02d}-15", "measure": "bookings", "amount": amount}
        for rep, amounts in monthly.items()
        for m, amount in enumerate(amounts)
        if amount
    ]
    return pd.DataFrame([*rows, *extra])


LINEAR = [{"from": 0.0, "rate": 0.1}]
ACCELERATED = [{"from": 0.0, "rate": 0.1}, {"from": 1.0, "multiplier": 2.0}]


@pytest.mark.parametrize("period", ["year", "quarter"])
def test_pay_to_date_is_the_statements_earnings_to_date(period):
    """Every rep's incentive of January–June equals ``spmopt.statements(as_of=…)``'s earnings to
    date exactly, under hold and every revision: irregular credits, a cancellation, a roster
    quota and target incentive, a starter in April; with timing and attrition switched on (they
    act from the as-of date on) and noisy sales."""
    plan = make_plan(ACCELERATED, cap=2.5, period=period)
    model = make_model(
        plan,
        effort={"model": "static"},
        sigma=200_000.0,
        effectiveness=300_000,
        timing={"model": "pull_push", "discount": 0.05},
        attrition={"model": "hazard", "annual_turnover": 0.6, "vacancy_months": 1},
    )
    monthly = {
        "a": [90_000, 0, 310_000, 45_000, 120_000, 80_000],
        "b": [10_000, 20_000, 5_000, 0, 0, 30_000],
        "c": [0, 0, 0, 200_000, 450_000, 700_000],  # starts in April
        "d": [400_000, 400_000, 400_000, 400_000, 400_000, 400_000],
    }
    cancel = {"rep_id": "a", "date": "2027-05-20", "measure": "bookings", "amount": -50_000.0}
    credits = credits_frame(monthly, [cancel])
    roster = pd.DataFrame(
        {
            "rep_id": ["a", "b", "c", "d"],
            "start_date": [None, None, "2027-04-01", None],
            "quota": [np.nan, 600_000.0, np.nan, 1_500_000.0],
            "target_incentive": [np.nan, 60_000.0, np.nan, np.nan],
        }
    )
    company, observed = observed_model(model, credits, roster, AS_OF)
    revisions = [Revision(0.8, 1.0), Revision(1.2, 1.0), Revision(1.0, 1.3)]
    runs = revise_model(company, 6, revisions, 3, RandomStreams(4), observed=observed)
    expected = spmopt.statements(plan, credits, roster, as_of=AS_OF).position
    earned = expected.set_index("rep_id").loc[list(company.population.rep_ids), "earned_ytd"]
    observed_credits = np.array([monthly[rep] for rep in company.population.rep_ids], float)
    observed_credits[0, 4] -= 50_000.0
    for key, columns in runs.items():
        np.testing.assert_allclose(
            columns["incentive"][:, :6].sum(axis=1), np.tile(earned, (3, 1)), atol=1e-6, err_msg=key
        )
        np.testing.assert_allclose(
            columns["credited"][:, :6], np.tile(observed_credits.T, (3, 1, 1)), err_msg=key
        )
        # nothing before the starter's start: no seat, no base pay
        assert not columns["occupied"][:, :3, 2].any() and columns["base_pay"][:, :3, 2].sum() == 0
    # the months after June are simulated: the revisions move them
    assert not np.allclose(
        runs["hold"]["incentive"][:, 6:], runs["quota=0.8,rate=1"]["incentive"][:, 6:]
    )


def _rest_pay(runs, key, seat):
    """Each replication's July–December pay of ``seat`` (R,)."""
    return runs[key]["incentive"][:, 6:, seat].sum(axis=1)


def test_a_rep_past_the_cap_by_june():
    """10% on credit, cap 150% of quota (1.8M). Rep "capped" credited 1.92M by June (160%):
    k = 0, σ = 0, so the rest of the year sells h/2 = 1.92M again (year 3.84M).

    hold: 10%·min(3.84M, 1.8M) − 10%·min(1.92M, 1.8M) = 0.
    H2 quota ×1.5: Q' = 1.2M·(1 + 0.5·0.5) = 1.5M, cap 2.25M:
    10%·2.25M − 10%·1.92M = 33,000.
    H2 rate ×2: 20%·1.8M − 20%·1.8M = 0 (still capped).
    Rep "steady" (600k by June, year 1.2M): hold 60,000; quota ×1.5: 10% a unit still, 60,000.
    """
    plan = make_plan(LINEAR, cap=1.5)
    model = make_model(plan)
    credits = credits_frame({"capped": [320_000.0] * 6, "steady": [100_000.0] * 6})
    company, observed = observed_model(model, credits, None, AS_OF)
    assert list(company.population.rep_ids) == ["capped", "steady"]  # seats 0 and 1
    runs = revise_model(
        company, 6, [Revision(1.5, 1.0), Revision(1.0, 2.0)], 2, RandomStreams(2), observed=observed
    )
    np.testing.assert_allclose(runs["hold"]["credited"][:, 6:, 0].sum(axis=1), 1_920_000.0)
    np.testing.assert_allclose(_rest_pay(runs, "hold", 0), 0.0, atol=1e-6)
    np.testing.assert_allclose(_rest_pay(runs, "quota=1.5,rate=1", 0), 33_000.0, atol=1e-6)
    np.testing.assert_allclose(_rest_pay(runs, "quota=1,rate=2", 0), 0.0, atol=1e-6)
    np.testing.assert_allclose(_rest_pay(runs, "hold", 1), 60_000.0, atol=1e-6)
    np.testing.assert_allclose(_rest_pay(runs, "quota=1.5,rate=1", 1), 60_000.0, atol=1e-6)


def test_a_rep_far_below_the_threshold():
    """Threshold 50%: rep "far" credited 120k by June (10%), so 240k (20%) for the year; even the
    lowest revised quota (×0.5: Q' = 900k, threshold 450k) leaves them below it — nothing in
    H2 under hold or any revision. A rep at 60% by June (720k, year 1.44M = 120%) earns
    H2 10%·720k = 72,000 under hold and 20%·720k under rates ×2."""
    plan = make_plan(LINEAR, threshold=0.5)
    credits = credits_frame({"far": [20_000.0] * 6, "ahead": [120_000.0] * 6})
    company, observed = observed_model(make_model(plan), credits, None, AS_OF)
    revisions = [Revision(0.5, 1.0), Revision(1.0, 2.0), Revision(0.5, 2.0)]
    runs = revise_model(company, 6, revisions, 2, RandomStreams(3), observed=observed)
    far, ahead = (list(company.population.rep_ids).index(rep) for rep in ("far", "ahead"))
    for key in runs:
        np.testing.assert_allclose(_rest_pay(runs, key, far), 0.0, atol=1e-6, err_msg=key)
        np.testing.assert_allclose(runs[key]["incentive"][:, :, far], 0.0, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(_rest_pay(runs, "hold", ahead), 72_000.0, atol=1e-6)
    np.testing.assert_allclose(_rest_pay(runs, "quota=1,rate=2", ahead), 144_000.0, atol=1e-6)


def test_dynamic_reps_start_the_second_half_from_their_observed_attainment():
    """Threshold 80%, σ small, k > 0: a rep at 5% by June gives up (effort 0 after June: no
    reachable pay), one at 45% (on track) works; with the observed credits not written into the
    months to date both would start from their simulated (fitted, identical-on-average) state."""
    plan = make_plan([{"from": 0.0, "rate": 0.1}], threshold=0.8)
    model = make_model(
        plan,
        effort={"model": "dynamic", "cadence": "month", "grid_points": 101},
        sigma=60_000.0,
        effectiveness=400_000,
    )
    credits = credits_frame({"behind": [10_000.0] * 6, "on_track": [90_000.0] * 6})
    company, observed = observed_model(model, credits, None, AS_OF)
    runs = revise_model(company, 6, [], 4, RandomStreams(6), observed=observed)
    effort = runs["hold"]["effort"][:, 6:]
    assert effort[:, :, 0].max() < 0.05
    assert effort[:, :, 1].mean() > 0.5


def test_fitted_reps_expect_their_credits_to_date():
    """Static best response with an accelerator, a second half selling twice the first, σ = 150k: the fitted reps'
    expected credits of January–June equal the observed ones within the fit's 0.1% tolerance
    (the fit's own table), and a Monte Carlo run of the fast engine *without* the observed
    credits (400 years) averages them within 0.1% + 4 standard errors (false failure rate
    below 1e-4 per rep)."""
    plan = make_plan(ACCELERATED)
    seasonality = Seasonality(np.r_[np.full(6, 1.0), np.full(6, 2.0)] / 18.0)  # H1: 1/3
    model = make_model(
        plan,
        effort={"model": "static"},
        sigma=150_000.0,
        seasonality=seasonality,
        effectiveness=300_000,
    )
    to_date = {"low": 250_000.0, "mid": 450_000.0, "high": 1_100_000.0}  # away from the kink
    credits = credits_frame({rep: [amount / 6] * 6 for rep, amount in to_date.items()})
    company, observed = observed_model(model, credits, None, AS_OF)
    fitted = observed.fitted.set_index("rep_id")
    target = np.array(list(to_date.values()))
    np.testing.assert_allclose(fitted.loc[list(to_date), "credited_to_date"], target)
    np.testing.assert_allclose(
        fitted.loc[list(to_date), "expected_credits_to_date"], target, rtol=1e-3
    )
    replications = 400
    decisions = decide_year(company, company.initial_quotas())
    columns = _simulate(company, decisions, replications, RandomStreams(11))
    h1 = columns["credited"][:, :6].sum(axis=1)  # (R, N)
    mean = h1.mean(axis=0)
    se = h1.std(axis=0, ddof=1) / np.sqrt(replications)
    order = [list(company.population.rep_ids).index(rep) for rep in to_date]
    assert np.all(np.abs(mean[order] - target) <= 1e-3 * target + 4 * se[order]), (mean, se)


def test_left_out_credits_and_reps_are_noted():
    """As ``spmopt statements`` / ``forecast``: credits after the as-of date are left out with a
    note; so are reps on other plans and reps starting after the as-of date."""
    plan = make_plan(LINEAR)
    credits = credits_frame(
        {"a": [10_000.0] * 8, "b": [5_000.0] * 6, "late": [0] * 7 + [50_000.0]},
        [{"rep_id": "x", "date": "2027-02-01", "measure": "bookings", "amount": 1.0}],
    )
    roster = pd.DataFrame(
        {
            "rep_id": ["a", "b", "late", "x"],
            "plan_id": ["p", "p", "p", "other"],
            "start_date": [None, None, "2027-08-01", None],
        }
    )
    company, observed = observed_model(make_model(plan), credits, roster, AS_OF)
    assert list(company.population.rep_ids) == ["a", "b"]
    notes = " | ".join(observed.notes)
    assert "3 credits dated after 2027-06-30 left out" in notes
    assert "other plans (other) left out" in notes and "late" in notes
    assert observed.monthly[:, 6:].sum() == 0


def test_bad_input_is_one_clear_message():
    plan = make_plan(LINEAR)
    model = make_model(plan)
    credits = credits_frame({"a": [10_000.0] * 6, "ghost": [1.0]})
    roster = pd.DataFrame({"rep_id": ["a"]})
    with pytest.raises(SpmoptInputError, match="'ghost' is not in the roster"):
        observed_model(model, credits, roster, AS_OF)
    with pytest.raises(SpmoptInputError, match="outside the plan year"):
        observed_model(model, credits, None, "2028-06-30")
    with pytest.raises(SpmoptInputError, match="no segment 'nope'"):
        observed_model(model, credits, None, AS_OF, segment="nope")


# ------------------------------------------------------------------------------ command line
FIELD = ROOT / "scenarios" / "field-sales.toml"


def run(argv, capsys):
    status = main([str(part) for part in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _files(tmp_path, credits_rows, roster_rows):
    credits = tmp_path / "credits.csv"
    roster = tmp_path / "roster.csv"
    pd.DataFrame(credits_rows).to_csv(credits, index=False)
    pd.DataFrame(roster_rows).to_csv(roster, index=False)
    return credits, roster


CREDIT_ROWS = [
    {"rep_id": "F1", "date": "2027-02-10", "measure": "bookings", "amount": 120_000.0},
    {"rep_id": "F2", "date": "2027-03-10", "measure": "bookings", "amount": 90_000.0},
]


@pytest.mark.parametrize(
    ("credit_rows", "roster_rows", "extra", "message"),
    [
        (
            [*CREDIT_ROWS, {**CREDIT_ROWS[0], "rep_id": "F9"}],
            [{"rep_id": "F1"}, {"rep_id": "F2"}],
            [],
            "line 4: rep_id 'F9' is not in the roster",
        ),
        (CREDIT_ROWS, [{"rep_id": "F1"}, {"rep_id": "F2"}], ["--as-of", "2028-06-30"], "outside"),
        (
            CREDIT_ROWS,
            [{"rep_id": "F1", "plan_id": "a"}, {"rep_id": "F2", "plan_id": "b"}],
            [],
            "no rep's plan_id is",
        ),
    ],
)
def test_cli_bad_input_exits_2(tmp_path, capsys, credit_rows, roster_rows, extra, message):
    credits, roster = _files(tmp_path, credit_rows, roster_rows)
    argv = ["revise", FIELD, "--as-of", "2027-06-30", "--credits", credits, "--roster", roster]
    status, _, err = run([*argv, *extra, "--out", tmp_path / "o"], capsys)
    assert status == 2 and message in err, err
    assert err.count("\n") == 1 and str(credits if "line" in message else "") in err
    assert not (tmp_path / "o").exists()


def test_cli_roster_needs_credits(tmp_path, capsys):
    _, roster = _files(tmp_path, CREDIT_ROWS, [{"rep_id": "F1"}])
    argv = ["revise", FIELD, "--as-of", "2027-06-30", "--roster", roster, "--out", tmp_path / "o"]
    status, _, err = run(argv, capsys)
    assert status == 2 and "need --credits" in err


@pytest.mark.slow  # two dynamic-policy solves per candidate and belief: ~15 s of CPU
def test_cli_runs_on_the_company_credits(tmp_path, capsys):
    """Two field reps credited by June: the tables carry their observed position and the
    printed table their pay to date (the statements' earnings to date) and rest-of-year pay."""
    rows = [
        {"rep_id": rep, "date": f"2027-{m:02d}-10", "measure": "bookings", "amount": amount}
        for rep, amount in (("F1", 60_000.0), ("F2", 20_000.0))
        for m in range(1, 8)
    ]
    credits, roster = _files(tmp_path, rows, [{"rep_id": "F1"}, {"rep_id": "F2"}])
    argv = ["revise", FIELD, "--as-of", "2027-06-30", "--credits", credits, "--roster", roster]
    argv += ["--quota-multiples", "1.1", "--replications", "2", "--beliefs", "0,1", "--quiet"]
    status, out, err = run([*argv, "--out", tmp_path / "o"], capsys)
    assert status == 0, err
    reps = pd.read_csv(tmp_path / "o" / "revise_reps.csv")
    assert sorted(set(reps["rep_id"])) == ["F1", "F2"]
    np.testing.assert_allclose(reps["earned_to_date"], reps["year_incentive_to_date"], atol=1e-6)
    assert set(reps.loc[reps["rep_id"] == "F1", "credited_to_date"]) == {360_000.0}
    assert "Observed reps (2;" in out and "2 credits dated after 2027-06-30 left out" in out
