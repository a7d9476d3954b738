"""Policies of large heterogeneous segments (``decide_year``, ``rep_types``) against each rep
solved on its own."""

from __future__ import annotations

import numpy as np
import pytest
from sim_fixtures import ae_population
from sim_fixtures import shipped_plan as plan

from spmopt.reps.behaviour.dynamic import DynamicBestResponse
from spmopt.reps.behaviour.registry import behaviour_from_dict
from spmopt.reps.behaviour.static import best_response
from spmopt.reps.population import Population
from spmopt.reps.situation import Situation
from spmopt.reps.technology import NormalSales
from spmopt.sim.fast import simulate_fast
from spmopt.sim.model import Segment, SimulationModel, decide_year
from spmopt.sim.streams import RandomStreams

SALES = NormalSales(sigma=150_000)


def _model(population: Population, effort: str) -> SimulationModel:
    population = population.with_columns(segment=np.array(["ae"] * len(population)))
    segment = Segment("ae", plan(), SALES)
    behaviour = behaviour_from_dict({"effort": {"model": effort}})
    return SimulationModel("types", population, {"ae": segment}, behaviour=behaviour)


def _heterogeneous(count: int) -> Population:
    """Base sales, effectiveness, effort cost, risk aversion and quota all differ rep by rep."""
    rng = RandomStreams(11).generator("types")
    return ae_population(
        count,
        effectiveness={"dist": "gamma", "mean": 300_000, "sd": 60_000},
        effort_cost={"dist": "lognormal", "mean": 60_000, "sigma": 0.3},
        risk_aversion={"dist": "uniform", "low": 0.0, "high": 2e-5},
    ).with_columns(quota=rng.uniform(800_000, 1_000_000, count))


def test_static_effort_and_certainty_equivalent_are_each_reps_own():
    """300 distinct reps (more than ``max_types``): static effort and the certainty equivalent
    behind the quit hazard equal each rep's own best response (they were those of a median rep
    of a base-sales/quota bin: effort errors of 30% on average)."""
    population = _heterogeneous(300)
    model = _model(population, "static")
    decisions = decide_year(model, model.initial_quotas())
    alone = best_response(plan(), population, SALES)
    seats = np.arange(len(population))
    np.testing.assert_allclose(decisions.effort(seats, 0, 0.0), alone.effort, rtol=1e-12)
    np.testing.assert_allclose(
        decisions.certainty_equivalent, alone.certainty_equivalent, rtol=1e-12
    )


def test_dynamic_types_ignore_traits_that_do_not_move_effort():
    """600 reps with 12 distinct effort-relevant profiles but outside options and attrition
    sensitivities all different: the dynamic policy is exact (one type per profile), equal to
    the policy solved on each profile alone (it was binned with median traits)."""
    rng = RandomStreams(12).generator("types")
    profiles = ae_population(12)
    rows = np.repeat(np.arange(12), 50)
    frame = profiles.frame.iloc[rows].reset_index(drop=True)
    frame["rep_id"] = [f"r{i}" for i in range(len(frame))]
    frame["outside_option"] = rng.uniform(150_000, 200_000, len(frame))
    frame["attrition_sensitivity"] = rng.uniform(0.5, 2.0, len(frame))
    population = Population(frame)
    model = _model(population, "dynamic")
    decisions = decide_year(model, model.initial_quotas())
    reference = DynamicBestResponse().solve(Situation(plan(), profiles, SALES))
    attainment = np.linspace(-0.2, 1.6, 19)
    for month in (0, 5, 11):
        got = decisions.effort(np.arange(600)[:, None], month, attainment[None, :])
        expected = reference.effort(rows[:, None], month, attainment[None, :])
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def _typed_against_alone(population: Population, max_types: int, grid_points: int = 301):
    """(typed initial effort, each rep's own, typed expected sales, own expected sales): the
    policy of ``decide_year`` with ``max_types`` against every rep solved alone; expected annual
    sales over 200 common-random-number paths of each policy."""
    population = population.with_columns(segment=np.array(["ae"] * len(population)))
    segment = Segment("ae", plan(), SALES)
    efforts, sales = [], []
    for types in (max_types, 10**9):
        behaviour = behaviour_from_dict(
            {"effort": {"model": "dynamic", "grid_points": grid_points}}
        )
        model = SimulationModel("types", population, {"ae": segment}, behaviour=behaviour)
        decisions = decide_year(model, model.initial_quotas(), max_types=types)
        efforts.append(decisions.effort(np.arange(len(population)), 0, 0.0))
        sales.append(_expected_sales(decisions, decisions.situations["ae"]))
    return efforts[0], efforts[1], sales[0], sales[1]


