"""The SimPy event engine: table contracts, reproducibility, and deal records that reconcile
exactly with the seat-month table (credit, revenue, pulls and pushes pro rata)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from sim_fixtures import ae_population, saas_ae_earnings, shipped_plan

from spmopt.reps.behaviour.registry import behaviour_from_dict
from spmopt.reps.seasonality import Seasonality
from spmopt.reps.technology import DealSales, NormalSales
from spmopt.sim.events import simulate_events
from spmopt.sim.model import QuotaRevision, Segment, SimulationModel
from spmopt.sim.results import DEAL_COLUMNS, REP_PERIOD_COLUMNS
from spmopt.sim.streams import RandomStreams

BEHAVIOUR = {
    "effort": {"model": "dynamic", "grid_points": 101, "quadrature_nodes": 16},
    "timing": {"model": "pull_push", "discount": 0.1},
    "attrition": {"model": "hazard", "vacancy_months": 1},
}


def make_model(
    count=30, years=1, period="year", technology=None, behaviour=None, revision=None
) -> SimulationModel:
    population = ae_population(count)
    segment = Segment(
        "ae",
        shipped_plan(period=period),
        technology or DealSales(deal_size_mean=40000),
        Seasonality.quarter_end(1.5),
        0.8,
    )
    return SimulationModel(
        "test",
        population,
        {"ae": segment},
        behaviour=behaviour_from_dict(behaviour or BEHAVIOUR),
        years=years,
        quota_revision=revision,
    )


@pytest.fixture(scope="module")
def quarterly():
    """Two years, quarterly measurement periods: timing moves at every quarter end."""
    return simulate_events(make_model(years=2, period="quarter"), 3, RandomStreams(11))


def month_index(rep_periods: pd.DataFrame) -> pd.Series:
    return (rep_periods["year"] - 1) * 12 + rep_periods["month"] - 1


def deal_month_totals(deals: pd.DataFrame) -> pd.DataFrame:
    keyed = deals.assign(
        absolute=np.floor(deals["closed"]).astype(int),
        pulled_amount=np.where(deals["timing"] == "pulled", deals["amount"], 0.0),
        rows=1,
    )
    return keyed.groupby(["replication", "rep_id", "absolute"], observed=True)[
        ["amount", "credited_amount", "discount", "pulled_amount", "rows"]
    ].sum()


def test_tables_follow_the_declared_columns_and_keys(quarterly):
    result = quarterly
    assert tuple(result.rep_periods.columns) == REP_PERIOD_COLUMNS
    assert tuple(result.deals.columns) == DEAL_COLUMNS
    assert len(result.rep_periods) == 3 * 30 * 24
    keys = ["replication", "rep_id", "period"]
    assert not result.rep_periods.duplicated(keys).any()
    assert result.metadata["engine"] == "events"
    assert result.metadata["seed"] == 11 and result.metadata["replications"] == 3
    assert set(result.deals["timing"]) <= {"", "pulled", "pushed"}
    assert (result.deals["created"] < result.deals["closed"]).all()
    assert result.deals["closed"].between(0, 24, inclusive="left").all()
    assert (result.deals["amount"] > 0).all()


def test_same_seed_same_tables_and_split_runs_agree():
    model = make_model(count=12)
    whole = simulate_events(model, 4, RandomStreams(3))
    again = simulate_events(model, 4, RandomStreams(3))
    pd.testing.assert_frame_equal(whole.rep_periods, again.rep_periods)
    pd.testing.assert_frame_equal(whole.deals, again.deals)
    first = simulate_events(model, 2, RandomStreams(3))
    second = simulate_events(model, 2, RandomStreams(3), first_replication=2)
    for name in ("rep_periods", "deals"):
        joined = pd.concat([getattr(first, name), getattr(second, name)], ignore_index=True)
        expected = getattr(whole, name)
        for column in ("scenario_id", "plan_id", "rep_id", "period", "segment"):
            if column in joined:
                joined[column] = joined[column].astype(str)
                expected = expected.assign(**{column: expected[column].astype(str)})
        pd.testing.assert_frame_equal(joined, expected)
    other = simulate_events(model, 4, RandomStreams(4))
    assert not np.allclose(other.rep_periods["credited"], whole.rep_periods["credited"])


def test_progress_reports_replications_done():
    seen = []
    simulate_events(make_model(count=5), 3, RandomStreams(1), progress=seen.append)
    assert seen == [1, 2, 3]


def test_deal_records_reconcile_with_seat_months(quarterly):
    periods = quarterly.rep_periods.assign(absolute=month_index(quarterly.rep_periods))
    totals = deal_month_totals(quarterly.deals)
    joined = periods.set_index(["replication", "rep_id", "absolute"]).join(totals).fillna(0.0)
    assert np.allclose(joined["credited"], joined["credited_amount"], rtol=1e-9, atol=1e-6)
    assert np.allclose(joined["discount_lost"], joined["discount"], atol=1e-6)
    assert np.allclose(joined["pulled"], joined["pulled_amount"], atol=1e-6)
    assert (joined["deals_closed"] == joined["rows"]).all()
    # face value booked in a month: closings − pushed + pulled; revenue in vacant seats
    booked = joined["closings"] - joined["pushed"] + joined["pulled"]
    assert np.allclose(booked, joined["amount"], atol=1e-6)
    vacant = ~joined["occupied"].astype(bool)
    assert vacant.any()
    assert (joined.loc[vacant, "credited"] == 0).all()
    assert np.allclose(joined.loc[vacant, "revenue"], joined.loc[vacant, "closings"])
    occupied = ~vacant
    assert np.allclose(joined.loc[occupied, "revenue"], joined.loc[occupied, "credited"])
    assert np.allclose(joined["margin"], 0.8 * joined["revenue"])


def test_pulls_and_pushes_are_pro_rata_and_land_in_the_right_month(quarterly):
    deals, periods = quarterly.deals, quarterly.rep_periods
    periods = periods.assign(absolute=month_index(periods))
    moved = periods[(periods["pulled"] > 0) | (periods["pushed"] > 0)]
    assert (moved["pulled"] > 0).sum() > 5 and (moved["pushed"] > 0).sum() > 5
    assert set(moved["month"]) <= {3, 6, 9, 12}  # quarter ends only
    assert not ((moved["pulled"] > 0) & (moved["pushed"] > 0)).any()
    month = np.floor(deals["closed"]).astype(int)
    face = deals.groupby(["replication", "deal_id"])["amount"].transform("sum")
    share = deals["amount"] / face
    key = ["replication", "rep_id"]
    # pulled pieces: the same share of every deal due next month, totalling the seat's pull
    pulled = deals[(deals["timing"] == "pulled") & (month < 23)].assign(share=share, month=month)
    spread = pulled.groupby([*key, "month"], observed=True)["share"].agg(["min", "max"])
    assert np.allclose(spread["min"], spread["max"], rtol=1e-9)
    # pushed pieces close next month and total the seat's push of the month before
    pushed = deals[deals["timing"] == "pushed"].assign(month=month - 1, share=share)
    totals = pushed.groupby([*key, "month"], observed=True)["amount"].sum()
    expected = periods[periods["pushed"] > 0].set_index([*key, "absolute"])["pushed"]
    expected = expected[expected.index.get_level_values(2) < 23]
    aligned = totals.reindex(expected.index)
    assert np.allclose(aligned.to_numpy(), expected.to_numpy(), rtol=1e-9)
    spread = pushed.groupby([*key, "month"], observed=True)["share"].agg(["min", "max"])
    assert np.allclose(spread["min"], spread["max"], rtol=1e-9)


def test_vacancies_last_vacancy_months_then_a_new_hire_starts():
    result = simulate_events(make_model(count=40), 2, RandomStreams(8))
    periods = result.rep_periods.sort_values(["replication", "rep_id", "period"])
    occupied = periods["occupied"].to_numpy().reshape(-1, 12)
    quit_ = periods["quit"].to_numpy().reshape(-1, 12)
    hired = periods["hired"].to_numpy().reshape(-1, 12)
    tenure = periods["tenure_months"].to_numpy().reshape(-1, 12)
    checked = 0
    for seat, month in zip(*np.nonzero(quit_), strict=True):
        assert occupied[seat, month]
        if month + 2 < 12:  # vacancy_months = 1: vacant next month, hired the month after
            assert not occupied[seat, month + 1]
            assert occupied[seat, month + 2] and hired[seat, month + 2]
            assert tenure[seat, month + 2] == 0
            checked += 1
    assert checked > 10
    assert not (hired & ~occupied).any()


def test_incentive_of_a_full_year_is_the_plans_tiers_by_hand():
    """Seats occupied all year, annual plan: the year's incentive is the saas-ae tiers on the
    year's sales, worked out by hand (:func:`saas_ae_earnings`); base sales from 600k to 1.4M
    put seats in every tier. Pay is rounded to cents each month."""
    model = make_model(count=30, behaviour={**BEHAVIOUR, "attrition": {"model": "none"}})
    base_sales = {"dist": "uniform", "low": 600_000, "high": 1_400_000}
    model = replace(model, population=ae_population(30, base_sales=base_sales))
    years = simulate_events(model, 2, RandomStreams(5)).rep_years()
    sales = years["credited"].to_numpy()
    np.testing.assert_allclose(years["incentive"], saas_ae_earnings(sales, 960_000.0), atol=0.1)
    assert (sales > 1.25 * 960_000).any() and (sales < 960_000).any()


def test_quota_revision_across_years_uses_each_seats_sales():
    model = make_model(
        count=20,
        years=2,
        behaviour={**BEHAVIOUR, "attrition": {"model": "none"}},
        revision=QuotaRevision(up=0.5, down=0.25),
    )
    years = simulate_events(model, 2, RandomStreams(2)).rep_years()
    first = years[years["year"] == 1].set_index(["replication", "rep_id"])
    second = years[years["year"] == 2].set_index(["replication", "rep_id"])
    expected = QuotaRevision(up=0.5, down=0.25).revise(first["quota"], first["credited"])
    assert np.allclose(second.loc[first.index, "quota"], expected)


def test_normal_sales_book_one_amount_per_seat_month():
    model = make_model(count=10, technology=NormalSales(sigma=150000))
    result = simulate_events(model, 2, RandomStreams(4))
    periods = result.rep_periods.assign(absolute=month_index(result.rep_periods))
    totals = deal_month_totals(result.deals)
    joined = periods.set_index(["replication", "rep_id", "absolute"]).join(totals).fillna(0.0)
    assert np.allclose(joined["credited"], joined["credited_amount"], atol=1e-6)
    occupied = joined["occupied"].astype(bool)
    assert (joined.loc[occupied, "rows"] >= 1).all()


def test_plans_see_common_random_numbers():
    """Two plans on one seed: identical deals where decisions coincide (fixed effort), and
    strongly correlated seat sales where they differ (each seat keeps its own draws)."""
    fixed = {**BEHAVIOUR, "effort": {"model": "fixed_effort", "effort": 0.5}}
    fixed["timing"] = {"model": "none"}
    fixed["attrition"] = {"model": "none"}  # hazards follow each plan's certainty equivalent
    model = make_model(count=20, behaviour=fixed)
    other = model.with_plans({"ae": shipped_plan("capped-decelerator")})
    a = simulate_events(model, 2, RandomStreams(9))
    b = simulate_events(other, 2, RandomStreams(9))
    for column in ("closings", "deals_closed", "effort"):
        assert np.array_equal(a.rep_periods[column], b.rep_periods[column])
    assert not np.allclose(a.rep_periods["incentive"], b.rep_periods["incentive"])
    responsive = make_model(count=40, behaviour={**BEHAVIOUR, "attrition": {"model": "none"}})
    other = responsive.with_plans({"ae": shipped_plan("capped-decelerator")})
    a = simulate_events(responsive, 3, RandomStreams(9)).rep_years()
    b = simulate_events(other, 3, RandomStreams(9)).rep_years()
    assert not np.allclose(a["credited"], b["credited"])
    assert np.corrcoef(a["credited"], b["credited"])[0, 1] > 0.8
