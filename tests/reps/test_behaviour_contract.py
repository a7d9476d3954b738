"""The one contract every effort model meets, run against every registered model.

A model is created by name from the registry, solved for a Situation, and returns a policy that
maps (rep index, month, attainment seen at the last review) to effort, vectorised.
"""

from __future__ import annotations

import numpy as np
import pytest
from reps_helpers import commission_plan, make_plan, reps_population

from spmopt.errors import SpmoptInputError
from spmopt.reps.behaviour.contract import EffortModel, EffortPolicy
from spmopt.reps.behaviour.registry import EFFORT_MODELS, behaviour_from_dict, create, effort_model
from spmopt.reps.population import Population
from spmopt.reps.situation import Situation
from spmopt.reps.technology import NormalSales

PARAMETERS = {
    "static": {},
    "dynamic": {"grid_points": 101, "cadence": "month"},
    "fixed_effort": {"effort": 0.7},
    "rule_of_thumb": {"max_effort": 3.0},
}
PLAN = make_plan(
    [{"from": 0.0, "rate": 0.06}, {"from": 1.0, "multiplier": 1.5}],
    threshold=0.5,
    cap=2.0,
    bonuses=[{"at": 1.0, "amount": 10_000}],
)
TECHNOLOGY = NormalSales(sigma=150_000)


def test_every_registered_model_is_covered():
    assert set(PARAMETERS) == set(EFFORT_MODELS)


@pytest.fixture(params=sorted(PARAMETERS))
def model(request) -> EffortModel:
    return effort_model(request.param, **PARAMETERS[request.param])


def _solve(model, population, plan=PLAN):
    return model.solve(Situation(plan, population, TECHNOLOGY))


def _states(n):
    """A fixed spread of (rep, month, attainment) states (deterministic, no RNG needed)."""
    reps = np.arange(n).repeat(12 * 5)
    months = np.tile(np.arange(12).repeat(5), n)
    attainment = np.tile(np.linspace(0.0, 1.6, 5), 12 * n)
    return reps, months, attainment


def test_policy_shape_and_range(model):
    population = reps_population(n=8)
    policy = _solve(model, population)
    assert isinstance(policy, EffortPolicy)
    assert model.name in EFFORT_MODELS and policy.size == len(population)
    reps, months, attainment = _states(len(population))
    effort = policy.effort(reps, months, attainment)
    assert effort.shape == reps.shape
    assert np.all(np.isfinite(effort)) and np.all(effort >= 0)
    grid = policy.effort(np.arange(8)[:, None], 3, np.linspace(0, 1, 4)[None, :])
    assert grid.shape == (8, 4)
    reviews = np.asarray(policy.review_months)
    assert reviews[0] == 0 and np.all(np.diff(reviews) > 0)
    np.testing.assert_array_equal(policy.review_month(reviews), reviews)


def test_deterministic_and_independent_of_other_reps(model):
    """Same input, same policy; a rep's policy does not depend on who else is in the population
    or on row order (no hidden coupling between reps)."""
    population = reps_population(n=8)
    reps, months, attainment = _states(8)
    full = _solve(model, population).effort(reps, months, attainment)
    again = _solve(model, population).effort(reps, months, attainment)
    np.testing.assert_array_equal(full, again)
    order = np.array([5, 2, 7, 0, 3, 6, 1, 4])
    permuted = Population(population.frame.iloc[order])
    position = np.argsort(order)  # where each original rep sits in the permuted population
    moved = _solve(model, permuted).effort(position[reps], months, attainment)
    np.testing.assert_allclose(moved, full, rtol=1e-9, atol=1e-12)
    subset = population.select(np.isin(np.arange(8), [1, 4, 6]))
    keep = np.isin(reps, [1, 4, 6])
    sub_index = np.searchsorted([1, 4, 6], reps[keep])
    alone = _solve(model, subset).effort(sub_index, months[keep], attainment[keep])
    np.testing.assert_allclose(alone, full[keep], rtol=1e-9, atol=1e-12)


def test_response_to_the_plan(model):
    """Optimising models put in no effort when the plan pays nothing and more effort under a
    higher commission rate; baselines give the same effort whatever the rates."""
    population = reps_population(n=6)
    reps, months, attainment = _states(6)
    nothing = _solve(model, population, commission_plan(0.0)).effort(reps, months, attainment)
    low = _solve(model, population, commission_plan(0.04)).effort(reps, months, attainment)
    high = _solve(model, population, commission_plan(0.12)).effort(reps, months, attainment)
    if model.responds_to_plan:
        assert np.all(nothing == 0)
        assert np.all(high >= low - 1e-9) and np.any(high > low)
    else:
        np.testing.assert_array_equal(low, high)


def test_unknown_names_and_parameters_are_input_errors():
    with pytest.raises(SpmoptInputError, match=r"unknown effort model 'greedy'.*'dynamic'"):
        effort_model("greedy")
    with pytest.raises(SpmoptInputError, match=r"behaviour.effort.speed"):
        effort_model("static", speed=3)
    with pytest.raises(SpmoptInputError, match=r"behaviour.effort.cadence: expected one of"):
        effort_model("dynamic", cadence="weekly")
    with pytest.raises(SpmoptInputError, match=r"behaviour.timing.model: unknown timing model"):
        behaviour_from_dict({"timing": {"model": "sandbag"}})
    with pytest.raises(SpmoptInputError, match=r"unknown key 'behaviour.mood'"):
        behaviour_from_dict({"mood": "happy"})
    with pytest.raises(SpmoptInputError, match=r"does not anticipate ratchets"):
        behaviour_from_dict({"effort": {"model": "fixed_effort"}, "ratchet": {"up": 0.3}})
    with pytest.raises(SpmoptInputError, match=r"unknown behaviour kind"):
        create("pricing", "x")


def test_behaviour_spec_builds_every_part():
    behaviour = behaviour_from_dict(
        {
            "effort": {"model": "dynamic", "cadence": "quarter"},
            "timing": {"model": "pull_push", "discount": 0.05},
            "attrition": {"model": "hazard", "annual_turnover": 0.25},
            "ratchet": {"up": 0.5, "down": 0.2},
        }
    )
    assert behaviour.effort.cadence == "quarter" and behaviour.effort.ratchet.down == 0.2
    assert behaviour.timing.discount == 0.05
    assert behaviour.attrition.annual_turnover == 0.25
    default = behaviour_from_dict(None)
    assert default.effort.name == "static" and default.timing.name == "none"
