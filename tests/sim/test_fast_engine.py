"""The vectorised fast engine: table contract, reproducibility, chunk and split independence,
monthly accounting, vacancies and hires, and payouts checked against hand arithmetic of the
saas-ae plan's tiers (not against the engine's own ``plan_earnings``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sim_fixtures import SAAS_AE_RATE, ae_population, saas_ae_earnings, spell_earnings_to_date
from sim_fixtures import shipped_plan as plan

import spmopt
from spmopt.errors import SpmoptInputError
from spmopt.reps.behaviour.registry import behaviour_from_dict
from spmopt.reps.population import Population
from spmopt.reps.seasonality import Seasonality
from spmopt.reps.technology import DealSales, NormalSales
from spmopt.sim.fast import iter_fast, simulate_fast
from spmopt.sim.model import QuotaRevision, Segment, SimulationModel
from spmopt.sim.results import REP_PERIOD_COLUMNS
from spmopt.sim.streams import RandomStreams

ROOT = Path(__file__).resolve().parents[2]
FULL = {
    "effort": {"model": "dynamic", "grid_points": 61},
    "timing": {"model": "pull_push", "discount": 0.1},
    "attrition": {"model": "hazard", "vacancy_months": 1},
}


def model(
    count: int = 12,
    behaviour: dict | None = None,
    *,
    years: int = 1,
    technology=None,
    the_plan: spmopt.Plan | None = None,
    revision: QuotaRevision | None = None,
    outside_option: float = 180000,
) -> SimulationModel:
    population = ae_population(count, outside_option=outside_option)
    segment = Segment(
        "ae",
        the_plan or plan(),
        technology or DealSales(deal_size_mean=40000),
        Seasonality.quarter_end(1.5),
        0.8,
    )
    return SimulationModel(
        "test",
        population,
        {"ae": segment},
        behaviour=behaviour_from_dict(behaviour or {"effort": {"model": "static"}}),
        years=years,
        quota_revision=revision,
    )


@pytest.fixture(scope="module")
def full_model() -> SimulationModel:
    """Dynamic effort, quarterly timing and attrition with one-month vacancies."""
    return model(12, FULL, the_plan=plan(period="quarter"))


@pytest.fixture(scope="module")
def full_run(full_model):
    return simulate_fast(full_model, 9, RandomStreams(21))


def test_table_contract(full_model, full_run):
    table = full_run.rep_periods
    assert tuple(table.columns) == REP_PERIOD_COLUMNS
    assert len(table) == 9 * 12 * full_model.seats
    keys = ["scenario_id", "plan_id", "replication", "rep_id", "period"]
    assert not table.duplicated(keys).any()
    assert set(table["scenario_id"]) == {"test"} and set(table["plan_id"]) == {"saas-ae"}
    assert set(table["rep_id"]) == set(full_model.population.rep_ids)
    assert list(table["period"].cat.categories) == full_model.period_labels()
    assert sorted(table["replication"].unique()) == list(range(9))
    first = table[table["period"] == "2027-01"]
    assert (first["year"] == 1).all() and (first["month"] == 1).all()
    assert (table.loc[table["period"] == "2027-12", "month"] == 12).all()
    meta = full_run.metadata
    assert meta["engine"] == "fast" and meta["seed"] == 21 and meta["replications"] == 9
    assert meta["decide_year_seconds"] > 0


def test_same_seed_same_tables_other_seed_other_tables(full_model, full_run):
    again = simulate_fast(full_model, 9, RandomStreams(21))
    pd.testing.assert_frame_equal(full_run.rep_periods, again.rep_periods)
    other = simulate_fast(full_model, 9, RandomStreams(22)).rep_periods
    assert not np.allclose(other["closings"], full_run.rep_periods["closings"])


@pytest.mark.parametrize("chunk, workers", [(1, 1), (4, 1), (2, 3)])
def test_chunk_size_and_threads_do_not_change_the_tables(full_model, full_run, chunk, workers):
    chunked = simulate_fast(
        full_model, 9, RandomStreams(21), chunk_replications=chunk, workers=workers
    )
    pd.testing.assert_frame_equal(full_run.rep_periods, chunked.rep_periods)


def test_split_runs_and_chunk_iterator_give_the_same_rows(full_model, full_run):
    late = simulate_fast(full_model, 5, RandomStreams(21), first_replication=4).rep_periods
    expected = full_run.rep_periods
    expected = expected[expected["replication"] >= 4].reset_index(drop=True)
    pd.testing.assert_frame_equal(expected, late)
    parts = list(iter_fast(full_model, 9, RandomStreams(21), chunk_replications=2))
    assert [part.rep_periods["replication"].nunique() for part in parts] == [2, 2, 2, 2, 1]
    joined = pd.concat([part.rep_periods for part in parts], ignore_index=True)
    pd.testing.assert_frame_equal(full_run.rep_periods, joined)


def test_progress_reports_replications_done(full_model):
    for workers in (1, 2):
        seen = []
        simulate_fast(
            full_model,
            5,
            RandomStreams(3),
            chunk_replications=2,
            progress=seen.append,
            workers=workers,
        )
        assert seen == [2, 4, 5]


def test_monthly_accounting(full_model, full_run):
    t = full_run.rep_periods
    occupied = t["occupied"].to_numpy()
    delta = 0.1
    # revenue = closings − pushed + (1 − δ)·pulled; discount_lost = δ·pulled
    np.testing.assert_allclose(
        t["revenue"], t["closings"] - t["pushed"] + (1 - delta) * t["pulled"], rtol=1e-12, atol=1e-6
    )
    np.testing.assert_allclose(t["discount_lost"], delta * t["pulled"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(t["credited"], t["revenue"] * occupied, rtol=1e-12)
    np.testing.assert_allclose(t["margin"], 0.8 * t["revenue"], rtol=1e-12)
    np.testing.assert_allclose(t["base_pay"], occupied * 100000 / 12, rtol=1e-12)
    vacant = t[~t["occupied"]]
    assert len(vacant) > 0
    assert (
        (vacant[["effort", "attainment_seen", "credited", "incentive", "pulled", "pushed"]] == 0)
        .all()
        .all()
    )
    assert (vacant["tenure_months"] == 0).all()
    # timing moves only at quarter ends, within their capacities (push_share = 0.5 of closings)
    moved = t[(t["pulled"] > 0) | (t["pushed"] > 0)]
    assert len(moved) > 0 and set(moved["month"]) <= {3, 6, 9, 12}
    assert (t["pushed"] <= 0.5 * t["closings"] + 1e-6).all()
    assert (t["pulled"] > 0).any() and (t["discount_lost"] > 0).any()
    assert (t["deals_closed"] >= 0).all() and (t["effort"] >= 0).all()


def test_vacancies_hires_and_tenure(full_run):
    t = full_run.rep_periods.sort_values(["replication", "rep_id", "period"])
    quits = hires = 0
    for _, seat in t.groupby(["replication", "rep_id"], observed=True):
        occupied = seat["occupied"].to_numpy()
        quit = seat["quit"].to_numpy()
        hired = seat["hired"].to_numpy()
        tenure = seat["tenure_months"].to_numpy()
        assert not (quit & ~occupied).any()
        for m in np.flatnonzero(quit):  # quit at the end of m: vacant m + 1, hired m + 2
            if m + 1 < 12:
                assert not occupied[m + 1] and not hired[m + 1]
            if m + 2 < 12:
                assert occupied[m + 2] and hired[m + 2] and tenure[m + 2] == 0
        for m in range(1, 12):
            if occupied[m] and occupied[m - 1] and not quit[m - 1]:
                assert tenure[m] == tenure[m - 1] + 1 and not hired[m]
        quits += quit.sum()
        hires += hired.sum()
    assert quits > 0 and hires > 0


def spells(seat: pd.DataFrame) -> list[tuple[int, int]]:
    """(first month, last month) of each rep in a seat's year (0-based), read from the table."""
    occupied = seat["occupied"].to_numpy()
    starts = [m for m in range(12) if occupied[m] and (m == 0 or seat["hired"].iloc[m])]
    found = []
    for start in starts:
        end = start
        while end + 1 < 12 and occupied[end + 1] and not seat["hired"].iloc[end + 1]:
            end += 1
        found.append((start, end))
    return found


