"""Pipeline input to the year-end forecast (spmopt.sim.forecast_pipeline).

Known answers on reps with no run rate (the forecast is their pipeline and nothing else), the
no-double-count rule on a linear plan (the force's expected total does not move), and the
command's bad-input messages.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from forecast_helpers import PLAN_TEXT, frame, monthly

import spmopt
from spmopt.cli import main
from spmopt.errors import SpmoptInputError
from spmopt.sim.forecast import forecast
from spmopt.sim.forecast_pipeline import held_share, validate_pipeline

ROOT = Path(__file__).resolve().parents[2]
PLANS = ROOT / "scenarios" / "plans"
DATA = ROOT / "scenarios" / "data"


def deals(rows) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["rep_id", "deal_id", "amount", "expected_close", "probability"]
    )


def idle_force():
    """Two reps credited nothing in the first half (no run rate, no spread), the first with a
    quota of 80,000 (roster)."""
    plan = spmopt.Plan.from_toml(PLAN_TEXT)
    credits = frame(monthly("z", [0] * 6) + monthly("y", [0] * 6))
    roster = pd.DataFrame({"rep_id": ["z", "y"], "quota": [80_000.0, np.nan]})
    return plan, credits, roster


def test_certain_deal_of_a_rep_without_run_rate_is_paid_exactly():
    """Nothing to date, one certain 100k deal in September on an 80k quota: 10% of 80k + 15% of
    the 20k above quota = 11,000 in every replication; attainment 125%; P(quota) 1. The other
    rep, with neither run rate nor pipeline, is forecast 0."""
    plan, credits, roster = idle_force()
    pipeline = deals([("z", "D1", 100_000.0, "2027-09-20", 1.0)])
    result = forecast(
        plan, credits, roster, as_of="2027-06-30", replications=200, seed=1, pipeline=pipeline
    )
    rows = result.reps.set_index("rep_id")
    for column in ("expected_payout", "payout_p10", "payout_p50", "payout_p90"):
        assert rows.loc["z", column] == pytest.approx(11_000.0, abs=0.01), column
        assert rows.loc["y", column] == pytest.approx(0.0, abs=0.01), column
    assert rows.loc["z", "earned_ytd"] == 0.0
    assert rows.loc["z", "expected_attainment"] == pytest.approx(1.25, rel=1e-12)
    assert rows.loc["z", "p_quota"] == 1.0 and rows.loc["y", "p_quota"] == 0.0
    assert rows.loc["z", "pipeline_expected"] == 100_000.0
    assert result.totals.iloc[0]["pipeline_expected"] == 100_000.0


def test_even_odds_deal_gives_two_equally_likely_outcomes():
    """The same deal at probability 0.5: the year pays 11,000 or 0. P(quota) is the share of
    replications that closed it: 0.5 within 4 standard errors (√(0.25/2000) = 0.011; false
    failure 6e-5); P10 = 0 and P90 = 11,000; the mean 5,500 within 4 standard errors."""
    plan, credits, roster = idle_force()
    pipeline = deals([("z", "D1", 100_000.0, "2027-09-20", 0.5)])
    count = 2000
    result = forecast(
        plan, credits, roster, as_of="2027-06-30", replications=count, seed=5, pipeline=pipeline
    )
    rows = result.reps.set_index("rep_id")
    outcomes = np.unique(np.round(result.samples[:, 0], 2))
    assert list(outcomes) == [0.0, 11_000.0]
    assert rows.loc["z", "p_quota"] == pytest.approx(0.5, abs=4 * np.sqrt(0.25 / count))
    assert rows.loc["z", "payout_p10"] == 0.0 and rows.loc["z", "payout_p90"] == 11_000.0
    se = 5_500.0 / np.sqrt(count)
    assert rows.loc["z", "expected_payout"] == pytest.approx(5_500.0, abs=4 * se)
    assert rows.loc["z", "pipeline_expected"] == 50_000.0


def noisy_force(reps: int = 20):
    """``reps`` reps with six months of credits around 100k (±20k, one fixed draw)."""
    from spmopt.sim.streams import RandomStreams

    draws = RandomStreams(11).generator("test_pipeline_force").normal(100_000, 20_000, (reps, 6))
    rows = []
    for index in range(reps):
        rows += monthly(f"r{index:02d}", np.round(draws[index], 2))
    return frame(rows)


def test_deals_after_the_year_end_are_ignored_with_a_note():
    """A deal expected in January 2028 changes nothing: the forecast is the one without a
    pipeline, draw for draw, and a note says one deal was ignored."""
    plan = spmopt.Plan.from_toml(PLAN_TEXT)
    credits = noisy_force(4)
    pipeline = deals([("r01", "late", 500_000.0, "2028-01-15", 1.0)])
    plain = forecast(plan, credits, as_of="2027-06-30", replications=100, seed=2)
    late = forecast(plan, credits, as_of="2027-06-30", replications=100, seed=2, pipeline=pipeline)
    assert np.array_equal(plain.samples, late.samples)
    columns = [c for c in plain.reps.columns if c != "pipeline_expected"]
    pd.testing.assert_frame_equal(plain.reps[columns], late.reps[columns])
    assert (late.reps["pipeline_expected"] == 0.0).all()
    assert plain.reps["pipeline_expected"].isna().all()
    assert (
        len(late.notes) == 1 and "1 pipeline deal" in late.notes[0] and "ignored" in late.notes[0]
    )


def test_pipeline_moves_reps_but_not_the_force_total():
    """No double count: on a linear plan (10% of every dollar) the year's payout is 10% of the
    year's credits, so the force's expected payout must be the same with and without a pipeline
    holding a share c_j < 1 of months 7–9, while the reps holding the deals gain. Both forecasts
    use the same draws; the mean of the paired difference is 0 within 4 of its standard errors
    (false failure 6e-5). Counting the pipeline on top would add 10% of 600,000 = 60,000."""
    plan = spmopt.Plan.from_toml(PLAN_TEXT.replace(", { from = 1.0, rate = 0.15 }", ""))
    credits = noisy_force(20)
    rows = [
        ("r00", "a", 150_000.0, "2027-07-10", 1.0),
        ("r00", "b", 100_000.0, "2027-08-10", 0.5),
        ("r01", "c", 200_000.0, "2027-08-20", 0.8),
        ("r02", "d", 150_000.0, "2027-09-05", 1.0),
    ]
    pipeline = deals(rows)
    due = np.zeros(12)
    due[[6, 7, 8]] = [150_000.0, 50_000.0 + 160_000.0, 150_000.0]
    share = held_share(due, np.full(12, 20 * 100_000.0))
    assert 0 < share.max() < 1  # the months' expected force credits are about 2M
    count = 2000
    settings = {"as_of": "2027-06-30", "replications": count, "seed": 4}
    plain = forecast(plan, credits, **settings)
    held = forecast(plan, credits, **settings, pipeline=pipeline)
    difference = held.samples.sum(axis=1) - plain.samples.sum(axis=1)
    se = difference.std(ddof=1) / np.sqrt(count)
    assert abs(difference.mean()) < 4 * se
    assert 4 * se < 0.1 * 0.1 * 600_000.0  # the test can tell a double count
    gain = (held.reps["expected_payout"] - plain.reps["expected_payout"]).to_numpy()
    assert (gain[:3] > 0).all() and (gain[3:] < 0).all()


def test_pipeline_input_errors_name_the_line_and_column():
    plan = spmopt.Plan.from_toml(PLAN_TEXT)
    credits = noisy_force(2)
    cases = [
        (("r00", "x", -5.0, "2027-09-01", 1.0), "amount"),
        (("r00", "x", 5.0, "2027-09-01", 1.5), "probability"),
        (("nobody", "x", 5.0, "2027-09-01", 1.0), "rep_id 'nobody'"),
        (("r00", "x", 5.0, "2027-06-30", 1.0), "expected_close 2027-06-30"),
    ]
    for row, expected in cases:
        with pytest.raises(SpmoptInputError, match=expected):
            forecast(plan, credits, as_of="2027-06-30", replications=5, pipeline=deals([row]))
    typed = validate_pipeline(deals([("r00", "x", 5.0, "2027-09-01", None)]))
    assert typed["probability"].tolist() == [1.0]


BAD_FILES = {
    "negative": ("R001,D1,-100,2027-09-15,0.5\n", "line 2: amount -100.00 is negative"),
    "probability": ("R001,D1,100,2027-09-15,1.2\n", "line 2: probability '1.2' is outside"),
    "unknown": ("R999,D1,100,2027-09-15,0.5\n", "line 2: rep_id 'R999' is not a rep"),
    "early": ("R001,D1,100,2027-06-01,0.5\n", "line 2: expected_close 2027-06-01 is on or before"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_forecast_command_rejects_a_bad_pipeline(tmp_path, capsys, case):
    """Exit status 2 and one message naming the file, its line and the column."""
    text, message = BAD_FILES[case]
    path = tmp_path / f"{case}.csv"
    path.write_text("rep_id,deal_id,amount,expected_close,probability\n" + text)
    argv = ["forecast", "--plan", PLANS / "saas-ae.toml", "--plan", PLANS / "multi-measure.toml"]
    argv += ["--credits", DATA / "credits.csv", "--roster", DATA / "roster.csv"]
    argv += ["--as-of", "2027-06-30", "--replications", "5", "--pipeline", path]
    status = main([str(part) for part in [*argv, "--out", tmp_path / "out"]])
    err = capsys.readouterr().err
    assert status == 2
    assert len(err.strip().splitlines()) == 1, err
    assert str(path) in err and message in err, err
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_history_pipeline_is_the_engines_open_deals():
    """The backtest's pipeline snapshot (saas-ae with 15 seats, one year): the simulation's
    table is :func:`spmopt.simulate`'s, bit for bit (the snapshot only reads the state), and
    every seat's pipeline due in a later month is covered by that month's closings plus the
    deals pulled out of it at the previous quarter end (its deals close then unless pulled);
    the pipeline holds most of July's closings and less of later months'."""
    from spmopt.scenario import Scenario
    from spmopt.sim.forecast_pipeline import simulate_with_pipeline

    path = ROOT / "scenarios" / "saas-ae.toml"
    text = path.read_text().replace("count = 120", "count = 12").replace("count = 30", "count = 3")
    scenario = Scenario.from_toml(text, source=str(path), base=path.parent)
    rep_periods, pipeline = simulate_with_pipeline(scenario, 2, as_of_month=5)
    reference = spmopt.simulate(scenario, replications=2).rep_periods
    pd.testing.assert_frame_equal(rep_periods, reference)
    due = pipeline.assign(month=6 + pipeline["months_ahead"])
    due = due[due["month"] <= 12]
    table = rep_periods.set_index(["replication", "rep_id", "month"])
    keys = list(zip(due["replication"], due["rep_id"], due["month"], strict=True))
    before = list(zip(due["replication"], due["rep_id"], due["month"] - 1, strict=True))
    closings = table.loc[keys, "closings"].to_numpy() + table.loc[before, "pulled"].to_numpy()
    assert (closings >= due["amount"].to_numpy() - 1e-6).all()
    by_month = due.groupby("month")["amount"].sum()
    later = rep_periods[rep_periods["month"].astype(int) >= 7]
    closed = later.groupby(later["month"].astype(int))["closings"].sum()
    share = by_month / closed
    assert share[7] > 0.8 and share[12] < share[7]


def test_forecast_command_reads_the_shipped_pipeline(tmp_path, capsys):
    """The shipped pipeline runs end to end: a pipeline column, the probability-weighted total,
    a note for each plan's deal after the year end, and ``pipeline_expected`` in the tables."""
    argv = ["forecast", "--plan", PLANS / "saas-ae.toml", "--plan", PLANS / "multi-measure.toml"]
    argv += ["--credits", DATA / "credits.csv", "--roster", DATA / "roster.csv"]
    argv += ["--as-of", "2027-06-30", "--replications", "20", "--show", "2"]
    argv += ["--pipeline", DATA / "pipeline.csv", "--out", tmp_path]
    status = main([str(part) for part in argv])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert " pipeline " in captured.out and "probability-weighted pipeline" in captured.out
    assert captured.out.count("expected after the plan year's end: ignored") == 2
    reps = pd.read_csv(tmp_path / "forecast_reps.csv")
    assert (reps["pipeline_expected"] >= 0).all() and reps["pipeline_expected"].sum() > 0
