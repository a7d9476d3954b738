"""Year-end forecast from an as-of state (spmopt.sim.forecast).

Known answers with deterministic reps, and calibration against histories drawn from the model
itself (an independent numpy path written out here).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_helpers import PLAN_TEXT, frame, monthly

import spmopt
from spmopt.errors import SpmoptInputError
from spmopt.sim.forecast import forecast
from spmopt.sim.streams import RandomStreams


def test_steady_reps_are_forecast_exactly():
    """Reps credited the same every month have no spread: the forecast is their run rate, with
    no uncertainty. 110k a month → 1.32M: 120,000 + 120k × 15% = 138,000 (P(quota) 1). 20k a
    month, threshold 50% → 240k, nothing (P(quota) 0). 300k a month, cap 120% → already
    156,000 (the most) by June."""
    plan = spmopt.Plan.from_toml(
        PLAN_TEXT.replace("quota = 1200000", "quota = 1200000\nthreshold = 0.5\ncap = 1.2")
    )
    credits = frame(
        monthly("steady", [110_000] * 6)
        + monthly("below", [20_000] * 6)
        + monthly("capped", [300_000] * 6)
    )
    result = forecast(plan, credits, as_of="2027-06-30", replications=50, seed=3)
    rows = result.reps.set_index("rep_id")
    expected = {
        "steady": (138_000.0, 1.1 * 12 / 12, 1.0),
        "below": (0.0, 0.2, 0.0),
        "capped": (156_000.0, 3.0, 1.0),
    }
    for rep, (payout, attainment, p_quota) in expected.items():
        for column in ("expected_payout", "payout_p10", "payout_p90", "run_rate_payout"):
            assert rows.loc[rep, column] == pytest.approx(payout, abs=0.02), (rep, column)
        assert rows.loc[rep, "expected_attainment"] == pytest.approx(attainment, rel=1e-9)
        assert rows.loc[rep, "p_quota"] == p_quota
    assert rows.loc["capped", "earned_ytd"] == 156_000.0
    totals = result.totals.iloc[0]
    assert totals["expected_payout"] == pytest.approx(294_000.0, abs=0.1)
    assert totals["budget"] == 3 * 120_000.0 and totals["p_over_budget"] == 0.0


def test_forecast_is_reproducible_and_seeded():
    credits = frame(
        monthly("a", [90_000, 130_000, 70_000, 110_000, 95_000, 120_000])
        + monthly("b", [50_000, 80_000, 60_000, 40_000, 90_000, 70_000])
    )
    plan = spmopt.Plan.from_toml(PLAN_TEXT)
    one = forecast(plan, credits, as_of="2027-06-30", replications=200, seed=1)
    two = forecast(plan, credits, as_of="2027-06-30", replications=200, seed=1)
    other = forecast(plan, credits, as_of="2027-06-30", replications=200, seed=2)
    np.testing.assert_array_equal(one.samples, two.samples)
    assert not np.array_equal(one.samples, other.samples)


def test_intervals_cover_histories_drawn_from_the_model():
    """400 reps: rate θ ~ N(1, 0.2²) per rep, months N(θ, 0.3²) × the monthly quota. Forecast
    in June, reveal July–December. The P10–P90 interval of year attainment must hold the truth
    for 80% of reps: with 400 reps the share has SE 0.02; ±0.08 (4 SE) fails by chance with
    probability < 1e-4 (reps share the estimated spread, so a little more; the seed is fixed).
    The shrunk forecast must also beat the run rate (mean absolute error)."""
    streams = RandomStreams(20270630)
    generator = streams.generator("test_histories")
    count = 400
    theta = 1.0 + 0.2 * generator.standard_normal(count)
    months = theta[:, None] + 0.3 * generator.standard_normal((count, 12))
    amounts = months * 100_000.0
    rows = [row for rep in range(count) for row in monthly(f"r{rep:03d}", amounts[rep])]
    plan = spmopt.Plan.from_toml(PLAN_TEXT)
    result = forecast(plan, frame(rows), as_of="2027-06-30", replications=300, seed=5)
    truth = amounts.sum(axis=1) / 1_200_000.0
    reps = result.reps
    covered = (reps["attainment_p10"] <= truth) & (truth <= reps["attainment_p90"])
    assert abs(covered.mean() - 0.8) < 0.08
    forecast_error = np.abs(reps["expected_attainment"] - truth).mean()
    run_rate_error = np.abs(reps["run_rate_attainment"] - truth).mean()
    assert forecast_error < run_rate_error


def test_nothing_to_forecast_at_the_year_end():
    plan = spmopt.Plan.from_toml(PLAN_TEXT)
    with pytest.raises(SpmoptInputError, match="nothing is left"):
        forecast(plan, frame(monthly("a", [1.0])), as_of="2027-12-31")


def test_backtest_of_steady_histories_is_exact():
    """Two histories of steady reps (one seat quits and is dropped): forecasts at June are exact,
    so every error is 0 and every rep is inside its P10–P90."""
    from spmopt.sim.forecast import backtest

    rows = []
    for replication in range(2):
        for rep, amount in (("s1", 110_000.0), ("s2", 60_000.0 + replication * 10_000), ("q", 1.0)):
            for month in range(1, 13):
                rows.append(
                    {
                        "plan_id": "fc",
                        "replication": replication,
                        "rep_id": rep,
                        "month": month,
                        "occupied": True,
                        "quit": rep == "q" and month == 7,
                        "hired": False,
                        "credited": amount,
                        "quota": 1_200_000.0,
                    }
                )
    plan = spmopt.Plan.from_toml(PLAN_TEXT)
    table = backtest(plan, pd.DataFrame(rows), as_of="2027-06-30", replications=20)
    assert list(table["reps"]) == [2, 2]
    # s1: 138,000; s2: 72,000 then 84,000
    assert table["actual_total"].tolist() == pytest.approx([210_000.0, 222_000.0])
    assert table["forecast_total"].tolist() == pytest.approx([210_000.0, 222_000.0], abs=0.1)
    assert table["payout_mae"].max() < 0.1 and table["run_rate_payout_mae"].max() < 0.1
    assert (table["payout_coverage_80"] == 1.0).all()


@pytest.mark.slow
def test_total_interval_covers_histories_with_a_common_shock():
    """40 sales forces of 30 reps: rate θ ~ N(1, 0.2²) per rep, months N(θ + c_t, 0.3²) with a
    company-wide shock c_t ~ N(0, 0.15²) per month shared by every rep. Forecast in June, reveal
    July–December: the total's P10–P90 must hold the actual total for 80% of the forces. With 40
    forces the share has SE 0.063; the band 0.55–1.0 (4 SE below) fails by chance with probability
    < 1e-4 (seeds fixed). Here 29 of 40; the forecast without a common shock covered 14 (its
    interval only holds the reps' own spread, which averages out over the force)."""
    generator = RandomStreams(20271231).generator("test_common_shock")
    plan = spmopt.Plan.from_toml(PLAN_TEXT)
    forces, count, covered = 40, 30, 0
    for force in range(forces):
        theta = 1.0 + 0.2 * generator.standard_normal(count)
        common = 0.15 * generator.standard_normal(12)
        amounts = (theta[:, None] + common + 0.3 * generator.standard_normal((count, 12))) * 1e5
        rows = [row for rep in range(count) for row in monthly(f"r{rep:02d}", amounts[rep])]
        actual = spmopt.statements(plan, frame(rows)).summary()["earned"].sum()
        result = forecast(plan, frame(rows), as_of="2027-06-30", replications=100, seed=force)
        total = result.totals.iloc[0]
        covered += total["payout_p10"] <= actual <= total["payout_p90"]
    assert 0.55 <= covered / forces <= 1.0


def test_common_shock_is_recovered_when_reps_move_together():
    """Every rep's month is its own rate plus the same company-wide deviation c_t (no spread of
    its own): the common variance is the sample variance of c_t over the six months (ddof 1),
    the idiosyncratic spread is 0, and the level variance is σ_c²/6 (even quotas)."""
    from spmopt.sim.forecast import estimate_rates

    common = np.array([0.1, -0.2, 0.3, 0.0, -0.1, 0.15])
    rates = np.array([0.6, 0.9, 1.0, 1.3])
    quota = np.full((4, 12), 100_000.0)
    elapsed = (np.arange(12) < 6).astype(float)
    cents = np.zeros((4, 12))
    cents[:, :6] = np.rint((rates[:, None] + common) * 100_000.0 * 100)
    model = estimate_rates(cents, quota, elapsed)
    assert model.common == pytest.approx(common.var(ddof=1), rel=1e-9)
    assert model.cv == pytest.approx(0.0, abs=1e-6)
    assert model.level == pytest.approx(common.var(ddof=1) / 6, rel=1e-9)


def test_replay_of_last_years_second_half():
    """Known answers of the replay (10% below quota, 15% above, quota 1.2M). ``hist``: 100k a
    month to June, last year 50k a month in July–December (and 1M in its first half, not
    replayed) → 600k + 300k = 900k → 90,000 (run rate: 1.2M → 120,000). ``grown``: quota
    raised from 1.2M to 2.4M, 200k a month to June, last year 100k a month → scaled ×2 →
    2.4M → 240,000 (unscaled it would be 1.8M → 180,000). ``new``: no history → its run rate,
    110k a month → 138,000. ``gone`` (last year only) is ignored."""
    plan = spmopt.Plan.from_toml(PLAN_TEXT)
    credits = frame(
        monthly("hist", [100_000] * 6)
        + monthly("grown", [200_000] * 6)
        + monthly("new", [110_000] * 6)
    )
    last = frame(
        monthly("hist", [1_000_000] * 6 + [50_000] * 6)
        + monthly("grown", [0] * 6 + [100_000] * 6)
        + monthly("gone", [500_000] * 12)
    )
    last["date"] = last["date"].str.replace("2027-", "2026-")
    roster = pd.DataFrame({"rep_id": ["hist", "grown", "new"], "quota": [np.nan, 2.4e6, np.nan]})
    last_roster = pd.DataFrame({"rep_id": ["grown", "gone"], "quota": [1.2e6, 1.2e6]})
    result = forecast(
        plan,
        credits,
        roster,
        as_of="2027-06-30",
        replications=20,
        last_year=last,
        last_year_roster=last_roster,
    )
    rows = result.reps.set_index("rep_id")
    assert rows["replay_payout"].to_dict() == pytest.approx(
        {"hist": 90_000.0, "grown": 240_000.0, "new": 138_000.0}, abs=0.01
    )
    assert rows["replay_attainment"].to_dict() == pytest.approx(
        {"hist": 0.75, "grown": 1.0, "new": 1.1}, rel=1e-9
    )
    assert rows["replay_basis"].to_dict() == {
        "hist": "last_year",
        "grown": "last_year",
        "new": "run_rate",
    }
    totals = result.totals.iloc[0]
    assert totals["replay_payout"] == pytest.approx(468_000.0, abs=0.05)
    assert totals["replay_from_last_year"] == 2
    # mid-month: as of 15 June (30 days), half of last June's credits are still to come
    mid = forecast(plan, credits, as_of="2027-06-15", replications=5, last_year=last)
    row = mid.reps.set_index("rep_id").loc["hist"]
    assert row["replay_attainment"] == pytest.approx((600_000 + 500_000 + 300_000) / 1.2e6)


def test_backtest_replays_the_previous_year():
    """Two plan years of one seat credited 50k a month in January–June and 150k in July–December
    (quota 1.2M): at June the run rate sees 600k (60,000), the year is 1.2M (120,000). The
    second year's replay of the first's second half is exact; the first year has no replay."""
    from spmopt.sim.forecast import backtest

    rows = [
        {
            "plan_id": "fc",
            "replication": 0,
            "rep_id": "s",
            "year": year,
            "month": month,
            "occupied": True,
            "quit": False,
            "hired": False,
            "credited": 50_000.0 if month <= 6 else 150_000.0,
            "quota": 1_200_000.0,
        }
        for year in (1, 2)
        for month in range(1, 13)
    ]
    plan = spmopt.Plan.from_toml(PLAN_TEXT)
    table = backtest(plan, pd.DataFrame(rows), as_of="2027-06-30", replications=10)
    assert table["year"].tolist() == [1, 2]
    assert table["actual_total"].tolist() == pytest.approx([120_000.0] * 2)
    assert table["run_rate_total"].tolist() == pytest.approx([60_000.0] * 2)
    assert table["replay_reps"].tolist() == [0, 1]
    assert np.isnan(table.loc[0, "replay_total"])
    assert table.loc[1, "replay_total"] == pytest.approx(120_000.0, abs=0.01)
    assert table.loc[1, "replay_payout_mae"] == pytest.approx(0.0, abs=0.01)


BEHAVIOUR_SCENARIO = """
schema_version = 1
[scenario]
id = "behaviour"
year_start = "2027-01-01"
years = 1
seed = 1
replications = 1
engine = "fast"
[plans.any]
plan = { schema_version = 1, plan = { id = "any", year_start = "2027-01-01", \
target_incentive = 120000, components = [ { \
id = "bookings", measure = "bookings", quota = 1200000, tiers = [ { from = 0.0, rate = 0.1 } ] } \
] } }
[segments.ae]
plan = "any"
measure = "bookings"
gross_margin = 0.8
[segments.ae.technology]
kind = "normal"
sigma = 300000
[segments.ae.reps]
count = 1
base_sales = 800000
effectiveness = 400000
effort_cost = 80000
outside_option = 100000
risk_aversion = 0
[behaviour]
effort = { model = "dynamic", cadence = "CADENCE", grid_points = 151 }
"""


def behaviour_pair(plan_text: str, cadence: str = "month"):
    """Statistical and behavioural forecasts (same seed) of 13 reps at 30 June: ``capped`` at
    300k a month, ``below`` at 20k, and 11 reps around 80–120k (the spread the model needs)."""
    from spmopt.scenario import Scenario

    generator = RandomStreams(4).generator("test_behaviour")
    rows = monthly("capped", 300_000 + 30_000 * generator.standard_normal(6))
    rows += monthly("below", 20_000 + 5_000 * generator.standard_normal(6))
    for i in range(11):
        rows += monthly(f"x{i}", 80_000 + 4_000 * i + 25_000 * generator.standard_normal(6))
    scenario = Scenario.from_toml(BEHAVIOUR_SCENARIO.replace("CADENCE", cadence), source="t")
    plan = spmopt.Plan.from_toml(plan_text)
    settings = {"as_of": "2027-06-30", "replications": 400, "seed": 2}
    statistical = forecast(plan, frame(rows), **settings)
    behavioural = forecast(plan, frame(rows), **settings, behaviour=scenario)
    return statistical.reps.set_index("rep_id"), behavioural.reps.set_index("rep_id")


def second_half(reps: pd.DataFrame) -> pd.Series:
    """Expected second-half sales [share of the annual quota]."""
    return reps["expected_attainment"] - reps["attainment_ytd"]


CAPPED_PLAN = PLAN_TEXT.replace(
    "quota = 1200000", "quota = 1200000\nthreshold = 0.7\ncap = 1.2"
).replace(", { from = 1.0, rate = 0.15 }", "")


def test_behaviour_at_the_cap_and_far_below_the_threshold():
    """Plan: 10% of bookings from a 70% threshold to a 120% cap; each rep's policy is their own
    (base sales h fitted to their rate, k = 400k, c = 80k). A rep at 10% by June (rate 0.2) who
    worked a little early in the year cannot reach the threshold and gives up: more than 10%
    lower second-half sales than the statistical forecast (common random numbers: the
    difference is the rate factor, whose mean is reported as ``behaviour_factor``). A rep
    selling three times quota a month (rate 3.0: h ≈ 3.6M, past the cap whatever they do) never
    had a reason to work: their rate is their base sales and the forecast is the statistical
    one (factor 1 within 0.005; the typical-rep policy of h = 800k made it ≈ 0.8); the payout is
    the cap either way. A rep who learns nothing within the year (cadence "year") keeps the
    effort the rate was measured at: both forecasts agree exactly."""
    statistical, behavioural = behaviour_pair(CAPPED_PLAN)
    assert second_half(behavioural)["below"] < 0.9 * second_half(statistical)["below"]
    assert 0.75 < behavioural.loc["below", "behaviour_factor"] < 0.9
    assert behavioural.loc["capped", "behaviour_factor"] == pytest.approx(1.0, abs=0.005)
    assert second_half(behavioural)["capped"] == pytest.approx(
        second_half(statistical)["capped"], rel=0.005
    )
    assert behavioural.loc["capped", "expected_payout"] == pytest.approx(144_000.0)  # 10% × 1.44M
    assert statistical["behaviour_factor"].isna().all()
    statistical, yearly = behaviour_pair(CAPPED_PLAN, cadence="year")
    np.testing.assert_allclose(yearly["behaviour_factor"], 1.0, rtol=1e-12)
    np.testing.assert_allclose(yearly["expected_attainment"], statistical["expected_attainment"])


def test_a_lucky_rep_at_the_cap_coasts():
    """30 reps with exponential months (mean 100k, so months are as noisy as deal sales) and one
    lucky rep past the 120% cap by June thanks to a 1.1M deal in March: their pace (2.4) is
    shrunk to an estimated rate near quota, at which a rep works for the pay below the cap; past
    the cap the pay stops, so they forecast lower second-half sales than the statistical
    forecast (rate factor below 0.97; common random numbers)."""
    from spmopt.scenario import Scenario

    generator = RandomStreams(4).generator("test_behaviour_lucky")
    rows = monthly("lucky", [80_000, 90_000, 1_100_000, 60_000, 70_000, 60_000])
    for i in range(30):
        rows += monthly(f"x{i}", generator.exponential(100_000, 6))
    scenario = Scenario.from_toml(BEHAVIOUR_SCENARIO.replace("CADENCE", "month"), source="t")
    plan = spmopt.Plan.from_toml(CAPPED_PLAN)
    settings = {"as_of": "2027-06-30", "replications": 200, "seed": 2}
    statistical = forecast(plan, frame(rows), **settings).reps.set_index("rep_id")
    behavioural = forecast(plan, frame(rows), **settings, behaviour=scenario).reps
    behavioural = behavioural.set_index("rep_id")
    assert behavioural.loc["lucky", "attainment_ytd"] > 1.2
    assert behavioural.loc["lucky", "behaviour_factor"] < 0.97
    assert second_half(behavioural)["lucky"] < 0.97 * second_half(statistical)["lucky"]


def test_strong_and_weak_reps_at_the_same_position_respond_differently():
    """Each rep's own policy (the typical-rep version gave every rep the same one): a strong
    rep (rate 1.0 of quota: h ≈ 0.96M) and a weak one (rate 0.3: h ≈ 0.28M) both at 10% of the
    year's quota at the July review, on 10% from a 70% threshold to a 120% cap. The strong rep
    behind after a slow start still chases the threshold (effort above 0.5; the static effort
    of a linear plan is 0.5); the weak rep, who would need about 1.2M in the half year, gives up
    (effort below 0.1). At 100% of quota both ease off toward the cap, the weak rep less (their
    policy expected less of the year to come)."""
    from spmopt.plan.earnings import RepTerms
    from spmopt.scenario import Scenario
    from spmopt.sim.forecast import RateModel, behaviour_model

    scenario = Scenario.from_toml(BEHAVIOUR_SCENARIO.replace("CADENCE", "month"), source="t")
    model = behaviour_model(scenario, spmopt.Plan.from_toml(CAPPED_PLAN))
    quota = np.full((2, 12), 100_000.0)
    rates = RateModel(
        quota=quota,
        mean=np.array([1.0, 0.3]),
        variance=np.zeros(2),
        pace=np.array([1.0, 0.3]),
        cv=0.2,
    )
    reps = RepTerms(
        ids=np.array(["strong", "weak"]),
        start_month=np.zeros(2, dtype=int),
        target_incentive=np.full(2, 120_000.0),
        explicit_quota={},
    )
    response = model.for_reps(reps, rates)
    assert response.base_sales[0] > 2 * response.base_sales[1]
    strong, weak = response.effort(6, np.full(2, 0.1), np.full(2, 0.1))
    assert strong > 0.5
    assert weak < 0.1


def test_behaviour_on_an_uncapped_linear_plan_changes_nothing():
    """10% of every booking, no threshold, no cap, risk-neutral reps, each with their own
    policy (h fitted to their rate): the marginal pay of effort is the same in every position,
    so effort is k·rate/c = 0.5 everywhere and the behavioural forecast agrees with the
    statistical one. Tolerance: 2 standard errors of the expected second half (400
    replications; the forecasts share their random numbers, so the actual gap is the policy
    grid's error, far smaller; false failures only from the grid). The rep at 20k a month is
    left out: with h ≈ 0.1M against a 300k sales sd their year's sales may end below zero,
    where the plan pays nothing — not linear for them (they work less near zero attainment)."""
    plan_text = PLAN_TEXT.replace(", { from = 1.0, rate = 0.15 }", "")
    statistical, behavioural = behaviour_pair(plan_text)
    statistical, behavioural = statistical.drop(index="below"), behavioural.drop(index="below")
    gap = (second_half(behavioural) - second_half(statistical)).abs()
    se = (statistical["attainment_p90"] - statistical["attainment_p10"]) / 2.56 / np.sqrt(400)
    assert (gap < 2 * se).all()
    np.testing.assert_allclose(behavioural["behaviour_factor"], 1.0, atol=0.01)


def test_a_seasonality_profile_that_doubles_the_second_half():
    """A steady rep at 60k a month; expected sales per unit of quota twice as high from July
    (profile 1 × 6, 2 × 6): their rate against the seasonal quota is 1.5× their pace, so each
    month to come sells 120k: 360k + 720k = 1.08M, attainment 0.9, payout 10% = 108,000
    (without the profile: 720k, 72,000). The run rate and the pace stay the plain ones (72,000;
    0.6). The same profile from the behaviour scenario's segment (``"behaviour"``) gives the
    same forecast (cadence "year": no response to the position, so the statistical one); a
    profile of 11 weights is an input error."""
    from spmopt.scenario import Scenario

    plan = spmopt.Plan.from_toml(PLAN_TEXT)
    credits = frame(monthly("steady", [60_000] * 6))
    settings = {"as_of": "2027-06-30", "replications": 20, "seed": 3}
    profile = [1.0] * 6 + [2.0] * 6
    plain = forecast(plan, credits, **settings).reps.set_index("rep_id").loc["steady"]
    seasonal = forecast(plan, credits, **settings, seasonality=profile).reps.set_index("rep_id")
    seasonal = seasonal.loc["steady"]
    assert plain["expected_payout"] == pytest.approx(72_000.0, abs=0.02)
    assert seasonal["expected_attainment"] == pytest.approx(0.9, rel=1e-9)
    assert seasonal["expected_payout"] == pytest.approx(108_000.0, abs=0.02)
    assert seasonal["run_rate_payout"] == pytest.approx(72_000.0, abs=0.02)
    assert seasonal["pace"] == pytest.approx(0.6)
    text = BEHAVIOUR_SCENARIO.replace("CADENCE", "year").replace(
        'measure = "bookings"\ngross_margin',
        'measure = "bookings"\nseasonality = [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]\ngross_margin',
    )
    scenario = Scenario.from_toml(text, source="t")
    from_scenario = forecast(plan, credits, **settings, seasonality="behaviour", behaviour=scenario)
    assert from_scenario.reps.set_index("rep_id").loc["steady", "expected_payout"] == pytest.approx(
        108_000.0, abs=0.02
    )
    with pytest.raises(SpmoptInputError, match="seasonality"):
        forecast(plan, credits, **settings, seasonality=[1.0] * 11)
