"""Bench tasks reuse a plan's first-year decisions within a process (spmopt.run.decision_cache):
a cached block gives exactly the metrics of a fresh one, and no two different plans, populations
or later plan years share an entry."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from spmopt.plan.plan import Plan
from spmopt.run import suite as suite_module
from spmopt.run.decision_cache import DecisionCache, array_nbytes, model_fingerprint
from spmopt.run.simulation import simulate
from spmopt.run.suite import Task, run_block
from spmopt.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
ACCELERATORS = ROOT / "scenarios" / "plans" / "standard" / "accelerators.toml"


def small_dynamic_scenario(tmp_path: Path, years: int = 1) -> Scenario:
    """saas-ae (dynamic monthly effort, deals, pull/push timing, attrition) cut to 3 + 1 reps
    and ``years`` plan years: a first-year solve of ~0.2 s of CPU."""
    text = (ROOT / "scenarios" / "saas-ae.toml").read_text()
    text = text.replace('path = "plans/', f'path = "{ROOT / "scenarios" / "plans"}/')
    text = text.replace("years = 1", f"years = {years}")
    text = text.replace("count = 120", "count = 3").replace("count = 30", "count = 1")
    path = tmp_path / f"small-{years}.toml"
    path.write_text(text)
    return Scenario.load(path)


def fresh_block(scenario: Scenario, task: Task) -> pd.DataFrame:
    """A task's per-replication metrics from the engine as it is called without any cache."""
    result = simulate(
        suite_module.with_ratchet(scenario, task.ratchet),
        task.plan,
        replications=task.count,
        first_replication=task.first,
        seed=task.seed,
        engine=task.engine,
    )
    return result.replication_metrics()


def same_metrics(block: pd.DataFrame, fresh: pd.DataFrame) -> None:
    """``run_block``'s metrics equal the engine's own, bit for bit."""
    pd.testing.assert_frame_equal(block[list(fresh.columns)], fresh, check_exact=True)


def with_multiplier(plan: Plan, tier: int, multiplier: float) -> Plan:
    """The plan with one tier's multiplier changed (nothing else)."""
    document = plan.to_dict()
    document["plan"]["components"][0]["tiers"][tier]["multiplier"] = multiplier
    return Plan.from_dict(document, source="test")


def tasks(scenario: Scenario, plan, ratchet=None) -> list[Task]:
    """Blocks of one design: replications 0–1 and 2–3 of seed 1, then 0–1 of seed 2."""
    return [
        Task(scenario.source, "design", plan, ratchet, seed, first, 2, "fast")
        for seed, first in ((1, 0), (1, 2), (2, 0))
    ]


@pytest.mark.parametrize(
    ("years", "ratchet"),
    [(1, None), (2, {"up": 0.5, "down": 0.2})],
    ids=["one-year", "two-year-ratchet"],
)
def test_cached_blocks_give_exactly_the_metrics_of_fresh_ones(tmp_path, years, ratchet):
    """Blocks of two seeds share one cache: the first block solves the first year, the other
    two read it (the seed drives the market only), and their metrics equal a fresh solve's bit
    for bit. With a ratchet over two years, the second year's policies are solved on each
    block's own revised quotas: a cache that kept them (or ignored the quotas and tenures they
    are solved on) would hand one block's second-year policies to the next and fail here."""
    scenario = small_dynamic_scenario(tmp_path, years)
    cache = DecisionCache()
    first, *others = tasks(scenario, Plan.load(ACCELERATORS), ratchet)
    others = others if years == 1 else others[1:]  # 2 s of CPU per block: seed 2's only
    run_block(scenario, first, cache)  # solves: the same as a fresh run
    for task in others:
        cached = run_block(scenario, task, cache)
        same_metrics(cached, fresh_block(scenario, task))
    assert (cache.misses, cache.hits) == (1, len(others))


def test_plans_differing_only_in_one_rate_do_not_share_decisions(tmp_path):
    """The second plan differs from the first only in its 1.5× accelerator (now 1.6×): it gets
    its own solve, and its metrics are those of a fresh run, not the first plan's policies."""
    scenario = small_dynamic_scenario(tmp_path)
    first = Plan.load(ACCELERATORS)
    second = with_multiplier(first, tier=1, multiplier=1.6)
    cache = DecisionCache()
    run_block(scenario, tasks(scenario, first)[0], cache)
    task = tasks(scenario, second)[0]
    cached = run_block(scenario, task, cache)
    same_metrics(cached, fresh_block(scenario, task))
    assert cache.misses == 2
    other_plan = fresh_block(scenario, tasks(scenario, first)[0])
    assert not cached["incentive_cost"].equals(
        other_plan["incentive_cost"]
    )  # the test can tell them apart


def test_the_fingerprint_sees_every_input_of_the_decisions(tmp_path):
    """Recompiling the same scenario gives the same fingerprint; a change of a plan rate, a rep
    trait (the scenario's content hash unchanged, as a roster edit would leave it), the
    behaviour, the technology or the policy-type budget gives another."""
    scenario = small_dynamic_scenario(tmp_path)
    model = scenario.model()
    same = model_fingerprint(small_dynamic_scenario(tmp_path).model())
    assert model_fingerprint(model) == same
    plan = model.segments["ae"].plan
    population = model.population
    costs = population.column("effort_cost").astype(float).copy()
    costs[3] *= 1.001
    ae = model.segments["ae"]
    variants = {
        "rate": model.with_plans({"ae": with_multiplier(plan, tier=1, multiplier=1.51)}),
        "trait": replace(model, population=population.with_columns(effort_cost=costs)),
        "behaviour": suite_module.with_ratchet(scenario, {"up": 0.5}).model(),
        "technology": replace(
            model,
            segments={
                **model.segments,
                "ae": replace(ae, technology=replace(ae.technology, win_probability=0.23)),
            },
        ),
        "types": replace(model, policy_types=model.policy_types - 1),
    }
    prints = {name: model_fingerprint(variant) for name, variant in variants.items()}
    assert same not in prints.values()
    assert len(set(prints.values())) == len(prints)


def test_the_cache_keeps_only_the_most_recently_used_entries(tmp_path):
    scenario = small_dynamic_scenario(tmp_path)
    model = scenario.model()
    plans = [with_multiplier(model.segments["ae"].plan, 1, m) for m in (1.5, 1.6, 1.7)]
    models = [model.with_plans({"ae": plan}) for plan in plans]
    cache = DecisionCache(entries=2)
    decide = cache.decider("test")
    first = decide(models[0], models[0].initial_quotas())
    assert decide(models[0], models[0].initial_quotas()) is first
    decide(models[1], models[1].initial_quotas())
    decide(models[2], models[2].initial_quotas())
    assert len(cache) == 2
    assert decide(models[0], models[0].initial_quotas()) is not first  # dropped, solved again
    assert (cache.hits, cache.misses) == (1, 4)
    assert decide(models[0], models[0].initial_quotas() * 1.01) is not first  # other quotas
    assert cache.nbytes >= array_nbytes(first) > 0
    small = DecisionCache(entries=4, max_bytes=1)  # room for the newest entry only
    decide = small.decider("test")
    newest = [decide(m, m.initial_quotas()) for m in models][-1]
    assert len(small) == 1
    assert decide(models[2], models[2].initial_quotas()) is newest