def test_incentive_is_each_rep_spells_earnings_by_hand():
    """Quarterly measurement periods with quits every few months and immediate hires: each
    spell's monthly incentive is the change in its earnings to date, worked out by hand
    (:func:`spell_earnings_to_date`): the incumbent on the quarter's quota, a hire on its quarter's
    quota prorated from its start month, a leaver keeping what it earned. Pay is in cents
    (monthly credits and earnings rounded), hence the tolerance of a few cents."""
    the_model = model(
        4,
        {"effort": {"model": "static"}, "attrition": {"model": "hazard", "vacancy_months": 0}},
        the_plan=plan(period="quarter"),
        outside_option=400000,  # far above pay: quits every few months
    )
    table = simulate_fast(the_model, 3, RandomStreams(8)).rep_periods
    checked_hires = checked_accelerated = 0
    for _, seat in table.groupby(["replication", "rep_id"], observed=True):
        seat = seat.sort_values("period")
        for start, end in spells(seat):
            credited = np.zeros(12)
            credited[start : end + 1] = seat["credited"].to_numpy()[start : end + 1]
            earned = spell_earnings_to_date(credited, start, 3)
            steps = np.diff(earned, prepend=0.0)[start : end + 1]
            np.testing.assert_allclose(
                seat["incentive"].to_numpy()[start : end + 1], steps, atol=0.05
            )
            checked_hires += start > 0
            accelerated = np.diff(earned, prepend=0.0) > 1.01 * SAAS_AE_RATE * credited + 0.05
            checked_accelerated += bool(accelerated.any())
    assert checked_hires > 0 and checked_accelerated > 0  # proration and accelerators exercised