def _expected_sales(decisions, situation, paths: int = 200) -> np.ndarray:
    """Each rep's mean annual sales over ``paths`` normal paths following its policy."""
    reps, n = situation.reps, len(situation)
    sd = situation.sales.sd_annual(reps)
    shocks = RandomStreams(5).generator("rep-types").standard_normal((12, paths, n))
    seats = np.broadcast_to(np.arange(n), (paths, n))
    attainment, total = np.zeros((paths, n)), np.zeros((paths, n))
    for month in range(12):
        exposure = situation.productivity[:, month]
        effort = decisions.effort(seats, month, attainment)
        sales = exposure * (reps.base_sales + reps.effectiveness * effort)
        sales = sales + np.sqrt(exposure) * sd * shocks[month]
        total += sales
        attainment = attainment + sales / situation.quota
    return total.mean(axis=0)


def test_typed_dynamic_policy_is_close_to_each_reps_own():
    """80 reps differing in h, k, c, r and Q, solved as 16 dynamic types (forced by
    ``max_types``): the initial effort interpolated between the types around each rep stays
    close to the rep's policy solved on its own. Base sales only shift the attainment state and
    (k, c) enter through c/k^γ, so the types span c/k^γ, Q and r (2,000-rep figures in
    docs/simulation-model.md)."""
    population = _heterogeneous(80)
    typed, alone, typed_sales, alone_sales = _typed_against_alone(population, 16)
    error = np.abs(typed - alone) / alone
    total = typed.sum() / alone.sum() - 1
    # measured: mean 3.1%, max 15%, initial effort total +2.2%, expected sales +0.4%
    # (nested bins with median traits: 6.9%, 28%, −1.9%, −0.13%)
    assert error.mean() < 0.045
    assert error.max() < 0.22
    assert abs(total) < 0.04
    assert abs(typed_sales.sum() / alone_sales.sum() - 1) < 0.01


@pytest.mark.slow  # ~1–2 min: 2,000 reps each solved alone
def test_typed_dynamic_policy_of_2000_reps_is_within_one_percent():
    """Issue 9 item 3: 2,000 reps differing in h, k, c, r and Q with the default 256 types: per-rep
    initial effort error below 1% on average and total expected sales within 0.1% of every rep
    solved alone (a 151-point grid for both, to keep the reference affordable). Measured here:
    mean 0.37%, max 15%, sales +0.012% (nested bins with median traits: 3.2%, 50%, −0.52%);
    on the benchmark's population at 301 points: 0.24%, 7.3%, +0.006%. Sales over 200 common
    paths."""
    population = _heterogeneous(2000)
    typed, alone, typed_sales, alone_sales = _typed_against_alone(population, 256, 151)
    error = np.abs(typed - alone) / np.maximum(alone, 0.05 * np.median(alone))
    assert error.mean() < 0.01
    assert error.max() < 0.25
    assert abs(typed_sales.sum() / alone_sales.sum() - 1) < 0.001


def test_base_sales_and_effectiveness_reduce_exactly():
    """Reps differing in base sales and in (k, c) with c/k² fixed share one dynamic type: each
    rep's policy (the type's at a shifted attainment, effort scaled by k_t/k) equals the rep's
    own up to the grid's interpolation error (measured 0.2% of the largest effort)."""
    frame = ae_population(8).frame.copy()
    k = np.array([200e3, 250e3, 300e3, 350e3, 400e3, 300e3, 220e3, 380e3])
    frame["effectiveness"] = k
    frame["effort_cost"] = 60_000 * (k / 300e3) ** 2
    population = Population(frame)
    model = _model(population, "dynamic")
    decisions = decide_year(model, model.initial_quotas(), max_types=1)
    assert decisions.policies["ae"][1]._policy.size == 1
    population = population.with_columns(quota=model.initial_quotas())
    alone = DynamicBestResponse().solve(Situation(plan(), population, SALES))
    attainment = np.linspace(-0.2, 1.6, 19)
    seats = np.arange(8)[:, None]
    for month in (0, 5, 11):
        got = decisions.effort(seats, month, attainment[None, :])
        expected = alone.effort(seats, month, attainment[None, :])
        np.testing.assert_allclose(got, expected, rtol=0, atol=0.01 * expected.max())


def test_decide_year_reports_progress_as_types_are_solved():
    """Issue 14: the decision reports progress while the dynamic types are solved (batch by
    batch), in seats, ending at every seat; the engines pass it through (a static model reports
    once per segment)."""
    population = _heterogeneous(40)
    model = _model(population, "dynamic")
    calls = []
    decide_year(model, model.initial_quotas(), max_types=16, progress=lambda *c: calls.append(c))
    done = [d for d, _ in calls]
    assert calls[-1] == (40, 40) and {total for _, total in calls} == {40}
    assert done == sorted(done) and len(set(done)) >= 5  # moves before the end
    static, calls = _model(population, "static"), []
    simulate_fast(static, 1, RandomStreams(3), decision_progress=lambda *c: calls.append(c))
    assert calls == [(40, 40)]