def test_year_incentive_is_the_annual_tiers_by_hand():
    """No attrition, annual measurement: each month's incentive is the change in the tiers'
    earnings on credited year to date (:func:`saas_ae_earnings`, quota 960,000); base sales from
    600k to 1.4M put seats in every tier."""
    the_model = model(5)
    base_sales = {"dist": "uniform", "low": 600_000, "high": 1_400_000}
    the_model = replace(the_model, population=ae_population(5, base_sales=base_sales))
    table = simulate_fast(the_model, 2, RandomStreams(4)).rep_periods
    credited = table.pivot_table(
        index=["replication", "rep_id"], columns="month", values="credited", observed=True
    )
    incentive = table.pivot_table(
        index=["replication", "rep_id"], columns="month", values="incentive", observed=True
    ).loc[credited.index]
    to_date = np.cumsum(credited.to_numpy(), axis=1)
    earned = saas_ae_earnings(to_date, 960_000.0)
    np.testing.assert_allclose(incentive, np.diff(earned, axis=1, prepend=0.0), atol=0.05)
    assert (to_date[:, -1] > 1.25 * 960_000).any() and (to_date[:, -1] < 960_000).any()


def test_normal_sales_segment_beside_a_deal_segment():
    deals = model(6)
    normal_pop = Population.generate(
        {
            "segments": {
                "field": {
                    "count": 5,
                    "base_sales": 400000,
                    "effectiveness": 200000,
                    "effort_cost": 50000,
                    "outside_option": 150000,
                }
            }
        },
        RandomStreams(2).generator("population"),
    )
    population = Population(
        pd.concat([deals.population.frame, normal_pop.frame], ignore_index=True)
    )
    segments = {
        "ae": deals.segments["ae"],
        "field": Segment("field", plan("capped-decelerator"), NormalSales(sigma=150000)),
    }
    both = replace(deals, population=population, segments=segments)
    table = simulate_fast(both, 4, RandomStreams(6)).rep_periods
    field = table[table["segment"] == "field"]
    assert set(table["plan_id"]) == {both.plan_id()} and "+" in both.plan_id()
    assert (field["deals_closed"] == 0).all() and field["closings"].abs().sum() > 0
    assert (table.loc[table["segment"] == "ae", "deals_closed"] > 0).any()
    pd.testing.assert_frame_equal(
        table, simulate_fast(both, 4, RandomStreams(6), chunk_replications=3).rep_periods
    )


def test_second_year_quota_is_revised_from_the_first_years_sales():
    revision = QuotaRevision(up=0.5, down=0.2)
    the_model = model(6, years=2, revision=revision)
    table = simulate_fast(the_model, 3, RandomStreams(9)).rep_periods
    years = table.groupby(["replication", "rep_id", "year"], observed=True).agg(
        credited=("credited", "sum"), quota=("quota", "first")
    )
    first, second = years.xs(1, level="year"), years.xs(2, level="year")
    expected = revision.revise(first["quota"], first["credited"])
    np.testing.assert_allclose(second["quota"], expected, rtol=1e-12)
    chunked = simulate_fast(the_model, 3, RandomStreams(9), chunk_replications=1).rep_periods
    pd.testing.assert_frame_equal(table, chunked)


def test_per_transaction_plans_are_refused():
    text = (ROOT / "scenarios/plans/saas-ae.toml").read_text()
    text = text.replace('evaluation = "period_to_date"', 'evaluation = "per_transaction"')
    try:
        per_deal = spmopt.Plan.from_toml(text)
    except SpmoptInputError:  # pragma: no cover - the plan format may refuse the combination
        pytest.skip("per-transaction tiers not expressible in this plan")
    with pytest.raises(SpmoptInputError, match="per transaction"):
        simulate_fast(model(3, the_plan=per_deal), 1, RandomStreams(1))


def test_two_year_runs_extend_one_year_runs_and_ignore_chunking():
    """Year 1 of a two-year run is the one-year run (same draws, same decisions); the pipeline
    parked between years and the year-2 policies on mean revised quotas do not depend on the
    chunk size."""
    behaviour = {**FULL, "effort": {"model": "static"}}
    two = model(8, behaviour, years=2, revision=QuotaRevision(up=0.5, down=0.2))
    one = replace(two, years=1)
    table = simulate_fast(two, 5, RandomStreams(12)).rep_periods
    first = simulate_fast(one, 5, RandomStreams(12)).rep_periods
    year_one = table[table["year"] == 1].reset_index(drop=True)
    columns = [c for c in REP_PERIOD_COLUMNS if c not in ("period",)]
    pd.testing.assert_frame_equal(year_one[columns], first[columns], check_categorical=False)
    assert table.loc[table["year"] == 2, "closings"].sum() > 0
    for chunk, workers in ((1, 1), (2, 1), (1, 2)):
        chunked = simulate_fast(
            two, 5, RandomStreams(12), chunk_replications=chunk, workers=workers
        )
        pd.testing.assert_frame_equal(table, chunked.rep_periods)
